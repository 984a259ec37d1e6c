"""Hidden links: pairs of visible entities with no visible link that are probably connected.

Link prediction on the caller's visible network. The *target layer* is the link types the
analyst asks about (all types by default): a candidate is a pair with no link of those types.

Candidates are pairs within ``hops`` (2 by default, at most 3) of each other over links of any
type, from the given entities (or from every entity), never all n^2 pairs; pairs sharing an
identifier (a phone, an account, an address) are two hops apart through it, so they are among
them. Classic scores run on the target layer (Liben-Nowell & Kleinberg (2007), *The
link-prediction problem for social networks*, JASIST 58(7):1019, doi:10.1002/asi.20591):

- ``COMMON_NEIGHBOURS``: |N(u) & N(v)|.
- ``JACCARD``: |N(u) & N(v)| / |N(u) | N(v)|.
- ``ADAMIC_ADAR``: sum over common neighbours z of 1 / log |N(z)|. Adamic & Adar (2003),
  doi:10.1016/S0378-8733(03)00009-1.
- ``RESOURCE_ALLOCATION``: sum over common neighbours z of 1 / |N(z)|. Zhou, Lü & Zhang
  (2009), doi:10.1140/epjb/e2009-00335-8.
- ``PREFERENTIAL_ATTACHMENT``: |N(u)| * |N(v)|. Barabási & Albert (1999),
  doi:10.1126/science.286.5439.509.
- ``KATZ``: sum over walks of length l between the pair of beta^l, truncated at l = 3,
  beta = ``KATZ_BETA``. Katz (1953), doi:10.1007/BF02289026.

``COMBINED`` uses every visible link type and the grading of each link as evidence. Each
piece of evidence adds a strength, and the score is ``1 - exp(-total)`` (0 to 1, higher is
stronger; independent weak signals add up):

- a recorded link of another type between the pair (a meeting when the target is calls):
  ``W_OTHER_LINK`` x its grading weight, for each such link;
- a shared identifier z (phone, account, address...): ``W_IDENTIFIER`` x g(u,z) x g(z,v) /
  (|N(z)| - 1), where g is the best grading weight of the pair's links; a phone shared by just
  the two counts fully, one shared by fifty hardly at all;
- any other shared neighbour: the same with ``W_NEIGHBOUR``;
- walks of three links u-a-b-v: ``W_WALK3`` x g(u,a) g(a,b) g(b,v) / ((|N(a)|-1)(|N(b)|-1)).

``graphsvc evaluate links`` measures every method on held-out links of real networks.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np

from graphsvc.analytics.network import FloatArray, Network, Selection, network_of
from graphsvc.errors import InvalidInput, LimitExceeded
from graphsvc.store.protocol import LinkFilter
from graphsvc.store.view import BoolArray, IntArray, ScopedView

KATZ_BETA = 0.05
W_OTHER_LINK = 1.0
W_IDENTIFIER = 1.0
W_NEIGHBOUR = 0.5
W_WALK3 = 0.25
CANDIDATE_WORK_MAX = 20_000_000  # adjacency entries the candidate search may expand
CANDIDATES_MAX = 2_000_000  # candidate pairs one request may score


class Method(Enum):
    COMMON_NEIGHBOURS = "common_neighbours"
    JACCARD = "jaccard"
    ADAMIC_ADAR = "adamic_adar"
    RESOURCE_ALLOCATION = "resource_allocation"
    PREFERENTIAL_ATTACHMENT = "preferential_attachment"
    KATZ = "katz"
    COMBINED = "combined"


@dataclass(eq=False)
class Scorer:
    """The matrices the scores need, for one network and one target layer."""

    network: Network
    target: BoolArray  # per pair: it holds a link of a target type
    union: Any  # binary adjacency over all pairs (scipy CSR)
    layer: Any  # binary adjacency over target pairs
    graded: Any  # adjacency with each pair's best grading weight
    degree: FloatArray  # distinct neighbours over all pairs
    layer_degree: FloatArray  # distinct neighbours in the target layer
    inverse: FloatArray  # 1/|N(z)| in the target layer (resource allocation)
    inverse_log: FloatArray  # 1/log|N(z)| in the target layer (Adamic-Adar)
    discount: FloatArray  # 1/(|N(z)| - 1) over all pairs: how much sharing z says

    @classmethod
    def of(cls, network: Network, target_types: frozenset[str] | None = None) -> Scorer:
        if target_types is None:
            target = np.ones(network.m, dtype=bool)
        else:
            codes = [i for i, name in enumerate(network.type_names) if name in target_types]
            typed = np.isin(network.link_type, np.asarray(codes, dtype=np.int64))
            target = np.bincount(network.link_pair[typed], minlength=network.m) > 0
        layer = network.adjacency(target)
        d = np.diff(layer.indptr).astype(np.float64)
        degree = network.degree.astype(np.float64)
        zero = np.zeros_like(d)
        return cls(
            network=network,
            target=target,
            union=network.adjacency(),
            layer=layer,
            graded=network.adjacency(values=network.grade),
            degree=degree,
            layer_degree=d,
            inverse=np.divide(1.0, d, out=zero.copy(), where=d > 0),
            inverse_log=np.divide(1.0, np.log(np.maximum(d, 1.0)), out=zero.copy(), where=d > 1),
            discount=np.divide(1.0, degree - 1.0, out=np.zeros_like(degree), where=degree > 1),
        )

    # -- candidates ------------------------------------------------------------------------------

    def candidates(
        self,
        seeds: IntArray | None,
        hops: int = 2,
        allowed: BoolArray | None = None,
    ) -> tuple[IntArray, IntArray]:
        """Pairs ``(u, v)``, ``u < v``, within ``hops`` over any link, with no target link,
        at least one end among ``seeds`` (any when ``None``) and both ends ``allowed``."""
        if not 1 <= hops <= 3:
            raise InvalidInput(f"must be between 1 and 3, got {hops}", field="hops")
        n = self.network.n
        rows = np.arange(n, dtype=np.int64) if seeds is None else np.unique(seeds)
        if rows.size == 0 or n == 0:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty
        frontier = self.union[rows]
        reach = frontier.copy()
        for _ in range(hops - 1):
            work = float((frontier @ self.degree).sum())
            if work > CANDIDATE_WORK_MAX:
                raise LimitExceeded(
                    f"looking for candidates would expand {work:,.0f} links (limit "
                    f"{CANDIDATE_WORK_MAX:,}): give fewer ids, fewer hops, or restrict the "
                    "link types or dates",
                    field="ids" if seeds is not None else "hops",
                )
            frontier = frontier @ self.union
            frontier.data[:] = 1.0
            reach = reach + frontier
        coo = reach.tocoo()
        u = rows[coo.row]
        v = coo.col.astype(np.int64)
        low, high = np.minimum(u, v), np.maximum(u, v)
        keep = low != high
        if allowed is not None:
            keep &= allowed[low] & allowed[high]
        low, high = low[keep], high[keep]
        keys = np.unique(low * n + high)
        low, high = keys // n, keys % n
        pair = self.network.pair_index(low, high)
        linked = np.zeros(low.shape, dtype=bool)
        linked[pair >= 0] = self.target[pair[pair >= 0]]
        low, high = low[~linked], high[~linked]
        if low.size > CANDIDATES_MAX:
            raise LimitExceeded(
                f"{low.size:,} candidate pairs (limit {CANDIDATES_MAX:,}): give ids to score "
                "pairs around them, fewer hops, or restrict the link types or dates",
                field="ids",
            )
        return low.astype(np.int64), high.astype(np.int64)

    # -- scores ----------------------------------------------------------------------------------

    def score(self, method: Method, u: IntArray, v: IntArray) -> FloatArray:
        """``method``'s score of each pair ``(u[i], v[i])``."""
        if u.size == 0:
            return np.zeros(0, dtype=np.float64)
        if method is Method.COMBINED:
            return self._combined(u, v)
        d = self.layer_degree
        if method is Method.PREFERENTIAL_ATTACHMENT:
            return d[u] * d[v]
        common = self.layer[u].multiply(self.layer[v]).tocsr()  # entries: common neighbours
        count: FloatArray = np.asarray(common.sum(axis=1), dtype=np.float64).reshape(-1)
        if method is Method.COMMON_NEIGHBOURS:
            return count
        if method is Method.JACCARD:
            union = d[u] + d[v] - count
            return np.divide(count, union, out=np.zeros_like(count), where=union > 0)
        if method is Method.RESOURCE_ALLOCATION:
            return np.asarray(common @ self.inverse).reshape(-1)
        if method is Method.ADAMIC_ADAR:
            return np.asarray(common @ self.inverse_log).reshape(-1)
        walks3 = self._walks3(self.layer, u, v, None)
        return KATZ_BETA**2 * count + KATZ_BETA**3 * walks3

    def _walks3(
        self, matrix: Any, u: IntArray, v: IntArray, scale: FloatArray | None
    ) -> FloatArray:
        """Sum over walks u-a-b-v of the product of the entries (scaled by ``scale`` at a and
        b when given), for each pair."""
        rows, inverse = np.unique(u, return_inverse=True)
        left = matrix[rows]
        if scale is not None:
            left = left.multiply(scale).tocsr()
        two = left @ matrix
        if scale is not None:
            two = two.multiply(scale).tocsr()
        return np.asarray(two[inverse.reshape(-1)].multiply(matrix[v]).sum(axis=1)).reshape(-1)

    def _combined(self, u: IntArray, v: IntArray) -> FloatArray:
        combined: FloatArray = 1.0 - np.exp(-self.strength(u, v).sum(axis=0))
        return combined

    def strength(self, u: IntArray, v: IntArray) -> FloatArray:
        """The evidence strengths of each pair, by kind: rows other links, shared identifiers,
        other shared neighbours, three-link walks (each already weighted)."""
        net = self.network
        pair = net.pair_index(np.minimum(u, v), np.maximum(u, v))
        other = np.zeros(u.shape, dtype=np.float64)
        joined = pair >= 0
        other[joined] = net.grade_total[pair[joined]]
        discount = self.discount
        shared = self.graded[u].multiply(self.graded[v]).tocsr()
        identifier = np.where(net.identifier, discount, 0.0)
        ordinary = np.where(net.identifier, 0.0, discount)
        walks = self._walks3(self.graded, u, v, discount)
        return np.vstack(
            [
                W_OTHER_LINK * other,
                W_IDENTIFIER * np.asarray(shared @ identifier).reshape(-1),
                W_NEIGHBOUR * np.asarray(shared @ ordinary).reshape(-1),
                W_WALK3 * walks,
            ]
        )


