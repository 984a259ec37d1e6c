"""The network an analysis runs on: a scope of the visible graph as a simple weighted graph.

An analyst chooses the scope (the whole visible graph, or the neighbourhood of some entities,
restricted by link types, a time window and a minimum confidence) and how parallel links
between two entities collapse into one weighted pair. The whole graph is every entity with a
link in scope (an entity with none would only be a community of one); a neighbourhood is the
given entities and those within ``hops`` of them over links in scope.

- ``COUNT``: how many visible links join the pair;
- ``GRADING``: the sum of the links' grading weights (``schema/handling.yaml``: an A1 link
  counts 1, an X4 link 1/16 under the Europol 4x4 scale);
- ``SUM``: the sum of a numeric link property (call durations, amounts transferred). Links
  without it add nothing; a pair none of whose links has it keeps a weight of ``FLOOR`` so it
  still connects its ends.

Vertices are numbered in entity-id order and pairs in ``(low, high)`` order, so the input the
algorithms see, and therefore their answers (seeded ones included), depend only on the visible
data and never on how a backend numbers its rows.

Networks built from views are memoised on the view, so repeated analyses of one scope pay for
the build once, until the data or the scope changes.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from graphsvc.store import traverse
from graphsvc.store.view import BoolArray, IntArray, ScopedView, find_sorted, id_array

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

    from graphsvc.policy.scope import Scope
    from graphsvc.store.protocol import GraphStore, LinkFilter

FloatArray = npt.NDArray[np.float64]
FLOOR = 1e-6
TIE = 1e-9  # relative difference under which two scores are ranked as equal


class Weighting(Enum):
    COUNT = "count"
    GRADING = "grading"
    SUM = "sum"


@dataclass(frozen=True)
class Selection:
    """What the analyst chose to analyse. ``ids=None`` is the whole visible graph."""

    link_filter: LinkFilter
    ids: tuple[str, ...] | None = None
    hops: int = 2
    weighting: Weighting = Weighting.COUNT
    weight_property: str | None = None


@dataclass(eq=False)
class Network:
    """A simple undirected graph over ``n`` vertices with weighted pairs.

    ``ids`` are the entity ids in canonical (sorted) order. ``src < dst`` pairs, sorted, carry
    ``weight``, ``links`` (how many links were collapsed), ``grade`` (the best grading weight
    among them) and ``grade_total`` (the sum of their grading weights). The raw links behind
    the pairs are kept as ``link_pair`` (the pair of each link), ``link_type`` (an index into
    ``type_names``) and, for networks cut from a view,
    ``link_edge`` (the view's edge index) and ``vertex_view`` (the view's vertex index of each
    vertex), so answers can be materialised and explained.
    """

    ids: npt.NDArray[np.object_]
    src: IntArray
    dst: IntArray
    weight: FloatArray
    links: IntArray
    grade: FloatArray
    grade_total: FloatArray
    link_pair: IntArray
    link_type: IntArray
    type_names: tuple[str, ...]
    identifier: BoolArray  # per vertex: an identifier type (phone, account, address...)
    vertex_view: IntArray | None = None
    link_edge: IntArray | None = None

    @property
    def link_count(self) -> int:
        """Raw links behind the pairs."""
        return int(self.link_pair.shape[0])

    @property
    def n(self) -> int:
        return int(self.ids.shape[0])

    @property
    def m(self) -> int:
        """Collapsed pairs."""
        return int(self.src.shape[0])

    # -- construction ----------------------------------------------------------------------------

    @classmethod
    def collapse(
        cls,
        ids: npt.NDArray[np.object_],
        link_src: IntArray,
        link_dst: IntArray,
        link_type: IntArray,
        link_weight: FloatArray,
        link_grade: FloatArray,
        type_names: tuple[str, ...],
        identifier: BoolArray,
        *,
        floor: bool = False,
        vertex_view: IntArray | None = None,
        link_edge: IntArray | None = None,
    ) -> Network:
        """Collapse links over vertices ``0..len(ids)-1`` (in canonical order already) into
        pairs. Self-loops are dropped: they say nothing about who is connected to whom."""
        keep = link_src != link_dst
        link_src, link_dst = link_src[keep], link_dst[keep]
        link_type, link_weight, link_grade = link_type[keep], link_weight[keep], link_grade[keep]
        if link_edge is not None:
            link_edge = link_edge[keep]
        n = int(ids.shape[0])
        low = np.minimum(link_src, link_dst)
        high = np.maximum(link_src, link_dst)
        keys, link_pair = np.unique(low * max(n, 1) + high, return_inverse=True)
        link_pair = link_pair.reshape(-1).astype(np.int64)
        pairs = int(keys.shape[0])
        weight = np.bincount(link_pair, weights=link_weight, minlength=pairs)
        if floor:
            weight = np.maximum(weight, FLOOR)
        grade = np.zeros(pairs, dtype=np.float64)
        np.maximum.at(grade, link_pair, link_grade.astype(np.float64))
        return cls(
            ids=ids,
            src=(keys // max(n, 1)).astype(np.int64),
            dst=(keys % max(n, 1)).astype(np.int64),
            weight=weight.astype(np.float64),
            links=np.bincount(link_pair, minlength=pairs).astype(np.int64),
            grade=grade,
            grade_total=np.bincount(link_pair, weights=link_grade, minlength=pairs).astype(
                np.float64
            ),
            link_pair=link_pair,
            link_type=link_type.astype(np.int64),
            type_names=type_names,
            identifier=identifier,
            vertex_view=vertex_view,
            link_edge=link_edge,
        )

    # -- derived structures ----------------------------------------------------------------------

    @cached_property
    def graph(self) -> Any:
        """The python-igraph ``Graph`` (undirected, simple), with ``self.weight`` as the edge
        attribute ``weight``."""
        import igraph

        g = igraph.Graph(n=self.n, edges=np.column_stack([self.src, self.dst]), directed=False)
        g.es["weight"] = self.weight
        return g

    @cached_property
    def degree(self) -> IntArray:
        """Distinct neighbours of each vertex."""
        return (
            np.bincount(self.src, minlength=self.n) + np.bincount(self.dst, minlength=self.n)
        ).astype(np.int64)

    @cached_property
    def strength(self) -> FloatArray:
        """Weighted degree: the sum of the weights of each vertex's pairs."""
        total = np.bincount(self.src, weights=self.weight, minlength=self.n) + np.bincount(
            self.dst, weights=self.weight, minlength=self.n
        )
        return total.astype(np.float64)

    def adjacency(self, pairs: BoolArray | None = None, values: FloatArray | None = None) -> Any:
        """The symmetric sparse adjacency matrix (scipy CSR) of the pairs selected by ``pairs``
        (all by default), with ``values`` (1 by default) as entries."""
        from scipy.sparse import csr_matrix

        src, dst = self.src, self.dst
        data = np.ones(self.m) if values is None else values
        if pairs is not None:
            src, dst, data = src[pairs], dst[pairs], data[pairs]
        matrix: csr_matrix = csr_matrix(
            (
                np.concatenate([data, data]),
                (np.concatenate([src, dst]), np.concatenate([dst, src])),
            ),
            shape=(self.n, self.n),
        )
        matrix.sort_indices()
        return matrix

    @cached_property
    def _neighbour_lists(self) -> tuple[IntArray, IntArray]:
        """``(indptr, neighbours)``: vertex v's sorted neighbours are
        ``neighbours[indptr[v]:indptr[v + 1]]``."""
        ends = np.concatenate([self.src, self.dst])
        others = np.concatenate([self.dst, self.src])
        order = np.lexsort((others, ends))
        indptr = np.zeros(self.n + 1, dtype=np.int64)
        np.cumsum(np.bincount(ends, minlength=self.n), out=indptr[1:])
        return indptr, others[order].astype(np.int64)

    @cached_property
    def _pair_keys(self) -> IntArray:
        return (self.src * max(self.n, 1) + self.dst).astype(np.int64)

    @cached_property
    def _links_by_pair(self) -> tuple[IntArray, IntArray]:
        """``(indptr, links)``: the raw links of pair p are ``links[indptr[p]:indptr[p + 1]]``."""
        order = np.argsort(self.link_pair, kind="stable").astype(np.int64)
        indptr = np.zeros(self.m + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.link_pair, minlength=self.m), out=indptr[1:])
        return indptr, order

    def neighbours(self, vertex: int) -> IntArray:
        """The vertex's neighbours, sorted."""
        indptr, lists = self._neighbour_lists
        return lists[indptr[vertex] : indptr[vertex + 1]]

    def pair_index(self, low: IntArray, high: IntArray) -> IntArray:
        """The pair of each ``(low, high)`` (low < high), or -1 where they are not joined."""
        n = max(self.n, 1)
        wanted = np.asarray(low, dtype=np.int64) * n + np.asarray(high, dtype=np.int64)
        return find_sorted(self._pair_keys, wanted)

    def positions_of(self, entity_ids: list[str]) -> IntArray:
        """The vertex of each entity id (ids are in sorted order), those in the network only."""
        found = find_sorted(self.ids, id_array(entity_ids))
        return found[found >= 0]

    def links_of(self, pair: int) -> IntArray:
        """Indices of the raw links collapsed into ``pair``, in order."""
        indptr, links = self._links_by_pair
        return links[indptr[pair] : indptr[pair + 1]]


