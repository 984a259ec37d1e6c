"""Centrality: every measure against networkx or python-igraph, sampling, ranking, limits."""

from __future__ import annotations

import igraph
import networkx as nx
import numpy as np
import pytest
from scipy.stats import spearmanr

from graphsvc.analytics import centrality
from graphsvc.analytics.centrality import Measure, rank
from graphsvc.analytics.network import Network
from graphsvc.errors import InvalidInput, LimitExceeded
from tests.analytics.conftest import network_of_graph, network_of_links


def _weighted_karate() -> Network:
    """Karate club with 1 to 4 parallel links per pair (so weights differ from hop counts)."""
    g = igraph.Graph.Famous("Zachary")
    rng = np.random.default_rng(3)
    links = [e for e in g.get_edgelist() for _ in range(int(rng.integers(1, 5)))]
    return network_of_links(34, links)


def _two_components() -> Network:
    # a path 0-1-2-3, a triangle 4-5-6 with a tail 6-7, and an isolated vertex 8
    links = [(0, 1), (1, 2), (2, 3), (4, 5), (5, 6), (6, 4), (6, 7), (1, 2)]
    return network_of_links(9, links)


def _nx(net: Network) -> nx.Graph:
    g = nx.Graph()
    g.add_nodes_from(range(net.n))
    for a, b, w in zip(net.src.tolist(), net.dst.tolist(), net.weight.tolist(), strict=True):
        g.add_edge(a, b, weight=w)
    return g


def _as_array(values: dict[int, float], n: int) -> np.ndarray:
    return np.asarray([values[v] for v in range(n)], dtype=np.float64)


NETWORKS = {
    "karate": _weighted_karate,
    "components": _two_components,
    "lollipop": lambda: network_of_graph(nx_to_igraph(nx.lollipop_graph(6, 5))),
}


def nx_to_igraph(g: nx.Graph) -> igraph.Graph:
    return igraph.Graph(n=g.number_of_nodes(), edges=list(g.edges()))


@pytest.mark.parametrize("name", NETWORKS)
def test_degree_and_weighted_degree(name):
    net = NETWORKS[name]()
    g = _nx(net)
    degree = rank(net, Measure.DEGREE, top=net.n)
    assert degree.scores.tolist() == [g.degree(v) for v in range(net.n)]
    strength = rank(net, Measure.WEIGHTED_DEGREE, top=net.n)
    assert strength.scores.tolist() == pytest.approx(
        [g.degree(v, weight="weight") for v in range(net.n)]
    )
    assert strength.weighted and not degree.weighted
    if name == "karate":  # weights matter here
        assert strength.scores.tolist() != degree.scores.tolist()


@pytest.mark.parametrize("name", NETWORKS)
def test_betweenness_exact_counts_hops(name):
    net = NETWORKS[name]()
    found = rank(net, Measure.BETWEENNESS, top=5)
    expected = _as_array(nx.betweenness_centrality(_nx(net), normalized=False), net.n)
    assert found.scores == pytest.approx(expected)
    assert not found.sampled and found.samples is None


@pytest.mark.parametrize("name", NETWORKS)
def test_closeness_over_reachable_entities(name):
    net = NETWORKS[name]()
    found = rank(net, Measure.CLOSENESS)
    # igraph's definition: the inverse mean distance to the reachable entities (0 when none)
    expected = _as_array(nx.closeness_centrality(_nx(net), wf_improved=False), net.n)
    assert found.scores == pytest.approx(expected)


@pytest.mark.parametrize("name", NETWORKS)
def test_harmonic_is_the_mean_inverse_distance(name):
    net = NETWORKS[name]()
    found = rank(net, Measure.HARMONIC)
    expected = _as_array(nx.harmonic_centrality(_nx(net)), net.n) / (net.n - 1)
    assert found.scores == pytest.approx(expected)


@pytest.mark.parametrize("name", ["karate", "lollipop"])
def test_pagerank_is_weighted(name):
    net = NETWORKS[name]()
    found = rank(net, Measure.PAGERANK)
    expected = _as_array(
        nx.pagerank(_nx(net), alpha=0.85, weight="weight", tol=1e-10, max_iter=1000), net.n
    )
    assert found.scores == pytest.approx(expected, abs=1e-6)
    assert found.scores.sum() == pytest.approx(1.0)
    unweighted = _as_array(
        nx.pagerank(_nx(net), alpha=0.85, weight=None, tol=1e-10, max_iter=1000), net.n
    )
    if name == "karate":
        assert not np.allclose(found.scores, unweighted, atol=1e-4)


@pytest.mark.parametrize("name", ["karate", "lollipop"])
def test_eigenvector_is_weighted_and_scaled_to_one(name):
    net = NETWORKS[name]()
    found = rank(net, Measure.EIGENVECTOR)
    expected = _as_array(nx.eigenvector_centrality_numpy(_nx(net), weight="weight"), net.n)
    expected = np.abs(expected) / np.abs(expected).max()
    assert found.scores == pytest.approx(expected, abs=1e-6)
    assert found.scores.max() == pytest.approx(1.0)


