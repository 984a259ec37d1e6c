"""The ``assessLink`` mutation: an analyst promotes a candidate into a real, attributable link.

The link is validated as any ingested link is (``RecordValidator``), and carries
``method: analyst`` provenance with the analyst as its source (``analyst:<principal id>``),
their confidence and their note. Its handling is never looser than the visible evidence
joining the pair (``graphsvc/policy/derive.py``): by default exactly that floor, originated
by the analyst's agency; the analyst may choose a stricter one. One analyst assessing the
same pair and type again updates their assessment instead of adding a second one.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from graphsvc.api.types import Instant, Link, context
from graphsvc.errors import Forbidden, InvalidInput, NotFound
from graphsvc.model.records import EndSpec, Handling, RecordValidator, Unresolved, now_iso
from graphsvc.policy.derive import derived, looser_than
from graphsvc.store.protocol import OPEN

EVIDENCE_HOPS = 3
EVIDENCE_PATHS = 20
ASSESSING_ROLES = frozenset({"analyst", "supervisor"})


@strawberry.input(description="A grading (default: the most cautious grades of the scale).")
class GradingInput:
    source: str
    information: str


@strawberry.input(description="A handling; its originator is always the caller's agency.")
class HandlingInput:
    classification: str
    releasable_to: list[str] = strawberry.field(default_factory=list)
    caveats: list[str] = strawberry.field(default_factory=list)
    code: str
    retain_until: Instant | None = None


def assess_link(
    info: strawberry.Info,
    from_: Annotated[strawberry.ID, strawberry.argument(name="from")],
    to: strawberry.ID,
    type: str,
    note: Annotated[str, strawberry.argument(description="the analyst's reasoning")],
    confidence: Annotated[float, strawberry.argument(description="0 to 1")],
    grading: GradingInput | None = None,
    handling: Annotated[
        HandlingInput | None,
        strawberry.argument(
            description="at least as restricted as the evidence joining the pair (the default)"
        ),
    ] = None,
    properties: Annotated[
        JSON | None, strawberry.argument(description="properties of the link type")
    ] = None,
) -> Link:
    ctx = context(info)
    ctx.consult(
        "assessLink",
        {
            "from": from_,
            "to": to,
            "type": type,
            "note": note,
            "confidence": confidence,
            "grading": vars(grading) if grading else None,
            "handling": vars(handling) if handling else None,
            "properties": properties,
        },
    )
    principal = ctx.caller.principal
    if not principal.roles & ASSESSING_ROLES:
        raise Forbidden("assessing links is open to analysts and supervisors")
    ends = {}
    for field, entity_id in (("from", str(from_)), ("to", str(to))):
        found = ctx.entity(entity_id)
        if found is None:
            raise NotFound(f"no entity {entity_id!r}", field=field)
        ends[entity_id] = found.type
    if str(from_) == str(to):
        raise InvalidInput("a link joins two different entities", field="to")
    if not note.strip():
        raise InvalidInput("say why: the note is the assessment's justification", field="note")
    policy = ctx.schema.policy
    link_id = _assessment_id(ctx, principal.id, str(from_), str(to), type)
    paths = ctx.store.paths(ctx.scope, str(from_), str(to), EVIDENCE_HOPS, OPEN, EVIDENCE_PATHS)
    # the assessment being replaced is not evidence for itself
    evidence = {link.id: link.handling for p in paths for link in p.links if link.id != link_id}
    floor = derived(list(evidence.values()), policy, principal.agency, principal.agency)
    chosen = floor if handling is None else _chosen(ctx, handling, principal.agency)
    why = looser_than(chosen, floor, policy)
    if why is not None:
        raise InvalidInput(f"looser than the evidence joining the pair: {why}", field="handling")
    if not ctx.scope.allows(chosen):
        raise InvalidInput(
            "you could not read a link with this handling yourself", field="handling"
        )
    grades = grading or GradingInput(
        source=list(policy.source_grades)[-1], information=list(policy.information_grades)[-1]
    )
    raw: dict[str, Any] = {
        "kind": "link",
        "id": link_id,
        "type": type,
        "from": str(from_),
        "to": str(to),
        "properties": properties or {},
        "provenance": {
            "source": f"analyst:{principal.id}",
            "record": link_id,
            "method": "analyst",
            "observedAt": now_iso(),
            "confidence": confidence,
            "note": note.strip(),
        },
        "grading": {"source": grades.source, "information": grades.information},
        "handling": _record_handling(chosen),
    }
    validator = RecordValidator(ctx.schema)
    try:
        draft = validator.link(raw, region=principal.country)
        src = validator.resolve_end(draft, EndSpec(field="from", raw=str(from_)), ends.get)
        dst = validator.resolve_end(draft, EndSpec(field="to", raw=str(to)), ends.get)
    except Unresolved as exc:  # pragma: no cover - both ends are known entities
        raise InvalidInput(str(exc), field=exc.end.field) from None
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field=_argument(exc.field)) from None
    ctx.services.audit.ping()  # no unaudited write: refuse before writing, not after
    rejected = ctx.store.write([[draft.resolve(src, dst)]])
    if rejected:
        raise InvalidInput(rejected[0].reason, field=_argument(rejected[0].field))
    stored = ctx.store.get_link(ctx.scope, link_id)
    if stored is None:  # pragma: no cover - the handling was checked visible above
        raise NotFound(f"the assessed link {link_id} is not visible")
    return Link.of(stored, info)


def _assessment_id(ctx: Any, principal: str, start: str, end: str, type: str) -> str:
    """One id per analyst, pair and type (an undirected type's ends in either order)."""
    link_type = ctx.schema.links.get(type)
    if link_type is not None and not link_type.directed:
        start, end = sorted((start, end))
    digest = hashlib.sha256("\x1f".join((principal, start, end, type)).encode()).hexdigest()
    return "assessed:" + digest[:20]


def _chosen(ctx: Any, given: HandlingInput, agency: str) -> Handling:
    problems = RecordValidator(ctx.schema).handling_problems(
        {
            "classification": given.classification,
            "releasableTo": given.releasable_to,
            "caveats": given.caveats,
            "code": given.code,
            "originator": agency,
            "retainUntil": given.retain_until,
        }
    )
    if problems:
        field, message = problems[0]
        raise InvalidInput(message, field=field or "handling")
    return Handling(
        classification=given.classification,
        releasable_to=tuple(sorted({p.strip().upper() for p in given.releasable_to})),
        caveats=tuple(sorted(set(given.caveats))),
        code=given.code,
        originator=agency,
        retain_until=given.retain_until,
    )


def _record_handling(h: Handling) -> dict[str, Any]:
    out: dict[str, Any] = {
        "classification": h.classification,
        "releasableTo": list(h.releasable_to),
        "caveats": list(h.caveats),
        "code": h.code,
        "originator": h.originator,
    }
    if h.retain_until:
        out["retainUntil"] = h.retain_until
    return out


def _argument(field: str | None) -> str | None:
    """The mutation argument a record field came from."""
    if field is None:
        return None
    head = field.split(".")[0].split("[")[0]
    return {"provenance": "confidence", "from": "from", "to": "to"}.get(head, field)