# -- from a view ---------------------------------------------------------------------------------


def weight_values(
    store: GraphStore, scope: Scope, view: ScopedView, weighting: Weighting, prop: str | None
) -> FloatArray | None:
    """What ``SUM`` weighting adds up: the numeric property ``prop`` of every edge of ``view``
    (read from the store once per view); ``None`` for the other weightings."""
    if weighting is not Weighting.SUM:
        return None
    if prop is None:
        raise ValueError("SUM weighting needs a property")
    return view.memo(("link_numbers", prop), lambda: store.link_numbers(scope, view, prop))


def network_of(
    view: ScopedView,
    selection: Selection,
    identifier_types: frozenset[str],
    link_values: FloatArray | None = None,
) -> Network:
    """The network of ``selection`` on ``view`` (memoised on the view).

    ``link_values`` are the numeric property of every view edge (NaN where absent), needed
    when ``selection.weighting`` is ``SUM``. ``ids`` not in the view are ignored.
    """
    key = ("network", selection, identifier_types)  # SUM values follow from the selection
    return view.memo(key, lambda: _build(view, selection, identifier_types, link_values))


def network_for(
    store: GraphStore, scope: Scope, selection: Selection
) -> tuple[ScopedView, Network]:
    """The caller's view and the network of ``selection`` on it (what every analysis of a
    scope starts from)."""
    view = store.view(scope)
    values = weight_values(store, scope, view, selection.weighting, selection.weight_property)
    return view, network_of(view, selection, store.schema.identifier_types, values)