@dataclass(frozen=True)
class Prediction:
    methods: tuple[Method, ...]
    u: IntArray  # the kept pairs, best first by the first method
    v: IntArray
    scores: FloatArray  # shape (pairs, methods)
    candidates: int  # pairs scored


def scorer_on(
    view: ScopedView,
    evidence: LinkFilter,
    target_types: frozenset[str] | None,
    identifier_types: frozenset[str],
) -> Scorer:
    """The scorer of ``view`` (memoised on it): evidence from the links ``evidence`` lets
    through, candidates lacking a link of ``target_types`` (any type when ``None``)."""
    chosen = Selection(link_filter=evidence)
    network = network_of(view, chosen, identifier_types)
    return view.memo(("scorer", chosen, target_types), lambda: Scorer.of(network, target_types))


def predict(
    scorer: Scorer,
    methods: tuple[Method, ...],
    seeds: IntArray | None,
    *,
    hops: int = 2,
    top: int = 20,
    min_score: float | None = None,
    allowed: BoolArray | None = None,
) -> Prediction:
    """Score the candidate pairs with every method; keep the ``top`` by the first method
    (ties by the entity ids of the pair), those at or above ``min_score`` only."""
    if not methods:
        raise InvalidInput("name at least one method", field="methods")
    methods = tuple(dict.fromkeys(methods))
    if top < 0:
        raise InvalidInput(f"must not be negative, got {top}", field="top")
    u, v = scorer.candidates(seeds, hops, allowed)
    primary = scorer.score(methods[0], u, v)
    keep = primary > 0
    if min_score is not None:
        keep &= primary >= min_score
    idx = np.flatnonzero(keep)
    order = idx[np.lexsort((v[idx], u[idx], -primary[idx]))][:top]
    u_top, v_top = u[order], v[order]
    columns = [primary[order]] + [scorer.score(m, u_top, v_top) for m in methods[1:]]
    return Prediction(
        methods=methods,
        u=u_top,
        v=v_top,
        scores=np.column_stack(columns) if columns else np.zeros((0, 0)),
        candidates=int(u.size),
    )


