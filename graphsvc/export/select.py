"""What to export: the selections an analyst can name, each read in the caller's scope.

An expand, the paths between two entities, the subgraph of given ids, one community of a
partition, the answer of a query or saved query, or the whole visible graph. Each is read
through the store's scoped operations (or the caller's ``ScopedView``) exactly as the GraphQL
operation of the same name would read it, so an export never holds more than the caller could
have read, and becomes an ``ExportGraph`` with what analysis computed on the way (community,
centrality, hidden-link candidates).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from graphsvc.analytics import communities as communities_
from graphsvc.analytics.network import Selection, network_for
from graphsvc.errors import InvalidInput, LimitExceeded, NotFound
from graphsvc.export.graph import Candidate, ExportGraph, ExportNode, graph_of, of_paths
from graphsvc.model.graph import Entity
from graphsvc.policy.scope import Scope
from graphsvc.query.execute import QueryResult
from graphsvc.query.plan import QueryLimits
from graphsvc.query.run import run_query
from graphsvc.query.saved import SavedQueries, SavedQuery
from graphsvc.store.protocol import OPEN, GraphStore, LinkFilter

BATCH = 2_000


@dataclass(frozen=True)
class ExportLimits:
    """How much one export may hold, and the limits of the query inside it."""

    max_elements: int = 250_000  # entities + links
    query: QueryLimits = field(default_factory=QueryLimits)

    def check(self, entities: int, links: int) -> None:
        if entities + links > self.max_elements:
            raise LimitExceeded(
                f"the export would hold {entities:,} entities and {links:,} links, over the "
                f"limit of {self.max_elements:,} elements (max_export_elements, "
                "GRAPHSVC_MAX_EXPORT_ELEMENTS): export a narrower selection"
            )


@dataclass(frozen=True)
class ExpandSelection:
    ids: tuple[str, ...]
    hops: int = 1
    link_filter: LinkFilter = OPEN
    max_nodes: int = 500
    max_links: int = 5_000


@dataclass(frozen=True)
class PathsSelection:
    source: str
    target: str
    max_hops: int = 4
    link_filter: LinkFilter = OPEN
    limit: int = 5
    directed: bool = False


@dataclass(frozen=True)
class SubgraphSelection:
    ids: tuple[str, ...]
    link_filter: LinkFilter = OPEN
    max_links: int = 5_000


@dataclass(frozen=True)
class CommunitySelection:
    """One community of the partition ``communities`` would compute with these arguments:
    the one numbered ``community`` (0 is the largest) or the one holding ``member``."""

    analysis: Selection
    algorithm: communities_.Algorithm = communities_.Algorithm.LEIDEN
    resolution: float | None = None
    seed: int = 0
    community: int | None = None
    member: str | None = None


@dataclass(frozen=True)
class QuerySelection:
    """A query's answer: ``text``, or the saved query ``saved`` (``version``: latest when
    omitted; ``found``: the saved query when the caller has looked it up already)."""

    text: str | None = None
    saved: str | None = None
    version: int | None = None
    params: Mapping[str, Any] | None = None
    found: SavedQuery | None = None


@dataclass(frozen=True)
class VisibleSelection:
    """The whole visible graph (every visible entity, every visible link in ``link_filter``)."""

    link_filter: LinkFilter = OPEN


Selected = (
    ExpandSelection
    | PathsSelection
    | SubgraphSelection
    | CommunitySelection
    | QuerySelection
    | VisibleSelection
)


@dataclass(frozen=True)
class Collected:
    """The graph of a selection; for a query, the saved query run and its text, for audit."""

    graph: ExportGraph
    query: str | None = None
    dsl: str | None = None
    version: int | None = None
    result: QueryResult | None = None


def collect(
    store: GraphStore,
    scope: Scope,
    selected: Selected,
    limits: ExportLimits,
    *,
    result: QueryResult | None = None,
) -> Collected:
    """Read ``selected`` in ``scope``. A query's ``result`` already computed may be given."""
    if isinstance(selected, ExpandSelection):
        found = store.expand(
            scope,
            list(selected.ids),
            hops=selected.hops,
            link_filter=selected.link_filter,
            max_nodes=selected.max_nodes,
            max_links=selected.max_links,
        )
        title = f"expand of {_names(selected.ids)}, {selected.hops} hop(s)"
        plain = f"expand of {_count(selected.ids)}, {selected.hops} hop(s)"
        return Collected(
            graph_of(
                title,
                found.nodes,
                found.links,
                truncated=found.truncated,
                named=selected.ids,
                plain_title=plain,
            )
        )
    if isinstance(selected, PathsSelection):
        paths = store.paths(
            scope,
            selected.source,
            selected.target,
            max_hops=selected.max_hops,
            link_filter=selected.link_filter,
            limit=selected.limit,
            directed=selected.directed,
        )
        title = f"paths from {selected.source} to {selected.target}"
        graph = replace(
            of_paths(title, paths),
            named=(selected.source, selected.target),
            plain_title="paths between two entities",
        )
        return Collected(graph)
    if isinstance(selected, SubgraphSelection):
        found = store.subgraph(
            scope,
            list(selected.ids),
            link_filter=selected.link_filter,
            max_links=selected.max_links,
        )
        title = f"subgraph of {_names(selected.ids)}"
        return Collected(
            graph_of(
                title,
                found.nodes,
                found.links,
                truncated=found.truncated,
                named=selected.ids,
                plain_title=f"subgraph of {_count(selected.ids)}",
            )
        )
    if isinstance(selected, CommunitySelection):
        return Collected(_community(store, scope, selected, limits))
    if isinstance(selected, QuerySelection):
        return _query(store, scope, selected, limits, result)
    return Collected(_visible(store, scope, selected, limits))


