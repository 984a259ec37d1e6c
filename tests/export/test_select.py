"""Selections read on the seed case: each export graph holds what the store operation of the
same name returns for the caller's scope, nothing more and nothing less; communities are the
partition the analytics compute for the same arguments; queries and saved queries give their
answer with its analysis; the size limit and every format end to end."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from graphsvc.analytics import communities as communities_
from graphsvc.analytics.network import Selection, network_of
from graphsvc.errors import InvalidInput, InvalidQuery, LimitExceeded, NotFound
from graphsvc.export.formats import FORMATS
from graphsvc.export.graph import ExportGraph
from graphsvc.export.purpose import Purpose, restrict
from graphsvc.export.select import (
    CommunitySelection,
    ExpandSelection,
    ExportLimits,
    PathsSelection,
    QuerySelection,
    Selected,
    SubgraphSelection,
    VisibleSelection,
    collect,
)
from graphsvc.export.service import export
from graphsvc.model.exchange import FormatName
from graphsvc.model.graph import Entity, Link
from graphsvc.policy import Scope
from graphsvc.query import library
from graphsvc.query.execute import QueryResult
from graphsvc.query.run import run_query
from graphsvc.query.saved import SavedQueries
from graphsvc.store.protocol import OPEN, GraphStore, LinkFilter
from tests.conftest import SEED, Stores

LEADER = "ocrteh:PER-0001"
PRINCIPALS = ["fr-analyst", "fr-supervisor", "be-analyst", "ro-analyst"]
LIMITS = ExportLimits()

ScopeOf = Callable[[str], Scope]


def graph(store: GraphStore, scope: Scope, selected: Selected) -> ExportGraph:
    return collect(store, scope, selected, LIMITS).graph


def unique(ids: list[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def same_as(
    got: ExportGraph, entities: list[Entity], links: list[Link], truncated: bool = False
) -> None:
    """The export graph holds these entities and links, each once, first kept, and no more."""
    assert got.entity_ids == unique([e.id for e in entities])
    first: dict[str, Entity] = {}
    for e in entities:
        first.setdefault(e.id, e)
    assert [n.entity for n in got.nodes] == [first[i] for i in got.entity_ids]
    assert got.link_ids == unique([x.id for x in links])
    known = {x.id: x for x in links}
    assert list(got.links) == [known[i] for i in got.link_ids]
    assert got.truncated == truncated
    assert got.candidates == ()
    assert all(n.community is None and not n.scores and n.rank is None for n in got.nodes)


def hub(store: GraphStore, scope: Scope) -> str:
    """The leader when the scope sees it, else the most linked entity the scope sees."""
    if store.get_entity(scope, LEADER) is not None:
        return LEADER
    view = store.view(scope)
    degree = view.degree()
    best = max(range(view.n), key=lambda v: (int(degree[v]), str(view.vertex_ids[v])))
    return str(view.vertex_ids[best])


# -- expand, paths, subgraph -----------------------------------------------------------------------


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize("hops", [1, 2])
def test_expand_is_the_stores_expand(
    seed_store: GraphStore, seed_scope: ScopeOf, principal: str, hops: int
) -> None:
    scope = seed_scope(principal)
    start = hub(seed_store, scope)
    got = graph(seed_store, scope, ExpandSelection(ids=(start,), hops=hops))
    found = seed_store.expand(scope, [start], hops=hops, max_nodes=500, max_links=5_000)
    assert found.nodes and found.links
    same_as(got, list(found.nodes), list(found.links), found.truncated)
    assert start in got.title and f"{hops} hop" in got.title


def test_expand_with_a_link_filter_and_small_limits(
    seed_store: GraphStore, seed_scope: ScopeOf
) -> None:
    scope = seed_scope("fr-analyst")
    flt = LinkFilter(types=frozenset({"USES", "CALLED"}))
    selected = ExpandSelection(ids=(LEADER,), hops=2, link_filter=flt, max_nodes=20, max_links=50)
    got = graph(seed_store, scope, selected)
    found = seed_store.expand(scope, [LEADER], hops=2, link_filter=flt, max_nodes=20, max_links=50)
    assert found.truncated
    same_as(got, list(found.nodes), list(found.links), truncated=True)
    assert {x.type for x in got.links} <= {"USES", "CALLED"}


def test_expand_does_not_reach_past_the_scope(seed_store: GraphStore, seed_scope: ScopeOf) -> None:
    scope = seed_scope("be-analyst")
    assert seed_store.get_entity(scope, LEADER) is None
    got = graph(seed_store, scope, ExpandSelection(ids=(LEADER,), hops=2))
    assert got.nodes == () and got.links == ()


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_paths_are_the_stores_paths(
    seed_store: GraphStore, seed_scope: ScopeOf, principal: str
) -> None:
    scope = seed_scope(principal)
    start = hub(seed_store, scope)
    near = {e.id for e in seed_store.expand(scope, [start], hops=1, max_nodes=10_000).nodes}
    far = seed_store.expand(scope, [start], hops=2, max_nodes=10_000).nodes
    target = min(e.id for e in far if e.id not in near)
    got = graph(seed_store, scope, PathsSelection(source=start, target=target, max_hops=3))
    paths = seed_store.paths(scope, start, target, max_hops=3, limit=5)
    assert paths
    same_as(
        got,
        [e for p in paths for e in p.nodes],
        [x for p in paths for x in p.links],
    )
    assert got.title == f"paths from {start} to {target}"


def test_directed_paths_and_filter(seed_store: GraphStore, seed_scope: ScopeOf) -> None:
    scope = seed_scope("fr-analyst")
    flt = LinkFilter(types=frozenset({"OWNS", "TRANSFERRED_TO", "DIRECTOR_OF"}))
    a, b = "kbo:0566.841.472", "siren:776740425"
    selected = PathsSelection(a, b, max_hops=5, link_filter=flt, limit=3, directed=False)
    paths = seed_store.paths(scope, a, b, max_hops=5, link_filter=flt, limit=3)
    assert len(paths) == 3
    same_as(
        graph(seed_store, scope, selected),
        [e for p in paths for e in p.nodes],
        [x for p in paths for x in p.links],
    )
    directed = seed_store.paths(scope, a, b, max_hops=5, link_filter=flt, limit=3, directed=True)
    got = graph(seed_store, scope, PathsSelection(a, b, 5, flt, 3, directed=True))
    same_as(got, [e for p in directed for e in p.nodes], [x for p in directed for x in p.links])


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_subgraph_is_the_stores_subgraph(
    seed_store: GraphStore, seed_scope: ScopeOf, principal: str
) -> None:
    scope = seed_scope(principal)
    start = hub(seed_store, scope)
    around = seed_store.expand(scope, [start], hops=2, max_nodes=10_000)
    ids = [*sorted(e.id for e in around.nodes)[:40], LEADER, "nobody:at-all"]
    got = graph(seed_store, scope, SubgraphSelection(ids=tuple(ids)))
    found = seed_store.subgraph(scope, ids)
    assert found.links
    same_as(got, list(found.nodes), list(found.links), found.truncated)
    assert "nobody:at-all" not in got.entity_ids


# -- the whole visible graph -----------------------------------------------------------------------


@pytest.mark.parametrize("principal", ["be-analyst", "ro-analyst"])
def test_visible_is_everything_the_scope_sees_and_nothing_else(
    seed_store: GraphStore, seed_scope: ScopeOf, principal: str
) -> None:
    scope = seed_scope(principal)
    view = seed_store.view(scope)
    got = graph(seed_store, scope, VisibleSelection())
    ids = sorted(str(x) for x in view.vertex_ids)
    assert got.entity_ids == ids
    every = seed_store.subgraph(scope, ids, max_links=1_000_000)
    assert got.link_ids == sorted(x.id for x in every.links)
    stats = seed_store.stats(scope)
    assert (len(got.nodes), len(got.links)) == (stats.entities, stats.links) == (view.n, view.m)
    allows = scope.allows
    assert all(allows(x.handling) for x in got.links)
    assert all(allows(r.handling) for n in got.nodes for r in n.entity.records)
    by_id = {e.id: e for e in every.nodes}
    assert all(n.entity == by_id[n.entity.id] for n in got.nodes)
    # less than the whole store: the scope does filter
    assert len(got.links) < seed_store.totals().links


def test_visible_with_a_link_filter(seed_store: GraphStore, seed_scope: ScopeOf) -> None:
    scope = seed_scope("be-analyst")
    flt = LinkFilter(types=frozenset({"OWNS", "DIRECTOR_OF"}))
    got = graph(seed_store, scope, VisibleSelection(link_filter=flt))
    view = seed_store.view(scope)
    ids = sorted(str(x) for x in view.vertex_ids)
    every = seed_store.subgraph(scope, ids, link_filter=flt, max_links=1_000_000)
    assert got.entity_ids == ids
    assert got.link_ids == sorted(x.id for x in every.links)
    assert got.links and {x.type for x in got.links} <= {"OWNS", "DIRECTOR_OF"}


# -- communities -----------------------------------------------------------------------------------


def partition_members(
    store: GraphStore, scope: Scope, selected: CommunitySelection
) -> tuple[communities_.Partition, list[set[str]]]:
    """What the ``communities`` operation computes for these arguments: the members of each
    community by its number, as the API lists them (min size 2)."""
    view = store.view(scope)
    network = network_of(view, selected.analysis, store.schema.identifier_types)
    found = communities_.detect(
        network,
        selected.algorithm,
        resolution=selected.resolution,
        seed=selected.seed,
        min_size=1,
    )
    members = [
        {str(network.ids[v]) for v in np.flatnonzero(found.membership == k)}
        for k in range(found.count)
    ]
    api = communities_.detect(
        network,
        selected.algorithm,
        resolution=selected.resolution,
        seed=selected.seed,
        min_size=2,
        limit=50,
    )
    for c in api.communities:  # the API's members (vertex indices) are the same sets
        assert {str(network.ids[v]) for v in c.members} == members[c.id]
    return found, members


ANALYSES = [
    pytest.param(
        Selection(OPEN, ids=(LEADER,), hops=2),
        communities_.Algorithm.LEIDEN,
        None,
        0,
        id="leader-2-leiden",
    ),
    pytest.param(Selection(OPEN), communities_.Algorithm.LEIDEN, None, 0, id="whole-leiden"),
    pytest.param(Selection(OPEN), communities_.Algorithm.LOUVAIN, 1.5, 3, id="whole-louvain"),
    pytest.param(
        Selection(LinkFilter(types=frozenset({"CALLED", "USES"})), ids=(LEADER,), hops=3),
        communities_.Algorithm.LABEL_PROPAGATION,
        None,
        7,
        id="calls-labelprop",
    ),
]


@pytest.mark.parametrize(("analysis", "algorithm", "resolution", "seed"), ANALYSES)
def test_community_by_number_and_by_member(
    seed_store: GraphStore,
    seed_scope: ScopeOf,
    analysis: Selection,
    algorithm: communities_.Algorithm,
    resolution: float | None,
    seed: int,
) -> None:
    scope = seed_scope("fr-analyst")
    base = CommunitySelection(analysis, algorithm, resolution, seed)
    found, members = partition_members(seed_store, scope, base)
    assert found.count >= 2
    for number in (0, 1, found.count - 1):
        selected = CommunitySelection(analysis, algorithm, resolution, seed, community=number)
        got = graph(seed_store, scope, selected)
        assert set(got.entity_ids) == members[number], number
        assert len(got.entity_ids) == len(members[number])
        assert all(n.community == number for n in got.nodes)
        inside = seed_store.subgraph(
            scope, sorted(members[number]), link_filter=analysis.link_filter, max_links=10**6
        )
        assert set(got.link_ids) == {x.id for x in inside.links}
        assert f"community {number} ({len(members[number])} entities" in got.title
    leader = next(k for k, m in enumerate(members) if LEADER in m)
    by_member = graph(
        seed_store, scope, CommunitySelection(analysis, algorithm, resolution, seed, member=LEADER)
    )
    assert set(by_member.entity_ids) == members[leader]
    assert all(n.community == leader for n in by_member.nodes)


def test_community_for_another_scope_is_its_own_partition(
    seed_store: GraphStore, seed_scope: ScopeOf
) -> None:
    scope = seed_scope("be-analyst")
    analysis = Selection(OPEN)
    _, members = partition_members(seed_store, scope, CommunitySelection(analysis))
    got = graph(seed_store, scope, CommunitySelection(analysis, community=0))
    assert set(got.entity_ids) == members[0]
    assert LEADER not in got.entity_ids


def test_community_named_wrongly(seed_store: GraphStore, seed_scope: ScopeOf) -> None:
    scope = seed_scope("fr-analyst")
    analysis = Selection(OPEN, ids=(LEADER,), hops=1)
    with pytest.raises(InvalidInput):
        collect(seed_store, scope, CommunitySelection(analysis), LIMITS)
    with pytest.raises(InvalidInput):
        collect(seed_store, scope, CommunitySelection(analysis, community=0, member=LEADER), LIMITS)
    with pytest.raises(NotFound) as missing:
        collect(seed_store, scope, CommunitySelection(analysis, member="nobody:at-all"), LIMITS)
    assert missing.value.field == "member"
    with pytest.raises(NotFound) as beyond:
        collect(seed_store, scope, CommunitySelection(analysis, community=10_000), LIMITS)
    assert beyond.value.field == "community"
    with pytest.raises(NotFound):
        collect(seed_store, scope, CommunitySelection(analysis, community=-1), LIMITS)
    # a member the scope does not see is not in the network either
    be = seed_scope("be-analyst")
    with pytest.raises(NotFound):
        collect(seed_store, be, CommunitySelection(Selection(OPEN), member=LEADER), LIMITS)


# -- queries and saved queries ---------------------------------------------------------------------


def load_queries(store: GraphStore) -> None:
    library.load(store, SEED / "queries")


@pytest.fixture(scope="module")
def seed_copy(backend: str, stores: Stores) -> GraphStore:
    """The seed case with the seed's saved queries loaded (loading writes: not the seed store)."""
    return stores.shared(backend, "seed-queries", load_queries, on_seed=True)


