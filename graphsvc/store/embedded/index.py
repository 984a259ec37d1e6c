"""The in-memory columnar index of the embedded store: topology and handling of every row.

It holds, for every link, its ends, type, date, confidence, direction, grading weight (the
product of the policy's weights for its source and information grades) and handling id, and
for every entity record its entity and handling id, in numpy arrays indexed by rowid. Scoped
views are cut from it with one mask over handling ids. It is private to the store: it holds
everything, visible or not, and never leaves ``graphsvc.store.embedded``.

``refresh`` brings it up to the store's data version, reading only rows written since the
version it holds (rows carry the version that last wrote them).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from graphsvc.model.records import Handling

_CHUNK = 200_000


def _grow(array: npt.NDArray[np.generic], size: int, fill: object = 0) -> npt.NDArray[np.generic]:
    """``array`` with room for index ``size - 1`` (capacity doubles)."""
    if size <= array.shape[0]:
        return array
    capacity = max(size, 2 * array.shape[0], 1024)
    grown = np.full(capacity, fill, dtype=array.dtype)
    grown[: array.shape[0]] = array
    return grown


@dataclass
class GraphIndex:
    version: int = -1
    # links, by lid
    l_live: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    l_src: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    l_dst: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    l_hid: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    l_tid: npt.NDArray[np.int16] = field(default_factory=lambda: np.zeros(0, dtype=np.int16))
    l_time: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0, dtype=np.float64))
    l_conf: npt.NDArray[np.float32] = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    l_directed: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    l_grade: npt.NDArray[np.float32] = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    # entity records, by rid
    r_live: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    r_eid: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    r_hid: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # entities, by eid
    e_tid: npt.NDArray[np.int16] = field(default_factory=lambda: np.zeros(0, dtype=np.int16))
    e_id: npt.NDArray[np.object_] = field(default_factory=lambda: np.zeros(0, dtype=object))
    max_eid: int = 0
    # handlings, by hid
    handlings: dict[int, Handling] = field(default_factory=dict)
    # the grading policy's weights: {grade: weight} for sources and for information
    source_weights: dict[str, float] = field(default_factory=dict)
    information_weights: dict[str, float] = field(default_factory=dict)

    def refresh(self, conn: sqlite3.Connection) -> bool:
        """Catch up with the store, from one consistent snapshot; True when anything changed."""
        conn.execute("BEGIN")
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
            version = int(row[0])
            if version == self.version:
                return False
            since = self.version
            self._load_handlings(conn)
            self._load_entities(conn)
            self._load_links(conn, since)
            self._load_records(conn, since)
            self.version = version
            return True
        finally:
            conn.execute("COMMIT")

    def _load_handlings(self, conn: sqlite3.Connection) -> None:
        known = max(self.handlings, default=0)
        rows = conn.execute(
            "SELECT hid, classification, releasable_to, caveats, code, originator, retain_until "
            "FROM handling WHERE hid > ?",
            (known,),
        )
        for hid, classification, releasable, caveats, code, originator, retain in rows:
            self.handlings[hid] = Handling(
                classification=classification,
                releasable_to=tuple(json.loads(releasable)),
                caveats=tuple(json.loads(caveats)),
                code=code,
                originator=originator,
                retain_until=retain or None,
            )

    def _load_entities(self, conn: sqlite3.Connection) -> None:
        cursor = conn.execute("SELECT eid, tid, id FROM entities WHERE eid > ?", (self.max_eid,))
        while rows := cursor.fetchmany(_CHUNK):
            eids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            top = int(eids.max()) + 1
            self.e_tid = _grow(self.e_tid, top, -1)  # type: ignore[assignment]
            self.e_id = _grow(self.e_id, top, None)  # type: ignore[assignment]
            self.e_tid[eids] = np.fromiter((r[1] for r in rows), dtype=np.int16, count=len(rows))
            ids = np.empty(len(rows), dtype=object)
            ids[:] = [r[2] for r in rows]
            self.e_id[eids] = ids
            self.max_eid = max(self.max_eid, top - 1)

    def _load_links(self, conn: sqlite3.Connection, since: int) -> None:
        source_case, source_params = _weight_case("grade_source", self.source_weights)
        info_case, info_params = _weight_case("grade_info", self.information_weights)
        cursor = conn.execute(
            "SELECT lid, src, dst, hid, tid, t, confidence, directed,"
            f" {source_case} * {info_case} FROM links WHERE gen > ?",
            (*source_params, *info_params, since),
        )
        while rows := cursor.fetchmany(_CHUNK):
            block = np.array(rows, dtype=np.float64)  # NULL dates become NaN
            lids = block[:, 0].astype(np.int64)
            top = int(lids.max()) + 1
            self.l_live = _grow(self.l_live, top, False)  # type: ignore[assignment]
            self.l_src = _grow(self.l_src, top)  # type: ignore[assignment]
            self.l_dst = _grow(self.l_dst, top)  # type: ignore[assignment]
            self.l_hid = _grow(self.l_hid, top)  # type: ignore[assignment]
            self.l_tid = _grow(self.l_tid, top)  # type: ignore[assignment]
            self.l_time = _grow(self.l_time, top, np.nan)  # type: ignore[assignment]
            self.l_conf = _grow(self.l_conf, top)  # type: ignore[assignment]
            self.l_directed = _grow(self.l_directed, top, False)  # type: ignore[assignment]
            self.l_grade = _grow(self.l_grade, top)  # type: ignore[assignment]
            self.l_live[lids] = True
            self.l_src[lids] = block[:, 1].astype(np.int64)
            self.l_dst[lids] = block[:, 2].astype(np.int64)
            self.l_hid[lids] = block[:, 3].astype(np.int64)
            self.l_tid[lids] = block[:, 4].astype(np.int16)
            self.l_time[lids] = block[:, 5]
            self.l_conf[lids] = block[:, 6].astype(np.float32)
            self.l_directed[lids] = block[:, 7] != 0
            self.l_grade[lids] = block[:, 8].astype(np.float32)

    def _load_records(self, conn: sqlite3.Connection, since: int) -> None:
        cursor = conn.execute("SELECT rid, eid, hid FROM erecords WHERE gen > ?", (since,))
        while rows := cursor.fetchmany(_CHUNK):
            block = np.array(rows, dtype=np.int64)
            rids = block[:, 0]
            top = int(rids.max()) + 1
            self.r_live = _grow(self.r_live, top, False)  # type: ignore[assignment]
            self.r_eid = _grow(self.r_eid, top)  # type: ignore[assignment]
            self.r_hid = _grow(self.r_hid, top)  # type: ignore[assignment]
            self.r_live[rids] = True
            self.r_eid[rids] = block[:, 1]
            self.r_hid[rids] = block[:, 2]

    def hid_mask(self, visible: set[int]) -> npt.NDArray[np.bool_]:
        """Boolean mask over handling ids: True for the visible ones."""
        mask = np.zeros(max(self.handlings, default=0) + 1, dtype=bool)
        if visible:
            mask[np.fromiter(visible, dtype=np.int64, count=len(visible))] = True
        return mask


def _weight_case(column: str, weights: dict[str, float]) -> tuple[str, list[object]]:
    """A SQL expression giving the weight of ``column``'s grade (0 for a grade the policy no
    longer lists), with its parameters."""
    if not weights:
        return "0.0", []
    whens = " ".join("WHEN ? THEN ?" for _ in weights)
    params: list[object] = [x for grade, weight in sorted(weights.items()) for x in (grade, weight)]
    return f"(CASE {column} {whens} ELSE 0.0 END)", params