def of_result(title: str, result: QueryResult, more: Sequence[Entity] = ()) -> ExportGraph:
    """The export graph of a query's answer: its nodes (with rank, score and community), links,
    paths and hidden-link candidates; ``more`` are entities the answer names without returning
    them as nodes (the store reads them: see ``_missing_entities``)."""
    annotate: dict[str, ExportNode] = {}
    for node in result.nodes:
        scores = {result.measure or "score": node.score} if node.score is not None else {}
        annotate[node.entity.id] = ExportNode(
            node.entity, community=node.community, scores=scores, rank=node.rank
        )
    entities = [n.entity for n in result.nodes]
    entities += [e for path in result.paths for e in path.nodes]
    entities += [e for pair in result.hidden_links for e in (pair.source, pair.target)]
    entities += more
    fetched = {e.id: e for e in more}
    for community in result.communities:
        for member in community.members:
            if member not in annotate and member in fetched:
                annotate[member] = ExportNode(fetched[member], community=community.id)
    links = list(result.links) + [link for path in result.paths for link in path.links]
    candidates = [
        Candidate(p.source.id, p.target.id, p.score, dict(p.scores)) for p in result.hidden_links
    ]
    measures = (result.measure,) if result.measure else ()
    return graph_of(
        title, entities, links, annotate=annotate, candidates=candidates, measures=measures
    )


# -- the selections that need more than one store call --------------------------------------------


