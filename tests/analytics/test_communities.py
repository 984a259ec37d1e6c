"""Community detection: every algorithm against python-igraph called directly, numbering, fabric."""

from __future__ import annotations

import itertools
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import igraph
import numpy as np
import pytest

from graphsvc.analytics import communities
from graphsvc.analytics.communities import Algorithm, detect, modularity
from graphsvc.analytics.network import Network, seeded
from graphsvc.errors import InvalidInput, LimitExceeded
from tests.analytics.conftest import network_of_links, planted_partition

ALGORITHMS = list(Algorithm)


def _karate(weighted: bool = True) -> Network:
    """Zachary's karate club; when ``weighted``, some pairs carry several links of two types."""
    g = igraph.Graph.Famous("Zachary")
    edges = [tuple(e) for e in g.get_edgelist()]
    links, types = [], []
    rng = np.random.default_rng(11)
    for a, b in edges:
        copies = int(rng.integers(1, 4)) if weighted else 1
        for c in range(copies):
            links.append((a, b) if c % 2 == 0 else (b, a))
            types.append(int(rng.integers(0, 2)))
    return network_of_links(34, links, types=types, type_names=("MET", "CALLED"))


def _planted() -> Network:
    return network_of_links(60, planted_partition(4, 15, 0.5, 0.03, seed=2))


NETWORKS = {"karate": _karate, "karate-unweighted": lambda: _karate(False), "planted": _planted}


def _igraph_membership(net: Network, algorithm: Algorithm, seed: int, gamma: float = 1.0):
    """The same algorithm called on python-igraph directly, on an independently built graph."""
    g = igraph.Graph(n=net.n, edges=list(zip(net.src.tolist(), net.dst.tolist(), strict=True)))
    g.es["weight"] = net.weight.tolist()
    if algorithm is Algorithm.WALKTRAP:
        return g.community_walktrap(weights="weight", steps=4).as_clustering().membership, g
    with seeded(seed):
        if algorithm is Algorithm.LEIDEN:
            found = g.community_leiden(
                objective_function="modularity", weights="weight", resolution=gamma
            )
        elif algorithm is Algorithm.LOUVAIN:
            found = g.community_multilevel(weights="weight", resolution=gamma)
        elif algorithm is Algorithm.LABEL_PROPAGATION:
            found = g.community_label_propagation(weights="weight")
        else:
            found = g.community_infomap(edge_weights="weight")
    return found.membership, g


def _canonical(membership: list[int]) -> list[int]:
    """Communities renumbered by size (largest first), then by their smallest member."""
    groups: dict[int, list[int]] = {}
    for v, c in enumerate(membership):
        groups.setdefault(c, []).append(v)
    order = sorted(groups.values(), key=lambda members: (-len(members), min(members)))
    out = [0] * len(membership)
    for rank, members in enumerate(order):
        for v in members:
            out[v] = rank
    return out


@pytest.mark.parametrize("name", NETWORKS)
@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("seed", [0, 7])
def test_each_algorithm_is_igraphs_with_the_same_seed(name, algorithm, seed):
    net = NETWORKS[name]()
    found = detect(net, algorithm, seed=seed)
    direct, g = _igraph_membership(net, algorithm, seed)
    assert igraph.compare_communities(found.membership.tolist(), direct, method="nmi") == (
        pytest.approx(1.0)
    )
    assert found.membership.tolist() == _canonical(direct)
    assert found.modularity == pytest.approx(g.modularity(direct, weights="weight"))
    assert found.count == len(set(direct))
    assert (found.algorithm, found.seed, found.resolution) == (algorithm, seed, 1.0)
    assert found.count > 1  # these networks have structure every algorithm finds


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_the_same_seed_gives_the_same_answer(algorithm):
    net = _planted()
    first = detect(net, algorithm, seed=5)
    for _ in range(3):
        assert detect(net, algorithm, seed=5).membership.tolist() == first.membership.tolist()


def test_concurrent_runs_with_one_seed_agree():
    net = _karate()
    expected = detect(net, Algorithm.LOUVAIN, seed=3).membership.tolist()
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = list(pool.map(lambda _: detect(net, Algorithm.LOUVAIN, seed=3), range(12)))
    assert all(r.membership.tolist() == expected for r in runs)


