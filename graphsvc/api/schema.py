"""The GraphQL schema: the ``Query`` operations investigators call, the ``Mutation`` of their
assessments, and the SDL they see. The analytics operations live in ``analytics.py`` and
``assessLink`` in ``assess.py``; this module assembles them.

Every operation reads through the caller's ``Scope`` (built from the authenticated principal
in ``graphsvc/api/app.py``; no argument reaches it) and records itself in the request's audit
trail before it reads anything. Entities and links the caller may not see are answered
exactly as ones that do not exist: ``entity`` and ``link`` raise NOT_FOUND, the others leave
them out.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import AddValidationRules
from strawberry.scalars import JSON
from strawberry.schema.config import StrawberryConfig
from strawberry.types.execution import ExecutionContext

from graphsvc.api import analytics, exports, queries, resolution
from graphsvc.api.analytics import Centrality, Communities, HiddenLinks
from graphsvc.api.assess import assess_link
from graphsvc.api.config import Limits
from graphsvc.api.types import (
    SCALARS,
    AuditEntry,
    AuditPage,
    Entity,
    EntityTypeInfo,
    Instant,
    Link,
    LinkTypeInfo,
    PageInfo,
    Path,
    Principal,
    PropertyType,
    SearchHit,
    Stats,
    Subgraph,
    context,
    decode_cursor,
    encode_cursor,
    link_filter,
)
from graphsvc.api.validation import limit_rules
from graphsvc.errors import Forbidden, GraphsvcError, InvalidInput, NotFound
from graphsvc.model.schema import PropertySpec
from graphsvc.policy.audit import through
from graphsvc.store.protocol import time_bound

log = logging.getLogger("graphsvc.api")


@strawberry.type(description="Read operations. Every answer holds only what the caller may see.")
class Query:
    communities: Communities = strawberry.field(
        resolver=analytics.communities,
        description="Communities of the visible graph, or of the neighbourhood of `ids`: "
        "modularity, and for each community its size, density, link types and most central "
        "members. Parallel links collapse into one weighted pair (`weighting`).",
    )
    centrality: Centrality = strawberry.field(
        resolver=analytics.centrality,
        description="The most central entities of the visible graph (or of the neighbourhood "
        "of `ids`) by a measure; BETWEENNESS says when it sampled.",
    )
    hidden_links: HiddenLinks = strawberry.field(
        resolver=analytics.hidden_links,
        description="Pairs of visible entities with no visible link (of `linkTypes`) that are "
        "probably linked, best first, with the evidence behind each when `explain` is set.",
    )

    run_query: queries.QueryAnswer = strawberry.field(
        resolver=queries.run_query,
        description="Run a query of the pipeline language in the caller's scope.",
    )
    run_saved_query: queries.QueryAnswer = strawberry.field(
        resolver=queries.run_saved_query,
        description="Run a saved query with these parameters, in the caller's scope (never "
        "its owner's). NOT_FOUND when the caller may not see it.",
    )
    saved_queries: list[queries.SavedQuery] = strawberry.field(
        resolver=queries.saved_queries,
        description="The saved queries the caller may see (latest versions), by name.",
    )
    saved_query: queries.SavedQuery = strawberry.field(
        resolver=queries.saved_query,
        description="One saved query. NOT_FOUND when it does not exist or is not shared with "
        "the caller.",
    )
    resolutions: list[resolution.Resolution] = strawberry.field(
        resolver=resolution.resolutions,
        description="Entity-resolution corrections (merges, splits, undos), newest first: the "
        "caller's own, or everyone's for supervisors and auditors; each as the caller may see "
        "it (those they see nothing of left out).",
    )

    @strawberry.field(description="The caller: identity, clearance, caveats and roles.")
    def me(self, info: strawberry.Info) -> Principal:
        ctx = context(info)
        ctx.consult("me", {})
        p = ctx.caller.principal
        return Principal(
            id=strawberry.ID(p.id),
            name=p.name,
            agency=p.agency,
            country=p.country,
            clearance=p.clearance,
            caveats=sorted(p.caveats),
            roles=sorted(p.roles),
            authentication=ctx.caller.auth,
        )

    @strawberry.field(
        description="One entity: its visible properties with the source of each value, its "
        "records and (paginated) links. NOT_FOUND when it does not exist or is not visible."
    )
    def entity(self, info: strawberry.Info, id: strawberry.ID) -> Entity | None:
        ctx = context(info)
        ctx.consult("entity", {"id": id})
        found = ctx.entity(str(id))
        if found is None:
            raise NotFound(f"no entity {str(id)!r}", field="id")
        return Entity.of(found, info)

    @strawberry.field(
        description="Several entities by id, in the order given; ids that do not exist or "
        "are not visible are left out."
    )
    def entities(self, info: strawberry.Info, ids: list[strawberry.ID]) -> list[Entity]:
        ctx = context(info)
        ctx.consult("entities", {"ids": ids})
        ctx.check_limit("ids", len(ids), ctx.limits.max_ids, "max_ids")
        found = ctx.store.get_entities(ctx.scope, list(dict.fromkeys(str(i) for i in ids)))
        return [Entity.of(e, info) for e in found]

    @strawberry.field(
        description="One link with its provenance, grading and handling. NOT_FOUND when it "
        "does not exist or is not visible."
    )
    def link(self, info: strawberry.Info, id: strawberry.ID) -> Link | None:
        ctx = context(info)
        ctx.consult("link", {"id": id})
        found = ctx.store.get_link(ctx.scope, str(id))
        if found is None:
            raise NotFound(f"no link {str(id)!r}", field="id")
        return Link.of(found, info)

    @strawberry.field(
        description="Entities by name (accents, case and typos tolerated) or by selector (a "
        "phone number, e-mail, IBAN or plate in any usual format), best first."
    )
    def search(
        self,
        info: strawberry.Info,
        text: str,
        types: list[str] | None = None,
        limit: Annotated[int | None, _max("20", "max_search")] = None,
    ) -> list[SearchHit]:
        ctx = context(info)
        ctx.consult("search", {"text": text, "types": types, "limit": limit})
        hits_wanted = ctx.bounded("limit", limit, 20, ctx.limits.max_search, "max_search")
        for name in types or []:
            try:
                ctx.schema.entity_type(name)
            except InvalidInput as exc:
                raise InvalidInput(exc.message, field="types") from None
        if not text.strip():
            raise InvalidInput("give something to search for", field="text")
        hits = ctx.store.search(ctx.scope, text, types, hits_wanted)
        return [SearchHit(hit=h) for h in hits]

    @strawberry.field(
        description="The neighbourhood of entities: everything within `hops` links, nearest "
        "first, at most `limit` entities and `maxLinks` links (`truncated` says when cut)."
    )
    def expand(
        self,
        info: strawberry.Info,
        ids: list[strawberry.ID],
        hops: int = 1,
        link_types: list[str] | None = None,
        since: Instant | None = None,
        until: Instant | None = None,
        min_confidence: float | None = None,
        limit: Annotated[int | None, _max("500", "max_nodes", "entities")] = None,
        max_links: Annotated[int | None, _max("5000", "max_links", "links")] = None,
    ) -> Subgraph:
        ctx = context(info)
        ctx.consult(
            "expand",
            {
                "ids": ids,
                "hops": hops,
                "linkTypes": link_types,
                "since": since,
                "until": until,
                "minConfidence": min_confidence,
                "limit": limit,
                "maxLinks": max_links,
            },
        )
        limits = ctx.limits
        ctx.check_limit("ids", len(ids), limits.max_ids, "max_ids")
        ctx.check_limit("hops", hops, limits.max_hops, "max_hops")
        nodes = ctx.bounded("limit", limit, 500, limits.max_nodes, "max_nodes")
        links = ctx.bounded("maxLinks", max_links, 5000, limits.max_links, "max_links")
        if nodes < 1:
            raise InvalidInput("must be at least 1", field="limit")
        flt = link_filter(info, link_types, since, until, min_confidence)
        found = ctx.store.expand(ctx.scope, [str(i) for i in ids], hops, flt, nodes, links)
        return Subgraph(result=found)

    @strawberry.field(
        description="Paths between two entities: the shortest first, then the next shortest, "
        "up to `limit`. An empty list when no path is visible."
    )
    def paths(
        self,
        info: strawberry.Info,
        from_: Annotated[strawberry.ID, strawberry.argument(name="from")],
        to: strawberry.ID,
        max_hops: Annotated[int | None, _max("4", "max_hops", "hops")] = None,
        link_types: list[str] | None = None,
        since: Instant | None = None,
        until: Instant | None = None,
        min_confidence: float | None = None,
        directed: bool = False,
        limit: Annotated[int | None, _max("5", "max_paths", "paths")] = None,
    ) -> list[Path]:
        ctx = context(info)
        ctx.consult(
            "paths",
            {
                "from": from_,
                "to": to,
                "maxHops": max_hops,
                "linkTypes": link_types,
                "since": since,
                "until": until,
                "minConfidence": min_confidence,
                "directed": directed,
                "limit": limit,
            },
        )
        hops = ctx.bounded("maxHops", max_hops, 4, ctx.limits.max_hops, "max_hops")
        wanted = ctx.bounded("limit", limit, 5, ctx.limits.max_paths, "max_paths")
        flt = link_filter(info, link_types, since, until, min_confidence)
        found = ctx.store.paths(ctx.scope, str(from_), str(to), hops, flt, wanted, directed)
        return [Path(result=p) for p in found]

    @strawberry.field(description="The given entities and the visible links among them.")
    def subgraph(
        self,
        info: strawberry.Info,
        ids: list[strawberry.ID],
        link_types: list[str] | None = None,
        since: Instant | None = None,
        until: Instant | None = None,
        min_confidence: float | None = None,
        max_links: Annotated[int | None, _max("5000", "max_links", "links")] = None,
    ) -> Subgraph:
        ctx = context(info)
        ctx.consult(
            "subgraph",
            {
                "ids": ids,
                "linkTypes": link_types,
                "since": since,
                "until": until,
                "minConfidence": min_confidence,
                "maxLinks": max_links,
            },
        )
        ctx.check_limit("ids", len(ids), ctx.limits.max_ids, "max_ids")
        links = ctx.bounded("maxLinks", max_links, 5000, ctx.limits.max_links, "max_links")
        flt = link_filter(info, link_types, since, until, min_confidence)
        found = ctx.store.subgraph(ctx.scope, [str(i) for i in ids], flt, links)
        return Subgraph(result=found)

    @strawberry.field(description="What the caller can see, counted by type, source and handling.")
    def stats(self, info: strawberry.Info) -> Stats:
        ctx = context(info)
        ctx.consult("stats", {})
        return Stats.of(ctx.store.stats(ctx.scope))

    @strawberry.field(description="The entity types of the schema (schema/entities.yaml).")
    def entity_types(self, info: strawberry.Info) -> list[EntityTypeInfo]:
        return [
            EntityTypeInfo(
                name=t.name,
                selector_prefix=t.selector.prefix if t.selector else None,
                properties=_property_types(t.properties.values()),
            )
            for t in context(info).schema.entities.values()
        ]

    @strawberry.field(description="The link types of the schema (schema/links.yaml).")
    def link_types(self, info: strawberry.Info) -> list[LinkTypeInfo]:
        return [
            LinkTypeInfo(
                name=t.name,
                directed=t.directed,
                from_types=list(t.from_types),
                to_types=list(t.to_types),
                time_property=t.time_property,
                properties=_property_types(t.properties.values()),
            )
            for t in context(info).schema.links.values()
        ]

    @strawberry.field(
        description="The audit log, oldest first (principals with the auditor role only)."
    )
    def audit_log(
        self,
        info: strawberry.Info,
        principal: strawberry.ID | None = None,
        operation: str | None = None,
        since: Instant | None = None,
        until: Instant | None = None,
        first: Annotated[int | None, _max("100", "max_page", "entries")] = None,
        after: str | None = None,
    ) -> AuditPage:
        ctx = context(info)
        ctx.consult(
            "auditLog",
            {
                "principal": principal,
                "operation": operation,
                "since": since,
                "until": until,
                "first": first,
                "after": after,
            },
        )
        if "auditor" not in ctx.caller.principal.roles:
            raise Forbidden("the audit log is open to principals with the auditor role only")
        size = ctx.bounded("first", first, 100, ctx.limits.max_page, "max_page")
        after_seq = decode_cursor(after)
        found = ctx.services.audit.entries(
            principal=str(principal) if principal is not None else None,
            operation=operation,
            since=time_bound(since, "since"),
            until=through(time_bound(until, "until", end=True)),
            after=after_seq,
            limit=size + 1,
        )
        page = found[:size]
        return AuditPage(
            entries=[
                AuditEntry(
                    seq=e.seq,
                    at=e.at,
                    principal=e.principal,
                    agency=e.agency,
                    authentication=e.auth,
                    operations=JSON([dict(op) for op in e.operations]),
                    justification=e.justification,
                    entities=[strawberry.ID(i) for i in e.entities],
                    links=[strawberry.ID(i) for i in e.links],
                    outcome=e.outcome,
                    client=e.client,
                    previous_hash=e.prev,
                    hash=e.hash,
                )
                for e in page
            ],
            page_info=PageInfo(
                has_next_page=len(found) > size,
                end_cursor=encode_cursor(page[-1].seq) if page else after,
            ),
        )


@strawberry.type(description="Write operations: analysts' own assessments, audited as reads are.")
class Mutation:
    export: exports.ExportResult = strawberry.field(
        resolver=exports.export_file,
        description="Export a selection as a file (GEXF, GraphML, CSV, Cytoscape, FtM, ANX) "
        "in the caller's scope, restricted for the purpose, with its handling banner; inline "
        "when small, else a download URL for the caller only. Audited as a disclosure.",
    )
    assess_link: Link = strawberry.field(
        resolver=assess_link,
        description="Promote a candidate into a link with `method: analyst` provenance, the "
        "analyst as its source and a handling no looser than the evidence joining the pair.",
    )
    save_query: queries.SavedQuery = strawberry.field(
        resolver=queries.save_query,
        description="Save a query under a name (a new version when the caller already has "
        "one by that name; earlier versions are kept).",
    )
    delete_saved_query: queries.SavedQuery = strawberry.field(
        resolver=queries.delete_saved_query,
        description="Delete one of the caller's saved queries (admins: any they can see).",
    )
    merge_entities: resolution.Resolution = strawberry.field(
        resolver=resolution.merge_entities,
        description="Correct resolution: these entities are one. Every record of the others, "
        "and every link end on them, moves to `into`, each record keeping its source, "
        "provenance, grading and handling; re-ingestion respects it. Audited; undoable.",
    )
    split_entity: resolution.Resolution = strawberry.field(
        resolver=resolution.split_entity,
        description="Correct resolution: this entity is two. The records and link ends named "
        "move to a new entity of the same type; re-ingestion respects it. Audited; undoable.",
    )
    undo_resolution: resolution.Resolution = strawberry.field(
        resolver=resolution.undo_resolution,
        description="Undo a merge or split (its author, or a supervisor): everything it moved "
        "goes back, when the graph still holds it where it put it (CONFLICT otherwise).",
    )


def _max(default: str, limit: str, what: str = "results") -> Any:
    """The description of a size argument: its default and the limit that caps it."""
    return strawberry.argument(
        description=f"how many {what}: {default} when omitted; at most the server's {limit} "
        f"(GRAPHSVC_{limit.upper()})"
    )


def _property_types(specs: Any) -> list[PropertyType]:
    out = []
    for spec in specs:
        assert isinstance(spec, PropertySpec)
        out.append(
            PropertyType(
                name=spec.name,
                type=spec.type,
                multiple=spec.multiple,
                values=list(spec.values) if spec.values is not None else None,
            )
        )
    return out


class GraphsvcSchema(strawberry.Schema):
    """Logs only unexpected errors: a NOT_FOUND or a limit is an answer, not a fault."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            original = error.original_error
            if original is not None and not isinstance(original, GraphsvcError | GraphQLError):
                log.error("internal error in %s", error.path, exc_info=original)


def build_schema(limits: Limits | None = None) -> strawberry.Schema:
    rules = limit_rules(limits or Limits())
    return GraphsvcSchema(
        query=Query,
        mutation=Mutation,
        extensions=[lambda: AddValidationRules(rules)],
        config=StrawberryConfig(scalar_map=SCALARS),
    )


def sdl(schema: strawberry.Schema | None = None) -> str:
    """The schema in GraphQL SDL, as committed in ``schema/schema.graphql``."""
    return (schema or build_schema()).as_str() + "\n"
