"""``ScopedView``: the graph one scope may see, in memory, for traversals and analytics.

A view holds only visible entities and links. Vertices and edges are numbered densely; numpy
arrays carry what traversal filters need (link type, date, confidence, direction) and a
compressed adjacency (CSR) serves vectorised breadth-first traversals. The python-igraph
``Graph`` over the same vertex and edge numbering is built on first use, and the analytics
layer keeps what it derives from a view (its weighted networks) in the view's ``memo``, so
it lives exactly as long as the view: until the data or the scope changes. Backends build
views; nothing above the store builds one itself.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from graphsvc.store.protocol import LinkFilter

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
T = TypeVar("T")

MEMO_ENTRIES = 8  # derived structures a view keeps (each may be as large as the view)


def find_sorted(
    keys: npt.NDArray[Any], wanted: npt.NDArray[Any], order: IntArray | None = None
) -> IntArray:
    """The index in ``keys`` of each of ``wanted``, or -1 where absent. ``keys`` ascend, or
    ``keys[order]`` do when ``order`` is given."""
    ordered = keys if order is None else keys[order]
    out = np.full(wanted.shape, -1, dtype=np.int64)
    if ordered.size == 0:
        return out
    pos = np.minimum(np.searchsorted(ordered, wanted), ordered.size - 1)
    hit = ordered[pos] == wanted
    out[hit] = pos[hit] if order is None else order[pos[hit]]
    return out


def id_array(ids: list[str]) -> npt.NDArray[np.object_]:
    """Entity ids as a numpy object array (for lookups among the view's ids)."""
    out = np.empty(len(ids), dtype=object)
    out[:] = ids
    return out


@dataclass(frozen=True, eq=False)
class ScopedView:
    """Visible vertices ``0..n-1`` and edges ``0..m-1`` with their attributes.

    ``vertex_ids`` are the public entity ids, for canonical ordering and output.
    ``vertex_key``, ``edge_key`` and ``version`` are the backend's own row keys and data
    version, for the store to materialise results: their gaps and growth count writes of any
    handling, so they must never be serialised, exported or returned to a caller (use the
    public ids, and positions in the view).
    """

    scope_key: tuple[object, ...]
    version: int
    vertex_key: IntArray
    vertex_ids: npt.NDArray[np.object_]
    vertex_type: npt.NDArray[np.int16]
    edge_key: IntArray
    edge_src: IntArray
    edge_dst: IntArray
    edge_type: npt.NDArray[np.int16]
    edge_time: npt.NDArray[np.float64]  # epoch seconds, NaN when undated
    edge_confidence: npt.NDArray[np.float32]
    edge_directed: BoolArray
    edge_grade: npt.NDArray[np.float32]  # the grading policy's weight of the link's grades
    entity_type_names: tuple[str, ...]
    link_type_names: tuple[str, ...]
    _memo: OrderedDict[Hashable, Any] = field(
        default_factory=OrderedDict, init=False, repr=False, compare=False
    )
    _memo_lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )

    @property
    def n(self) -> int:
        return int(self.vertex_key.shape[0])

    @property
    def m(self) -> int:
        return int(self.edge_key.shape[0])

    def memo(self, key: Hashable, build: Callable[[], T]) -> T:
        """What ``build`` returns, computed once per view and ``key`` (the least recently used
        of more than ``MEMO_ENTRIES`` are dropped). Concurrent callers of one key wait for
        the first instead of building it twice."""
        with self._memo_lock:
            if key in self._memo:
                self._memo.move_to_end(key)
                return self._memo[key]  # type: ignore[no-any-return]
            value = build()
            self._memo[key] = value
            while len(self._memo) > MEMO_ENTRIES:
                self._memo.popitem(last=False)
            return value

    # -- lookups ---------------------------------------------------------------------------------

    @cached_property
    def _id_order(self) -> IntArray:
        """Vertices by entity id."""
        return np.argsort(self.vertex_ids, kind="stable").astype(np.int64)

    @cached_property
    def id_rank(self) -> IntArray:
        """Each vertex's rank by entity id: the canonical order of the analytics, which must
        not depend on backend row keys (they differ between stores holding the same data)."""
        rank = np.empty(self.n, dtype=np.int64)
        rank[self._id_order] = np.arange(self.n, dtype=np.int64)
        return rank

    @cached_property
    def _key_order(self) -> IntArray:
        return np.argsort(self.vertex_key, kind="stable")

    def positions_of(self, entity_ids: list[str]) -> IntArray:
        """Vertex index of each public entity id, or -1 where the entity is not in the view."""
        return find_sorted(self.vertex_ids, id_array(entity_ids), self._id_order)

    def vertices_of(self, keys: IntArray) -> IntArray:
        """Vertex index of each backend key, or -1 where the key is not in the view."""
        return find_sorted(self.vertex_key, np.asarray(keys, dtype=np.int64), self._key_order)

    def edge_mask(self, link_filter: LinkFilter) -> BoolArray | None:
        """Edges the filter lets through, or ``None`` when it lets everything through."""
        if link_filter.is_open:
            return None
        mask = np.ones(self.m, dtype=bool)
        if link_filter.types is not None:
            codes = [i for i, name in enumerate(self.link_type_names) if name in link_filter.types]
            mask &= np.isin(self.edge_type, np.asarray(codes, dtype=np.int16))
        if link_filter.since is not None:
            mask &= self.edge_time >= link_filter.since
        if link_filter.until is not None:
            mask &= self.edge_time <= link_filter.until
        if link_filter.min_confidence is not None:
            mask &= self.edge_confidence >= np.float32(link_filter.min_confidence)
        return mask

    # -- adjacency -------------------------------------------------------------------------------

    @cached_property
    def _csr(self) -> tuple[IntArray, IntArray, IntArray, BoolArray]:
        """Undirected adjacency: for vertex v, entries ``indptr[v]:indptr[v+1]`` of
        ``(edge, neighbour, forward)`` where ``forward`` says v is the edge's ``from`` end."""
        m = self.m
        ends = np.concatenate([self.edge_src, self.edge_dst])
        others = np.concatenate([self.edge_dst, self.edge_src])
        edges = np.concatenate([np.arange(m, dtype=np.int64)] * 2)
        forward = np.concatenate([np.ones(m, dtype=bool), np.zeros(m, dtype=bool)])
        order = np.argsort(ends, kind="stable")
        counts = np.bincount(ends, minlength=self.n)
        indptr = np.zeros(self.n + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        return indptr, edges[order], others[order], forward[order]

    def incident(self, vertices: IntArray) -> tuple[IntArray, IntArray, IntArray, BoolArray]:
        """All adjacency entries of ``vertices``: ``(edge, neighbour, origin, forward)``."""
        indptr, adj_edge, adj_vertex, adj_forward = self._csr
        vertices = np.asarray(vertices, dtype=np.int64)
        starts = indptr[vertices]
        lengths = indptr[vertices + 1] - starts
        total = int(lengths.sum())
        if total == 0:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty, empty, np.empty(0, dtype=bool)
        offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
        idx = offsets + np.arange(total, dtype=np.int64)
        return adj_edge[idx], adj_vertex[idx], np.repeat(vertices, lengths), adj_forward[idx]

    def degree(self) -> IntArray:
        indptr = self._csr[0]
        return np.diff(indptr)

    # -- igraph ----------------------------------------------------------------------------------

    @cached_property
    def graph(self) -> Any:
        """The python-igraph multigraph over the same numbering (directed edges from->to),
        with vertex attribute ``id`` (the public entity id) and edge attribute ``type``."""
        import igraph

        g = igraph.Graph(
            n=self.n,
            edges=np.column_stack([self.edge_src, self.edge_dst]).tolist(),
            directed=True,
        )
        g.vs["id"] = self.vertex_ids.tolist()
        g.es["type"] = [self.link_type_names[c] for c in self.edge_type.tolist()]
        return g
