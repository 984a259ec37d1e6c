"""The ``export`` mutation and the downloads it leaves at ``GET /exports/{id}``.

``export(format, purpose, what, delivery)`` makes the file of one selection (an expand, paths,
a subgraph, a community, a query or saved query, or the whole visible graph) in the caller's
scope, restricted for the purpose, with its banner. A small file comes back inline (text, or
base64 for the CSV zip); a larger one (or ``delivery: DOWNLOAD``) is kept in memory for
``max_export_age_seconds`` and fetched by the same principal at ``/exports/{id}``. The
audit entry of the request records the export as a disclosure: format, purpose, digest and
the id of every entity and link in the file. A download is only published once that entry is
written.
"""

from __future__ import annotations

import base64
import dataclasses
from datetime import UTC, datetime, timedelta
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from graphsvc.analytics import communities as communities_
from graphsvc.analytics.network import Weighting
from graphsvc.api.analytics import selection
from graphsvc.api.context import RequestContext
from graphsvc.api.types import Instant, context, link_filter
from graphsvc.errors import InvalidInput, LimitExceeded
from graphsvc.export import select as s
from graphsvc.export.service import ExportFile, export
from graphsvc.model.exchange import FormatName, Purpose
from graphsvc.store.protocol import LinkFilter

strawberry.enum(
    FormatName,
    name="ExportFormat",
    description="GEXF (Gephi), GRAPHML (yEd, Cytoscape, networkx), CSV (Gephi spreadsheet "
    "import, zipped), CYTOSCAPE (Cytoscape.js JSON), FTM (FollowTheMoney JSON lines), "
    "ANX (i2 Analyst's Notebook).",
)
strawberry.enum(
    Purpose,
    name="ExportPurpose",
    description="INTERNAL: everything the caller sees. DISSEMINATION: withholds records whose "
    "handling code forbids passing them on without the originator's permission (unless the "
    "caller's agency is the originator). JUDICIAL: withholds records whose code forbids use "
    "as evidence.",
)


@strawberry.enum(description="How the file comes back.")
class Delivery(Enum):
    AUTO = "auto"
    """inline up to the server's max_inline_export_bytes, else a download URL"""
    INLINE = "inline"
    DOWNLOAD = "download"


@strawberry.input(description="Links considered: by type, time window and confidence.")
class LinkScope:
    link_types: list[str] | None = None
    since: Instant | None = None
    until: Instant | None = None
    min_confidence: float | None = None


@strawberry.input(description="The neighbourhood of entities, as `expand` answers it.")
class ExpandExport:
    ids: list[strawberry.ID]
    hops: int = 1
    links: LinkScope | None = None
    limit: int | None = strawberry.field(default=None, description="entities (500 if omitted)")
    max_links: int | None = strawberry.field(default=None, description="links (5000 if omitted)")


@strawberry.input(description="Paths between two entities, as `paths` answers them.")
class PathsExport:
    from_: strawberry.ID = strawberry.field(name="from")
    to: strawberry.ID
    max_hops: int = 4
    links: LinkScope | None = None
    limit: int = 5
    directed: bool = False


@strawberry.input(description="Given entities and the visible links among them.")
class SubgraphExport:
    ids: list[strawberry.ID]
    links: LinkScope | None = None


@strawberry.input(
    description="One community of the partition `communities` computes with the same "
    "arguments: give its number (`community`, 0 = the largest) or one of its members."
)
class CommunityExport:
    community: int | None = None
    member: strawberry.ID | None = None
    algorithm: communities_.Algorithm = communities_.Algorithm.LEIDEN
    ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="analyse the neighbourhood of these (whole graph if omitted)"
    )
    hops: int = 2
    links: LinkScope | None = None
    weighting: Weighting = Weighting.COUNT
    weight_property: str | None = None
    resolution: float | None = None
    seed: int = 0


@strawberry.input(description="The answer of a query, or of a saved query (by name).")
class QueryExport:
    query: str | None = None
    saved: str | None = strawberry.field(default=None, description="name, or owner/name")
    version: int | None = None
    params: JSON | None = None


