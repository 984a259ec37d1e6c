"""Centrality: who matters in the caller's visible network.

Measures (python-igraph, on the collapsed network of ``network.py``):

- ``DEGREE``: distinct entities a vertex is linked to.
- ``WEIGHTED_DEGREE``: the sum of its pairs' weights (with ``COUNT`` weighting: its links).
- ``BETWEENNESS``: how many shortest paths (in hops) pass through it. Freeman (1977),
  *A set of measures of centrality based on betweenness*, Sociometry 40(1):35,
  doi:10.2307/3033543; computed with Brandes (2001), doi:10.1080/0022250X.2001.9990249.
  Above ``BETWEENNESS_EXACT_MAX`` vertices (or when ``samples`` is given) it is estimated
  from shortest paths out of a seeded random sample of sources, scaled by ``n / samples``:
  Brandes & Pich (2007), *Centrality estimation in large networks*, Int. J. Bifurcation and
  Chaos 17(7):2303, doi:10.1142/S0218127407018403. The answer says when it sampled.
- ``CLOSENESS``: the inverse mean hop distance to the entities it can reach (igraph's
  definition, which ignores unreachable ones). Bavelas (1950), doi:10.1121/1.1906679.
- ``HARMONIC``: the mean inverse hop distance to all other entities (0 for unreachable ones),
  which behaves on disconnected networks. Marchiori & Latora (2000),
  doi:10.1016/S0378-4371(00)00311-3.
- ``PAGERANK``: weighted PageRank, damping 0.85. Brin & Page (1998),
  doi:10.1016/S0169-7552(98)00110-X.
- ``EIGENVECTOR``: weighted eigenvector centrality scaled to a maximum of 1. Bonacich (1972),
  doi:10.1080/0022250X.1972.9989806.

Path-based measures (betweenness, closeness, harmonic) count hops: a link is a link whatever
its weight. Closeness and harmonic cost one breadth-first search per vertex; above
``PATH_WORK_MAX`` (vertices x pairs) they refuse with advice to narrow the scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from graphsvc.analytics.network import FloatArray, Network, ranked
from graphsvc.errors import InvalidInput, LimitExceeded
from graphsvc.store.view import IntArray

BETWEENNESS_EXACT_MAX = 5_000
BETWEENNESS_SAMPLES = 500
PATH_WORK_MAX = 2_000_000_000


class Measure(Enum):
    DEGREE = "degree"
    WEIGHTED_DEGREE = "weighted_degree"
    BETWEENNESS = "betweenness"
    CLOSENESS = "closeness"
    HARMONIC = "harmonic"
    PAGERANK = "pagerank"
    EIGENVECTOR = "eigenvector"


WEIGHTED = frozenset({Measure.WEIGHTED_DEGREE, Measure.PAGERANK, Measure.EIGENVECTOR})


@dataclass(frozen=True)
class Ranking:
    measure: Measure
    scores: FloatArray  # every vertex's score
    top: IntArray  # the highest-scoring vertices, best first (ties by entity id)
    sampled: bool = False
    samples: int | None = None  # sources used when sampled

    @property
    def weighted(self) -> bool:
        return self.measure in WEIGHTED


def rank(
    network: Network,
    measure: Measure,
    top: int = 20,
    *,
    samples: int | None = None,
    seed: int = 0,
) -> Ranking:
    """Score every vertex of ``network`` by ``measure`` and keep the ``top`` best."""
    if top < 0:
        raise InvalidInput(f"must not be negative, got {top}", field="top")
    if samples is not None and measure is not Measure.BETWEENNESS:
        raise InvalidInput("only BETWEENNESS samples", field="samples")
    if samples is not None and samples < 1:
        raise InvalidInput(f"must be at least 1, got {samples}", field="samples")
    sampled, used = False, None
    if network.n == 0:
        scores = np.zeros(0, dtype=np.float64)
    elif measure is Measure.DEGREE:
        scores = network.degree.astype(np.float64)
    elif measure is Measure.WEIGHTED_DEGREE:
        scores = network.strength
    elif measure is Measure.BETWEENNESS:
        scores, used = _betweenness(network, samples, seed)
        sampled = used is not None
    elif measure in (Measure.CLOSENESS, Measure.HARMONIC):
        work = network.n * max(network.m, 1)
        if work > PATH_WORK_MAX:
            raise LimitExceeded(
                f"{measure.name} needs a search from each of the {network.n:,} entities over "
                f"{network.m:,} pairs (over the {PATH_WORK_MAX:,} limit): narrow the scope with "
                "ids and hops, link types or dates, or use BETWEENNESS (sampled) or PAGERANK",
                field="measure",
            )
        g = network.graph
        values = g.closeness() if measure is Measure.CLOSENESS else g.harmonic_centrality()
        scores = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=0.0)
    elif measure is Measure.PAGERANK:
        scores = np.asarray(
            network.graph.pagerank(weights="weight" if network.m else None), dtype=np.float64
        )
    else:
        scores = (
            np.asarray(
                network.graph.eigenvector_centrality(weights="weight", scale=True),
                dtype=np.float64,
            )
            if network.m
            else np.zeros(network.n, dtype=np.float64)
        )
    scores[np.abs(scores) < 1e-12 * max(float(np.max(np.abs(scores), initial=0.0)), 1.0)] = 0.0
    return Ranking(
        measure=measure, scores=scores, top=ranked(scores, top), sampled=sampled, samples=used
    )


def _betweenness(network: Network, samples: int | None, seed: int) -> tuple[FloatArray, int | None]:
    """Exact betweenness, or the sampled estimate and the number of sources it used."""
    g = network.graph
    n = network.n
    if samples is None and n <= BETWEENNESS_EXACT_MAX:
        return np.asarray(g.betweenness(directed=False), dtype=np.float64), None
    k = min(samples or BETWEENNESS_SAMPLES, n)
    if k == n:
        return np.asarray(g.betweenness(directed=False), dtype=np.float64), None
    sources: IntArray = np.sort(np.random.default_rng(seed).choice(n, size=k, replace=False))
    partial = np.asarray(g.betweenness(directed=False, sources=sources.tolist()), dtype=np.float64)
    return partial * (n / k), k
