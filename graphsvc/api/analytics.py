"""The analytics operations of the API: ``communities``, ``centrality`` and ``hiddenLinks``.

Each one takes the caller's scoped view from the store, cuts the network the analyst chose
(``graphsvc/analytics/network.py``), runs the algorithm on it, and materialises only the
entities and links the client selects, through the store and in the caller's scope again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

import numpy as np
import strawberry

from graphsvc.analytics import centrality as centrality_
from graphsvc.analytics import communities as communities_
from graphsvc.analytics import hidden_links as hidden_
from graphsvc.analytics.network import Network, Selection, Weighting, network_for
from graphsvc.api.context import RequestContext
from graphsvc.api.types import Entity, Instant, Link, Path, context, link_filter
from graphsvc.errors import InvalidInput
from graphsvc.model import graph as model
from graphsvc.store.protocol import LinkFilter
from graphsvc.store.view import ScopedView

# -- enums ---------------------------------------------------------------------------------------

# The analytics' own enums, registered as GraphQL enums under these names.
strawberry.enum(
    communities_.Algorithm, name="CommunityAlgorithm", description="Community detection algorithms."
)
strawberry.enum(centrality_.Measure, name="CentralityMeasure", description="Centrality measures.")
strawberry.enum(
    hidden_.Method, name="LinkPredictionMethod", description="Hidden-link scoring methods."
)
strawberry.enum(
    Weighting,
    name="Weighting",
    description="How parallel links between two entities become one weight: COUNT (how many "
    "links), GRADING (the sum of their grading weights: an A1 link counts more than an X4) "
    "or SUM (the sum of the numeric link property named by weightProperty).",
)


def _arg(description: str) -> Any:
    return strawberry.argument(description=description)


IDS = _arg("analyse the neighbourhood of these entities (the whole visible graph when omitted)")
HOPS = _arg("with ids: how far the neighbourhood reaches (default 2)")
WEIGHT_PROPERTY = _arg("with weighting SUM: a numeric link property (durationSeconds, amount...)")


# -- shared answer types -------------------------------------------------------------------------


@strawberry.type(description="What an analysis ran on.")
class AnalysisScope:
    entities: int = strawberry.field(description="entities in the analysed network")
    pairs: int = strawberry.field(description="linked pairs (parallel links collapsed)")
    links: int = strawberry.field(description="visible links behind the pairs")
    weighting: Weighting
    weight_property: str | None

    @classmethod
    def of(cls, network: Network, selection: Selection) -> AnalysisScope:
        return cls(
            entities=network.n,
            pairs=network.m,
            links=network.link_count,
            weighting=selection.weighting,
            weight_property=selection.weight_property,
        )


@strawberry.type(description="A number of links of one type.")
class TypeCount:
    type: str
    count: int


@dataclass
class _Materialiser:
    """Entities, links and paths of one analysis, fetched in the caller's scope once per
    request."""

    ctx: RequestContext
    view: ScopedView
    network: Network
    cache: dict[int, model.Entity | None] = field(default_factory=dict)
    cache_links: dict[int, model.Link | None] = field(default_factory=dict)
    cache_paths: dict[tuple[str, int, int], list[model.Path]] = field(default_factory=dict)

    def entities(self, vertices: list[int]) -> list[model.Entity | None]:
        missing = [v for v in dict.fromkeys(vertices) if v not in self.cache]
        if missing:
            assert self.network.vertex_view is not None
            found = self.ctx.store.entities_at(
                self.ctx.scope, self.view, self.network.vertex_view[missing].tolist()
            )
            self.cache.update(zip(missing, found, strict=True))
        return [self.cache[v] for v in vertices]

    def links(self, raw: list[int]) -> list[model.Link]:
        """The raw links of the network (indices into its link arrays), sorted by id."""
        assert self.network.link_edge is not None
        missing = [r for r in dict.fromkeys(raw) if r not in self.cache_links]
        if missing:
            found = self.ctx.store.links_at(
                self.ctx.scope, self.view, self.network.link_edge[missing].tolist()
            )
            self.cache_links.update(zip(missing, found, strict=True))
        chosen = (self.cache_links[r] for r in dict.fromkeys(raw))
        return sorted((link for link in chosen if link is not None), key=lambda link: link.id)


@strawberry.type(description="An entity and its score.")
class ScoredEntity:
    rank: int = strawberry.field(description="1 for the highest score")
    score: float
    vertex: strawberry.Private[int]
    source: strawberry.Private[_Materialiser]

    @strawberry.field
    def entity(self, info: strawberry.Info) -> Entity | None:
        found = self.source.entities([self.vertex])[0]
        return Entity.of(found, info) if found is not None else None


# -- scope arguments -----------------------------------------------------------------------------


def selection(
    info: strawberry.Info,
    ids: list[strawberry.ID] | None,
    hops: int,
    link_types: list[str] | None,
    since: str | None,
    until: str | None,
    min_confidence: float | None,
    weighting: Weighting,
    weight_property: str | None,
) -> Selection:
    ctx = context(info)
    if ids is not None:
        ctx.check_limit("ids", len(ids), ctx.limits.max_ids, "max_ids")
        if not ids:
            raise InvalidInput("give at least one id, or omit ids for the whole graph", field="ids")
        ctx.check_limit("hops", hops, ctx.limits.max_hops, "max_hops")  # hops apply to ids
    flt = link_filter(info, link_types, since, until, min_confidence)
    if weighting is Weighting.SUM:
        _check_numeric(ctx, weight_property, flt)
    elif weight_property is not None:
        raise InvalidInput(
            "a weight property is used with weighting SUM only", field="weightProperty"
        )
    return Selection(
        link_filter=flt,
        ids=tuple(sorted({str(i) for i in ids})) if ids is not None else None,
        hops=hops,
        weighting=weighting,
        weight_property=weight_property,
    )


def _check_numeric(ctx: RequestContext, prop: str | None, flt: LinkFilter) -> None:
    if prop is None:
        raise InvalidInput(
            "weighting SUM needs the numeric link property to sum", field="weightProperty"
        )
    numeric = ctx.schema.numeric_link_properties(flt.types)
    if prop not in numeric:
        raise InvalidInput(
            f"{prop!r} is not a numeric property of the link types analysed; expected one of "
            f"{', '.join(numeric) or '(none)'}",
            field="weightProperty",
        )


def _network(ctx: RequestContext, chosen: Selection) -> tuple[ScopedView, Network]:
    return network_for(ctx.store, ctx.scope, chosen)


# -- communities ---------------------------------------------------------------------------------


@strawberry.type(description="A community: entities more linked to one another than to others.")
class Community:
    id: int = strawberry.field(description="0 for the largest community, then by size")
    size: int
    density: float = strawberry.field(description="linked pairs over possible pairs")
    pairs: int = strawberry.field(description="linked pairs of members")
    links: int = strawberry.field(description="visible links between members")
    link_types: list[TypeCount] = strawberry.field(description="the links inside, by type")
    found: strawberry.Private[communities_.Community]
    source: strawberry.Private[_Materialiser]

    @strawberry.field(
        description="Members, most central first (weighted degree inside the community): "
        "10 when first is omitted; at most the server's max_page (GRAPHSVC_MAX_PAGE)."
    )
    def members(self, info: strawberry.Info, first: int | None = None) -> list[ScoredEntity]:
        ctx = context(info)
        size = ctx.bounded("first", first, 10, ctx.limits.max_page, "max_page")
        chosen = self.found.members[:size].tolist()
        return [
            ScoredEntity(rank=i + 1, score=float(score), vertex=v, source=self.source)
            for i, (v, score) in enumerate(
                zip(chosen, self.found.centrality[:size].tolist(), strict=True)
            )
        ]


@strawberry.type(description="A partition of the analysed network into communities.")
class Communities:
    algorithm: communities_.Algorithm
    seed: int = strawberry.field(description="the seed of the stochastic algorithms")
    resolution: float
    modularity: float = strawberry.field(description="Newman's modularity (resolution 1)")
    count: int = strawberry.field(description="all communities found, single entities included")
    matching: int = strawberry.field(description="communities of at least minSize")
    scope: AnalysisScope
    communities: list[Community] = strawberry.field(
        description="those of at least minSize, largest first, up to limit"
    )


def communities(
    info: strawberry.Info,
    algorithm: communities_.Algorithm = communities_.Algorithm.LEIDEN,
    ids: Annotated[list[strawberry.ID] | None, IDS] = None,
    hops: Annotated[int, HOPS] = 2,
    link_types: list[str] | None = None,
    since: Instant | None = None,
    until: Instant | None = None,
    min_confidence: float | None = None,
    weighting: Weighting = Weighting.COUNT,
    weight_property: Annotated[str | None, WEIGHT_PROPERTY] = None,
    resolution: Annotated[
        float | None, _arg("LEIDEN and LOUVAIN: above 1 finds more, smaller communities")
    ] = None,
    seed: Annotated[int, _arg("the same seed gives the same answer")] = 0,
    min_size: Annotated[int, _arg("list only communities of at least this many entities")] = 2,
    limit: Annotated[
        int | None,
        _arg(
            "how many communities: 50 when omitted; at most the server's max_page "
            "(GRAPHSVC_MAX_PAGE)"
        ),
    ] = None,
) -> Communities:
    ctx = context(info)
    ctx.consult(
        "communities",
        {
            "algorithm": algorithm.name,
            "ids": ids,
            "hops": hops,
            "linkTypes": link_types,
            "since": since,
            "until": until,
            "minConfidence": min_confidence,
            "weighting": weighting.name,
            "weightProperty": weight_property,
            "resolution": resolution,
            "seed": seed,
            "minSize": min_size,
            "limit": limit,
        },
    )
    shown = ctx.bounded("limit", limit, 50, ctx.limits.max_page, "max_page")
    chosen = selection(
        info, ids, hops, link_types, since, until, min_confidence, weighting, weight_property
    )
    view, network = _network(ctx, chosen)
    found = communities_.detect(
        network, algorithm, resolution=resolution, seed=seed, min_size=min_size, limit=shown
    )
    source = _Materialiser(ctx, view, network)
    return Communities(
        algorithm=algorithm,
        seed=seed,
        resolution=found.resolution,
        modularity=found.modularity,
        count=found.count,
        matching=found.shown_of,
        scope=AnalysisScope.of(network, chosen),
        communities=[
            Community(
                id=c.id,
                size=c.size,
                density=c.density,
                pairs=c.pairs,
                links=c.links,
                link_types=[TypeCount(type=t, count=k) for t, k in sorted(c.link_types.items())],
                found=c,
                source=source,
            )
            for c in found.communities
        ],
    )


# -- centrality ----------------------------------------------------------------------------------


@strawberry.type(description="The most central entities of the analysed network.")
class Centrality:
    measure: centrality_.Measure
    weighted: bool = strawberry.field(description="whether link weights entered the measure")
    sampled: bool = strawberry.field(description="BETWEENNESS estimated from sampled sources")
    samples: int | None = strawberry.field(description="how many sources, when sampled")
    scope: AnalysisScope
    ranking: list[ScoredEntity]


def centrality(
    info: strawberry.Info,
    measure: centrality_.Measure = centrality_.Measure.PAGERANK,
    top: Annotated[
        int | None,
        _arg(
            "how many entities: 20 when omitted; at most the server's max_page (GRAPHSVC_MAX_PAGE)"
        ),
    ] = None,
    ids: Annotated[list[strawberry.ID] | None, IDS] = None,
    hops: Annotated[int, HOPS] = 2,
    link_types: list[str] | None = None,
    since: Instant | None = None,
    until: Instant | None = None,
    min_confidence: float | None = None,
    weighting: Weighting = Weighting.COUNT,
    weight_property: Annotated[str | None, WEIGHT_PROPERTY] = None,
    samples: Annotated[
        int | None,
        _arg(
            "BETWEENNESS: estimate from this many sampled sources (automatic above "
            f"{centrality_.BETWEENNESS_EXACT_MAX:,} entities)"
        ),
    ] = None,
    seed: Annotated[int, _arg("the seed of the sampling")] = 0,
) -> Centrality:
    ctx = context(info)
    ctx.consult(
        "centrality",
        {
            "measure": measure.name,
            "top": top,
            "ids": ids,
            "hops": hops,
            "linkTypes": link_types,
            "since": since,
            "until": until,
            "minConfidence": min_confidence,
            "weighting": weighting.name,
            "weightProperty": weight_property,
            "samples": samples,
            "seed": seed,
        },
    )
    wanted = ctx.bounded("top", top, 20, ctx.limits.max_page, "max_page")
    chosen = selection(
        info, ids, hops, link_types, since, until, min_confidence, weighting, weight_property
    )
    view, network = _network(ctx, chosen)
    found = centrality_.rank(network, measure, wanted, samples=samples, seed=seed)
    source = _Materialiser(ctx, view, network)
    return Centrality(
        measure=measure,
        weighted=found.weighted,
        sampled=found.sampled,
        samples=found.samples,
        scope=AnalysisScope.of(network, chosen),
        ranking=[
            ScoredEntity(rank=i + 1, score=float(found.scores[v]), vertex=v, source=source)
            for i, v in enumerate(found.top.tolist())
        ],
    )


# -- hidden links --------------------------------------------------------------------------------


@strawberry.type(description="A method's score of a candidate pair.")
class MethodScore:
    method: hidden_.Method
    score: float


@strawberry.type(description="How much one kind of evidence adds to the COMBINED score.")
class EvidenceStrength:
    kind: str = strawberry.field(
        description="otherLinks, sharedIdentifiers, sharedNeighbours or walks3"
    )
    strength: float


@strawberry.type(description="An entity linked to both ends of a candidate pair.")
class SharedNeighbour:
    identifier: bool = strawberry.field(description="a phone, account, address... they share")
    strength: float = strawberry.field(description="what it adds to the COMBINED evidence")
    vertex: strawberry.Private[int]
    raw_links: strawberry.Private[list[int]]
    source: strawberry.Private[_Materialiser]

    @strawberry.field
    def entity(self, info: strawberry.Info) -> Entity | None:
        found = self.source.entities([self.vertex])[0]
        return Entity.of(found, info) if found is not None else None

    @strawberry.field(description="the links joining it to the two ends")
    def links(self, info: strawberry.Info) -> list[Link]:
        return [Link.of(link, info) for link in self.source.links(self.raw_links)]


@strawberry.type(description="Why a pair is a candidate: the evidence behind its scores.")
class Evidence:
    strengths: list[EvidenceStrength]
    shared: list[SharedNeighbour] = strawberry.field(
        description="common neighbours, strongest evidence first"
    )
    explanation: strawberry.Private[hidden_.Explanation]
    source: strawberry.Private[_Materialiser]
    flt: strawberry.Private[LinkFilter]
    hops: strawberry.Private[int]

    @strawberry.field(description="recorded links of other types between the pair")
    def other_links(self, info: strawberry.Info) -> list[Link]:
        raw = self.explanation.other_links.tolist()
        return [Link.of(link, info) for link in self.source.links(raw)]

    @strawberry.field(description="the shortest visible paths joining the pair (at most 3)")
    def paths(self, info: strawberry.Info) -> list[Path]:
        return [Path(result=p) for p in self._paths()]

    @strawberry.field(description="the sources of every link in this evidence")
    def sources(self) -> list[str]:
        raw = self.explanation.other_links.tolist()
        for shared in self.explanation.shared:
            raw.extend(shared.links.tolist())
        found = {link.provenance.source for link in self.source.links(raw)}
        found.update(link.provenance.source for p in self._paths() for link in p.links)
        return sorted(found)

    def _paths(self) -> list[model.Path]:
        ends = self.source.entities([self.explanation.u, self.explanation.v])
        start, end = ends
        if start is None or end is None:
            return []
        ctx = self.source.ctx
        key = ("paths", self.explanation.u, self.explanation.v)
        if key not in self.source.cache_paths:
            self.source.cache_paths[key] = ctx.store.paths(
                ctx.scope, start.id, end.id, max(self.hops, 2), self.flt, 3
            )
        return self.source.cache_paths[key]


@strawberry.type(description="A pair of entities with no visible link that is probably linked.")
class HiddenLink:
    score: float = strawberry.field(description="the first method's score")
    scores: list[MethodScore]
    evidence: Evidence | None = strawberry.field(description="with explain: true")
    u: strawberry.Private[int]
    v: strawberry.Private[int]
    source: strawberry.Private[_Materialiser]

    @strawberry.field(name="from", description="the end first by entity id")
    def from_(self, info: strawberry.Info) -> Entity | None:
        found = self.source.entities([self.u])[0]
        return Entity.of(found, info) if found is not None else None

    @strawberry.field(description="the other end")
    def to(self, info: strawberry.Info) -> Entity | None:
        found = self.source.entities([self.v])[0]
        return Entity.of(found, info) if found is not None else None


@strawberry.type(description="Candidate hidden links, best first.")
class HiddenLinks:
    methods: list[hidden_.Method]
    candidates: int = strawberry.field(description="candidate pairs scored")
    scope: AnalysisScope
    links: list[HiddenLink]


def hidden_links(
    info: strawberry.Info,
    ids: Annotated[
        list[strawberry.ID] | None,
        _arg("score pairs involving these entities (all candidate pairs when omitted)"),
    ] = None,
    hops: Annotated[int, _arg("how far apart a candidate pair may be (1 to 3, default 2)")] = 2,
    methods: list[hidden_.Method] | None = None,
    top: Annotated[
        int | None,
        _arg("how many pairs: 20 when omitted; at most the server's max_page (GRAPHSVC_MAX_PAGE)"),
    ] = None,
    min_score: Annotated[
        float | None, _arg("keep pairs whose first score is at least this")
    ] = None,
    link_types: Annotated[
        list[str] | None,
        _arg(
            "the link types to predict: a candidate has none of them (all types by default); "
            "COMBINED still uses links of every type as evidence"
        ),
    ] = None,
    since: Instant | None = None,
    until: Instant | None = None,
    min_confidence: float | None = None,
    entity_types: Annotated[
        list[str] | None, _arg("only pairs whose two ends are of these entity types")
    ] = None,
    explain: Annotated[bool, _arg("give the evidence behind each pair")] = False,
) -> HiddenLinks:
    ctx = context(info)
    chosen_methods = tuple(methods) if methods is not None else (hidden_.Method.COMBINED,)
    ctx.consult(
        "hiddenLinks",
        {
            "ids": ids,
            "hops": hops,
            "methods": [m.name for m in chosen_methods],
            "top": top,
            "minScore": min_score,
            "linkTypes": link_types,
            "since": since,
            "until": until,
            "minConfidence": min_confidence,
            "entityTypes": entity_types,
            "explain": explain or None,
        },
    )
    wanted = ctx.bounded("top", top, 20, ctx.limits.max_page, "max_page")
    target = link_filter(info, link_types, since, until, min_confidence)
    evidence_filter = LinkFilter(
        since=target.since, until=target.until, min_confidence=target.min_confidence
    )
    chosen = Selection(link_filter=evidence_filter)
    view = ctx.store.view(ctx.scope)
    scorer = hidden_.scorer_on(view, evidence_filter, target.types, ctx.schema.identifier_types)
    network = scorer.network
    seeds = None
    if ids is not None:
        ctx.check_limit("ids", len(ids), ctx.limits.max_ids, "max_ids")
        wanted_ids = sorted({str(i) for i in ids})
        seeds = network.positions_of(wanted_ids)
    allowed = _allowed(ctx, view, network, entity_types)
    found = hidden_.predict(
        scorer,
        chosen_methods,
        seeds,
        hops=hops,
        top=wanted,
        min_score=min_score,
        allowed=allowed,
    )
    source = _Materialiser(ctx, view, network)
    out = []
    for i, (u, v) in enumerate(zip(found.u.tolist(), found.v.tolist(), strict=True)):
        evidence = None
        if explain:
            why = hidden_.explain(scorer, u, v)
            evidence = Evidence(
                strengths=[EvidenceStrength(kind=k, strength=s) for k, s in why.strengths.items()],
                shared=[
                    SharedNeighbour(
                        identifier=s.identifier,
                        strength=s.strength,
                        vertex=s.vertex,
                        raw_links=s.links.tolist(),
                        source=source,
                    )
                    for s in why.shared
                ],
                explanation=why,
                source=source,
                flt=evidence_filter,
                hops=hops,
            )
        out.append(
            HiddenLink(
                score=float(found.scores[i, 0]),
                scores=[
                    MethodScore(method=m, score=float(found.scores[i, j]))
                    for j, m in enumerate(found.methods)
                ],
                evidence=evidence,
                u=u,
                v=v,
                source=source,
            )
        )
    return HiddenLinks(
        methods=list(found.methods),
        candidates=found.candidates,
        scope=AnalysisScope.of(network, chosen),
        links=out,
    )


def _allowed(
    ctx: RequestContext, view: ScopedView, network: Network, entity_types: list[str] | None
) -> np.ndarray[Any, np.dtype[np.bool_]] | None:
    if entity_types is None:
        return None
    for name in entity_types:
        try:
            ctx.schema.entity_type(name)
        except InvalidInput as exc:
            raise InvalidInput(exc.message, field="entityTypes") from None
    assert network.vertex_view is not None
    names = np.asarray(view.entity_type_names, dtype=object)
    types = names[view.vertex_type[network.vertex_view]] if network.n else names[:0]
    return np.isin(types, np.asarray(entity_types, dtype=object))
