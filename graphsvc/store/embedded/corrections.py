"""Entity-resolution corrections in the embedded store: the SQL behind ``merge_entities``,
``split_entity``, ``undo_resolution`` and the reading of corrections.

The rules are ``graphsvc.store.resolution``'s: in one ``BEGIN IMMEDIATE`` transaction on the
write connection (the caller holds the store's write lock) this module reads what the store
holds of the entities concerned (``holdings``), lets the rules make a ``Plan``, and applies it:
entity records change their ``eid`` and links their ``src``/``dst`` in place (rowids, and so the
name index, stay), stamped with the new data version so the in-memory index patches itself
with exactly those rows; the correction goes into ``resolutions`` and its redirects into
``redirects``; ``meta`` counts corrections so the writer reloads the redirects.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from graphsvc.errors import StoreError
from graphsvc.model.records import Handling
from graphsvc.store.embedded.writer import json_list
from graphsvc.store.resolution import (
    HeldLink,
    HeldRecord,
    Holdings,
    Plan,
    ResolutionRow,
)

T = TypeVar("T")

_COLUMNS = (
    "seq, id, kind, by_principal, at, reason, entity_type, target, entities, moves, redirects,"
    " undoes, undone_by"
)


def _row(values: Sequence[Any]) -> ResolutionRow:
    seq, rid, kind, by, at, reason, etype, target, entities, moves, redirects, undoes, undone = (
        values
    )
    return ResolutionRow.of_stored(
        id=str(rid),
        kind=str(kind),
        by=str(by),
        at=str(at),
        reason=str(reason),
        entity_type=str(etype),
        target=str(target),
        entities=json.loads(str(entities)),
        moves=str(moves),
        redirects=str(redirects),
        undoes=undoes,
        undone_by=undone,
        seq=int(seq),
    )


def rows(
    conn: sqlite3.Connection,
    *,
    resolution_id: str | None = None,
    entity_id: str | None = None,
    by: str | None = None,
    newest_first: bool = True,
) -> list[ResolutionRow]:
    """Stored corrections, filtered on what is given."""
    where, params = [], []
    if resolution_id is not None:
        where.append("id = ?")
        params.append(resolution_id)
    if by is not None:
        where.append("by_principal = ?")
        params.append(by)
    if entity_id is not None:
        where.append("EXISTS (SELECT 1 FROM json_each(entities) WHERE value = ?)")
        params.append(entity_id)
    sql = f"SELECT {_COLUMNS} FROM resolutions"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY seq DESC" if newest_first else " ORDER BY seq"
    return [_row(r) for r in conn.execute(sql, params)]


def _handlings(conn: sqlite3.Connection, hids: set[int]) -> dict[int, Handling]:
    rows = conn.execute(
        "SELECT hid, classification, releasable_to, caveats, code, originator, retain_until"
        " FROM handling WHERE hid IN (SELECT value FROM json_each(?))",
        (json_list(sorted(hids)),),
    )
    return {
        int(hid): Handling(
            classification=classification,
            releasable_to=tuple(json.loads(releasable)),
            caveats=tuple(json.loads(caveats)),
            code=code,
            originator=originator,
            retain_until=retain or None,
        )
        for hid, classification, releasable, caveats, code, originator, retain in rows
    }


class Corrections:
    """Reads and writes corrections on the store's write connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def transaction(self, work: Callable[[], T]) -> T:
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreError(f"cannot start a write: {exc}") from None
        try:
            done = work()
            conn.execute("COMMIT")
            return done
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"correction not written: {exc}") from None
            raise

    # -- reading inside the transaction ------------------------------------------------------------

    def row(self, resolution_id: str) -> ResolutionRow | None:
        found = rows(self.conn, resolution_id=resolution_id)
        return found[0] if found else None

    def exists(self, entity_id: str) -> bool:
        found = self.conn.execute("SELECT 1 FROM entities WHERE id = ?", (entity_id,))
        return found.fetchone() is not None

    def holdings(self, entity_ids: Sequence[str], link_ids: Sequence[str] = ()) -> Holdings:
        """The entities ``entity_ids`` (type, every record) and every link touching them or
        named in ``link_ids``, whatever their handling."""
        conn = self.conn
        heads = conn.execute(
            "SELECT e.eid, e.id, t.name FROM entities e JOIN types t ON t.tid = e.tid"
            " WHERE e.id IN (SELECT value FROM json_each(?))",
            (json_list(entity_ids),),
        ).fetchall()
        ids = {int(eid): str(entity_id) for eid, entity_id, _ in heads}
        eids = json_list(sorted(ids))
        record_rows = conn.execute(
            "SELECT eid, source, record, hid FROM erecords"
            " WHERE eid IN (SELECT value FROM json_each(?))",
            (eids,),
        ).fetchall()
        link_rows = conn.execute(
            "SELECT l.id, s.id, d.id, l.hid FROM links l"
            " JOIN entities s ON s.eid = l.src JOIN entities d ON d.eid = l.dst"
            " WHERE l.lid IN (SELECT lid FROM links WHERE src IN (SELECT value FROM json_each(?1))"
            " UNION SELECT lid FROM links WHERE dst IN (SELECT value FROM json_each(?1))"
            " UNION SELECT lid FROM links WHERE id IN (SELECT value FROM json_each(?2)))",
            (eids, json_list(link_ids)),
        ).fetchall()
        handlings = _handlings(
            conn, {int(r[3]) for r in record_rows} | {int(r[3]) for r in link_rows}
        )
        return Holdings(
            types={str(entity_id): str(name) for _, entity_id, name in heads},
            records=[
                HeldRecord(ids[int(eid)], str(source), str(record), handlings[int(hid)])
                for eid, source, record, hid in record_rows
            ],
            links={
                str(link_id): HeldLink(str(link_id), str(src), str(dst), handlings[int(hid)])
                for link_id, src, dst, hid in link_rows
            },
        )

    # -- writing inside the transaction ------------------------------------------------------------

    def apply(self, plan: Plan, holdings: Holdings) -> ResolutionRow:
        """Apply ``plan`` (made from ``holdings`` in this transaction); the row as stored."""
        conn = self.conn
        row = plan.row
        gen = int(conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()[0]) + 1
        if plan.new_entity is not None:
            entity_id, type_name = plan.new_entity
            tid = conn.execute(
                "SELECT tid FROM types WHERE kind = 'entity' AND name = ?", (type_name,)
            ).fetchone()[0]
            conn.execute("INSERT INTO entities (id, tid) VALUES (?, ?)", (entity_id, tid))
        ends = plan.link_ends(holdings)
        named = {m.from_id for m in row.records} | {m.to_id for m in row.records}
        named |= {entity_id for pair in ends.values() for entity_id in pair}
        eid = {
            str(entity_id): int(e)
            for entity_id, e in conn.execute(
                "SELECT id, eid FROM entities WHERE id IN (SELECT value FROM json_each(?))",
                (json_list(sorted(named)),),
            )
        }
        for m in row.records:
            moved = conn.execute(
                "UPDATE erecords SET eid = ?, gen = ? WHERE eid = ? AND source = ? AND record = ?",
                (eid[m.to_id], gen, eid[m.from_id], m.source, m.record),
            ).rowcount
            if moved != 1:  # the plan was made in this transaction: never expected
                raise StoreError(f"record {m.source}/{m.record} of {m.from_id!r} not found")
        for link_id, (src, dst) in sorted(ends.items()):
            conn.execute(
                "UPDATE links SET src = ?, dst = ?, gen = ? WHERE id = ?",
                (eid[src], eid[dst], gen, link_id),
            )
        stored = self._insert(row)
        conn.execute("UPDATE meta SET value = ? WHERE key = 'version'", (str(gen),))
        return stored

    def import_row(self, row: ResolutionRow) -> bool:
        """Keep a correction of another store (its redirects when in force); False when its
        id is held already."""
        if self.row(row.id) is not None:
            return False
        self._insert(row)
        return True

    def _insert(self, row: ResolutionRow) -> ResolutionRow:
        conn = self.conn
        seq = int(
            conn.execute(
                "INSERT INTO resolutions (id, kind, by_principal, at, reason, entity_type, target,"
                " entities, moves, redirects, undoes, undone_by)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
                (
                    row.id,
                    row.kind,
                    row.by,
                    row.at,
                    row.reason,
                    row.entity_type,
                    row.target,
                    json_list(row.entities),
                    row.moves_json(),
                    row.redirects_json(),
                    row.undoes,
                    row.undone_by,
                ),
            ).fetchone()[0]
        )
        if row.undone_by is None:
            conn.executemany(
                "INSERT INTO redirects (seq, resolution, kind, entity, source, record, link,"
                " link_end, target) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (seq, row.id, r.kind, r.entity, r.source, r.record, r.link, r.end, r.target)
                    for r in row.redirects
                ],
            )
        if row.undoes is not None:  # also when copied from a store that undid it later
            conn.execute("DELETE FROM redirects WHERE resolution = ?", (row.undoes,))
            conn.execute("UPDATE resolutions SET undone_by = ? WHERE id = ?", (row.id, row.undoes))
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('corrections', '1') ON CONFLICT (key)"
            " DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )
        return replace(row, seq=seq)
