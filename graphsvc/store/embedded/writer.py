"""Writing assertions into the embedded store: idempotent, batched, atomic per source record.

``Writer.write`` takes the units of a batch (a unit is everything one source record asserts)
and stores them in one transaction. Before anything of a unit is written it is checked against
the store and the units before it: an entity may have only one type, and a link id belongs to
one source. A unit that fails is refused whole and reported; the others are stored.

Upserts compare the stored row with the new one and only write when something differs, so
re-ingesting the same records changes nothing, not even the data version.

Entity-resolution corrections leave redirects (``graphsvc.store.resolution``): every unit is
sent through them before it is checked and written, so re-ingesting a source does not bring
back an entity merged away, nor put a record or link end split off back where it was.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from graphsvc.errors import StoreError
from graphsvc.model.records import EntityAssertion, Handling, LinkAssertion, Provenance
from graphsvc.model.schema import Schema
from graphsvc.store.protocol import Rejection, Unit
from graphsvc.store.records import NAMES_PER_RECORD, canonical_json, name_values, unit_problem
from graphsvc.store.resolution import Redirect, Redirects

_ENTITY_CACHE_MAX = 2_000_000

# Provenance columns, in the order ``provenance_params`` gives them (and the reader reads them).
PROVENANCE_COLUMNS = (
    "source",
    "record",
    "method",
    "ingested_at",
    "observed_at",
    "confidence",
    "document",
    "span_start",
    "span_end",
    "extractor",
    "note",
)


def _upsert(table: str, key: tuple[str, ...], columns: tuple[str, ...], guard: str = "") -> str:
    """An upsert that only rewrites a row when something other than ``ingested_at`` changed."""
    updated = [c for c in columns if c not in key]
    compared = [c for c in updated if c != "ingested_at"]
    return f"""
INSERT INTO {table} ({", ".join(columns)}, gen) VALUES ({", ".join("?" * (len(columns) + 1))})
ON CONFLICT ({", ".join(key)}) DO UPDATE SET
    {", ".join(f"{c} = excluded.{c}" for c in updated)}, gen = excluded.gen
WHERE {guard}({", ".join(f"{table}.{c}" for c in compared)})
    IS NOT ({", ".join(f"excluded.{c}" for c in compared)})