def test_planted_partition_is_recovered():
    net = _planted()
    truth = [v // 15 for v in range(60)]
    for algorithm in ALGORITHMS:
        found = detect(net, algorithm, seed=1).membership.tolist()
        # label propagation may merge two blocks on some seeds; the others find all four
        floor = 0.8 if algorithm is Algorithm.LABEL_PROPAGATION else 0.99
        assert igraph.compare_communities(found, truth, method="nmi") > floor, algorithm


@pytest.mark.parametrize("resolution", [0.5, 1.0, 2.0])
@pytest.mark.parametrize("algorithm", [Algorithm.LEIDEN, Algorithm.LOUVAIN])
def test_resolution_is_passed_and_modularity_reported_at_one(algorithm, resolution):
    net = _karate()
    found = detect(net, algorithm, resolution=resolution, seed=4)
    direct, g = _igraph_membership(net, algorithm, 4, resolution)
    assert found.membership.tolist() == _canonical(direct)
    assert found.resolution == resolution
    assert found.modularity == pytest.approx(g.modularity(direct, weights="weight"))
    assert modularity(net, found.membership, resolution) == pytest.approx(
        g.modularity(direct, weights="weight", resolution=resolution)
    )


def test_modularity_equals_igraphs_for_arbitrary_partitions():
    net = _karate()
    g = net.graph
    rng = np.random.default_rng(0)
    for k in (1, 2, 5, 34):
        membership = rng.integers(0, k, size=net.n)
        for gamma in (1.0, 0.3):
            assert modularity(net, membership, gamma) == pytest.approx(
                g.modularity(membership.tolist(), weights="weight", resolution=gamma)
            )


def _ring_of_cliques(cliques: int, size: int) -> Network:
    links = []
    for c in range(cliques):
        base = c * size
        links += [(base + a, base + b) for a, b in itertools.combinations(range(size), 2)]
        links.append((base, ((c + 1) % cliques) * size + 1))
    return network_of_links(cliques * size, links)


@pytest.mark.parametrize("algorithm", [Algorithm.LEIDEN, Algorithm.LOUVAIN])
def test_higher_resolution_finds_at_least_as_many_communities(algorithm):
    net = _ring_of_cliques(30, 4)
    counts = [detect(net, algorithm, resolution=r, seed=0).count for r in (0.2, 1.0, 3.0)]
    assert counts == sorted(counts)
    assert counts[0] < counts[2]
    assert counts[2] >= 30  # every clique on its own at high resolution


def test_communities_are_numbered_largest_first_then_by_first_member():
    for name, make in NETWORKS.items():
        for algorithm in ALGORITHMS:
            found = detect(make(), algorithm, seed=2)
            sizes = np.bincount(found.membership)
            firsts = [int(np.flatnonzero(found.membership == c)[0]) for c in range(found.count)]
            keys = list(zip((-sizes).tolist(), firsts, strict=True))
            assert keys == sorted(keys), (name, algorithm)
            assert [c.id for c in found.communities] == list(range(found.count))


def test_ties_in_size_go_by_first_member_id():
    # three disjoint triangles, given in scrambled vertex order: all of size 3
    links = [(4, 7), (7, 8), (8, 4), (0, 5), (5, 2), (2, 0), (1, 3), (3, 6), (6, 1)]
    net = network_of_links(9, links)
    for algorithm in ALGORITHMS:
        found = detect(net, algorithm)
        assert found.membership.tolist() == [0, 1, 0, 1, 2, 0, 1, 2, 2], algorithm


def test_min_size_and_limit_choose_the_described_communities():
    # cliques of 5, 4, 4 and 3, two lone pairs and one isolated vertex
    links, base, groups = [], 0, []
    for size in (3, 5, 2, 4, 2, 4):
        groups.append(list(range(base, base + size)))
        links += [(base + a, base + b) for a, b in itertools.combinations(range(size), 2)]
        base += size
    net = network_of_links(base + 1, links)
    found = detect(net, Algorithm.LEIDEN, min_size=3)
    assert found.count == 7 and found.shown_of == 4
    assert [c.size for c in found.communities] == [5, 4, 4, 3]
    assert [c.members.min() for c in found.communities] == [3, 10, 16, 0]
    limited = detect(net, Algorithm.LEIDEN, min_size=3, limit=2)
    assert [c.id for c in limited.communities] == [0, 1] and limited.shown_of == 4
    everyone = detect(net, Algorithm.LEIDEN)
    assert len(everyone.communities) == everyone.shown_of == everyone.count == 7
    assert [c.size for c in everyone.communities] == [5, 4, 4, 3, 2, 2, 1]
    assert detect(net, Algorithm.LEIDEN, min_size=6).communities == []


def test_each_community_describes_its_fabric():
    net = _karate()
    found = detect(net, Algorithm.LOUVAIN, seed=1)
    membership = found.membership.tolist()
    pairs = list(zip(net.src.tolist(), net.dst.tolist(), strict=True))
    raw = [(pairs[p], net.type_names[t]) for p, t in zip(net.link_pair, net.link_type, strict=True)]
    assert len(found.communities) == found.count
    for community in found.communities:
        members = {v for v, c in enumerate(membership) if c == community.id}
        assert set(community.members.tolist()) == members
        inside = [p for p in pairs if p[0] in members and p[1] in members]
        assert community.pairs == len(inside)
        assert community.density == pytest.approx(
            len(inside) / (len(members) * (len(members) - 1) / 2)
        )
        raw_inside = [t for (a, b), t in raw if a in members and b in members]
        assert community.links == len(raw_inside)
        assert community.link_types == dict(Counter(raw_inside))
        strength = {
            v: sum(
                w
                for (a, b), w in zip(pairs, net.weight.tolist(), strict=True)
                if v in (a, b) and a in members and b in members
            )
            for v in members
        }
        expected_order = sorted(members, key=lambda v: (-strength[v], v))
        assert community.members.tolist() == expected_order
        assert community.centrality.tolist() == pytest.approx([strength[v] for v in expected_order])


def test_density_of_a_single_member_is_zero():
    net = network_of_links(3, [(0, 1)])
    found = detect(net, Algorithm.LEIDEN)
    assert [(c.size, c.pairs, c.density) for c in found.communities] == [(2, 1, 1.0), (1, 0, 0.0)]


@pytest.mark.parametrize(
    "algorithm", [Algorithm.LABEL_PROPAGATION, Algorithm.INFOMAP, Algorithm.WALKTRAP]
)
def test_resolution_is_refused_where_it_does_not_apply(algorithm):
    with pytest.raises(InvalidInput) as caught:
        detect(_karate(), algorithm, resolution=1.0)
    assert caught.value.field == "resolution"


@pytest.mark.parametrize("resolution", [0.0, -1.0, float("nan")])
def test_resolution_must_be_positive(resolution):
    with pytest.raises(InvalidInput) as caught:
        detect(_karate(), Algorithm.LEIDEN, resolution=resolution)
    assert caught.value.field == "resolution"


def test_min_size_must_be_positive():
    with pytest.raises(InvalidInput) as caught:
        detect(_karate(), Algorithm.LEIDEN, min_size=0)
    assert caught.value.field == "minSize"


def test_walktrap_refuses_networks_over_its_limit(monkeypatch):
    net = _karate()
    monkeypatch.setattr(communities, "WALKTRAP_MAX_VERTICES", 33)
    with pytest.raises(LimitExceeded) as caught:
        detect(net, Algorithm.WALKTRAP)
    assert caught.value.field == "algorithm"
    detect(net, Algorithm.LEIDEN)  # the others are not limited
    monkeypatch.setattr(communities, "WALKTRAP_MAX_VERTICES", 34)
    assert detect(net, Algorithm.WALKTRAP).count > 1


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_empty_and_edgeless_networks(algorithm):
    empty = detect(network_of_links(0, []), algorithm)
    assert (empty.count, empty.shown_of, empty.communities, empty.modularity) == (0, 0, [], 0.0)
    assert empty.membership.size == 0
    lonely = detect(network_of_links(3, []), algorithm)
    assert lonely.membership.tolist() == [0, 1, 2] and lonely.modularity == 0.0
    assert [c.members.tolist() for c in lonely.communities] == [[0], [1], [2]]