def test_top_is_the_highest_scores_with_ties_by_entity_id():
    net = _weighted_karate()
    for measure in Measure:
        found = rank(net, measure, top=7)
        expected = sorted(range(net.n), key=lambda v: (-found.scores[v], v))[:7]
        assert found.top.tolist() == expected, measure
    # a star's leaves tie exactly on degree: they come in id order after the hub
    star = network_of_links(8, [(5, v) for v in range(8) if v != 5])
    assert rank(star, Measure.DEGREE, top=8).top.tolist() == [5, 0, 1, 2, 3, 4, 6, 7]
    assert rank(star, Measure.DEGREE, top=0).top.tolist() == []
    assert rank(star, Measure.BETWEENNESS, top=3).top.tolist() == [5, 0, 1]


def test_pagerank_ties_go_by_entity_id():
    """Symmetric vertices get scores equal but for their last bits: id order decides."""
    star = network_of_links(12, [(0, v) for v in range(1, 12)])
    assert rank(star, Measure.PAGERANK, top=12).top.tolist() == list(range(12))


def test_sampled_betweenness_is_seeded_and_scaled():
    with_seed = nx.gnm_random_graph(300, 1200, seed=4)
    net = network_of_graph(nx_to_igraph(with_seed))
    exact = rank(net, Measure.BETWEENNESS, top=20).scores
    sampled = rank(net, Measure.BETWEENNESS, top=20, samples=150, seed=9)
    assert sampled.sampled and sampled.samples == 150
    again = rank(net, Measure.BETWEENNESS, top=20, samples=150, seed=9)
    assert again.scores.tolist() == sampled.scores.tolist()
    other = rank(net, Measure.BETWEENNESS, top=20, samples=150, seed=10)
    assert other.scores.tolist() != sampled.scores.tolist()
    # Brandes & Pich: unbiased, so close to the exact value in total and in order
    assert sampled.scores.sum() == pytest.approx(exact.sum(), rel=0.1)
    assert spearmanr(sampled.scores, exact).statistic > 0.9
    busiest = np.argsort(-exact)[:30]
    assert np.median(np.abs(sampled.scores[busiest] / exact[busiest] - 1)) < 0.25
    # the estimate is the scaled sum over the sampled sources
    sources = np.sort(np.random.default_rng(9).choice(300, size=150, replace=False))
    partial = _nx_source_betweenness(with_seed, sources.tolist())
    assert sampled.scores == pytest.approx(partial * 300 / 150)
    # as many samples as entities is the exact answer
    full = rank(net, Measure.BETWEENNESS, samples=300)
    assert not full.sampled and full.scores == pytest.approx(exact)


def _nx_source_betweenness(g: nx.Graph, sources: list[int]) -> np.ndarray:
    """Brandes' dependencies summed over ``sources`` (undirected: halved)."""
    scores = nx.betweenness_centrality_subset(g, sources, list(g.nodes()), normalized=False)
    return _as_array(scores, g.number_of_nodes())


def test_large_networks_sample_by_default(monkeypatch):
    net = network_of_graph(nx_to_igraph(nx.gnm_random_graph(80, 300, seed=1)))
    monkeypatch.setattr(centrality, "BETWEENNESS_EXACT_MAX", 50)
    monkeypatch.setattr(centrality, "BETWEENNESS_SAMPLES", 20)
    found = rank(net, Measure.BETWEENNESS)
    assert found.sampled and found.samples == 20


@pytest.mark.parametrize("measure", [m for m in Measure if m is not Measure.BETWEENNESS])
def test_only_betweenness_samples(measure):
    with pytest.raises(InvalidInput) as caught:
        rank(_two_components(), measure, samples=3)
    assert caught.value.field == "samples"


def test_bad_samples_and_top_are_refused():
    with pytest.raises(InvalidInput) as caught:
        rank(_two_components(), Measure.BETWEENNESS, samples=0)
    assert caught.value.field == "samples"
    with pytest.raises(InvalidInput) as caught:
        rank(_two_components(), Measure.DEGREE, top=-1)
    assert caught.value.field == "top"


@pytest.mark.parametrize("measure", [Measure.CLOSENESS, Measure.HARMONIC])
def test_path_measures_refuse_too_much_work(monkeypatch, measure):
    net = _weighted_karate()  # 34 entities x 78 pairs
    monkeypatch.setattr(centrality, "PATH_WORK_MAX", 34 * 78)
    rank(net, measure)
    monkeypatch.setattr(centrality, "PATH_WORK_MAX", 34 * 78 - 1)
    with pytest.raises(LimitExceeded) as caught:
        rank(net, measure)
    assert caught.value.field == "measure"
    rank(net, Measure.PAGERANK)  # not a path measure


@pytest.mark.parametrize("measure", list(Measure))
def test_empty_network(measure):
    found = rank(network_of_links(0, []), measure)
    assert found.scores.size == 0 and found.top.size == 0