def check_answer(got: ExportGraph, result: QueryResult) -> None:
    """The export graph of a query's answer: its nodes with rank, score (named by the measure)
    and community, the nodes of its paths and hidden-link pairs, its links and its paths'
    links, its hidden-link candidates."""
    ids = [n.entity.id for n in result.nodes]
    ids += [e.id for p in result.paths for e in p.nodes]
    ids += [x for h in result.hidden_links for x in (h.source.id, h.target.id)]
    assert got.entity_ids == unique(ids)
    links = [x.id for x in result.links] + [x.id for p in result.paths for x in p.links]
    assert got.link_ids == unique(links)
    measure = result.measure or "score"
    for node in result.nodes:
        mine = got.node(node.entity.id)
        assert mine is not None and mine.entity == node.entity
        assert mine.rank == node.rank and mine.community == node.community
        assert mine.scores == ({measure: node.score} if node.score is not None else {})
    assert got.measures == ((result.measure,) if result.measure else ())
    assert [(c.source_id, c.target_id, c.score) for c in got.candidates] == [
        (h.source.id, h.target.id, h.score) for h in result.hidden_links
    ]
    assert [dict(c.scores) for c in got.candidates] == [dict(h.scores) for h in result.hidden_links]


TEXTS = [
    pytest.param(f'find Person where id = "{LEADER}" | expand 2 | rank pagerank top 5', id="rank"),
    pytest.param(
        f'find Person where id="{LEADER}" | paths to (find Organization) within 3 top 3', id="paths"
    ),
    pytest.param(f'find Person where id = "{LEADER}" | hidden-links top 3', id="hidden"),
    pytest.param(
        "find Organization | expand 1 via OWNS, DIRECTOR_OF | communities leiden "
        "| return nodes, links, communities",
        id="communities",
    ),
]


