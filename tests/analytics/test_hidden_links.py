"""Hidden links: classic scores against networkx, Katz, candidates, COMBINED evidence, limits."""

from __future__ import annotations

import math

import igraph
import networkx as nx
import numpy as np
import pytest

from graphsvc.analytics import hidden_links
from graphsvc.analytics.hidden_links import (
    EVIDENCE_KINDS,
    KATZ_BETA,
    W_IDENTIFIER,
    W_NEIGHBOUR,
    W_OTHER_LINK,
    W_WALK3,
    Method,
    Scorer,
    explain,
    predict,
)
from graphsvc.analytics.network import Network
from graphsvc.errors import InvalidInput, LimitExceeded
from tests.analytics.conftest import network_of_links

CLASSIC = [m for m in Method if m not in (Method.KATZ, Method.COMBINED)]
TYPES = ("MET", "CALLED", "USES")


def _karate() -> Network:
    return network_of_links(34, igraph.Graph.Famous("Zachary").get_edgelist())


def _layered_links() -> tuple[list[tuple[int, int]], list[int], list[float]]:
    """Karate club's pairs as MET or CALLED links (some both), plus CALLED-only extra pairs,
    graded variously: the raw links, their types and their grading weights."""
    rng = np.random.default_rng(8)
    links, types, grades = [], [], []
    for a, b in igraph.Graph.Famous("Zachary").get_edgelist():
        kinds = [[0], [1], [0, 1]][int(rng.integers(0, 3))]
        for t in kinds:
            links.append((a, b) if rng.random() < 0.5 else (b, a))
            types.append(t)
            grades.append(float(rng.choice([1.0, 0.5625, 0.25, 0.0625])))
    for _ in range(12):
        a, b = rng.choice(34, size=2, replace=False)
        links.append((int(a), int(b)))
        types.append(1)
        grades.append(float(rng.choice([1.0, 0.375])))
    return links, types, grades


IDENTIFIERS = [2, 8, 13, 31]


def _layered(n: int = 34) -> Network:
    """``_layered_links`` over ``n`` vertices, a few of them identifiers."""
    links, types, grades = _layered_links()
    return network_of_links(
        n, links, types=types, type_names=TYPES, grades=grades, identifier=IDENTIFIERS
    )


def _nx(net: Network, pairs: np.ndarray | None = None) -> nx.Graph:
    g = nx.Graph()
    g.add_nodes_from(range(net.n))
    chosen = np.ones(net.m, dtype=bool) if pairs is None else pairs
    g.add_edges_from(zip(net.src[chosen].tolist(), net.dst[chosen].tolist(), strict=True))
    return g


def _target_pairs(net: Network, names: set[str]) -> np.ndarray:
    targeted = np.zeros(net.m, dtype=bool)
    for pair, t in zip(net.link_pair.tolist(), net.link_type.tolist(), strict=True):
        if net.type_names[t] in names:
            targeted[pair] = True
    return targeted


NX_SCORES = {
    Method.JACCARD: nx.jaccard_coefficient,
    Method.ADAMIC_ADAR: nx.adamic_adar_index,
    Method.RESOURCE_ALLOCATION: nx.resource_allocation_index,
    Method.PREFERENTIAL_ATTACHMENT: nx.preferential_attachment,
}