def _build(
    view: ScopedView,
    selection: Selection,
    identifier_types: frozenset[str],
    link_values: FloatArray | None,
) -> Network:
    mask = view.edge_mask(selection.link_filter)
    if selection.ids is None:  # every entity with a link in scope
        edges = np.arange(view.m, dtype=np.int64) if mask is None else np.flatnonzero(mask)
        joined = edges[view.edge_src[edges] != view.edge_dst[edges]]  # self-links join no one
        vertices = np.unique(np.concatenate([view.edge_src[joined], view.edge_dst[joined]]))
    else:
        seeds = view.positions_of(list(selection.ids))
        seeds = seeds[seeds >= 0]
        found = traverse.expand(view, seeds, selection.hops, mask, max(view.n, 1))
        vertices, edges = found.vertices, found.edges
    return network_on(view, vertices, edges, selection.weighting, identifier_types, link_values)


def network_on(
    view: ScopedView,
    vertices: IntArray,
    edges: IntArray,
    weighting: Weighting,
    identifier_types: frozenset[str],
    link_values: FloatArray | None = None,
) -> Network:
    """The network of some ``vertices`` of ``view`` and some ``edges`` among them (a query's
    working set): the same collapse and canonical numbering as ``network_of``, not memoised."""
    # canonical numbering: vertices by entity id
    vertices = vertices[np.argsort(view.id_rank[vertices], kind="stable")]
    position = np.full(view.n, -1, dtype=np.int64)
    position[vertices] = np.arange(vertices.size, dtype=np.int64)
    if weighting is Weighting.COUNT:
        weights = np.ones(edges.size, dtype=np.float64)
    elif weighting is Weighting.GRADING:
        weights = view.edge_grade[edges].astype(np.float64)
    else:
        if link_values is None:
            raise ValueError("SUM weighting needs the links' values")
        weights = np.nan_to_num(link_values[edges], nan=0.0)
    type_identifier = np.asarray(
        [name in identifier_types for name in view.entity_type_names], dtype=bool
    )
    identifier = (
        type_identifier[view.vertex_type[vertices]]
        if type_identifier.size
        else np.zeros(vertices.size, dtype=bool)
    )
    return Network.collapse(
        ids=view.vertex_ids[vertices],
        link_src=position[view.edge_src[edges]],
        link_dst=position[view.edge_dst[edges]],
        link_type=view.edge_type[edges].astype(np.int64),
        link_weight=weights,
        link_grade=view.edge_grade[edges].astype(np.float64),
        type_names=view.link_type_names,
        identifier=identifier,
        floor=weighting is Weighting.SUM,
        vertex_view=vertices,
        link_edge=edges,
    )


# -- seeded randomness ---------------------------------------------------------------------------

_RNG_LOCK = threading.Lock()


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Run igraph's stochastic algorithms with their own generator seeded with ``seed``.

    igraph draws from one process-wide generator; holding a lock while it is replaced keeps
    concurrent analyses from drawing from each other's sequence, so one seed gives one answer.
    """
    import igraph

    with _RNG_LOCK:
        igraph.set_random_number_generator(random.Random(seed))
        try:
            yield
        finally:
            igraph.set_random_number_generator(random)


def ranked(scores: FloatArray, top: int) -> IntArray:
    """The ``top`` vertices by score, highest first, ties by entity id (vertex order).

    Scores within ``TIE`` (relative to the largest) of the next one down are ties: igraph's
    PageRank gives mathematically equal scores that differ in their last bits, and differently
    from one call to the next, which must not order them. Runs of such scores form one group.
    """
    if scores.size == 0 or top <= 0:
        return np.empty(0, dtype=np.int64)
    order = np.argsort(-scores, kind="stable")
    ordered = scores[order]
    scale = max(float(np.max(np.abs(ordered))), np.finfo(np.float64).tiny)
    group = np.concatenate([[0], np.cumsum(np.diff(-ordered) > TIE * scale)])
    final = np.lexsort((order, group))
    return order[final[:top]].astype(np.int64)
