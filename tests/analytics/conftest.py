"""Helpers for the analytics tests: networks built straight from edge lists or igraph graphs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from graphsvc.analytics.network import Network


def vertex_ids(n: int) -> np.ndarray:
    """``n`` entity ids whose sorted order is their index order."""
    ids = np.empty(n, dtype=object)
    ids[:] = [f"v{i:04d}" for i in range(n)]
    return ids


def network_of_links(
    n: int,
    links: Sequence[tuple[int, int]],
    *,
    types: Sequence[int] | None = None,
    type_names: tuple[str, ...] = ("T",),
    weights: Sequence[float] | None = None,
    grades: Sequence[float] | None = None,
    identifier: Sequence[int] = (),
    floor: bool = False,
) -> Network:
    """A network over ``n`` vertices from raw links ``(a, b)``; ``identifier`` lists the
    vertices of an identifier type."""
    k = len(links)
    ends = np.asarray(links, dtype=np.int64).reshape(k, 2)
    flags = np.zeros(n, dtype=bool)
    flags[list(identifier)] = True
    return Network.collapse(
        ids=vertex_ids(n),
        link_src=ends[:, 0].copy(),
        link_dst=ends[:, 1].copy(),
        link_type=np.asarray(types if types is not None else [0] * k, dtype=np.int64),
        link_weight=np.asarray(weights if weights is not None else [1.0] * k, dtype=np.float64),
        link_grade=np.asarray(grades if grades is not None else [1.0] * k, dtype=np.float64),
        type_names=type_names,
        identifier=flags,
        floor=floor,
    )


def network_of_graph(g: object, **kwargs: object) -> Network:
    """The network of an igraph graph's edges (one link per edge)."""
    edges = [tuple(e) for e in g.get_edgelist()]  # type: ignore[attr-defined]
    return network_of_links(g.vcount(), edges, **kwargs)  # type: ignore[attr-defined,arg-type]


def planted_partition(
    blocks: int, size: int, p_in: float, p_out: float, seed: int
) -> list[tuple[int, int]]:
    """Edges of a planted-partition graph: ``blocks`` groups of ``size`` vertices."""
    rng = np.random.default_rng(seed)
    edges = []
    n = blocks * size
    for a in range(n):
        for b in range(a + 1, n):
            p = p_in if a // size == b // size else p_out
            if rng.random() < p:
                edges.append((a, b))
    return edges
