"""``EmbeddedStore``: the ``GraphStore`` on one SQLite file, with scoped in-memory views.

SQLite (WAL) is the store of record. A columnar index of the whole graph is kept in memory and
patched with the rows each write adds; for each distinct scope a ``ScopedView`` is cut from it
with one mask over the visible handling ids, and cached per scope and data version.
Traversals run on the view; results are materialised from SQL with the same visibility
filter applied again in the query.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from graphsvc.errors import InvalidInput, NotFound, StoreError
from graphsvc.model.graph import Entity, Link, SearchHit, StoreStats, Subgraph
from graphsvc.model.graph import Path as GraphPath
from graphsvc.model.schema import Schema
from graphsvc.policy.scope import Scope
from graphsvc.store import traverse
from graphsvc.store.embedded import corrections
from graphsvc.store.embedded.corrections import Corrections
from graphsvc.store.embedded.ddl import connect
from graphsvc.store.embedded.index import GraphIndex
from graphsvc.store.embedded.reader import LINK_SELECT, Reader
from graphsvc.store.embedded.saved import SavedQueryStore
from graphsvc.store.embedded.search import NameSearch
from graphsvc.store.embedded.writer import Writer, json_list, json_path
from graphsvc.store.protocol import OPEN, LinkFilter, Rejection, SavedQueryRow, Unit, at_least
from graphsvc.store.records import selector_candidates, store_stats
from graphsvc.store.resolution import (
    Holdings,
    Plan,
    RecordRef,
    Resolution,
    ResolutionRow,
    involved,
    matching,
    merge_ids,
    plan_merge,
    plan_split,
    plan_undo,
    scoped,
    undo_entities,
)
from graphsvc.store.view import IntArray, ScopedView, find_sorted


class EmbeddedStore:
    """A graph store in one SQLite file. Thread-safe: one writer at a time, concurrent readers."""

    def __init__(
        self,
        path: str | Path,
        schema: Schema | None = None,
        *,
        create: bool = True,
        max_views: int = 4,
    ) -> None:
        self.path = Path(path)
        self.schema = schema if schema is not None else Schema.load()
        self._conn = connect(self.path, create=create)
        self._writer = Writer(self._conn, self.schema)
        self._saved = SavedQueryStore(self._conn)
        self._corrections = Corrections(self._conn)
        self._write_lock = threading.Lock()
        self._state_lock = threading.RLock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        policy = self.schema.policy
        self._index = GraphIndex(
            source_weights={g: w.weight for g, w in policy.source_grades.items()},
            information_weights={g: w.weight for g, w in policy.information_grades.items()},
        )
        self._views: OrderedDict[tuple[object, ...], ScopedView] = OrderedDict()
        self._visible: dict[tuple[object, ...], tuple[frozenset[int], str]] = {}
        self._max_views = max_views
        self._names = NameSearch()
        self._entity_types: tuple[str, ...] = ()
        self._link_types: tuple[str, ...] = ()
        self._type_ids: dict[tuple[str, str], int] = {}
        self._reader = Reader(self.schema, {}, self._index.handlings)

    # -- lifecycle -------------------------------------------------------------------------------

    def close(self) -> None:
        with self._state_lock:
            for conn in [*self._readers, self._conn]:
                conn.close()
            self._readers.clear()
            self._views.clear()

    def ping(self) -> None:
        try:
            self._read_conn().execute("SELECT value FROM meta LIMIT 1").fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"the store cannot be read: {exc}", file=str(self.path)) from None

    def __enter__(self) -> EmbeddedStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------------------

    def write(self, units: Sequence[Unit]) -> list[Rejection]:
        with self._write_lock:
            return self._writer.write(units)

    # -- saved queries (unscoped: graphsvc.query.saved applies the sharing rules) -----------------

    def saved_query_rows(
        self, name: str | None = None, owner: str | None = None
    ) -> list[SavedQueryRow]:
        return self._saved.rows(self._read_conn(), name, owner)

    def append_saved_query(self, row: SavedQueryRow) -> None:
        with self._write_lock:
            self._saved.append(row)

    def mark_saved_query_deleted(self, owner: str, name: str, at: str) -> None:
        with self._write_lock:
            self._saved.mark_deleted(owner, name, at)

    # -- entity-resolution corrections (graphsvc.store.resolution holds the rules) ---------------

    def merge_entities(
        self, scope: Scope, ids: Sequence[str], into: str | None, *, by: str, reason: str
    ) -> Resolution:
        self._visible_hids(scope)  # the scope's policy is the store's
        ordered, target = merge_ids(ids, into)

        def plan(c: Corrections) -> tuple[Plan, Holdings]:
            held = c.holdings(ordered)
            return plan_merge(self.schema, scope, held, ordered, target, by=by, reason=reason), held

        return self._seen(scope, self._correct(plan))

    def split_entity(
        self,
        scope: Scope,
        entity_id: str,
        records: Sequence[RecordRef],
        links: Sequence[str],
        new_id: str | None,
        *,
        by: str,
        reason: str,
    ) -> Resolution:
        self._visible_hids(scope)

        def plan(c: Corrections) -> tuple[Plan, Holdings]:
            held = c.holdings([entity_id], list(links))
            made = plan_split(
                self.schema,
                scope,
                held,
                entity_id,
                records,
                links,
                new_id,
                c.exists,
                by=by,
                reason=reason,
            )
            return made, held

        return self._seen(scope, self._correct(plan))

    def undo_resolution(
        self, scope: Scope, resolution_id: str, *, by: str, reason: str
    ) -> Resolution:
        self._visible_hids(scope)

        def plan(c: Corrections) -> tuple[Plan, Holdings]:
            row = c.row(resolution_id)
            if row is None:
                raise NotFound(f"no correction {resolution_id!r}", field="id")
            entity_ids, link_ids = undo_entities(row)
            held = c.holdings(entity_ids, link_ids)
            seen = {e for e in entity_ids if held.visible(scope, e)}
            if scoped(row, scope, seen) is None:
                raise NotFound(f"no correction {resolution_id!r}", field="id")
            return plan_undo(scope, held, row, by=by, reason=reason), held

        return self._seen(scope, self._correct(plan))

    def _correct(self, plan: Callable[[Corrections], tuple[Plan, Holdings]]) -> ResolutionRow:
        """Make the plan and apply it in one write transaction; the correction as stored."""

        def work() -> ResolutionRow:
            made, held = plan(self._corrections)
            return self._corrections.apply(made, held)

        with self._write_lock:
            return self._corrections.transaction(work)

    def _seen(self, scope: Scope, row: ResolutionRow) -> Resolution:
        found = scoped(row, scope, self._visible_entities(scope, involved(row)))
        if found is None:  # the caller saw what they named: never expected
            raise NotFound(f"no correction {row.id!r}", field="id")
        return found

    def _visible_entities(self, scope: Scope, entity_ids: Sequence[str]) -> set[str]:
        _, visible = self._visible_hids(scope)
        conn = self._read_conn()
        eids = self._eids(conn, list(dict.fromkeys(entity_ids)))
        shown = self._reader.visible_eids(conn, list(eids.values()), visible)
        return {entity_id for entity_id, eid in eids.items() if eid in shown}

    def resolutions(
        self,
        scope: Scope,
        entity_id: str | None = None,
        by: str | None = None,
        limit: int = 100,
    ) -> list[Resolution]:
        at_least(limit=(limit, 0))
        found = corrections.rows(self._read_conn(), entity_id=entity_id, by=by)
        ids = [e for row in found for e in involved(row)]
        return matching(found, scope, self._visible_entities(scope, ids), entity_id, limit)

    def get_resolution(self, scope: Scope, resolution_id: str) -> Resolution | None:
        found = corrections.rows(self._read_conn(), resolution_id=resolution_id)
        if not found:
            return None
        return scoped(found[0], scope, self._visible_entities(scope, involved(found[0])))

    def resolution_rows(self) -> list[ResolutionRow]:
        return corrections.rows(self._read_conn(), newest_first=False)

    def import_resolution(self, row: ResolutionRow) -> bool:
        with self._write_lock:
            return self._corrections.transaction(lambda: self._corrections.import_row(row))

    # -- scope plumbing --------------------------------------------------------------------------

    def _read_conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path, create=False)
            self._local.conn = conn
            with self._state_lock:
                self._readers.append(conn)
        return conn

    def _sync(self) -> GraphIndex:
        """Bring the in-memory index up to date with the file (other processes write too)."""
        with self._state_lock:
            if self._index.refresh(self._read_conn()):
                self._load_types()
            return self._index

    def _load_types(self) -> None:
        rows = list(self._read_conn().execute("SELECT tid, kind, name FROM types"))
        size = max((tid for tid, _, _ in rows), default=0) + 1
        entity_names, link_names = [""] * size, [""] * size
        for tid, kind, name in rows:
            (entity_names if kind == "entity" else link_names)[tid] = name
        self._entity_types, self._link_types = tuple(entity_names), tuple(link_names)
        self._type_ids = {(kind, name): tid for tid, kind, name in rows}
        names = {tid: name for tid, _, name in rows}
        self._reader = Reader(self.schema, names, self._index.handlings)

    def _visible_hids(self, scope: Scope) -> tuple[frozenset[int], str]:
        """Handling ids this scope may see, and the same as a JSON list for SQL."""
        if scope.policy is not self.schema.policy and scope.policy != self.schema.policy:
            raise InvalidInput("the scope was built with another handling policy than the store's")
        index = self._sync()
        key = (scope.key, len(index.handlings))
        with self._state_lock:
            cached = self._visible.get(key)
            if cached is None:
                hids = frozenset(
                    h for h, handling in index.handlings.items() if scope.allows(handling)
                )
                cached = (hids, json_list(sorted(hids)))
                if len(self._visible) >= 1024:  # one entry per scope and handling count
                    self._visible.clear()
                self._visible[key] = cached
            return cached

    def view(self, scope: Scope) -> ScopedView:
        with self._state_lock:  # the visible handlings and the index from the same sync
            hids, _ = self._visible_hids(scope)
            index = self._index
            key = (scope.key, index.version)
            view = self._views.get(key)
            if view is not None:
                self._views.move_to_end(key)
                return view
            view = self._build_view(scope, index, hids)
            self._views[key] = view
            while len(self._views) > self._max_views:
                self._views.popitem(last=False)
            return view

    def _build_view(self, scope: Scope, index: GraphIndex, hids: frozenset[int]) -> ScopedView:
        hmask = index.hid_mask(set(hids))
        size = index.l_live.shape[0]
        lids = np.flatnonzero(index.l_live & hmask[index.l_hid[:size]])
        src, dst = index.l_src[lids], index.l_dst[lids]
        rsize = index.r_live.shape[0]
        isolated = index.r_eid[np.flatnonzero(index.r_live & hmask[index.r_hid[:rsize]])]
        vertices = np.unique(np.concatenate([src, dst, isolated]))
        return ScopedView(
            scope_key=scope.key,
            version=index.version,
            vertex_key=vertices,
            vertex_ids=index.e_id[vertices],
            vertex_type=index.e_tid[vertices],
            edge_key=lids.astype(np.int64),
            edge_src=np.searchsorted(vertices, src).astype(np.int64),
            edge_dst=np.searchsorted(vertices, dst).astype(np.int64),
            edge_type=index.l_tid[lids],
            edge_time=index.l_time[lids],
            edge_confidence=index.l_conf[lids],
            edge_directed=index.l_directed[lids],
            edge_grade=index.l_grade[lids],
            entity_type_names=self._entity_types,
            link_type_names=self._link_types,
        )

    def entities_at(
        self, scope: Scope, view: ScopedView, vertices: Sequence[int]
    ) -> list[Entity | None]:
        _, visible = self._visible_hids(scope)
        keys = view.vertex_key[np.asarray(vertices, dtype=np.int64)].tolist()
        found = self._reader.entities(self._read_conn(), keys, visible)
        return [found.get(k) for k in keys]

    def links_at(self, scope: Scope, view: ScopedView, edges: Sequence[int]) -> list[Link | None]:
        _, visible = self._visible_hids(scope)
        keys = view.edge_key[np.asarray(edges, dtype=np.int64)].tolist()
        found = self._reader.links(self._read_conn(), keys, visible)
        return [found.get(k) for k in keys]

    def link_numbers(self, scope: Scope, view: ScopedView, prop: str) -> npt.NDArray[np.float64]:
        _, visible = self._visible_hids(scope)
        values = np.full(view.m, np.nan, dtype=np.float64)
        if view.m == 0:
            return values
        rows = self._read_conn().execute(
            "SELECT lid, json_extract(properties, ?) FROM links"
            " WHERE hid IN (SELECT value FROM json_each(?))"
            " AND json_type(properties, ?) IN ('integer', 'real')",
            (json_path(prop), visible, json_path(prop)),
        )
        lids, numbers = [], []
        for lid, number in rows:
            lids.append(lid)
            numbers.append(number)
        edges = find_sorted(view.edge_key, np.asarray(lids, dtype=np.int64))  # keys ascend
        hit = edges >= 0
        values[edges[hit]] = np.asarray(numbers, dtype=np.float64)[hit]
        return values

    def _eids(self, conn: sqlite3.Connection, entity_ids: Sequence[str]) -> dict[str, int]:
        rows = conn.execute(
            "SELECT id, eid FROM entities WHERE id IN (SELECT value FROM json_each(?))",
            (json_list(entity_ids),),
        )
        return {str(entity_id): int(eid) for entity_id, eid in rows}

    def _vertices(self, view: ScopedView, conn: sqlite3.Connection, ids: Sequence[str]) -> IntArray:
        eids = list(self._eids(conn, list(ids)).values())
        vertices = view.vertices_of(np.asarray(eids, dtype=np.int64))
        return vertices[vertices >= 0]

    # -- reading ---------------------------------------------------------------------------------

    def get_entity(self, scope: Scope, entity_id: str) -> Entity | None:
        found = self.get_entities(scope, [entity_id])
        return found[0] if found else None

    def get_entities(self, scope: Scope, entity_ids: Sequence[str]) -> list[Entity]:
        _, visible = self._visible_hids(scope)
        conn = self._read_conn()
        eids = self._eids(conn, entity_ids)
        entities = self._reader.entities(conn, list(eids.values()), visible)
        return [entities[eids[i]] for i in entity_ids if i in eids and eids[i] in entities]

    def get_link(self, scope: Scope, link_id: str) -> Link | None:
        _, visible = self._visible_hids(scope)
        return self._reader.link_by_id(self._read_conn(), link_id, visible)

    def entity_links(
        self,
        scope: Scope,
        entity_id: str,
        link_filter: LinkFilter = OPEN,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Link]:
        at_least(limit=(limit, 0), offset=(offset, 0))
        _, visible = self._visible_hids(scope)
        conn = self._read_conn()
        eid = self._eids(conn, [entity_id]).get(entity_id)
        if eid is None:
            return []
        sql = (
            LINK_SELECT + " WHERE l.lid IN (SELECT lid FROM links WHERE src = ?1"
            " AND hid IN (SELECT value FROM json_each(?2))"
            " UNION SELECT lid FROM links WHERE dst = ?1"
            " AND hid IN (SELECT value FROM json_each(?2)))"
        )
        params: list[Any] = [eid, visible]
        sql, params = self._filter_sql(sql, params, link_filter)
        sql += f" ORDER BY l.id LIMIT ?{len(params) + 1} OFFSET ?{len(params) + 2}"
        params += [limit, offset]
        return [self._reader.link_from_row(row) for row in conn.execute(sql, params)]

    def _filter_sql(
        self, sql: str, params: list[Any], link_filter: LinkFilter
    ) -> tuple[str, list[Any]]:
        if link_filter.types is not None:
            tids = [self._type_ids.get(("link", t), -1) for t in sorted(link_filter.types)]
            params.append(json_list(tids))
            sql += f" AND l.tid IN (SELECT value FROM json_each(?{len(params)}))"
        if link_filter.since is not None:
            params.append(link_filter.since)
            sql += f" AND l.t >= ?{len(params)}"
        if link_filter.until is not None:
            params.append(link_filter.until)
            sql += f" AND l.t <= ?{len(params)}"
        if link_filter.min_confidence is not None:
            params.append(link_filter.min_confidence)
            sql += f" AND l.confidence >= ?{len(params)}"
        return sql, params

    def expand(
        self,
        scope: Scope,
        entity_ids: Sequence[str],
        hops: int = 1,
        link_filter: LinkFilter = OPEN,
        max_nodes: int = 1000,
        max_links: int = 5000,
    ) -> Subgraph:
        at_least(hops=(hops, 0), max_nodes=(max_nodes, 1), max_links=(max_links, 0))
        view = self.view(scope)
        conn = self._read_conn()
        seeds = self._vertices(view, conn, entity_ids)
        if seeds.size == 0:
            return Subgraph(nodes=(), links=())
        found = traverse.expand(view, seeds, hops, view.edge_mask(link_filter), max_nodes)
        return self._materialise(
            scope, view, found.vertices, found.edges, found.truncated, max_links
        )

    def subgraph(
        self,
        scope: Scope,
        entity_ids: Sequence[str],
        link_filter: LinkFilter = OPEN,
        max_links: int = 5000,
    ) -> Subgraph:
        at_least(max_links=(max_links, 0))
        view = self.view(scope)
        vertices = np.unique(self._vertices(view, self._read_conn(), entity_ids))
        edges = traverse.induced_edges(view, vertices, None, view.edge_mask(link_filter))
        return self._materialise(scope, view, vertices, edges, False, max_links)

    def _materialise(
        self,
        scope: Scope,
        view: ScopedView,
        vertices: IntArray,
        edges: IntArray,
        truncated: bool,
        max_links: int,
    ) -> Subgraph:
        _, visible = self._visible_hids(scope)
        conn = self._read_conn()
        lids = view.edge_key[edges].tolist()
        if len(lids) > max_links:  # keep the first links by id without building the others
            lids = self._reader.first_lids_by_id(conn, lids, visible, max_links)
            truncated = True
        links = sorted(self._reader.links(conn, lids, visible).values(), key=lambda link: link.id)
        eids = view.vertex_key[vertices].tolist()
        entities = sorted(self._reader.entities(conn, eids, visible).values(), key=lambda e: e.id)
        return Subgraph(nodes=tuple(entities), links=tuple(links), truncated=truncated)

    def paths(
        self,
        scope: Scope,
        source_id: str,
        target_id: str,
        max_hops: int = 4,
        link_filter: LinkFilter = OPEN,
        limit: int = 5,
        directed: bool = False,
    ) -> list[GraphPath]:
        at_least(max_hops=(max_hops, 0), limit=(limit, 0))
        view = self.view(scope)
        conn = self._read_conn()
        eids = self._eids(conn, [source_id, target_id])
        if source_id not in eids or target_id not in eids:
            return []
        ends = view.vertices_of(np.asarray([eids[source_id], eids[target_id]], dtype=np.int64))
        if (ends < 0).any():
            return []
        found = traverse.shortest_paths(
            view, int(ends[0]), int(ends[1]), max_hops, view.edge_mask(link_filter), limit, directed
        )
        if not found:
            return []
        _, visible = self._visible_hids(scope)
        all_vertices = sorted({v for vs, _ in found for v in vs})
        all_edges = sorted({e for _, hops in found for hop in hops for e in hop})
        entities = self._reader.entities(conn, view.vertex_key[all_vertices].tolist(), visible)
        links = self._reader.links(conn, view.edge_key[all_edges].tolist(), visible)
        paths: list[GraphPath] = []
        for vs, hops in found:
            nodes = [entities.get(int(view.vertex_key[v])) for v in vs]
            hop_links = [
                tuple(
                    sorted(
                        (links[k] for k in (int(view.edge_key[e]) for e in hop) if k in links),
                        key=lambda link: link.id,
                    )
                )
                for hop in hops
            ]
            if all(n is not None for n in nodes) and all(hop_links):
                paths.append(GraphPath(nodes=tuple(n for n in nodes if n), hops=tuple(hop_links)))
        return paths

    def search(
        self,
        scope: Scope,
        text: str,
        types: Sequence[str] | None = None,
        limit: int = 20,
    ) -> list[SearchHit]:
        at_least(limit=(limit, 0))
        _, visible = self._visible_hids(scope)
        index = self._index
        conn = self._read_conn()
        type_ids = (
            [self._type_ids.get(("entity", t), -1) for t in types] if types is not None else None
        )
        hits = self._names.search(conn, index.version, text, visible, type_ids, limit)
        for eid, value in self._selector_hits(scope, conn, text, types, visible).items():
            hits[eid] = value
        ids = dict(
            conn.execute(
                "SELECT eid, id FROM entities WHERE eid IN (SELECT value FROM json_each(?))",
                (json_list(hits),),
            )
        )
        ranked = sorted(hits.items(), key=lambda item: (-item[1][0], ids.get(item[0], "")))
        ranked = ranked[:limit]
        entities = self._reader.entities(conn, [eid for eid, _ in ranked], visible)
        return [
            SearchHit(entity=entities[eid], score=round(score, 1), matched=name)
            for eid, (score, name) in ranked
            if eid in entities
        ]

    def _selector_hits(
        self,
        scope: Scope,
        conn: sqlite3.Connection,
        text: str,
        types: Sequence[str] | None,
        visible: str,
    ) -> dict[int, tuple[float, str]]:
        """An exact hit when the query is itself a selector (a phone number, an IBAN...)."""
        candidates = selector_candidates(self.schema, scope, text, types)
        if not candidates:
            return {}
        eids = self._eids(conn, list(candidates))
        shown = self._reader.visible_eids(conn, list(eids.values()), visible)
        return {eid: (100.0, candidates[i]) for i, eid in eids.items() if eid in shown}

    def stats(self, scope: Scope) -> StoreStats:
        return self._counts(scope)

    def totals(self) -> StoreStats:
        return self._counts(None)

    def _counts(self, scope: Scope | None) -> StoreStats:
        conn = self._read_conn()
        self._sync()
        if scope is None:
            where, params = "", []
            entities = int(conn.execute("SELECT count(*) FROM entities").fetchone()[0])
            by_entity = dict(
                conn.execute(
                    "SELECT t.name, count(*) FROM entities e JOIN types t ON t.tid = e.tid"
                    " GROUP BY t.name"
                )
            )
        else:
            _, visible = self._visible_hids(scope)
            where, params = " WHERE l.hid IN (SELECT value FROM json_each(?))", [visible]
            view = self.view(scope)
            entities = view.n
            counts = np.bincount(
                view.vertex_type.astype(np.int64), minlength=len(self._entity_types)
            )
            by_entity = {
                self._entity_types[tid]: int(c) for tid, c in enumerate(counts.tolist()) if c
            }
        links = int(conn.execute("SELECT count(*) FROM links l" + where, params).fetchone()[0])
        records = int(
            conn.execute(
                "SELECT count(*) FROM erecords r" + where.replace("l.", "r."), params
            ).fetchone()[0]
        )

        def grouped(column: str, join: str = "") -> dict[str, int]:
            rows = conn.execute(
                f"SELECT {column}, count(*) FROM links l {join}{where} GROUP BY {column}", params
            )
            return {str(key): int(count) for key, count in rows}

        return store_stats(
            self.schema.policy.levels,
            entities=entities,
            links=links,
            records=records,
            entities_by_type=by_entity,
            links_by_type=grouped("t.name", "JOIN types t ON t.tid = l.tid"),
            links_by_source=grouped("l.source"),
            links_by_classification=grouped("h.classification", "JOIN handling h ON h.hid = l.hid"),
            links_by_code=grouped("h.code", "JOIN handling h ON h.hid = l.hid"),
        )