@pytest.mark.parametrize("text", TEXTS)
def test_query_text_gives_its_answer(
    seed_store: GraphStore, seed_scope: ScopeOf, text: str
) -> None:
    scope = seed_scope("fr-analyst")
    collected = collect(seed_store, scope, QuerySelection(text=text), LIMITS)
    result = run_query(seed_store, scope, text)
    assert result.nodes or result.hidden_links
    check_answer(collected.graph, result)
    assert collected.query is None and collected.graph.title == "query"


def test_query_ranks_and_scores_are_named_by_the_measure(
    seed_store: GraphStore, seed_scope: ScopeOf
) -> None:
    scope = seed_scope("fr-analyst")
    text = f'find Person where id = "{LEADER}" | expand 2 | rank betweenness top 7'
    got = graph(seed_store, scope, QuerySelection(text=text))
    assert got.measures == ("betweenness",)
    ranked = sorted(got.nodes, key=lambda n: n.rank or 0)
    assert [n.rank for n in ranked] == list(range(1, 8))
    assert all(set(n.scores) == {"betweenness"} for n in got.nodes)
    values = [n.scores["betweenness"] for n in ranked]
    assert values == sorted(values, reverse=True)


def test_query_answer_given_is_not_run_again(seed_store: GraphStore, seed_scope: ScopeOf) -> None:
    scope = seed_scope("fr-analyst")
    text = f'find Person where id = "{LEADER}" | expand 1'
    result = run_query(seed_store, scope, text)
    collected = collect(seed_store, scope, QuerySelection(text=text), LIMITS, result=result)
    assert collected.result is result
    check_answer(collected.graph, result)