# -- explanations --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shared:
    """A common neighbour of a candidate pair and what it adds to the COMBINED evidence."""

    vertex: int
    identifier: bool
    strength: float
    links: IntArray  # raw links joining it to either end


@dataclass(frozen=True)
class Explanation:
    u: int
    v: int
    other_links: IntArray  # raw links of non-target types joining the pair
    shared: list[Shared]  # strongest first
    strengths: dict[str, float]  # COMBINED's evidence by kind


EVIDENCE_KINDS = ("otherLinks", "sharedIdentifiers", "sharedNeighbours", "walks3")


def explain(scorer: Scorer, u: int, v: int, limit: int = 20) -> Explanation:
    """The evidence behind a candidate pair: its links of other types and its common
    neighbours (the ``limit`` strongest, identifiers flagged), with their raw links."""
    net = scorer.network
    common = np.intersect1d(net.neighbours(u), net.neighbours(v), assume_unique=True)
    low = np.minimum(common, u)
    high = np.maximum(common, u)
    to_u = net.pair_index(low, high)
    to_v = net.pair_index(np.minimum(common, v), np.maximum(common, v))
    discount = scorer.discount
    weight = np.where(net.identifier[common], W_IDENTIFIER, W_NEIGHBOUR)
    strength = net.grade[to_u] * net.grade[to_v] * discount[common] * weight
    order = np.lexsort((common, -strength))[:limit]
    shared = [
        Shared(
            vertex=int(common[i]),
            identifier=bool(net.identifier[common[i]]),
            strength=float(strength[i]),
            links=np.concatenate([net.links_of(int(to_u[i])), net.links_of(int(to_v[i]))]),
        )
        for i in order.tolist()
    ]
    pair = int(net.pair_index(np.asarray([min(u, v)]), np.asarray([max(u, v)]))[0])
    other = net.links_of(pair) if pair >= 0 else np.empty(0, dtype=np.int64)
    totals = scorer.strength(np.asarray([u]), np.asarray([v]))[:, 0]
    return Explanation(
        u=u,
        v=v,
        other_links=other,
        shared=shared,
        strengths=dict(zip(EVIDENCE_KINDS, (float(x) for x in totals), strict=True)),
    )
