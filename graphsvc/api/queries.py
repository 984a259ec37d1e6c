"""The DSL over GraphQL: ``runQuery``, ``runSavedQuery``, ``savedQueries``, ``savedQuery`` and
the ``saveQuery``/``deleteSavedQuery`` mutations.

A query runs in the caller's scope, whoever saved it. A saved query the caller may not see is
NOT_FOUND, exactly like one that does not exist. Every run is audited: the operation records
the query text and parameters, and the audit entry lists every entity and link id the answer
holds, whether or not the client selected them.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from graphsvc.api.context import RequestContext
from graphsvc.api.exports import Delivery, ExportResult
from graphsvc.api.types import Entity, Link, Path, context
from graphsvc.errors import InvalidQuery
from graphsvc.export.select import QuerySelection
from graphsvc.export.service import export
from graphsvc.query import execute as execute_
from graphsvc.query import library
from graphsvc.query.run import run_query as run_query_
from graphsvc.query.saved import SavedQueries
from graphsvc.query.saved import SavedQuery as SavedModel


@strawberry.enum(description="Who may see and run a saved query besides its owner.")
class Sharing(Enum):
    PRIVATE = "private"
    AGENCY = "agency"
    EVERYONE = "everyone"


def _arg(description: str) -> Any:
    return strawberry.argument(description=description)


# -- answers -------------------------------------------------------------------------------------


@strawberry.type(description="An entity of a query's answer, with what the pipeline computed.")
class QueryNode:
    degree: int = strawberry.field(description="links to other entities of the answer")
    score: float | None = strawberry.field(description="after rank: the measure's score")
    rank: int | None = strawberry.field(description="after rank: 1 for the highest score")
    community: int | None = strawberry.field(description="after communities: its community")
    found: strawberry.Private[execute_.ResultNode]

    @strawberry.field
    def entity(self, info: strawberry.Info) -> Entity:
        return Entity.of(self.found.entity, info)


@strawberry.type(description="A community found by a communities stage.")
class QueryCommunity:
    id: int = strawberry.field(description="0 for the largest")
    size: int
    density: float
    members: list[strawberry.ID] = strawberry.field(
        description="entity ids, most central first (at most 20)"
    )
    link_types: JSON = strawberry.field(description="links inside, by type")


@strawberry.type(description="One method's score of a candidate pair.")
class QueryScore:
    method: str
    score: float


@strawberry.type(description="A candidate hidden link found by a hidden-links stage.")
class QueryPair:
    score: float
    scores: list[QueryScore]
    found: strawberry.Private[execute_.ResultPair]

    @strawberry.field(name="from")
    def from_(self, info: strawberry.Info) -> Entity:
        return Entity.of(self.found.source, info)

    @strawberry.field
    def to(self, info: strawberry.Info) -> Entity:
        return Entity.of(self.found.target, info)


@strawberry.type(description="The rows of `return table ...`.")
class QueryTable:
    columns: list[str]
    rows: JSON = strawberry.field(description="a list of rows, each a list of cells")


@strawberry.type(description="The answer to a DSL query.")
class QueryAnswer:
    parts: list[str] = strawberry.field(description="what the query returns (see `return`)")
    count: int = strawberry.field(description="entities in the final working set")
    modularity: float | None
    elapsed_ms: float
    table: QueryTable | None
    export: ExportResult | None = strawberry.field(
        description="the answer as a file, when the query ends with `return as FORMAT`"
    )
    result: strawberry.Private[execute_.QueryResult]

    @strawberry.field
    def nodes(self) -> list[QueryNode]:
        return [
            QueryNode(degree=n.degree, score=n.score, rank=n.rank, community=n.community, found=n)
            for n in self.result.nodes
        ]

    @strawberry.field
    def links(self, info: strawberry.Info) -> list[Link]:
        return [Link.of(link, info) for link in self.result.links]

    @strawberry.field
    def paths(self) -> list[Path]:
        return [Path(result=p) for p in self.result.paths]

    @strawberry.field
    def communities(self) -> list[QueryCommunity]:
        return [
            QueryCommunity(
                id=c.id,
                size=c.size,
                density=c.density,
                members=[strawberry.ID(m) for m in c.members],
                link_types=JSON(c.link_types),
            )
            for c in self.result.communities
        ]

    @strawberry.field
    def hidden_links(self) -> list[QueryPair]:
        return [
            QueryPair(
                score=p.score,
                scores=[QueryScore(method=m, score=s) for m, s in p.scores.items()],
                found=p,
            )
            for p in self.result.hidden_links
        ]


@strawberry.type(description="A declared parameter of a saved query.")
class QueryParameter:
    name: str
    type: str = strawberry.field(
        description="string, integer, number, boolean, date, datetime or `list of` one of them"
    )
    required: bool
    default: JSON | None


@strawberry.type(description="A saved query (one version of it).")
class SavedQuery:
    name: str
    qualified_name: str = strawberry.field(description="owner/name: unambiguous")
    version: int
    description: str
    body: str
    owner: str
    agency: str
    sharing: Sharing
    created_at: str
    updated_at: str
    parameters: list[QueryParameter]
    found: strawberry.Private[SavedModel]

    @classmethod
    def of(cls, q: SavedModel) -> SavedQuery:
        return cls(
            name=q.name,
            qualified_name=q.qualified_name,
            version=q.version,
            description=q.description,
            body=q.body,
            owner=q.owner,
            agency=q.agency,
            sharing=Sharing(q.sharing),
            created_at=q.created_at,
            updated_at=q.updated_at,
            parameters=[
                QueryParameter(
                    name=str(p["name"]),
                    type=str(p["type"]),
                    required=bool(p.get("required", True)),
                    default=JSON(p.get("default")),
                )
                for p in q.parameters
            ],
            found=q,
        )

    @strawberry.field(description="every version, oldest first")
    def versions(self, info: strawberry.Info) -> list[SavedQuery]:
        ctx = context(info)
        found = _saved(ctx).history(ctx.caller.principal, self.found.qualified_name)
        return [SavedQuery.of(q) for q in found]


# -- resolvers -----------------------------------------------------------------------------------


def _saved(ctx: RequestContext) -> SavedQueries:
    return SavedQueries(ctx.store)


def _run(
    ctx: RequestContext,
    text: str,
    params: Any,
    *,
    declared_only: bool,
    saved: SavedModel | None = None,
) -> QueryAnswer:
    limits = ctx.limits.query_limits()
    result = run_query_(
        ctx.store, ctx.scope, text, _params(params), limits, declared_only=declared_only
    )
    # the audit entry names everything the answer holds, selected by the client or not
    ctx.entities.update(result.entity_ids)
    ctx.links.update(result.link_ids)
    exported = None
    if result.export is not None:
        fmt, purpose = result.export
        selected = (
            QuerySelection(text=text, params=_params(params))
            if saved is None
            else QuerySelection(saved=saved.qualified_name, version=saved.version, found=saved)
        )
        made = export(
            ctx.store,
            ctx.scope,
            selected,
            fmt,
            purpose,
            justification=ctx.justification,
            limits=ctx.limits.export_limits(),
            result=result,
        )
        ctx.disclosed(made)
        exported = ExportResult.of(made, ctx, Delivery.AUTO)
    return QueryAnswer(
        export=exported,
        parts=list(result.parts),
        count=result.count,
        modularity=result.modularity,
        elapsed_ms=round(result.elapsed * 1000, 3),
        table=QueryTable(
            columns=list(result.table.columns), rows=JSON([list(r) for r in result.table.rows])
        )
        if result.table is not None
        else None,
        result=result,
    )


def _params(params: Any) -> dict[str, Any]:
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise InvalidQuery("params is an object of parameter names and values", field="params")
    return dict(params)


def run_query(
    info: strawberry.Info,
    dsl: Annotated[str, _arg("the query text (see the README's query language chapter)")],
    params: Annotated[JSON | None, _arg("parameter values by name, without the $")] = None,
) -> QueryAnswer:
    ctx = context(info)
    ctx.consult("runQuery", {"dsl": dsl, "params": params})
    return _run(ctx, dsl, params, declared_only=False)


def run_saved_query(
    info: strawberry.Info,
    name: Annotated[str, _arg("name, or owner/name")],
    params: Annotated[JSON | None, _arg("parameter values by name, without the $")] = None,
    version: Annotated[int | None, _arg("an earlier version (the latest when omitted)")] = None,
) -> QueryAnswer:
    ctx = context(info)
    ctx.consult("runSavedQuery", {"name": name, "params": params, "version": version})
    found = _saved(ctx).get(ctx.caller.principal, name, version)
    ctx.operations[-1]["arguments"]["query"] = found.qualified_name
    ctx.operations[-1]["arguments"]["dsl"] = found.body
    ctx.operations[-1]["arguments"]["version"] = found.version
    return _run(ctx, found.body, params, declared_only=True, saved=found)


def saved_queries(info: strawberry.Info) -> list[SavedQuery]:
    ctx = context(info)
    ctx.consult("savedQueries", {})
    return [SavedQuery.of(q) for q in _saved(ctx).list(ctx.caller.principal)]


def saved_query(
    info: strawberry.Info,
    name: Annotated[str, _arg("name, or owner/name")],
    version: Annotated[int | None, _arg("an earlier version (the latest when omitted)")] = None,
) -> SavedQuery:
    ctx = context(info)
    ctx.consult("savedQuery", {"name": name, "version": version})
    return SavedQuery.of(_saved(ctx).get(ctx.caller.principal, name, version))


def save_query(
    info: strawberry.Info,
    name: Annotated[str, _arg("letters, digits, '.', '_' and '-'")],
    body: Annotated[str, _arg("the query, its parameters declared with `param`")],
    description: str = "",
    sharing: Sharing = Sharing.PRIVATE,
) -> SavedQuery:
    ctx = context(info)
    ctx.consult("saveQuery", {"name": name, "sharing": sharing.value, "body": body})
    parameters = library.checked(body)
    saved = _saved(ctx).save(
        ctx.caller.principal,
        name,
        body,
        description=description,
        parameters=tuple(p.to_dict() for p in parameters),
        sharing=sharing.value,
    )
    return SavedQuery.of(saved)


def delete_saved_query(
    info: strawberry.Info, name: Annotated[str, _arg("name, or owner/name")]
) -> SavedQuery:
    ctx = context(info)
    ctx.consult("deleteSavedQuery", {"name": name})
    return SavedQuery.of(_saved(ctx).delete(ctx.caller.principal, name))