def test_query_in_another_scope_answers_with_what_it_sees(
    seed_store: GraphStore, seed_scope: ScopeOf
) -> None:
    text = "find Organization | expand 1"
    for principal in ("be-analyst", "ro-analyst"):
        scope = seed_scope(principal)
        got = graph(seed_store, scope, QuerySelection(text=text))
        check_answer(got, run_query(seed_store, scope, text))
        assert all(scope.allows(x.handling) for x in got.links)


def test_query_returning_only_links_exports_them(
    seed_store: GraphStore, seed_scope: ScopeOf
) -> None:
    scope = seed_scope("fr-analyst")
    text = f'find where id = "{LEADER}" | expand 1 | return links'
    result = run_query(seed_store, scope, text)
    assert result.links and not result.nodes
    got = graph(seed_store, scope, QuerySelection(text=text))
    assert got.link_ids == unique([x.id for x in result.links])
    ends = {e for x in result.links for e in (x.source_id, x.target_id)}
    assert set(got.entity_ids) == ends


def test_query_returning_only_communities_exports_their_members(
    seed_store: GraphStore, seed_scope: ScopeOf
) -> None:
    scope = seed_scope("fr-analyst")
    text = f'find where id = "{LEADER}" | expand 2 | communities | return communities'
    result = run_query(seed_store, scope, text)
    assert result.communities and not result.nodes
    got = graph(seed_store, scope, QuerySelection(text=text))
    for community in result.communities:
        for member in community.members:
            node = got.node(member)
            assert node is not None and node.community == community.id


