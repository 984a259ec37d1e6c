"""Materialising entities and links from the embedded store for one scope.

Every query here takes the scope's visible handling ids and filters on them in SQL, even when
the caller got the row ids from a scoped view: a record that became invisible between the two
steps is dropped, never shown.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from graphsvc.model.graph import Entity, Link, RecordRef
from graphsvc.model.properties import JSONScalar
from graphsvc.model.records import Grading, Handling, Provenance
from graphsvc.model.schema import Schema
from graphsvc.store.embedded.writer import PROVENANCE_COLUMNS, json_list
from graphsvc.store.records import assemble_entity

_CHUNK = 20_000

_PROVENANCE = ", ".join(PROVENANCE_COLUMNS)
_P = len(PROVENANCE_COLUMNS)
LINK_SELECT = f"""
SELECT l.lid, l.id, l.tid, s.id, d.id, l.directed, l.hid,
       {", ".join(f"l.{c}" for c in PROVENANCE_COLUMNS)}, l.grade_source, l.grade_info, l.properties
FROM links l JOIN entities s ON s.eid = l.src JOIN entities d ON d.eid = l.dst
"""


class Reader:
    def __init__(
        self,
        schema: Schema,
        type_names: Mapping[int, str],
        handlings: Mapping[int, Handling],
    ) -> None:
        self.schema = schema
        self.type_names = type_names
        self.handlings = handlings

    # -- links -----------------------------------------------------------------------------------

    def links(self, conn: sqlite3.Connection, lids: Iterable[int], visible: str) -> dict[int, Link]:
        """Visible links by lid (``visible`` is the JSON list of visible handling ids).

        ``LINK_SELECT`` rows become links with ``link_from_row``."""
        out: dict[int, Link] = {}
        wanted = list(lids)
        for start in range(0, len(wanted), _CHUNK):
            rows = conn.execute(
                LINK_SELECT + " WHERE l.lid IN (SELECT value FROM json_each(?))"
                " AND l.hid IN (SELECT value FROM json_each(?))",
                (json_list(wanted[start : start + _CHUNK]), visible),
            )
            for row in rows:
                out[row[0]] = self.link_from_row(row)
        return out

    def first_lids_by_id(
        self, conn: sqlite3.Connection, lids: Sequence[int], visible: str, count: int
    ) -> list[int]:
        """The ``count`` visible links among ``lids`` that come first by link id."""
        ranked: list[tuple[str, int]] = []
        for start in range(0, len(lids), _CHUNK):
            ranked.extend(
                conn.execute(
                    "SELECT id, lid FROM links WHERE lid IN (SELECT value FROM json_each(?))"
                    " AND hid IN (SELECT value FROM json_each(?))",
                    (json_list(lids[start : start + _CHUNK]), visible),
                )
            )
        ranked.sort()
        return [lid for _, lid in ranked[:count]]

    def link_by_id(self, conn: sqlite3.Connection, link_id: str, visible: str) -> Link | None:
        row = conn.execute(
            LINK_SELECT + " WHERE l.id = ? AND l.hid IN (SELECT value FROM json_each(?))",
            (link_id, visible),
        ).fetchone()
        return self.link_from_row(row) if row else None

    def link_from_row(self, row: tuple[Any, ...]) -> Link:
        _, link_id, tid, src, dst, directed, hid = row[:7]
        return Link(
            id=str(link_id),
            type=self.type_names[int(tid)],
            source_id=str(src),
            target_id=str(dst),
            directed=bool(directed),
            properties=json.loads(str(row[9 + _P])),
            provenance=_provenance(row[7 : 7 + _P]),
            grading=Grading(str(row[7 + _P]), str(row[8 + _P])),
            handling=self.handlings[int(hid)],
        )

    # -- entities --------------------------------------------------------------------------------

    def visible_eids(self, conn: sqlite3.Connection, eids: Sequence[int], visible: str) -> set[int]:
        """The eids asserted by a visible entity record or touched by a visible link."""
        found: set[int] = set()
        for start in range(0, len(eids), _CHUNK):
            chunk = json_list(eids[start : start + _CHUNK])
            rows = conn.execute(
                """
                SELECT eid FROM erecords WHERE eid IN (SELECT value FROM json_each(?1))
                    AND hid IN (SELECT value FROM json_each(?2))
                UNION SELECT src FROM links WHERE src IN (SELECT value FROM json_each(?1))
                    AND hid IN (SELECT value FROM json_each(?2))
                UNION SELECT dst FROM links WHERE dst IN (SELECT value FROM json_each(?1))
                    AND hid IN (SELECT value FROM json_each(?2))
                """,
                (chunk, visible),
            )
            found.update(int(r[0]) for r in rows)
        return found

    def entities(
        self, conn: sqlite3.Connection, eids: Sequence[int], visible: str
    ) -> dict[int, Entity]:
        """The visible entities among ``eids``, with only the values and records the scope may
        see. An entity's existence is not a record: eids no visible record asserts are left
        out, whatever the caller believed (a write may have landed since it looked)."""
        out: dict[int, Entity] = {}
        shown = sorted(self.visible_eids(conn, eids, visible))
        for start in range(0, len(shown), _CHUNK):
            chunk = json_list(shown[start : start + _CHUNK])
            heads = {
                int(eid): (str(entity_id), self.type_names[int(tid)])
                for eid, entity_id, tid in conn.execute(
                    "SELECT eid, id, tid FROM entities"
                    " WHERE eid IN (SELECT value FROM json_each(?))",
                    (chunk,),
                )
            }
            records: dict[int, list[tuple[RecordRef, dict[str, list[JSONScalar]]]]] = {}
            for row in conn.execute(
                f"""
                SELECT eid, hid, {_PROVENANCE}, grade_source, grade_info, properties
                FROM erecords WHERE eid IN (SELECT value FROM json_each(?))
                    AND hid IN (SELECT value FROM json_each(?))
                """,
                (chunk, visible),
            ):
                records.setdefault(int(row[0]), []).append(self._record(row))
            for eid, (entity_id, type_name) in heads.items():
                out[eid] = self.entity(entity_id, type_name, records.get(eid, []))
        return out

    def _record(self, row: tuple[Any, ...]) -> tuple[RecordRef, dict[str, list[JSONScalar]]]:
        _, hid = row[:2]
        gsrc, ginfo, props = row[2 + _P : 5 + _P]
        ref = RecordRef(
            provenance=_provenance(row[2 : 2 + _P]),
            grading=Grading(str(gsrc), str(ginfo)) if gsrc is not None else None,
            handling=self.handlings[int(hid)],
        )
        return ref, json.loads(str(props))

    def entity(
        self,
        entity_id: str,
        type_name: str,
        records: list[tuple[RecordRef, dict[str, list[JSONScalar]]]],
    ) -> Entity:
        """Assemble an entity from its visible records (``assemble_entity``)."""
        return assemble_entity(self.schema, entity_id, type_name, records)


def _provenance(fields: tuple[Any, ...]) -> Provenance:
    """Provenance from the values of ``PROVENANCE_COLUMNS`` (links and entity records alike)."""
    (
        source,
        record,
        method,
        ingested,
        observed,
        confidence,
        document,
        start,
        end,
        extractor,
        note,
    ) = fields
    return Provenance(
        source=str(source),
        record=str(record),
        method=str(method),
        ingested_at=str(ingested),
        observed_at=observed,
        confidence=float(confidence),
        document=document,
        span=(int(start), int(end)) if start is not None else None,
        extractor=extractor,
        note=note,
    )
