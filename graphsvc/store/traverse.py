"""Neighbourhoods and paths on a ``ScopedView``, with canonical answers.

Answers never depend on internal numbering: where a limit cuts a neighbourhood, the entities
kept are the first by id within the last layer reached; paths come shortest first and, within
one length, in lexicographic order of their entity ids. So the same question asked of two
stores holding the same visible data gets the same answer, which is what the leak test relies
on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from graphsvc.errors import LimitExceeded
from graphsvc.store.view import BoolArray, IntArray, ScopedView

DFS_BUDGET = 2_000_000  # adjacency entries a path search may examine before it gives up


@dataclass
class _Budget:
    remaining: int

    @property
    def spent(self) -> bool:
        return self.remaining <= 0


@dataclass(frozen=True)
class Neighbourhood:
    vertices: IntArray  # sorted vertex indices
    edges: IntArray  # sorted edge indices
    truncated: bool


def _by_id(view: ScopedView, vertices: IntArray) -> IntArray:
    """``vertices`` ordered by entity id."""
    if vertices.size <= 1:
        return vertices
    return vertices[np.argsort(view.vertex_ids[vertices], kind="stable")]


def expand(
    view: ScopedView,
    seeds: IntArray,
    hops: int,
    edge_mask: BoolArray | None,
    max_nodes: int,
) -> Neighbourhood:
    """Entities within ``hops`` of the seeds over allowed edges, and the allowed edges among them.

    Breadth-first by layers; when a layer would pass ``max_nodes`` only its first entities by
    id are kept and the answer is marked truncated. Links are not limited here: the store
    cuts them by link id, which the view does not hold.
    """
    selected = np.zeros(view.n, dtype=bool)
    seeds = _by_id(view, np.unique(seeds))
    truncated = seeds.size > max_nodes
    seeds = seeds[:max_nodes]
    selected[seeds] = True
    count = int(seeds.size)
    frontier = seeds
    for _ in range(hops):
        if truncated or frontier.size == 0:
            break
        edges, neighbours, _, _ = view.incident(frontier)
        if edge_mask is not None:
            neighbours = neighbours[edge_mask[edges]]
        new = np.unique(neighbours[~selected[neighbours]])
        if new.size == 0:
            break
        if count + new.size > max_nodes:
            new = _by_id(view, new)[: max_nodes - count]
            truncated = True
        selected[new] = True
        count += int(new.size)
        frontier = new
    vertices = np.flatnonzero(selected)
    edges = induced_edges(view, vertices, selected, edge_mask)
    return Neighbourhood(vertices=vertices, edges=edges, truncated=truncated)


def induced_edges(
    view: ScopedView,
    vertices: IntArray,
    selected: BoolArray | None = None,
    edge_mask: BoolArray | None = None,
) -> IntArray:
    """Allowed edges with both ends among ``vertices`` (sorted, each once)."""
    if selected is None:
        selected = np.zeros(view.n, dtype=bool)
        selected[vertices] = True
    edges, neighbours, _, forward = view.incident(vertices)
    keep = selected[neighbours] & forward  # count each edge once, from its `from` end
    if edge_mask is not None:
        keep &= edge_mask[edges]
    return np.unique(edges[keep])


def _layer_distances(
    view: ScopedView,
    start: int,
    depth: int,
    edge_mask: BoolArray | None,
    backwards: bool,
    directed: bool,
) -> IntArray:
    """Hop distance from ``start`` (towards it when ``backwards``) up to ``depth``; -1 beyond."""
    dist = np.full(view.n, -1, dtype=np.int64)
    dist[start] = 0
    frontier = np.asarray([start], dtype=np.int64)
    for d in range(1, depth + 1):
        edges, neighbours, _, forward = view.incident(frontier)
        keep = _usable(view, edges, forward, edge_mask, directed, backwards)
        neighbours = neighbours[keep]
        new = np.unique(neighbours[dist[neighbours] < 0])
        if new.size == 0:
            break
        dist[new] = d
        frontier = new
    return dist


def _usable(
    view: ScopedView,
    edges: IntArray,
    forward: BoolArray,
    edge_mask: BoolArray | None,
    directed: bool,
    backwards: bool = False,
) -> BoolArray:
    keep = np.ones(edges.shape, dtype=bool) if edge_mask is None else edge_mask[edges]
    if directed:
        along = ~forward if backwards else forward
        keep &= along | ~view.edge_directed[edges]
    return keep


def shortest_paths(
    view: ScopedView,
    source: int,
    target: int,
    max_hops: int,
    edge_mask: BoolArray | None,
    limit: int,
    directed: bool,
) -> list[tuple[list[int], list[list[int]]]]:
    """Up to ``limit`` simple paths from ``source`` to ``target`` of at most ``max_hops``.

    Shortest first, then by the sequence of entity ids. Each path is ``(vertices, edges per
    hop)``; a hop lists every allowed parallel edge between its two entities.
    """
    if source == target or limit <= 0 or max_hops <= 0:
        return []
    to_target = _layer_distances(view, target, max_hops, edge_mask, True, directed)
    if to_target[source] < 0:
        return []
    found: list[tuple[list[int], list[list[int]]]] = []
    budget = _Budget(DFS_BUDGET)
    for length in range(int(to_target[source]), max_hops + 1):
        _enumerate(
            view, source, target, length, to_target, edge_mask, directed, limit, found, budget
        )
        if len(found) >= limit:
            break
        if budget.spent:
            raise LimitExceeded(
                f"the path search examined {DFS_BUDGET:,} links without finishing; "
                "lower the maximum hops or restrict the link types or dates"
            )
    return found


def _enumerate(
    view: ScopedView,
    source: int,
    target: int,
    length: int,
    to_target: IntArray,
    edge_mask: BoolArray | None,
    directed: bool,
    limit: int,
    found: list[tuple[list[int], list[list[int]]]],
    budget: _Budget,
) -> None:
    """Depth-first, neighbours in id order, every path of exactly ``length`` hops."""
    path = [source]
    on_path = {source}

    def steps(u: int, remaining: int) -> tuple[IntArray, dict[int, list[int]]]:
        edges, neighbours, _, forward = view.incident(np.asarray([u]))
        budget.remaining -= int(edges.size)
        keep = _usable(view, edges, forward, edge_mask, directed)
        edges, neighbours = edges[keep], neighbours[keep]
        dist = to_target[neighbours]
        ok = (dist >= 0) & (dist <= remaining - 1)
        ok &= (neighbours == target) if remaining == 1 else (neighbours != target)
        edges, neighbours = edges[ok], neighbours[ok]
        by_vertex: dict[int, list[int]] = {}
        for e, v in zip(edges.tolist(), neighbours.tolist(), strict=True):
            by_vertex.setdefault(v, []).append(e)
        candidates = np.asarray([v for v in by_vertex if v not in on_path], dtype=np.int64)
        return _by_id(view, candidates), by_vertex

    hop_edges: list[list[int]] = []

    def walk(u: int, remaining: int) -> bool:
        """Returns True when the search must stop (limit reached or budget spent)."""
        if budget.spent:
            return True
        candidates, by_vertex = steps(u, remaining)
        for v in candidates.tolist():
            hop_edges.append(by_vertex[v])
            path.append(v)
            if remaining == 1:
                found.append((list(path), [list(h) for h in hop_edges]))
                stop = len(found) >= limit
            else:
                on_path.add(v)
                stop = walk(v, remaining - 1)
                on_path.discard(v)
            path.pop()
            hop_edges.pop()
            if stop:
                return True
        return False

    walk(source, length)
