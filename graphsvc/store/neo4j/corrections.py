"""Entity-resolution corrections in Neo4j: the queries behind ``merge_entities``,
``split_entity``, ``undo_resolution``, the reading of corrections and the writer's redirects.

The rules are ``graphsvc.store.resolution``'s; this module reads what a correction needs
(``holdings``) and applies a ``Plan`` in the store's write transaction (after ``lock_writes``):
a moved record node gets the key, entity and digest of the same record asserted about its new
entity and describes it (``move_records``); a moved link's relationship is replaced by one with
the same properties between its new ends (``relink``). A correction is a ``(:Resolution)``
node (its moves and redirects as JSON text), each of its redirects a ``(:Redirect)`` node.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from graphsvc.store.neo4j import rows
from graphsvc.store.neo4j.cypher import CypherQueries, Transaction
from graphsvc.store.resolution import (
    HeldLink,
    HeldRecord,
    Holdings,
    Plan,
    Redirect,
    Redirects,
    ResolutionRow,
)

CHUNK = 10_000


def _chunks(items: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _node(row: ResolutionRow) -> dict[str, Any]:
    """The properties of a correction's node."""
    return {
        "id": row.id,
        "seq": row.seq,
        "kind": row.kind,
        "by_principal": row.by,
        "at": row.at,
        "reason": row.reason,
        "entity_type": row.entity_type,
        "target": row.target,
        "entities": list(row.entities),
        "moves": row.moves_json(),
        "redirects": row.redirects_json(),
        "undoes": row.undoes,
        "undone_by": row.undone_by,
    }


def _row(node: dict[str, Any]) -> ResolutionRow:
    return ResolutionRow.of_stored(
        id=str(node["id"]),
        kind=str(node["kind"]),
        by=str(node["by_principal"]),
        at=str(node["at"]),
        reason=str(node["reason"]),
        entity_type=str(node["entity_type"]),
        target=str(node["target"]),
        entities=[str(e) for e in node.get("entities") or []],
        moves=str(node["moves"]),
        redirects=str(node["redirects"]),
        undoes=node.get("undoes"),
        undone_by=node.get("undone_by"),
        seq=int(node["seq"]),
    )


class Neo4jCorrections:
    def __init__(self, queries: CypherQueries) -> None:
        self._q = queries

    # -- reading ---------------------------------------------------------------------------------

    def rows(
        self,
        tx: Transaction,
        *,
        resolution_id: str | None = None,
        entity_id: str | None = None,
        by: str | None = None,
    ) -> list[ResolutionRow]:
        """Stored corrections, newest first, filtered on what is given."""
        found = self._q.fetch(tx, "resolutions", id=resolution_id, author=by, entity=entity_id)
        return [_row(r["row"]) for r in found]

    def redirects(self, tx: Transaction) -> Redirects:
        found = self._q.fetch(tx, "redirects")
        return Redirects.of(
            (
                int(r["seq"]),
                Redirect.of(
                    {
                        "kind": r["kind"],
                        "entity": r["entity"],
                        "target": r["target"],
                        "source": r["source"],
                        "record": r["record"],
                        "link": r["link"],
                        "end": r["link_end"],
                    }
                ),
            )
            for r in found
        )

    def exists(self, tx: Transaction, entity_id: str) -> bool:
        return bool(self._q.fetch(tx, "existing_entities", ids=[entity_id]))

    def holdings(
        self, tx: Transaction, entity_ids: Sequence[str], link_ids: Sequence[str] = ()
    ) -> Holdings:
        """The entities (type, every record) and every link touching them or named, whatever
        their handling."""
        q = self._q
        ids = list(dict.fromkeys(entity_ids))
        held = Holdings()
        for chunk in _chunks(ids):
            held.types.update(
                (r["id"], r["type"]) for r in q.fetch(tx, "existing_entities", ids=chunk)
            )
            held.records.extend(
                HeldRecord(r["entity"], r["source"], r["record"], rows.handling_of(r))
                for r in q.fetch(tx, "correction_records", ids=chunk)
            )
            for r in q.fetch(tx, "correction_links", ids=chunk):
                held.links[r["id"]] = HeldLink(r["id"], r["src"], r["dst"], rows.handling_of(r))
        for chunk in _chunks(list(dict.fromkeys(link_ids))):
            for r in q.fetch(tx, "correction_links_by_id", ids=chunk):
                held.links[r["id"]] = HeldLink(r["id"], r["src"], r["dst"], rows.handling_of(r))
        return held

    # -- writing (in a transaction that took lock_writes) -----------------------------------------

    def apply(self, tx: Transaction, plan: Plan, held: Holdings) -> ResolutionRow:
        q = self._q
        row = plan.row
        if plan.new_entity is not None:
            entity_id, type_name = plan.new_entity
            q.execute(tx, "upsert_entities", rows=[{"id": entity_id, "type": type_name}])
        moves = [(rows.record_key(m.from_id, m.source, m.record), m.to_id) for m in row.records]
        for chunk in _chunks(moves):
            stored = {
                r["key"]: r["fields"]
                for r in q.fetch(tx, "records_by_key", keys=[key for key, _ in chunk])
            }
            q.fetch(
                tx,
                "move_records",
                rows=[
                    {"key": key, "to": to, "fields": rows.moved_record(stored[key], to)}
                    for key, to in chunk
                ],
            )
        ends = plan.link_ends(held)
        relinked = [{"id": i, "src": s, "dst": d} for i, (s, d) in sorted(ends.items())]
        for chunk in _chunks(relinked):
            q.fetch(tx, "relink", rows=chunk)
        stored_row = self._insert(tx, row)
        q.fetch(tx, "bump_version")
        return stored_row

    def import_row(self, tx: Transaction, row: ResolutionRow) -> bool:
        if self.rows(tx, resolution_id=row.id):
            return False
        self._insert(tx, row)
        return True

    def _insert(self, tx: Transaction, row: ResolutionRow) -> ResolutionRow:
        q = self._q
        seq = int(q.fetch(tx, "next_resolution_seq")[0]["seq"])
        stored = replace(row, seq=seq)
        q.fetch(tx, "create_resolution", row=_node(stored))
        if stored.undone_by is None and stored.redirects:
            redirects = [
                {
                    "seq": seq,
                    "resolution": stored.id,
                    "kind": r.kind,
                    "entity": r.entity,
                    "source": r.source,
                    "record": r.record,
                    "link": r.link,
                    "link_end": r.end,
                    "target": r.target,
                }
                for r in stored.redirects
            ]
            for chunk in _chunks(redirects):
                q.execute(tx, "create_redirects", rows=chunk)
        if stored.undoes is not None:  # also when copied from a store that undid it later
            q.execute(tx, "drop_redirects", resolution=stored.undoes)
            q.execute(tx, "mark_undone", id=stored.undoes, undone_by=stored.id)
        return stored