def _community(
    store: GraphStore, scope: Scope, selected: CommunitySelection, limits: ExportLimits
) -> ExportGraph:
    if (selected.community is None) == (selected.member is None):
        raise InvalidInput("name the community by its number or by one member", field="community")
    analysis = selected.analysis
    view, network = network_for(store, scope, analysis)
    partition = communities_.detect(
        network, selected.algorithm, resolution=selected.resolution, seed=selected.seed, limit=0
    )
    if selected.member is not None:
        at = network.positions_of([selected.member])
        if at.size == 0:
            raise NotFound(f"no entity {selected.member!r} in the analysed network", field="member")
        chosen = int(partition.membership[at[0]])
    else:
        chosen = int(selected.community or 0)
        if not 0 <= chosen < partition.count:
            raise NotFound(
                f"no community {chosen}: the partition has {partition.count}", field="community"
            )
    members = np.flatnonzero(partition.membership == chosen)
    assert network.vertex_view is not None
    member_ids = [str(x) for x in view.vertex_ids[network.vertex_view[members]]]
    limits.check(len(member_ids), 0)
    found = store.subgraph(
        scope, member_ids, link_filter=analysis.link_filter, max_links=limits.max_elements
    )
    ids = analysis.ids or ()
    head = f"community {chosen} ({len(member_ids)} entities; {selected.algorithm.name}, "
    head += f"seed {selected.seed}) of "
    whole = analysis.ids is None
    annotate = {e.id: ExportNode(e, community=chosen) for e in found.nodes}
    around = "the whole visible graph" if whole else f"the neighbourhood of {_names(ids)}"
    return graph_of(
        head + around,
        found.nodes,
        found.links,
        truncated=found.truncated,
        annotate=annotate,
        named=tuple(ids),
        plain_title=head + f"the neighbourhood of {_count(ids)}",
    )


def _query(
    store: GraphStore,
    scope: Scope,
    selected: QuerySelection,
    limits: ExportLimits,
    result: QueryResult | None,
) -> Collected:
    if (selected.text is None) == (selected.saved is None):
        raise InvalidInput("give a query or the name of a saved query", field="query")
    name = dsl = version = None
    text = selected.text
    if selected.saved is not None:
        found = selected.found or SavedQueries(store).get(
            scope.principal, selected.saved, selected.version
        )
        name, dsl, version, text = found.qualified_name, found.body, found.version, found.body
    if result is None:
        result = run_query(
            store,
            scope,
            text,
            selected.params,
            limits.query,
            declared_only=selected.saved is not None,
        )
    title = f"saved query {name} v{version}" if name else "query"
    graph = of_result(title, result, _missing_entities(store, scope, result))
    return Collected(graph, query=name, dsl=dsl, version=version, result=result)


def _missing_entities(store: GraphStore, scope: Scope, result: QueryResult) -> list[Entity]:
    """The entities a query's answer names without returning them as nodes (the ends of its
    links after ``return links``, the members of ``return communities``)."""
    present = {n.entity.id for n in result.nodes}
    present |= {e.id for path in result.paths for e in path.nodes}
    wanted = {x for link in result.links for x in (link.source_id, link.target_id)}
    wanted |= {m for c in result.communities for m in c.members}
    missing = sorted(wanted - present)
    found: list[Entity] = []
    for start in range(0, len(missing), BATCH):
        found += store.get_entities(scope, missing[start : start + BATCH])
    return found


def _visible(
    store: GraphStore, scope: Scope, selected: VisibleSelection, limits: ExportLimits
) -> ExportGraph:
    view = store.view(scope)
    mask = view.edge_mask(selected.link_filter)
    edges = np.arange(view.m) if mask is None else np.flatnonzero(mask)
    limits.check(view.n, int(edges.size))
    entities = []
    for start in range(0, view.n, BATCH):
        chunk = list(range(start, min(start + BATCH, view.n)))
        entities += [e for e in store.entities_at(scope, view, chunk) if e is not None]
    links = []
    for start in range(0, int(edges.size), BATCH):
        chunk = edges[start : start + BATCH].tolist()
        links += [x for x in store.links_at(scope, view, chunk) if x is not None]
    entities.sort(key=lambda e: e.id)
    links.sort(key=lambda x: x.id)
    return graph_of("the whole visible graph", entities, links)


def _count(ids: Sequence[str]) -> str:
    return "1 entity" if len(ids) == 1 else f"{len(ids)} entities"


def _names(ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:3])
    return shown + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