SAVED = [
    ("associates", {"person": LEADER}),
    ("callers-since", {"person": LEADER}),
    ("case-clusters", {"entity": LEADER}),
    ("likely-hidden-links", {"suspect": LEADER}),
    ("money-flow", {"from_company": "kbo:0566.841.472", "to_company": "siren:776740425"}),
    ("shared-phones", {}),
]


@pytest.mark.parametrize(("name", "params"), SAVED)
def test_saved_query_gives_its_answer(
    seed_copy: GraphStore, seed_scope: ScopeOf, name: str, params: dict[str, Any]
) -> None:
    scope = seed_scope("fr-analyst")
    collected = collect(seed_copy, scope, QuerySelection(saved=name, params=params), LIMITS)
    saved = SavedQueries(seed_copy).get(scope.principal, name)
    result = run_query(seed_copy, scope, saved.body, params, declared_only=True)
    assert result.nodes or result.hidden_links
    check_answer(collected.graph, result)
    assert collected.query == f"graphsvc/{name}" and collected.version == saved.version
    assert collected.dsl == saved.body
    assert collected.graph.title == f"saved query graphsvc/{name} v{saved.version}"


def test_saved_query_by_version_and_undeclared_parameters(
    seed_copy: GraphStore, seed_scope: ScopeOf
) -> None:
    scope = seed_scope("fr-analyst")
    params = {"person": LEADER, "hops": 1}
    selected = QuerySelection(saved="graphsvc/associates", version=1, params=params)
    collected = collect(seed_copy, scope, selected, LIMITS)
    body = SavedQueries(seed_copy).get(scope.principal, "associates", 1).body
    check_answer(collected.graph, run_query(seed_copy, scope, body, params, declared_only=True))
    with pytest.raises(NotFound):
        collect(seed_copy, scope, QuerySelection(saved="associates", version=9), LIMITS)
    with pytest.raises(InvalidQuery, match=r"\$x"):  # a saved query takes declared ones only
        collect(seed_copy, scope, QuerySelection(saved="associates", params={"x": 1}), LIMITS)
    with pytest.raises(InvalidInput):
        collect(seed_copy, scope, QuerySelection(), LIMITS)
    with pytest.raises(InvalidInput):
        collect(seed_copy, scope, QuerySelection(text="find", saved="associates"), LIMITS)


