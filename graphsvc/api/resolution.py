"""Entity-resolution corrections over GraphQL: the ``mergeEntities``, ``splitEntity`` and
``undoResolution`` mutations and the ``resolutions`` query.

A correction is made in the caller's scope: every entity, record and link named must be
visible to the caller (one they may not see is NOT_FOUND, exactly like one that does not
exist). A merge moves every record of the merged entities, those the caller may not see
included (the identity is of the entity), but the answer shows only the moves the caller may
see; the audit entry of the request records the correction's id and how many records and links
it moved in all. Analysts and supervisors correct; a correction is readable by its author,
supervisors and auditors (``graphsvc.policy.corrections``).
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import strawberry

from graphsvc.api.context import RequestContext
from graphsvc.api.types import Handling, context
from graphsvc.errors import NotFound
from graphsvc.policy.corrections import author_filter, check_may_correct, may_read
from graphsvc.store import resolution as model
from graphsvc.store.resolution import RecordRef


@strawberry.enum(description="What a correction did.")
class ResolutionKind(Enum):
    MERGE = "merge"
    SPLIT = "split"
    UNDO = "undo"


@strawberry.enum(description="One end of a link.")
class LinkEnd(Enum):
    FROM = "from"
    TO = "to"


@strawberry.input(description="An entity record, by its source and its id in that source.")
class RecordRefInput:
    source: str
    record: str


@strawberry.type(description="An entity record a correction re-pointed, with its handling.")
class RecordMove:
    source: str
    record: str
    from_: strawberry.ID = strawberry.field(name="from")
    to: strawberry.ID
    handling: Handling


@strawberry.type(description="A link end a correction re-pointed, with the link's handling.")
class LinkMove:
    link: strawberry.ID
    end: LinkEnd
    from_: strawberry.ID = strawberry.field(name="from")
    to: strawberry.ID
    handling: Handling


@strawberry.type(
    description="An entity-resolution correction, as the caller may see it: only the moves of "
    "records and links they may see, and only entities they see or a visible move names."
)
class Resolution:
    id: strawberry.ID
    kind: ResolutionKind
    by: strawberry.ID = strawberry.field(description="the principal who made it")
    at: str = strawberry.field(description="when (UTC)")
    reason: str
    entity_type: str
    target: strawberry.ID | None = strawberry.field(
        description="merge: the entity kept; split: the new entity; undo: the target of the "
        "correction undone (null when the caller sees nothing of it)"
    )
    entities: list[strawberry.ID] = strawberry.field(description="the entities involved")
    moved_records: int = strawberry.field(description="entity records moved that you may see")
    moved_links: int = strawberry.field(description="link ends moved that you may see")
    records: list[RecordMove]
    links: list[LinkMove]
    undoes: strawberry.ID | None = strawberry.field(description="undo: the correction undone")
    undone_by: strawberry.ID | None = strawberry.field(description="the undo that undid it")

    @classmethod
    def of(cls, found: model.Resolution, info: strawberry.Info) -> Resolution:
        ctx = context(info)
        ctx.entities.update(found.entities)
        ctx.links.update(found.link_ids)
        return cls(
            id=strawberry.ID(found.id),
            kind=ResolutionKind(found.kind),
            by=strawberry.ID(found.by),
            at=found.at,
            reason=found.reason,
            entity_type=found.entity_type,
            target=strawberry.ID(found.target) if found.target is not None else None,
            entities=[strawberry.ID(e) for e in found.entities],
            moved_records=len(found.records),
            moved_links=len(found.links),
            records=[
                RecordMove(
                    source=m.source,
                    record=m.record,
                    from_=strawberry.ID(m.from_id),
                    to=strawberry.ID(m.to_id),
                    handling=Handling.of(m.handling, info),
                )
                for m in found.records
            ],
            links=[
                LinkMove(
                    link=strawberry.ID(m.link),
                    end=LinkEnd(m.end),
                    from_=strawberry.ID(m.from_id),
                    to=strawberry.ID(m.to_id),
                    handling=Handling.of(m.handling, info),
                )
                for m in found.links
            ],
            undoes=strawberry.ID(found.undoes) if found.undoes else None,
            undone_by=strawberry.ID(found.undone_by) if found.undone_by else None,
        )


def _arg(description: str) -> Any:
    return strawberry.argument(description=description)


def _made(ctx: RequestContext, found: model.Resolution, info: strawberry.Info) -> Resolution:
    """The answer of a correcting mutation; its audit entry names the correction and counts
    everything it moved."""
    ctx.operations[-1]["arguments"].update(
        resolution=found.id, recordsMoved=found.records_moved, linksMoved=found.links_moved
    )
    return Resolution.of(found, info)


def merge_entities(
    info: strawberry.Info,
    ids: Annotated[list[strawberry.ID], _arg("the entities that are one (at least two)")],
    into: Annotated[
        strawberry.ID | None, _arg("the id kept: one of `ids` (default: the first)")
    ] = None,
    *,
    reason: Annotated[str, _arg("why they are one: the correction's justification")],
) -> Resolution:
    ctx = context(info)
    ctx.consult("mergeEntities", {"ids": ids, "into": into, "reason": reason})
    principal = ctx.caller.principal
    check_may_correct(principal)
    ctx.check_limit("ids", len(ids), ctx.limits.max_ids, "max_ids")
    ctx.services.audit.ping()  # no unaudited write: refuse before writing, not after
    found = ctx.store.merge_entities(
        ctx.scope,
        [str(i) for i in ids],
        str(into) if into is not None else None,
        by=principal.id,
        reason=reason,
    )
    return _made(ctx, found, info)


def split_entity(
    info: strawberry.Info,
    id: Annotated[strawberry.ID, _arg("the entity that is two")],
    records: Annotated[list[RecordRefInput], _arg("its records that go to the new entity")],
    links: Annotated[
        list[strawberry.ID] | None, _arg("links whose ends on `id` go to the new entity")
    ] = None,
    new_id: Annotated[
        strawberry.ID | None,
        _arg("the new entity's id (default: `<id>~split-<digest of what moves>`)"),
    ] = None,
    *,
    reason: Annotated[str, _arg("why they are two: the correction's justification")],
) -> Resolution:
    ctx = context(info)
    ctx.consult(
        "splitEntity",
        {
            "id": id,
            "records": [{"source": r.source, "record": r.record} for r in records],
            "links": links,
            "newId": new_id,
            "reason": reason,
        },
    )
    principal = ctx.caller.principal
    check_may_correct(principal)
    ctx.services.audit.ping()
    found = ctx.store.split_entity(
        ctx.scope,
        str(id),
        [RecordRef(r.source, r.record) for r in records],
        [str(i) for i in links or []],
        str(new_id) if new_id is not None else None,
        by=principal.id,
        reason=reason,
    )
    return _made(ctx, found, info)


def undo_resolution(
    info: strawberry.Info,
    id: Annotated[strawberry.ID, _arg("the merge or split to undo")],
    reason: Annotated[str, _arg("why: the undo's justification")],
) -> Resolution:
    ctx = context(info)
    ctx.consult("undoResolution", {"id": id, "reason": reason})
    principal = ctx.caller.principal
    check_may_correct(principal)
    seen = ctx.store.get_resolution(ctx.scope, str(id))
    if seen is None or not may_read(principal, seen.by):
        raise NotFound(f"no correction {str(id)!r}", field="id")
    ctx.services.audit.ping()
    found = ctx.store.undo_resolution(ctx.scope, str(id), by=principal.id, reason=reason)
    return _made(ctx, found, info)


def resolutions(
    info: strawberry.Info,
    entity: Annotated[strawberry.ID | None, _arg("only corrections involving this entity")] = None,
    limit: Annotated[
        int | None,
        _arg("how many: 50 when omitted; at most the server's max_page (GRAPHSVC_MAX_PAGE)"),
    ] = None,
) -> list[Resolution]:
    ctx = context(info)
    ctx.consult("resolutions", {"entity": entity, "limit": limit})
    size = ctx.bounded("limit", limit, 50, ctx.limits.max_page, "max_page")
    found = ctx.store.resolutions(
        ctx.scope,
        str(entity) if entity is not None else None,
        author_filter(ctx.caller.principal),
        size,
    )
    return [Resolution.of(r, info) for r in found]
