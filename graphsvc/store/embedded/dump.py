"""Reading a whole embedded store file back as the units it was written from, unscoped.

``StoreDump`` opens the SQLite file on a connection of its own and reads it in one read
transaction, so everything it yields comes from one consistent snapshot even while others
write. ``units()`` yields one unit per entity record and one per link (entity records first),
rebuilt as the ``EntityAssertion`` / ``LinkAssertion`` the writer stored: same ids, types,
ends, properties, provenance, grading, handling, direction and date. It streams: rows are
fetched in chunks, never all at once. Only the operator holding the file reads it this way
(``graphsvc migrate``); API callers never do.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from graphsvc.model.records import EndRef, EntityAssertion, Grading, Handling, LinkAssertion
from graphsvc.store.embedded.ddl import connect
from graphsvc.store.embedded.index import GraphIndex
from graphsvc.store.embedded.reader import _provenance
from graphsvc.store.embedded.writer import PROVENANCE_COLUMNS
from graphsvc.store.protocol import Unit

CHUNK = 10_000
_P = len(PROVENANCE_COLUMNS)

_RECORDS = f"""
SELECT e.id, t.name, r.hid, {", ".join(f"r.{c}" for c in PROVENANCE_COLUMNS)},
       r.grade_source, r.grade_info, r.properties
FROM erecords r JOIN entities e ON e.eid = r.eid JOIN types t ON t.tid = e.tid
ORDER BY r.rid
"""

_LINKS = f"""
SELECT l.id, lt.name, s.id, st.name, d.id, dt.name, l.directed, l.hid, l.t,
       {", ".join(f"l.{c}" for c in PROVENANCE_COLUMNS)}, l.grade_source, l.grade_info, l.properties
FROM links l
JOIN types lt ON lt.tid = l.tid
JOIN entities s ON s.eid = l.src JOIN types st ON st.tid = s.tid
JOIN entities d ON d.eid = l.dst JOIN types dt ON dt.tid = d.tid
ORDER BY l.lid
"""

_UNASSERTED = """
SELECT t.name, count(*) FROM entities e JOIN types t ON t.tid = e.tid
WHERE NOT EXISTS (SELECT 1 FROM erecords r WHERE r.eid = e.eid)
  AND NOT EXISTS (SELECT 1 FROM links l WHERE l.src = e.eid)
  AND NOT EXISTS (SELECT 1 FROM links l WHERE l.dst = e.eid)
GROUP BY t.name ORDER BY t.name
"""


class StoreDump:
    """Every entity record and link of an embedded store file, as units, from one snapshot.

    Use it as a context manager: entering starts the read transaction, leaving ends it and
    closes the connection.
    """

    def __init__(self, path: str | Path, *, chunk: int = CHUNK) -> None:
        self.path = Path(path)
        self.chunk = chunk
        self._conn: sqlite3.Connection | None = None
        self._handlings: dict[int, Handling] = {}

    def __enter__(self) -> StoreDump:
        conn = connect(self.path, create=False)
        conn.execute("BEGIN")  # one snapshot for counting and reading alike
        index = GraphIndex()
        index._load_handlings(conn)
        self._conn, self._handlings = conn, index.handlings
        return self

    def __exit__(self, *exc: object) -> None:
        if self._conn is not None:
            self._conn.execute("COMMIT")
            self._conn.close()
            self._conn = None

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("StoreDump is read inside a `with` block")
        return self._conn

    def count(self) -> int:
        """How many units ``units()`` yields: entity records plus links."""
        records = self.conn.execute("SELECT count(*) FROM erecords").fetchone()[0]
        links = self.conn.execute("SELECT count(*) FROM links").fetchone()[0]
        return int(records) + int(links)

    def unasserted_entities(self) -> dict[str, int]:
        """Entities, by type, that no entity record asserts and no link touches.

        The store keeps such an entity when a link was re-ingested with other ends, or when an
        entity-resolution correction moved everything away from it (an entity merged into
        another, a split undone); no unit carries it, so it is not copied, and counts of
        entities differ by exactly these.
        """
        return {str(name): int(n) for name, n in self.conn.execute(_UNASSERTED)}

    def units(self) -> Iterator[Unit]:
        """One unit per entity record, then one per link, in the order they were stored."""
        yield from self._rows(_RECORDS, self._entity_record)
        yield from self._rows(_LINKS, self._link)

    def _rows(
        self, sql: str, build: Callable[[tuple[Any, ...]], EntityAssertion | LinkAssertion]
    ) -> Iterator[Unit]:
        cursor = self.conn.execute(sql)
        while rows := cursor.fetchmany(self.chunk):
            for row in rows:
                yield [build(row)]

    def _entity_record(self, row: tuple[Any, ...]) -> EntityAssertion:
        entity_id, type_name, hid = row[:3]
        grade_source, grade_info, properties = row[3 + _P :]
        return EntityAssertion(
            entity_id=str(entity_id),
            type=str(type_name),
            properties=json.loads(str(properties)),
            provenance=_provenance(row[3 : 3 + _P]),
            grading=Grading(str(grade_source), str(grade_info))
            if grade_source is not None
            else None,
            handling=self._handlings[int(hid)],
        )

    def _link(self, row: tuple[Any, ...]) -> LinkAssertion:
        link_id, type_name, src, src_type, dst, dst_type, directed, hid, time = row[:9]
        grade_source, grade_info, properties = row[9 + _P :]
        return LinkAssertion(
            id=str(link_id),
            type=str(type_name),
            src=EndRef(str(src), str(src_type)),
            dst=EndRef(str(dst), str(dst_type)),
            directed=bool(directed),
            properties=json.loads(str(properties)),
            provenance=_provenance(row[9 : 9 + _P]),
            grading=Grading(str(grade_source), str(grade_info)),
            handling=self._handlings[int(hid)],
            time=int(time) if time is not None else None,
        )
