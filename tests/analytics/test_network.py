"""The analysed network: collapsing links into pairs, cutting it from a store view, its order."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from graphsvc.analytics import centrality, communities
from graphsvc.analytics.network import FLOOR, Network, Selection, Weighting, network_of, ranked
from graphsvc.model.schema import Schema
from graphsvc.store.embedded import EmbeddedStore
from graphsvc.store.protocol import OPEN, GraphStore, LinkFilter
from tests.analytics.conftest import network_of_links
from tests.conftest import link, load, scope_of

# -- Network.collapse ------------------------------------------------------------------------------

# raw links over 6 vertices: (src, dst, type, weight, grade)
RAW = [
    (1, 0, 0, 2.0, 0.5),
    (0, 1, 1, 3.0, 1.0),
    (0, 1, 0, 0.0, 0.25),
    (2, 2, 0, 7.0, 1.0),  # self-loop: dropped
    (3, 1, 2, 1.5, 0.75),
    (4, 0, 1, 0.0, 0.0625),
    (1, 3, 0, 4.0, 0.5),
    (2, 4, 2, 0.0, 0.125),
    (4, 2, 2, 0.0, 0.5),
]
TYPES = ("MET", "CALLED", "USES")


def _collapsed(floor: bool = False) -> Network:
    return network_of_links(
        6,
        [(a, b) for a, b, *_ in RAW],
        types=[t for _, _, t, _, _ in RAW],
        type_names=TYPES,
        weights=[w for *_, w, _ in RAW],
        grades=[g for *_, g in RAW],
        identifier=[4],
        floor=floor,
    )


def _brute_pairs() -> dict[tuple[int, int], list[tuple[int, float, float]]]:
    pairs: dict[tuple[int, int], list[tuple[int, float, float]]] = {}
    for a, b, t, w, g in RAW:
        if a != b:
            pairs.setdefault((min(a, b), max(a, b)), []).append((t, w, g))
    return pairs


@pytest.mark.parametrize("floor", [False, True])
def test_collapse_sums_counts_and_grades_parallel_links(floor):
    net = _collapsed(floor)
    expected = _brute_pairs()
    keys = sorted(expected)
    assert list(zip(net.src.tolist(), net.dst.tolist(), strict=True)) == keys
    assert (net.src < net.dst).all()
    assert net.m == len(keys) and net.n == 6
    assert net.links.tolist() == [len(expected[k]) for k in keys]
    assert net.grade.tolist() == [max(g for _, _, g in expected[k]) for k in keys]
    assert net.grade_total.tolist() == pytest.approx(
        [sum(g for *_, g in expected[k]) for k in keys]
    )
    sums = [sum(w for _, w, _ in expected[k]) for k in keys]
    if floor:  # a pair with nothing to sum keeps FLOOR so it still joins its ends
        sums = [s if s > 0 else FLOOR for s in sums]
    assert net.weight.tolist() == pytest.approx(sums)
    assert (FLOOR if floor else 0.0) in net.weight.tolist()  # the (2, 4) pair sums nothing
    assert net.link_count == sum(1 for a, b, *_ in RAW if a != b) == net.link_pair.size


def test_collapse_keeps_each_raw_link_with_its_pair_and_type():
    net = _collapsed()
    kept = [r for r in RAW if r[0] != r[1]]
    assert net.link_type.tolist() == [t for _, _, t, _, _ in kept]
    for i, (a, b, *_) in enumerate(kept):
        pair = net.link_pair[i]
        assert (net.src[pair], net.dst[pair]) == (min(a, b), max(a, b))
    for pair in range(net.m):
        behind = net.links_of(pair)
        assert behind.size == net.links[pair]
        assert all(net.link_pair[i] == pair for i in behind)


def test_collapse_drops_self_loops_and_keeps_isolated_vertices():
    net = network_of_links(3, [(0, 0), (1, 1), (2, 2)])
    assert net.n == 3 and net.m == 0 and net.link_count == 0
    assert net.degree.tolist() == [0, 0, 0]
    assert net.pair_index(np.array([0, 1]), np.array([1, 2])).tolist() == [-1, -1]


def test_pair_index_neighbours_degree_and_strength():
    net = _collapsed()
    expected = _brute_pairs()
    keys = sorted(expected)
    low, high = np.triu_indices(6, k=1)
    found = net.pair_index(low, high)
    for a, b, p in zip(low.tolist(), high.tolist(), found.tolist(), strict=True):
        assert p == (keys.index((a, b)) if (a, b) in expected else -1)
    for v in range(6):
        nbrs = sorted({b for a, b in keys if a == v} | {a for a, b in keys if b == v})
        assert net.neighbours(v).tolist() == nbrs
        assert net.degree[v] == len(nbrs)
        weight = sum(w for k in keys if v in k for _, w, _ in expected[k])
        assert net.strength[v] == pytest.approx(weight)
    dense = net.adjacency().toarray()
    assert (dense == dense.T).all() and dense.sum() == 2 * net.m
    assert net.identifier.tolist() == [False, False, False, False, True, False]


def test_the_igraph_graph_is_the_simple_weighted_network():
    net = _collapsed(floor=True)
    g = net.graph
    assert g.vcount() == net.n and g.ecount() == net.m and not g.is_directed()
    assert g.is_simple()
    assert sorted(g.get_edgelist()) == list(zip(net.src.tolist(), net.dst.tolist(), strict=True))
    assert g.es["weight"] == net.weight.tolist()


def test_ranked_orders_by_score_then_vertex():
    scores = np.array([1.0, 3.0, 3.0, 0.0, 3.0, 2.0])
    assert ranked(scores, 4).tolist() == [1, 2, 4, 5]
    assert ranked(scores, 0).tolist() == []


# -- network_of on a store view --------------------------------------------------------------------

P1, P2, P3 = "phone:+33612345678", "phone:+33698765432", "phone:+33611111111"


@dataclass(frozen=True)
class Raw:
    id: str
    type: str
    a: str
    b: str
    date: str | None
    grading: tuple[str, str]
    props: dict[str, Any]
    secret: bool = False

    @property
    def t(self) -> float | None:
        if self.date is None:
            return None
        return datetime.fromisoformat(self.date).replace(tzinfo=UTC).timestamp()


RAWS = [
    Raw("m1", "MET", "a", "b", "2024-01-10T12:00:00", ("A", "1"), {}),
    Raw("m2", "MET", "b", "a", "2024-02-10T12:00:00", ("C", "3"), {}),
    Raw("m3", "MET", "b", "c", "2024-03-10T12:00:00", ("B", "2"), {}),
    Raw("m4", "MET", "d", "e", "2024-03-11T12:00:00", ("A", "2"), {}, secret=True),
    Raw("c1", "CALLED", P1, P2, "2024-02-01T08:00:00", ("X", "4"), {"durationSeconds": 60}),
    Raw("c2", "CALLED", P2, P1, "2024-05-01T08:00:00", ("B", "1"), {"durationSeconds": 30}),
    Raw("c3", "CALLED", P2, P3, "2024-06-01T08:00:00", ("A", "3"), {}),
    Raw("u1", "USES", "a", P1, None, ("B", "2"), {}),
    Raw("l1", "LIVES_AT", "c", "addr1", None, ("C", "1"), {}),
    Raw("l2", "LIVES_AT", "d", "addr1", None, ("A", "4"), {}),
]
SECRET_FR = {"classification": "SECRET", "releasableTo": ["FR"], "originator": "FR-OCRTEH"}
TYPE_OF = {"a": "Person", "b": "Person", "c": "Person", "d": "Person", "e": "Person"}
TYPE_OF.update({P1: "Phone", P2: "Phone", P3: "Phone", "addr1": "Address"})


def _record(raw: Raw) -> dict[str, Any]:
    ends = [{"id": x, "type": TYPE_OF.get(x, "Person")} for x in (raw.a, raw.b)]
    props = dict(raw.props)
    if raw.date is not None:
        props["date"] = raw.date + "Z"
    record = link(
        raw.id, ends[0], ends[1], raw.type, handling=SECRET_FR if raw.secret else None, **props
    )
    record["grading"] = {"source": raw.grading[0], "information": raw.grading[1]}
    return record


def _grade(schema: Schema, raw: Raw) -> float:
    policy = schema.policy
    return (
        policy.source_grades[raw.grading[0]].weight
        * policy.information_grades[raw.grading[1]].weight
    )


def _identifiers(schema: Schema) -> frozenset[str]:
    return frozenset(t.name for t in schema.entities.values() if t.identifier)


def _loaded(store: GraphStore, raws: list[Raw]) -> GraphStore:
    report = load(store, [_record(r) for r in raws])
    assert report.rejected == 0, report.problems
    return store


def _open_store(path: Path, schema: Schema, raws: list[Raw]) -> EmbeddedStore:
    store = EmbeddedStore(path, schema)
    _loaded(store, raws)
    return store


@pytest.fixture
def graph_store(store):
    return _loaded(store, RAWS)


def _expected(
    schema: Schema,
    raws: list[Raw],
    *,
    secret: bool = True,
    types: set[str] | None = None,
    since: float | None = None,
    until: float | None = None,
    ids: tuple[str, ...] | None = None,
    hops: int = 2,
    values: str | None = None,
) -> tuple[list[str], dict[tuple[int, int], list[Raw]]]:
    """The vertex ids and the raw links of each pair, by brute force over the records."""
    visible = [r for r in raws if secret or not r.secret]
    everyone = sorted({x for r in visible for x in (r.a, r.b)})
    allowed = [
        r
        for r in visible
        if (types is None or r.type in types)
        and (since is None or (r.t is not None and r.t >= since))
        and (until is None or (r.t is not None and r.t <= until))
    ]
    if ids is None:  # every entity with a link in scope
        vertices = sorted({x for r in allowed for x in (r.a, r.b)})
    else:
        distance = {i: 0 for i in ids if i in everyone}
        queue = deque(distance)
        while queue:
            x = queue.popleft()
            if distance[x] == hops:
                continue
            for r in allowed:
                for here, there in ((r.a, r.b), (r.b, r.a)):
                    if here == x and there not in distance:
                        distance[there] = distance[x] + 1
                        queue.append(there)
        vertices = sorted(distance)
    index = {v: i for i, v in enumerate(vertices)}
    pairs: dict[tuple[int, int], list[Raw]] = {}
    for r in allowed:
        if r.a in index and r.b in index and r.a != r.b:
            i, j = index[r.a], index[r.b]
            pairs.setdefault((min(i, j), max(i, j)), []).append(r)
    return vertices, pairs


def _check(schema: Schema, net: Network, expected: Any, weighting: Weighting, prop: str = ""):
    vertices, pairs = expected
    keys = sorted(pairs)
    assert net.ids.tolist() == vertices
    assert list(zip(net.src.tolist(), net.dst.tolist(), strict=True)) == keys
    assert net.links.tolist() == [len(pairs[k]) for k in keys]
    grades = [[_grade(schema, r) for r in pairs[k]] for k in keys]
    assert net.grade.tolist() == pytest.approx([max(g) for g in grades])
    assert net.grade_total.tolist() == pytest.approx([sum(g) for g in grades])
    if weighting is Weighting.COUNT:
        weights = [float(len(pairs[k])) for k in keys]
    elif weighting is Weighting.GRADING:
        weights = [sum(g) for g in grades]
    else:
        weights = [max(sum(r.props.get(prop, 0) for r in pairs[k]), FLOOR) for k in keys]
    assert net.weight.tolist() == pytest.approx(weights)
    raw = Counter(
        (int(net.src[p]), int(net.dst[p]), net.type_names[t])
        for p, t in zip(net.link_pair.tolist(), net.link_type.tolist(), strict=True)
    )
    assert raw == Counter((k[0], k[1], r.type) for k in keys for r in pairs[k])
    identifier = [TYPE_OF.get(v, "Person") in ("Phone", "Address") for v in vertices]
    assert net.identifier.tolist() == identifier


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def test_schema_marks_addresses_and_selectors_as_identifiers(schema):
    assert _identifiers(schema) >= {"Address", "Phone", "Email", "BankAccount", "Vehicle"}
    assert "Person" not in _identifiers(schema) and "Organization" not in _identifiers(schema)


@pytest.mark.parametrize("weighting", [Weighting.COUNT, Weighting.GRADING])
def test_whole_visible_graph(graph_store, schema, weighting):
    scope = scope_of(schema)
    view = graph_store.view(scope)
    net = network_of(view, Selection(OPEN, weighting=weighting), _identifiers(schema))
    _check(schema, net, _expected(schema, RAWS), weighting)
    # the raw links point back at the view's edges and vertices
    assert view.vertex_ids[net.vertex_view].tolist() == net.ids.tolist()
    ids = {lk.id for lk in graph_store.links_at(scope, view, net.link_edge.tolist())}
    assert ids == {r.id for r in RAWS}


def test_a_narrower_scope_sees_a_narrower_network(graph_store, schema):
    scope = scope_of(schema, clearance="CONFIDENTIAL")
    net = network_of(graph_store.view(scope), Selection(OPEN), _identifiers(schema))
    _check(schema, net, _expected(schema, RAWS, secret=False), Weighting.COUNT)


def test_sum_weighting_sums_the_property_with_a_floor(graph_store, schema):
    scope = scope_of(schema)
    view = graph_store.view(scope)
    values = graph_store.link_numbers(scope, view, "durationSeconds")
    chosen = Selection(OPEN, weighting=Weighting.SUM, weight_property="durationSeconds")
    net = network_of(view, chosen, _identifiers(schema), values)
    _check(schema, net, _expected(schema, RAWS), Weighting.SUM, "durationSeconds")
    low, high = np.sort(_positions(net, P1, P2))
    assert net.weight[net.pair_index(np.array([low]), np.array([high]))] == pytest.approx([90.0])
    with pytest.raises(ValueError, match="values"):
        network_of(
            view,
            Selection(OPEN, weighting=Weighting.SUM, weight_property="other"),
            _identifiers(schema),
        )


def _positions(net: Network, *ids: str) -> np.ndarray:
    return np.asarray([net.ids.tolist().index(i) for i in ids], dtype=np.int64)


@pytest.mark.parametrize(
    ("types", "since", "until"),
    [
        ({"MET"}, None, None),
        ({"CALLED", "USES"}, None, None),
        (None, "2024-02-01T08:00:00", "2024-05-01T08:00:00"),  # inclusive bounds
        (None, "2024-02-10T12:00:01", None),
        ({"MET", "LIVES_AT"}, None, "2024-02-10T12:00:00"),
    ],
)
def test_link_filter_restricts_the_pairs(graph_store, schema, types, since, until):
    flt = LinkFilter(
        types=frozenset(types) if types else None,
        since=int(_epoch(since)) if since else None,
        until=int(_epoch(until)) if until else None,
    )
    net = network_of(graph_store.view(scope_of(schema)), Selection(flt), _identifiers(schema))
    expected = _expected(
        schema,
        RAWS,
        types=types,
        since=_epoch(since) if since else None,
        until=_epoch(until) if until else None,
    )
    _check(schema, net, expected, Weighting.COUNT)


@pytest.mark.parametrize(
    ("ids", "hops", "types"),
    [
        (("a",), 1, None),
        (("a",), 2, None),
        (("a", "nobody"), 3, None),
        (("a",), 3, {"MET"}),
        (("c", P3), 1, None),
        (("d",), 2, {"LIVES_AT"}),
        (("nobody",), 2, None),
    ],
)
def test_neighbourhood_of_ids(graph_store, schema, ids, hops, types):
    flt = LinkFilter(types=frozenset(types)) if types else OPEN
    chosen = Selection(flt, ids=ids, hops=hops)
    net = network_of(graph_store.view(scope_of(schema)), chosen, _identifiers(schema))
    _check(schema, net, _expected(schema, RAWS, types=types, ids=ids, hops=hops), Weighting.COUNT)


def test_the_network_does_not_depend_on_ingestion_order(tmp_path, schema):
    # embedded only: two stores alive at once, numbering their rows apart
    # a larger graph, ingested forwards into one store and backwards into another (so entity
    # and link rows are numbered differently in the two files)
    rng = np.random.default_rng(5)
    people = [f"p{i:02d}" for i in range(25)]
    raws = list(RAWS)
    for i in range(80):
        a, b = rng.choice(len(people), size=2, replace=False)
        kind = "MET" if i % 3 else "RELATED_TO"
        date = f"2024-0{1 + i % 9}-0{1 + i % 7}T10:00:00" if kind == "MET" else None
        grade = (str("ABCX"[i % 4]), str(1 + i % 4))
        raws.append(Raw(f"r{i}", kind, people[a], people[b], date, grade, {}))
    scope = scope_of(schema)
    identifiers = _identifiers(schema)
    with (
        _open_store(tmp_path / "forward.db", schema, raws) as forward,
        _open_store(tmp_path / "backward.db", schema, raws[::-1]) as backward,
    ):
        views = [forward.view(scope), backward.view(scope)]
        # the two files really number their rows apart
        assert views[0].vertex_ids.tolist() != views[1].vertex_ids.tolist()
        for chosen in (
            Selection(OPEN, weighting=Weighting.GRADING),
            Selection(LinkFilter(types=frozenset({"MET"})), ids=("p03", "p07"), hops=1),
        ):
            one, two = (network_of(v, chosen, identifiers) for v in views)
            for name in ("ids", "src", "dst", "weight", "links", "grade", "grade_total"):
                assert getattr(one, name).tolist() == getattr(two, name).tolist(), name
            assert one.identifier.tolist() == two.identifier.tolist()
            assert sorted(
                zip(one.link_pair.tolist(), [one.type_names[t] for t in one.link_type], strict=True)
            ) == sorted(
                zip(two.link_pair.tolist(), [two.type_names[t] for t in two.link_type], strict=True)
            )
            # and so are the seeded answers computed on them
            first, second = (
                communities.detect(n, communities.Algorithm.LOUVAIN, seed=3) for n in (one, two)
            )
            assert first.membership.tolist() == second.membership.tolist()
            ranks = [centrality.rank(n, centrality.Measure.BETWEENNESS, top=10) for n in (one, two)]
            assert ranks[0].top.tolist() == ranks[1].top.tolist()


def test_networks_are_memoised_on_the_view(graph_store, schema):
    scope = scope_of(schema)
    view = graph_store.view(scope)
    identifiers = _identifiers(schema)
    first = network_of(view, Selection(LinkFilter(types=frozenset({"MET"}))), identifiers)
    again = network_of(view, Selection(LinkFilter(types=frozenset({"MET"}))), identifiers)
    assert again is first  # an equal Selection, not the same object
    other = network_of(view, Selection(LinkFilter(types=frozenset({"CALLED"}))), identifiers)
    assert other is not first
    assert network_of(view, Selection(OPEN, ids=("a",), hops=1), identifiers) is network_of(
        view, Selection(OPEN, ids=("a",), hops=1), identifiers
    )
    # a write makes a new view, and the network of the new view sees the new link
    load(graph_store, [_record(Raw("m9", "MET", "a", "c", None, ("A", "1"), {}))])
    fresh = graph_store.view(scope)
    assert fresh is not view
    rebuilt = network_of(fresh, Selection(LinkFilter(types=frozenset({"MET"}))), identifiers)
    assert rebuilt is not first and rebuilt.link_count == first.link_count + 1


def test_an_entity_whose_only_link_is_to_itself_is_left_out_of_the_whole_graph(store, schema):
    """A self-link joins no one: the whole-graph network holds only entities linked to others."""
    raws = [
        Raw("s1", "MET", "a", "a", "2024-01-10T12:00:00", ("A", "1"), {}),
        Raw("s2", "MET", "b", "c", "2024-01-10T12:00:00", ("A", "1"), {}),
    ]
    view = _loaded(store, raws).view(scope_of(schema))
    net = network_of(view, Selection(OPEN), frozenset())
    assert net.ids.tolist() == ["b", "c"]