# -- the size limit --------------------------------------------------------------------------------


def test_limit_refuses_an_export_over_max_elements(
    seed_store: GraphStore, seed_scope: ScopeOf
) -> None:
    scope = seed_scope("fr-analyst")
    selected = ExpandSelection(ids=(LEADER,), hops=2)
    found = graph(seed_store, scope, selected)
    size = len(found.nodes) + len(found.links)
    made = export(
        seed_store, scope, selected, "graphml", justification="t", limits=ExportLimits(size)
    )
    assert made.entity_ids == tuple(found.entity_ids)
    with pytest.raises(LimitExceeded) as over:
        export(
            seed_store,
            scope,
            selected,
            "graphml",
            justification="t",
            limits=ExportLimits(max_elements=size - 1),
        )
    message = str(over.value)
    assert f"{size - 1:,}" in message and "max_export_elements" in message
    assert f"{len(found.nodes):,} entities" in message


@pytest.mark.parametrize(
    "selected",
    [
        pytest.param(VisibleSelection(), id="visible"),
        pytest.param(CommunitySelection(Selection(OPEN), community=0), id="community"),
        pytest.param(SubgraphSelection(ids=(LEADER, "ocrteh:PER-0006")), id="subgraph"),
    ],
)
def test_limit_applies_to_every_selection(
    seed_store: GraphStore, seed_scope: ScopeOf, selected: Selected
) -> None:
    scope = seed_scope("fr-analyst")
    with pytest.raises(LimitExceeded, match="max_export_elements"):
        export(seed_store, scope, selected, "graphml", justification="t", limits=ExportLimits(1))


# -- every format, end to end ----------------------------------------------------------------------


def file_text(content: bytes, fmt: FormatName) -> str:
    if fmt is FormatName.CSV:
        archive = zipfile.ZipFile(io.BytesIO(content))
        return archive.read("HANDLING.txt").decode("utf-8")
    return content.decode("utf-8")


@pytest.mark.parametrize("purpose", [Purpose.INTERNAL, Purpose.DISSEMINATION])
@pytest.mark.parametrize("fmt", list(FormatName))
def test_every_format_end_to_end(
    seed_store: GraphStore,
    seed_scope: ScopeOf,
    fmt: FormatName,
    purpose: Purpose,
) -> None:
    pytest.importorskip(FORMATS[fmt].module)
    scope = seed_scope("fr-analyst")
    selected = ExpandSelection(ids=(LEADER,), hops=1)
    made = export(seed_store, scope, selected, fmt, purpose, justification="PV 2024/118")
    assert made.content and made.size == len(made.content)
    assert made.banner.marking in file_text(made.content, fmt)
    assert made.filename.endswith(FORMATS[fmt].extension)
    assert made.format.name is fmt and made.purpose is purpose
    kept, withheld = restrict(
        graph(seed_store, scope, selected), purpose, scope.principal.agency, seed_store.schema
    )
    assert made.entity_ids == tuple(kept.entity_ids)
    assert made.link_ids == tuple(kept.link_ids)
    assert made.banner.withheld_elements == withheld.elements
    assert made.banner.purpose is purpose


def test_unknown_format_is_refused(seed_store: GraphStore, seed_scope: ScopeOf) -> None:
    with pytest.raises(InvalidInput) as wrong:
        export(
            seed_store,
            seed_scope("fr-analyst"),
            ExpandSelection(ids=(LEADER,)),
            "gefx",
            justification="t",
        )
    assert wrong.value.field == "format"