"""


_GRADING_AND_VALUES = ("grade_source", "grade_info", "properties")
UPSERT_RECORD = (
    _upsert(
        "erecords",
        ("eid", "source", "record"),
        ("eid", "hid", *PROVENANCE_COLUMNS, *_GRADING_AND_VALUES),
    )
    + "RETURNING rid"
)
UPSERT_LINK = _upsert(
    "links",
    ("id",),
    ("id", "tid", "src", "dst", "directed", "hid", "t", *PROVENANCE_COLUMNS, *_GRADING_AND_VALUES),
    guard="links.source = excluded.source AND ",
)


def provenance_params(p: Provenance) -> tuple[Any, ...]:
    """The values of ``PROVENANCE_COLUMNS`` for ``p``."""
    start, end = p.span if p.span else (None, None)
    return (
        p.source,
        p.record,
        p.method,
        p.ingested_at,
        p.observed_at,
        p.confidence,
        p.document,
        start,
        end,
        p.extractor,
        p.note,
    )


def json_path(key: str) -> str:
    """The SQLite JSON path of a top-level object key, quoted so any key name is taken
    literally (``$."a.b"`` is the key ``a.b``, not a nested path)."""
    return "$." + json.dumps(key, ensure_ascii=False)


def json_list(values: Iterable[Any]) -> str:
    """A JSON array parameter, for ``IN (SELECT value FROM json_each(?))``."""
    return json.dumps(list(values), ensure_ascii=False)


class Writer:
    """Owns the write connection's caches: type ids, handling ids, entity ids."""

    def __init__(self, conn: sqlite3.Connection, schema: Schema) -> None:
        self.conn = conn
        self.schema = schema
        self.type_ids: dict[tuple[str, str], int] = {}
        self.handling_ids: dict[Handling, int] = {}
        self.entities: dict[str, tuple[int, int]] = {}  # id -> (eid, tid), committed rows only
        self._types_ready = False
        self._redirects = Redirects()
        self._corrections = 0  # the corrections count the redirects were read at

    def redirects(self) -> Redirects:
        """The redirects in force, read again when a correction was made since (by any
        process)."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'corrections'").fetchone()
        count = int(row[0]) if row is not None else 0
        if count != self._corrections:
            found = self.conn.execute(
                "SELECT seq, kind, entity, source, record, link, link_end, target FROM redirects"
            )
            self._redirects = Redirects.of(
                (
                    int(seq),
                    Redirect.of(
                        {
                            "kind": kind,
                            "entity": entity,
                            "source": source,
                            "record": record,
                            "link": link,
                            "end": end,
                            "target": target,
                        }
                    ),
                )
                for seq, kind, entity, source, record, link, end, target in found
            )
            self._corrections = count
        return self._redirects

    # -- lookups ---------------------------------------------------------------------------------

    def _type_table(self) -> dict[tuple[str, str], int]:
        if not self.type_ids:
            rows = self.conn.execute("SELECT kind, name, tid FROM types")
            self.type_ids = {(kind, name): tid for kind, name, tid in rows}
        return self.type_ids

    def _lookup_entities(self, ids: set[str]) -> dict[str, tuple[int, int]]:
        found = {i: self.entities[i] for i in ids if i in self.entities}
        missing = [i for i in ids if i not in found]
        for start in range(0, len(missing), 50_000):
            chunk = missing[start : start + 50_000]
            rows = self.conn.execute(
                "SELECT id, eid, tid FROM entities WHERE id IN (SELECT value FROM json_each(?))",
                (json_list(chunk),),
            )
            for entity_id, eid, tid in rows:
                found[entity_id] = (eid, tid)
        return found

    # -- writing ---------------------------------------------------------------------------------

    def write(self, units: Sequence[Unit]) -> list[Rejection]:
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreError(f"cannot start a write: {exc}") from None
        try:
            rejections, new_entities, new_handlings = self._write(units)
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            self.type_ids = {}  # may hold ids of rows the rollback removed
            self._types_ready = False
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"write failed, batch rolled back: {exc}") from None
            raise
        if len(self.entities) + len(new_entities) > _ENTITY_CACHE_MAX:
            self.entities.clear()
        self.entities.update(new_entities)
        self.handling_ids.update(new_handlings)
        return rejections

    def _write(
        self, units: Sequence[Unit]
    ) -> tuple[list[Rejection], dict[str, tuple[int, int]], dict[Handling, int]]:
        conn = self.conn
        self._ensure_types()
        redirects = self.redirects()
        if redirects:
            units = [redirects.unit(unit) for unit in units]
        version = int(conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()[0])
        gen = version + 1
        changes_before = conn.total_changes

        entity_ids: set[str] = set()
        link_ids: list[str] = []
        for unit in units:
            for a in unit:
                if isinstance(a, EntityAssertion):
                    entity_ids.add(a.entity_id)
                else:
                    entity_ids.update((a.src.id, a.dst.id))
                    link_ids.append(a.id)
        known = self._lookup_entities(entity_ids)
        link_sources = self._link_sources(link_ids)
        new_entities: dict[str, tuple[int, int]] = {}
        new_handlings: dict[Handling, int] = {}

        type_names = {tid: name for (kind, name), tid in self.type_ids.items() if kind == "entity"}
        rejections: list[Rejection] = []
        link_rows: list[tuple[Any, ...]] = []
        for index, unit in enumerate(units):
            problem = self._check(unit, known, link_sources, type_names)
            if problem is not None:
                rejections.append(Rejection(index, problem[0], problem[1]))
                continue
            for a in unit:
                if isinstance(a, EntityAssertion):
                    eid = self._ensure_entity(a.entity_id, a.type, known, new_entities)
                    hid = self._handling_id(a.handling, new_handlings)
                    self._upsert_record(a, eid, hid, gen)
                else:
                    src = self._ensure_entity(a.src.id, a.src.type, known, new_entities)
                    dst = self._ensure_entity(a.dst.id, a.dst.type, known, new_entities)
                    hid = self._handling_id(a.handling, new_handlings)
                    link_rows.append(self._link_row(a, src, dst, hid, gen))
                    link_sources[a.id] = a.provenance.source
        if link_rows:
            conn.executemany(UPSERT_LINK, link_rows)
        if conn.total_changes > changes_before:
            conn.execute("UPDATE meta SET value = ? WHERE key = 'version'", (str(gen),))
        return rejections, new_entities, new_handlings

    def _check(
        self,
        unit: Unit,
        known: dict[str, tuple[int, int]],
        link_sources: dict[str, str],
        type_names: dict[int, str],
    ) -> tuple[str | None, str] | None:
        """Why the unit cannot be stored, or None."""

        def stored_type(entity_id: str) -> str | None:
            found = known.get(entity_id)
            return type_names.get(found[1]) if found is not None else None

        return unit_problem(unit, stored_type, link_sources.get)

    def _ensure_types(self) -> None:
        if self._types_ready:
            return
        wanted = [("entity", name) for name in self.schema.entities] + [
            ("link", name) for name in self.schema.links
        ]
        self.conn.executemany("INSERT OR IGNORE INTO types (kind, name) VALUES (?, ?)", wanted)
        self.type_ids = {}
        self._type_table()
        self._types_ready = True

    def _ensure_entity(
        self,
        entity_id: str,
        type_name: str,
        known: dict[str, tuple[int, int]],
        new: dict[str, tuple[int, int]],
    ) -> int:
        if entity_id in known:
            return known[entity_id][0]
        tid = self.type_ids[("entity", type_name)]
        cursor = self.conn.execute("INSERT INTO entities (id, tid) VALUES (?, ?)", (entity_id, tid))
        eid = int(cursor.lastrowid or 0)
        known[entity_id] = new[entity_id] = (eid, tid)
        return eid

    def _handling_id(self, handling: Handling, new: dict[Handling, int]) -> int:
        hid = self.handling_ids.get(handling) or new.get(handling)
        if hid is not None:
            return hid
        key = (
            handling.classification,
            json_list(handling.releasable_to),
            json_list(handling.caveats),
            handling.code,
            handling.originator,
            handling.retain_until or "",
        )
        self.conn.execute(
            "INSERT OR IGNORE INTO handling (classification, releasable_to, caveats, code, "
            "originator, retain_until) VALUES (?, ?, ?, ?, ?, ?)",
            key,
        )
        row = self.conn.execute(
            "SELECT hid FROM handling WHERE classification = ? AND releasable_to = ? AND "
            "caveats = ? AND code = ? AND originator = ? AND retain_until = ?",
            key,
        ).fetchone()
        new[handling] = int(row[0])
        return new[handling]

    def _link_sources(self, link_ids: list[str]) -> dict[str, str]:
        sources: dict[str, str] = {}
        for start in range(0, len(link_ids), 50_000):
            rows = self.conn.execute(
                "SELECT id, source FROM links WHERE id IN (SELECT value FROM json_each(?))",
                (json_list(link_ids[start : start + 50_000]),),
            )
            sources.update(rows)
        return sources

    def _upsert_record(self, a: EntityAssertion, eid: int, hid: int, gen: int) -> None:
        g = a.grading
        row = self.conn.execute(
            UPSERT_RECORD,
            (
                eid,
                hid,
                *provenance_params(a.provenance),
                g.source if g else None,
                g.information if g else None,
                canonical_json(a.properties),
                gen,
            ),
        ).fetchone()
        if row is not None:
            self._index_names(int(row[0]), a)

    def _index_names(self, rid: int, a: EntityAssertion) -> None:
        base = rid * NAMES_PER_RECORD
        self.conn.execute(
            "DELETE FROM name_index WHERE rowid BETWEEN ? AND ?",
            (base, base + NAMES_PER_RECORD - 1),
        )
        names = name_values(self.schema, a)
        self.conn.executemany(
            "INSERT INTO name_index (rowid, name) VALUES (?, ?)",
            [(base + k, name) for k, name in enumerate(names)],
        )

    def _link_row(
        self, a: LinkAssertion, src: int, dst: int, hid: int, gen: int
    ) -> tuple[Any, ...]:
        return (
            a.id,
            self.type_ids[("link", a.type)],
            src,
            dst,
            int(a.directed),
            hid,
            a.time,
            *provenance_params(a.provenance),
            a.grading.source,
            a.grading.information,
            canonical_json(a.properties),
            gen,
        )