@strawberry.input(one_of=True, description="What to export: exactly one of these.")
class ExportSelection:
    expand: ExpandExport | None = strawberry.UNSET
    paths: PathsExport | None = strawberry.UNSET
    subgraph: SubgraphExport | None = strawberry.UNSET
    community: CommunityExport | None = strawberry.UNSET
    query: QueryExport | None = strawberry.UNSET
    visible_graph: LinkScope | None = strawberry.field(
        default=strawberry.UNSET,
        description="the whole visible graph (`{}` for every link)",
    )


@strawberry.type(description="The handling banner the file carries.")
class ExportBanner:
    marking: str = strawberry.field(description="e.g. CONFIDENTIAL // REL FR // H2")
    classification: str = strawberry.field(description="the highest in the file")
    releasable_to: list[str] = strawberry.field(description="the markings present (union)")
    releasable_to_all: list[str] | None = strawberry.field(
        description="to whom every element is releasable (null: no element restricts it)"
    )
    caveats: list[str]
    handling_codes: list[str]
    originators: list[str]
    withheld: str = strawberry.field(description="what the purpose withheld, in counts")
    withheld_elements: int
    analysis: str | None = strawberry.field(
        description="when the file carries analysis values: what they were computed on (the "
        "marking covers it)"
    )
    text: str = strawberry.field(description="the banner as the file carries it")


@strawberry.type(description="An export file: inline, or at a short-lived download URL.")
class ExportResult:
    id: strawberry.ID
    format: FormatName
    purpose: Purpose
    filename: str
    media_type: str
    size: int = strawberry.field(description="bytes")
    sha256: str
    entities: int
    links: int
    truncated: bool = strawberry.field(description="the selection was cut by its limits")
    banner: ExportBanner
    encoding: str | None = strawberry.field(
        description="of `content`: utf-8 for text formats, base64 for the CSV zip"
    )
    content: str | None = strawberry.field(description="the file, when inline")
    url: str | None = strawberry.field(
        description="where the caller (only) downloads it, when not inline"
    )
    expires_at: str | None = None

    @classmethod
    def of(cls, made: ExportFile, ctx: RequestContext, delivery: Delivery) -> ExportResult:
        inline_limit = ctx.limits.max_inline_export_bytes
        inline = delivery is Delivery.INLINE or (
            delivery is Delivery.AUTO and made.size <= inline_limit
        )
        if delivery is Delivery.INLINE and made.size > inline_limit:
            raise InvalidInput(
                f"the file is {made.size:,} bytes, over the {inline_limit:,} returned inline "
                "(max_inline_export_bytes): use delivery DOWNLOAD",
                field="delivery",
            )
        content = encoding = url = expires = None
        if inline:
            binary = made.format.name is FormatName.CSV
            encoding = "base64" if binary else "utf-8"
            content = (
                base64.b64encode(made.content).decode("ascii")
                if binary
                else made.content.decode("utf-8")
            )
        else:
            if not ctx.services.downloads.fits(made.size):
                most = ctx.limits.max_export_store_bytes
                raise LimitExceeded(
                    f"the file is {made.size:,} bytes, over the {most:,} kept for download "
                    "(max_export_store_bytes): export a narrower selection",
                    field="what",
                )
            ctx.downloads.append(made)
            url = f"/exports/{made.id}"
            age = ctx.limits.max_export_age_seconds
            expires = (datetime.now(UTC) + timedelta(seconds=age)).strftime("%Y-%m-%dT%H:%M:%SZ")
        b = made.banner
        return cls(
            id=strawberry.ID(made.id),
            format=made.format.name,
            purpose=made.purpose,
            filename=made.filename,
            media_type=made.format.media_type,
            size=made.size,
            sha256=made.sha256,
            entities=b.entities,
            links=b.links,
            truncated=b.truncated,
            banner=ExportBanner(
                marking=b.marking,
                classification=b.classification,
                releasable_to=list(b.releasable_to),
                releasable_to_all=None
                if b.releasable_to_all is None
                else list(b.releasable_to_all),
                caveats=list(b.caveats),
                handling_codes=[code for code, _ in b.codes],
                originators=list(b.originators),
                withheld=b.withheld,
                withheld_elements=b.withheld_elements,
                analysis=b.analysis,
                text=b.text(),
            ),
            encoding=encoding,
            content=content,
            url=url,
            expires_at=expires,
        )


