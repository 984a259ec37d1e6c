"""Community detection: who forms a group, on the caller's visible network.

All algorithms are python-igraph's, run on the collapsed weighted network (``network.py``):

- ``LEIDEN``: Traag, Waltman & van Eck (2019), *From Louvain to Leiden: guaranteeing
  well-connected communities*, Sci. Rep. 9:5233, doi:10.1038/s41598-019-41695-z. Modularity
  objective with a resolution parameter.
- ``LOUVAIN``: Blondel, Guillaume, Lambiotte & Lefebvre (2008), *Fast unfolding of communities
  in large networks*, J. Stat. Mech. P10008, doi:10.1088/1742-5468/2008/10/P10008.
- ``LABEL_PROPAGATION``: Raghavan, Albert & Kumara (2007), *Near linear time algorithm to
  detect community structures in large-scale networks*, Phys. Rev. E 76:036106,
  doi:10.1103/PhysRevE.76.036106.
- ``INFOMAP``: Rosvall & Bergstrom (2008), *Maps of random walks on complex networks reveal
  community structure*, PNAS 105(4):1118, doi:10.1073/pnas.0706851105.
- ``WALKTRAP``: Pons & Latapy (2006), *Computing communities in large networks using random
  walks*, J. Graph Algorithms Appl. 10(2):191, doi:10.7155/jgaa.00124. Its memory grows with
  the square of the network, so it refuses networks over ``WALKTRAP_MAX_VERTICES``.

Communities are numbered canonically: by size, largest first, then by their first member's
entity id. So the same visible data and seed give the same numbered answer on every store.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np

from graphsvc.analytics.network import FloatArray, Network, seeded
from graphsvc.errors import InvalidInput, LimitExceeded
from graphsvc.store.view import IntArray

WALKTRAP_MAX_VERTICES = 50_000


class Algorithm(Enum):
    LEIDEN = "leiden"
    LOUVAIN = "louvain"
    LABEL_PROPAGATION = "label_propagation"
    INFOMAP = "infomap"
    WALKTRAP = "walktrap"


WITH_RESOLUTION = frozenset({Algorithm.LEIDEN, Algorithm.LOUVAIN})
STOCHASTIC = frozenset(
    {Algorithm.LEIDEN, Algorithm.LOUVAIN, Algorithm.LABEL_PROPAGATION, Algorithm.INFOMAP}
)


@dataclass(frozen=True)
class Community:
    """One community: its canonical ``id``, members (vertex indices) ranked by how central they
    are inside it (weighted degree over its internal pairs, then entity id), and its fabric."""

    id: int
    members: IntArray
    centrality: FloatArray  # of ``members``, in the same order
    pairs: int  # distinct member pairs joined
    links: int  # raw visible links inside
    link_types: dict[str, int]

    @property
    def size(self) -> int:
        return int(self.members.shape[0])

    @property
    def density(self) -> float:
        """Joined pairs over possible pairs (0 for a single member)."""
        s = self.size
        return 0.0 if s < 2 else self.pairs / (s * (s - 1) / 2)


@dataclass(frozen=True)
class Partition:
    algorithm: Algorithm
    seed: int
    resolution: float
    membership: IntArray  # canonical community id of every vertex
    modularity: float  # of the whole partition, at resolution 1 (comparable across runs)
    communities: list[Community]  # those of at least ``min_size``, in id order, up to a limit
    count: int  # all communities, small ones included
    shown_of: int  # communities of at least ``min_size``


def detect(
    network: Network,
    algorithm: Algorithm = Algorithm.LEIDEN,
    *,
    resolution: float | None = None,
    seed: int = 0,
    min_size: int = 1,
    limit: int | None = None,
) -> Partition:
    """Partition ``network`` with ``algorithm``; report the communities of ``min_size`` or more.

    ``resolution`` (LEIDEN and LOUVAIN only; 1 by default) above 1 finds more, smaller
    communities. Only the first ``limit`` of them are described (all when ``None``).
    Raises ``InvalidInput`` naming the argument when one does not apply.
    """
    if resolution is not None and algorithm not in WITH_RESOLUTION:
        raise InvalidInput(
            f"{algorithm.name} has no resolution parameter (LEIDEN and LOUVAIN have)",
            field="resolution",
        )
    if resolution is not None and not resolution > 0:
        raise InvalidInput(f"must be above 0, got {resolution}", field="resolution")
    if min_size < 1:
        raise InvalidInput(f"must be at least 1, got {min_size}", field="minSize")
    if limit is not None and limit < 0:
        raise InvalidInput(f"must not be negative, got {limit}", field="limit")
    gamma = 1.0 if resolution is None else float(resolution)
    raw = _run(network, algorithm, gamma, seed) if network.n else np.empty(0, dtype=np.int64)
    membership = _canonical(raw)
    count = int(membership.max()) + 1 if membership.size else 0
    sizes = np.bincount(membership, minlength=count)
    return Partition(
        algorithm=algorithm,
        seed=seed,
        resolution=gamma,
        membership=membership,
        modularity=modularity(network, membership),
        communities=_describe(network, membership, count, min_size, limit),
        count=count,
        shown_of=int((sizes >= min_size).sum()),
    )


def modularity(network: Network, membership: IntArray, resolution: float = 1.0) -> float:
    """Newman's weighted modularity of a partition: the weight inside communities minus what
    a random network with the same strengths would put there.
    Newman (2004), Phys. Rev. E 70:056131, doi:10.1103/PhysRevE.70.056131."""
    total = float(network.weight.sum())
    if total == 0:
        return 0.0
    count = int(membership.max()) + 1
    inside = membership[network.src] == membership[network.dst]
    internal = np.bincount(
        membership[network.src[inside]], weights=network.weight[inside], minlength=count
    )
    strength = np.bincount(membership, weights=network.strength, minlength=count)
    return float((internal / total - resolution * (strength / (2 * total)) ** 2).sum())


def _run(network: Network, algorithm: Algorithm, resolution: float, seed: int) -> IntArray:
    g = network.graph
    weights = "weight" if network.m else None
    if algorithm is Algorithm.WALKTRAP:
        if network.n > WALKTRAP_MAX_VERTICES:
            raise LimitExceeded(
                f"WALKTRAP needs memory growing with the square of the network; this one has "
                f"{network.n:,} entities (at most {WALKTRAP_MAX_VERTICES:,}): use LEIDEN, or "
                "narrow the scope with ids and hops, link types or dates",
                field="algorithm",
            )
        clustering: Any = g.community_walktrap(weights=weights, steps=4).as_clustering()
        return np.asarray(clustering.membership, dtype=np.int64)
    with seeded(seed):
        if algorithm is Algorithm.LEIDEN:
            clustering = g.community_leiden(
                objective_function="modularity", weights=weights, resolution=resolution
            )
        elif algorithm is Algorithm.LOUVAIN:
            clustering = g.community_multilevel(weights=weights, resolution=resolution)
        elif algorithm is Algorithm.LABEL_PROPAGATION:
            clustering = g.community_label_propagation(weights=weights)
        else:
            clustering = g.community_infomap(edge_weights=weights)
    return np.asarray(clustering.membership, dtype=np.int64)


def _canonical(membership: IntArray) -> IntArray:
    """Renumber communities: largest first, then by first member (vertices are in id order)."""
    if membership.size == 0:
        return membership
    labels, first, inverse, sizes = np.unique(
        membership, return_index=True, return_inverse=True, return_counts=True
    )
    order = np.lexsort((first, -sizes))  # community ranks
    rank = np.empty(labels.size, dtype=np.int64)
    rank[order] = np.arange(labels.size, dtype=np.int64)
    return rank[inverse.reshape(-1)]


def _describe(
    network: Network, membership: IntArray, count: int, min_size: int, limit: int | None
) -> list[Community]:
    if count == 0:
        return []
    sizes = np.bincount(membership, minlength=count)
    inside = membership[network.src] == membership[network.dst]
    owner = membership[network.src[inside]]
    pairs = np.bincount(owner, minlength=count)
    links = np.bincount(owner, weights=network.links[inside], minlength=count)
    inner = np.bincount(
        network.src[inside], weights=network.weight[inside], minlength=network.n
    ) + np.bincount(network.dst[inside], weights=network.weight[inside], minlength=network.n)
    # members grouped by community, most central first, then by id
    vertices = np.arange(network.n, dtype=np.int64)
    order = np.lexsort((vertices, -inner, membership))
    starts = np.concatenate([[0], np.cumsum(sizes)])
    # link types inside each community
    types = len(network.type_names)
    link_inside = inside[network.link_pair]
    link_owner = membership[network.src[network.link_pair[link_inside]]]
    type_counts = (
        np.bincount(
            link_owner * types + network.link_type[link_inside], minlength=count * types
        ).reshape(count, types)
        if types
        else np.zeros((count, 0), dtype=np.int64)
    )
    out = []
    for c in np.flatnonzero(sizes >= min_size)[:limit].tolist():
        members = order[starts[c] : starts[c + 1]]
        out.append(
            Community(
                id=c,
                members=members,
                centrality=inner[members].astype(np.float64),
                pairs=int(pairs[c]),
                links=int(links[c]),
                link_types={
                    network.type_names[t]: int(k)
                    for t, k in enumerate(type_counts[c].tolist())
                    if k
                },
            )
        )
    return out