def _nx_score(g: nx.Graph, method: Method, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    pairs = list(zip(u.tolist(), v.tolist(), strict=True))
    if method is Method.COMMON_NEIGHBOURS:
        return np.asarray([len(list(nx.common_neighbors(g, a, b))) for a, b in pairs], float)
    # networkx divides by zero for a common neighbour of degree 1; none exists for u != v
    return np.asarray([s for _, _, s in NX_SCORES[method](g, pairs)], dtype=np.float64)


# -- classic scores --------------------------------------------------------------------------------


@pytest.mark.parametrize("method", CLASSIC)
def test_classic_scores_equal_networkx_on_karate(method):
    net = _karate()
    scorer = Scorer.of(net)
    u, v = scorer.candidates(None, hops=3)
    assert u.size > 300
    assert scorer.score(method, u, v) == pytest.approx(_nx_score(_nx(net), method, u, v))


@pytest.mark.parametrize("method", CLASSIC)
def test_classic_scores_run_on_the_target_layer_only(method):
    net = _layered()
    scorer = Scorer.of(net, frozenset({"MET"}))
    u, v = scorer.candidates(None, hops=2)
    layer = _nx(net, _target_pairs(net, {"MET"}))
    assert scorer.score(method, u, v) == pytest.approx(_nx_score(layer, method, u, v))


@pytest.mark.parametrize("targets", [None, frozenset({"MET"}), frozenset({"CALLED", "USES"})])
def test_katz_is_the_walk_sum_truncated_at_three(targets):
    net = _layered()
    scorer = Scorer.of(net, targets)
    u, v = scorer.candidates(None, hops=3)
    chosen = _target_pairs(net, set(targets)) if targets else None
    a = nx.to_numpy_array(_nx(net, chosen), nodelist=range(net.n))
    a2, a3 = a @ a, a @ a @ a
    expected = KATZ_BETA**2 * a2[u, v] + KATZ_BETA**3 * a3[u, v]
    assert scorer.score(Method.KATZ, u, v) == pytest.approx(expected)
    assert (scorer.score(Method.KATZ, u, v) > 0).any()


def test_scores_of_no_pairs():
    scorer = Scorer.of(_karate())
    empty = np.empty(0, dtype=np.int64)
    for method in Method:
        assert scorer.score(method, empty, empty).size == 0


# -- candidates ------------------------------------------------------------------------------------


def _brute_candidates(net, targets, hops, seeds=None, allowed=None):
    union = _nx(net)
    targeted = _target_pairs(net, set(targets)) if targets else np.ones(net.m, dtype=bool)
    linked = {
        (a, b)
        for a, b, t in zip(net.src.tolist(), net.dst.tolist(), targeted.tolist(), strict=True)
        if t
    }
    found = set()
    for a in range(net.n):
        for b, d in nx.single_source_shortest_path_length(union, a, cutoff=hops).items():
            if a < b and d >= 1 and (a, b) not in linked:
                if seeds is not None and a not in seeds and b not in seeds:
                    continue
                if allowed is not None and not (allowed[a] and allowed[b]):
                    continue
                found.add((a, b))
    return found


@pytest.mark.parametrize("hops", [1, 2, 3])
@pytest.mark.parametrize("targets", [None, frozenset({"MET"})])
def test_candidates_are_the_unlinked_pairs_within_hops(hops, targets):
    net = _layered()
    scorer = Scorer.of(net, targets)
    u, v = scorer.candidates(None, hops)
    pairs = list(zip(u.tolist(), v.tolist(), strict=True))
    assert pairs == sorted(set(pairs))  # each once, in (u, v) order
    assert all(a < b for a, b in pairs)
    assert set(pairs) == _brute_candidates(net, targets, hops)
    if targets is None and hops == 1:
        assert pairs == []  # every pair within one hop is linked


def test_a_pair_linked_only_by_another_type_is_a_candidate_with_that_evidence():
    net = _layered()
    scorer = Scorer.of(net, frozenset({"MET"}))
    u, v = scorer.candidates(None, hops=1)
    called_only = _target_pairs(net, {"CALLED", "USES"}) & ~_target_pairs(net, {"MET"})
    expected = set(zip(net.src[called_only].tolist(), net.dst[called_only].tolist(), strict=True))
    assert set(zip(u.tolist(), v.tolist(), strict=True)) == expected and expected
    strength = scorer.strength(u, v)
    pairs = net.pair_index(u, v)
    assert strength[0] == pytest.approx(W_OTHER_LINK * net.grade_total[pairs])
    assert (strength[0] > 0).all()
    assert (scorer.score(Method.COMBINED, u, v) >= 1 - np.exp(-strength[0])).all()


def test_seeds_and_allowed_restrict_the_candidates():
    net = _layered()
    scorer = Scorer.of(net, frozenset({"MET"}))
    seeds = {0, 5, 33}
    u, v = scorer.candidates(np.asarray([*sorted(seeds), 5], dtype=np.int64), hops=2)
    got = set(zip(u.tolist(), v.tolist(), strict=True))
    assert got == _brute_candidates(net, {"MET"}, 2, seeds=seeds) and got
    assert all(a in seeds or b in seeds for a, b in got)
    allowed = np.arange(34) % 3 != 0
    u, v = scorer.candidates(None, hops=2, allowed=allowed)
    assert set(zip(u.tolist(), v.tolist(), strict=True)) == _brute_candidates(
        net, {"MET"}, 2, allowed=allowed
    )
    assert scorer.candidates(np.empty(0, dtype=np.int64), hops=2)[0].size == 0


@pytest.mark.parametrize("hops", [0, 4, -1])
def test_hops_must_be_one_to_three(hops):
    scorer = Scorer.of(_karate())
    with pytest.raises(InvalidInput) as caught:
        scorer.candidates(None, hops)
    assert caught.value.field == "hops"
    with pytest.raises(InvalidInput) as caught:
        predict(scorer, (Method.JACCARD,), None, hops=hops)
    assert caught.value.field == "hops"


def test_candidate_search_stops_at_its_work_limit(monkeypatch):
    net = _karate()
    scorer = Scorer.of(net)
    work = int((net.degree.astype(np.int64) ** 2).sum())  # rows of neighbours, each expanded
    monkeypatch.setattr(hidden_links, "CANDIDATE_WORK_MAX", work)
    scorer.candidates(None, hops=2)
    monkeypatch.setattr(hidden_links, "CANDIDATE_WORK_MAX", work - 1)
    with pytest.raises(LimitExceeded) as caught:
        scorer.candidates(None, hops=2)
    assert caught.value.field == "hops"
    seeds = np.asarray([0, 33], dtype=np.int64)
    seed_work = int(sum(net.degree[net.neighbours(s)].sum() for s in seeds))
    monkeypatch.setattr(hidden_links, "CANDIDATE_WORK_MAX", seed_work - 1)
    with pytest.raises(LimitExceeded) as caught:
        scorer.candidates(seeds, hops=2)
    assert caught.value.field == "ids"
    scorer.candidates(None, hops=1)  # one hop expands nothing


def test_too_many_candidates_are_refused(monkeypatch):
    scorer = Scorer.of(_karate())
    count = scorer.candidates(None, hops=2)[0].size
    monkeypatch.setattr(hidden_links, "CANDIDATES_MAX", count)
    assert scorer.candidates(None, hops=2)[0].size == count
    monkeypatch.setattr(hidden_links, "CANDIDATES_MAX", count - 1)
    with pytest.raises(LimitExceeded) as caught:
        scorer.candidates(None, hops=2)
    assert caught.value.field == "ids"


# -- COMBINED --------------------------------------------------------------------------------------


def _rows(scorer: Scorer, a: int, b: int) -> list[float]:
    return scorer.strength(np.asarray([a]), np.asarray([b]))[:, 0].tolist()


def _combined(scorer: Scorer, a: int, b: int) -> float:
    return float(scorer.score(Method.COMBINED, np.asarray([a]), np.asarray([b]))[0])


def test_a_shared_identifier_counts_more_than_a_shared_neighbour():
    # 0 and 1 share the phone 4 (an identifier); 2 and 3 share the person 5
    net = network_of_links(6, [(0, 4), (4, 1), (2, 5), (3, 5)], identifier=[4])
    scorer = Scorer.of(net)
    assert _rows(scorer, 0, 1) == pytest.approx([0.0, W_IDENTIFIER, 0.0, 0.0])
    assert _rows(scorer, 2, 3) == pytest.approx([0.0, 0.0, W_NEIGHBOUR, 0.0])
    assert _combined(scorer, 0, 1) == pytest.approx(1 - math.exp(-W_IDENTIFIER))
    assert _combined(scorer, 2, 3) == pytest.approx(1 - math.exp(-W_NEIGHBOUR))
    assert _combined(scorer, 0, 1) > _combined(scorer, 2, 3)


def test_a_phone_shared_by_two_says_more_than_one_shared_by_ten():
    # phone 20 is used by 0 and 1 only; phone 21 by 2..11
    links = [(0, 20), (1, 20)] + [(p, 21) for p in range(2, 12)]
    net = network_of_links(22, links, identifier=[20, 21])
    scorer = Scorer.of(net)
    assert _rows(scorer, 0, 1)[1] == pytest.approx(W_IDENTIFIER / (2 - 1))
    assert _rows(scorer, 2, 3)[1] == pytest.approx(W_IDENTIFIER / (10 - 1))
    assert _combined(scorer, 0, 1) > _combined(scorer, 2, 3) > 0


def test_grading_weights_scale_the_evidence():
    # 0-2 twice (graded 0.5 and 0.1: the best counts), 2-1 graded 0.25; 3-4 a MET link
    links = [(0, 2), (2, 0), (2, 1), (3, 4), (0, 1)]
    net = network_of_links(
        5,
        links,
        types=[0, 0, 0, 0, 1],
        type_names=("USES", "MET"),
        grades=[0.5, 0.1, 0.25, 1.0, 0.75],
        identifier=[2],
    )
    scorer = Scorer.of(net, frozenset({"USES"}))
    # rows: the MET link (graded 0.75); the identifier 2 (0.5 x 0.25 / (|N(2)| - 1) = 1); the
    # walks of three links from 0 to 1 (every vertex has two neighbours, so no discount):
    # 0-2-0-1, 0-1-0-1 and 0-1-2-1 (walks, so they may pass through the pair's own link)
    walks = 0.5 * 0.5 * 0.75 + 0.75**3 + 0.75 * 0.25 * 0.25
    assert _rows(scorer, 0, 1) == pytest.approx(
        [W_OTHER_LINK * 0.75, W_IDENTIFIER * 0.125, 0.0, W_WALK3 * walks]
    )


def _brute_strength(net: Network, u: int, v: int) -> list[float]:
    g = _nx(net)
    grade = {}
    for p, (a, b) in enumerate(zip(net.src.tolist(), net.dst.tolist(), strict=True)):
        grade[a, b] = grade[b, a] = float(net.grade[p])
    discount = {z: 1 / (g.degree(z) - 1) if g.degree(z) > 1 else 0.0 for z in g}
    other = sum(
        float(net.grade_total[p])
        for p, (a, b) in enumerate(zip(net.src.tolist(), net.dst.tolist(), strict=True))
        if {a, b} == {u, v}
    )
    shared_id = shared_other = walks = 0.0
    for z in set(g[u]) & set(g[v]):
        s = grade[u, z] * grade[z, v] * discount[z]
        if net.identifier[z]:
            shared_id += s
        else:
            shared_other += s
    for a in g[u]:
        for b in g[a]:
            if v in g[b]:
                walks += grade[u, a] * grade[a, b] * grade[b, v] * discount[a] * discount[b]
    return [
        W_OTHER_LINK * other,
        W_IDENTIFIER * shared_id,
        W_NEIGHBOUR * shared_other,
        W_WALK3 * walks,
    ]


def test_combined_evidence_equals_a_brute_force_count():
    net = _layered()
    scorer = Scorer.of(net, frozenset({"MET"}))
    u, v = scorer.candidates(None, hops=3)
    strength = scorer.strength(u, v)
    for i in range(0, u.size, 7):
        assert strength[:, i] == pytest.approx(_brute_strength(net, int(u[i]), int(v[i])))
    combined = scorer.score(Method.COMBINED, u, v)
    assert combined == pytest.approx(1 - np.exp(-strength.sum(axis=0)))
    assert ((combined >= 0) & (combined < 1)).all()


def test_combined_rises_with_every_piece_of_evidence():
    base = _layered(35)  # vertex 34 is alone, for now
    scorer = Scorer.of(base, frozenset({"MET"}))
    u, v = scorer.candidates(None, hops=2)
    before = scorer.score(Method.COMBINED, u, v)
    links, types, grades = _layered_links()
    for i in range(0, u.size, 11):
        a, b = int(u[i]), int(v[i])
        # 34 becomes a common neighbour (through links of the target type); or the pair gets
        # one more link of another type
        for extra, extra_types in (([(a, 34), (34, b)], [0, 0]), ([(a, b)], [1])):
            more = network_of_links(
                35,
                links + extra,
                types=types + extra_types,
                type_names=TYPES,
                grades=grades + [0.5] * len(extra),
                identifier=IDENTIFIERS,
            )
            after = _combined(Scorer.of(more, frozenset({"MET"})), a, b)
            assert after > before[i], (a, b, extra)


def test_explain_lists_the_evidence_behind_a_pair():
    net = _layered()
    scorer = Scorer.of(net, frozenset({"MET"}))
    u, v = scorer.candidates(None, hops=2)
    g = _nx(net)
    pair_of_link = list(
        zip(net.src[net.link_pair].tolist(), net.dst[net.link_pair].tolist(), strict=True)
    )
    for i in range(0, u.size, 13):
        a, b = int(u[i]), int(v[i])
        found = explain(scorer, a, b, limit=100)
        assert (found.u, found.v) == (a, b)
        common = set(g[a]) & set(g[b])
        assert {s.vertex for s in found.shared} == common
        keys = [(-s.strength, s.vertex) for s in found.shared]
        assert keys == sorted(keys)
        for s in found.shared:
            assert s.identifier == bool(net.identifier[s.vertex])
            joining = {
                k
                for k, ends in enumerate(pair_of_link)
                if set(ends) in ({a, s.vertex}, {b, s.vertex})
            }
            assert set(s.links.tolist()) == joining and s.links.size == len(joining)
        rows = _rows(scorer, a, b)
        assert list(found.strengths) == list(EVIDENCE_KINDS)
        assert list(found.strengths.values()) == pytest.approx(rows)
        assert sum(s.strength for s in found.shared if s.identifier) == pytest.approx(rows[1])
        assert sum(s.strength for s in found.shared if not s.identifier) == pytest.approx(rows[2])
        other = {k for k, ends in enumerate(pair_of_link) if set(ends) == {a, b}}
        assert set(found.other_links.tolist()) == other
        assert all(net.type_names[net.link_type[k]] != "MET" for k in other)
    limited = explain(scorer, int(u[0]), int(v[0]), limit=1)
    assert len(limited.shared) <= 1


# -- predict ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", list(Method))
def test_predict_keeps_the_best_pairs_in_order(method):
    net = _layered()
    scorer = Scorer.of(net, frozenset({"MET"}))
    u, v = scorer.candidates(None, hops=2)
    scores = scorer.score(method, u, v)
    threshold = float(np.quantile(scores[scores > 0], 0.3))
    for top, min_score in ((15, None), (500, threshold), (0, None)):
        asked = (method, Method.COMMON_NEIGHBOURS, method)
        found = predict(scorer, asked, None, top=top, min_score=min_score)
        assert found.candidates == u.size
        assert found.methods == tuple(dict.fromkeys(asked))  # each method once
        expected = sorted(
            (-s, a, b)
            for a, b, s in zip(u.tolist(), v.tolist(), scores.tolist(), strict=True)
            if s > 0 and (min_score is None or s >= min_score)
        )[:top]
        assert list(zip(found.u.tolist(), found.v.tolist(), strict=True)) == [
            (a, b) for _, a, b in expected
        ]
        assert found.scores.shape == (len(expected), len(found.methods))
        assert found.scores[:, 0].tolist() == pytest.approx([-s for s, _, _ in expected])
        assert found.scores[:, -1].tolist() == pytest.approx(
            scorer.score(Method.COMMON_NEIGHBOURS, found.u, found.v).tolist()
        )


def test_predict_ties_go_by_the_pairs_ids():
    # a ring of 12: every pair two apart has exactly one common neighbour
    net = network_of_links(12, [(i, (i + 1) % 12) for i in range(12)])
    found = predict(Scorer.of(net), (Method.COMMON_NEIGHBOURS,), None, top=5)
    assert list(zip(found.u.tolist(), found.v.tolist(), strict=True)) == [
        (0, 2),
        (0, 10),
        (1, 3),
        (1, 11),
        (2, 4),
    ]


def test_predict_passes_seeds_and_allowed_through():
    net = _layered()
    scorer = Scorer.of(net, frozenset({"MET"}))
    allowed = np.arange(34) % 4 != 1
    found = predict(scorer, (Method.ADAMIC_ADAR,), np.asarray([0, 33]), top=1000, allowed=allowed)
    pairs = set(zip(found.u.tolist(), found.v.tolist(), strict=True))
    assert pairs <= _brute_candidates(net, {"MET"}, 2, seeds={0, 33}, allowed=allowed)
    assert pairs and all(0 in p or 33 in p for p in pairs)


def test_predict_arguments_are_checked():
    scorer = Scorer.of(_karate())
    with pytest.raises(InvalidInput) as caught:
        predict(scorer, (), None)
    assert caught.value.field == "methods"
    with pytest.raises(InvalidInput) as caught:
        predict(scorer, (Method.JACCARD,), None, top=-1)
    assert caught.value.field == "top"


def test_empty_network_has_no_candidates():
    scorer = Scorer.of(network_of_links(0, []))
    found = predict(scorer, (Method.COMBINED,), None)
    assert found.candidates == 0 and found.u.size == 0