def export_file(
    info: strawberry.Info,
    format: FormatName,
    what: ExportSelection,
    purpose: Purpose = Purpose.INTERNAL,
    delivery: Delivery = Delivery.AUTO,
) -> ExportResult:
    ctx = context(info)
    arguments = {
        "format": format.value,
        "purpose": purpose.value,
        "delivery": delivery.value,
        "what": _plain(dataclasses.asdict(what)),
    }
    ctx.consult("export", arguments)
    chosen = _selected(info, ctx, what)
    made = export(
        ctx.store,
        ctx.scope,
        chosen,
        format,
        purpose,
        justification=ctx.justification,
        limits=ctx.limits.export_limits(),
    )
    ctx.disclosed(made)
    return ExportResult.of(made, ctx, delivery)


def _selected(info: strawberry.Info, ctx: RequestContext, what: ExportSelection) -> s.Selected:
    limits = ctx.limits
    if what.expand:
        e = what.expand
        ctx.check_limit("ids", len(e.ids), limits.max_ids, "max_ids")
        ctx.check_limit("hops", e.hops, limits.max_hops, "max_hops")
        most = limits.max_export_elements
        nodes = ctx.bounded("limit", e.limit, 500, most, "max_export_elements")
        links = ctx.bounded("maxLinks", e.max_links, 5000, most, "max_export_elements")
        return s.ExpandSelection(
            tuple(str(i) for i in e.ids), e.hops, _links(info, e.links), nodes, links
        )
    if what.paths:
        p = what.paths
        ctx.check_limit("maxHops", p.max_hops, limits.max_hops, "max_hops")
        ctx.check_limit("limit", p.limit, limits.max_paths, "max_paths")
        return s.PathsSelection(
            str(p.from_), str(p.to), p.max_hops, _links(info, p.links), p.limit, p.directed
        )
    if what.subgraph:
        g = what.subgraph
        ctx.check_limit("ids", len(g.ids), limits.max_ids, "max_ids")
        return s.SubgraphSelection(
            tuple(str(i) for i in g.ids), _links(info, g.links), limits.max_export_elements
        )
    if what.community:
        c = what.community
        scope = c.links or LinkScope()
        analysis = selection(
            info,
            c.ids,
            c.hops,
            scope.link_types,
            scope.since,
            scope.until,
            scope.min_confidence,
            c.weighting,
            c.weight_property,
        )
        return s.CommunitySelection(
            analysis,
            c.algorithm,
            c.resolution,
            c.seed,
            c.community,
            None if c.member is None else str(c.member),
        )
    if what.query:
        q = what.query
        if q.params is not None and not isinstance(q.params, dict):
            raise InvalidInput("params must be an object of values by name", field="params")
        return s.QuerySelection(q.query, q.saved, q.version, q.params)
    if what.visible_graph is not None and what.visible_graph is not strawberry.UNSET:
        return s.VisibleSelection(_links(info, what.visible_graph))
    raise InvalidInput("say what to export", field="what")


def _links(info: strawberry.Info, given: LinkScope | None) -> LinkFilter:
    g = given or LinkScope()
    return link_filter(info, g.link_types, g.since, g.until, g.min_confidence)


def _plain(value: object) -> object:
    """Arguments as JSON for the audit entry (enums by name, UNSET dropped)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        unset = (None, strawberry.UNSET)
        return {k: _plain(v) for k, v in value.items() if not any(v is u for u in unset)}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
