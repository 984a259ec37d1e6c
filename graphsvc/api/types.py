"""The GraphQL types of the API, made from the model's read types (``graphsvc/model/graph.py``).

Only what a store returned for the caller's scope goes into these objects, and every entity
and link is counted into the request's audit trail as it is made (``RequestContext``).
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Annotated, Any, NewType

import strawberry
from graphql import GraphQLError
from strawberry.scalars import JSON
from strawberry.types.scalar import ScalarDefinition

from graphsvc.errors import InvalidInput
from graphsvc.model import graph as model
from graphsvc.model.properties import parse_datetime
from graphsvc.model.records import Grading as GradingModel
from graphsvc.model.records import Handling as HandlingModel
from graphsvc.model.records import Provenance as ProvenanceModel
from graphsvc.store.protocol import LinkFilter

if TYPE_CHECKING:
    from graphsvc.api.context import RequestContext


def _parse_instant(value: Any) -> str:
    """Raises a ``GraphQLError`` so that GraphQL reports it as the argument's problem (an
    INVALID_INPUT naming the variable), not as a fault of the server."""
    if not isinstance(value, str):
        raise GraphQLError(
            "expected an ISO-8601 date or date-time string", extensions={"code": "INVALID_INPUT"}
        )
    try:
        return parse_datetime(value)
    except ValueError as exc:
        raise GraphQLError(str(exc), extensions={"code": "INVALID_INPUT"}) from None


Instant = NewType("Instant", str)
"""A point in time as the user wrote it, canonicalised by ``parse_datetime``."""

SCALARS: dict[object, ScalarDefinition] = {
    Instant: strawberry.scalar(
        name="Instant",
        description=(
            "An ISO-8601 date (2024-03-01) or date-time (2024-03-01T14:30:00Z; naive times are "
            "UTC). As an upper bound, a date includes its whole day."
        ),
        serialize=str,
        parse_value=_parse_instant,
    )
}


def context(info: strawberry.Info) -> RequestContext:
    ctx: RequestContext = info.context
    return ctx


def link_filter(
    info: strawberry.Info,
    link_types: list[str] | None,
    since: str | None,
    until: str | None,
    min_confidence: float | None,
) -> LinkFilter:
    """The store's filter from GraphQL arguments, problems named by argument."""
    return LinkFilter.parse(
        context(info).schema,
        link_types,
        since,
        until,
        min_confidence,
        names=("linkTypes", "since", "until", "minConfidence"),
    )


# -- principal -------------------------------------------------------------------------------------


@strawberry.type(description="Who is calling, as the server authenticated them.")
class Principal:
    id: strawberry.ID
    name: str | None
    agency: str
    country: str
    clearance: str
    caveats: list[str]
    roles: list[str]
    authentication: str = strawberry.field(
        description="How the caller proved who they are: api-key:<key id> or jwt."
    )


# -- provenance, grading, handling -----------------------------------------------------------------

MAX_QUOTE_AROUND = 500


@strawberry.type(description="Where a record came from.")
class Provenance:
    source: str
    record: str
    method: str = strawberry.field(description="structured, extracted, inferred or analyst")
    ingested_at: str
    observed_at: str | None
    confidence: float
    document: str | None = strawberry.field(description="for extracted facts: the document")
    span: list[int] | None = strawberry.field(description="[start, end) characters in it")
    extractor: str | None
    note: str | None = strawberry.field(description="for analyst assessments: their reasoning")

    @strawberry.field(
        description="For extracted facts: the words of the document the span covers (with up "
        "to `around` characters either side, at most 500), read from the text this record was "
        "extracted from (the document's `text` asserted by the same source and the record "
        "`doc:…@<text version>`) as the caller may see it; null without a span or when the "
        "caller may not see that text."
    )
    def quote(self, info: strawberry.Info, around: int = 0) -> str | None:
        if self.document is None or self.span is None:
            return None
        if not 0 <= around <= MAX_QUOTE_AROUND:
            raise InvalidInput(f"must be between 0 and {MAX_QUOTE_AROUND}", field="around")
        ctx = context(info)
        document = ctx.entity(self.document)
        if document is None:
            return None
        record = self.record.split("#", 1)[0]  # an entity record: <document record>#<span>
        text = next(
            (
                str(st.value)
                for st in document.statements
                if st.property == "text" and st.source == self.source and st.record == record
            ),
            None,
        )
        start, end = self.span
        if text is None or end > len(text):
            return None
        ctx.returned_entity(self.document)
        return text[max(0, start - around) : end + around]

    @classmethod
    def of(cls, p: ProvenanceModel) -> Provenance:
        return cls(
            source=p.source,
            record=p.record,
            method=p.method,
            ingested_at=p.ingested_at,
            observed_at=p.observed_at,
            confidence=p.confidence,
            document=p.document,
            span=list(p.span) if p.span else None,
            extractor=p.extractor,
            note=p.note,
        )


@strawberry.type(description="How far to trust a record (default scale: Europol 4x4).")
class Grading:
    source: str = strawberry.field(description="source reliability (A, B, C, X)")
    information: str = strawberry.field(description="information assessment (1-4)")
    source_meaning: str | None
    information_meaning: str | None

    @classmethod
    def of(cls, g: GradingModel, info: strawberry.Info) -> Grading:
        policy = context(info).schema.policy
        source = policy.source_grades.get(g.source)
        information = policy.information_grades.get(g.information)
        return cls(
            source=g.source,
            information=g.information,
            source_meaning=source.label if source else None,
            information_meaning=information.label if information else None,
        )


@strawberry.type(description="Who may see a record, and what may be done with it.")
class Handling:
    classification: str
    releasable_to: list[str] = strawberry.field(
        description="countries or agencies; empty means every cleared user"
    )
    caveats: list[str]
    code: str
    restricts: list[str] = strawberry.field(
        description="what the handling code restricts: dissemination, judicial use"
    )
    originator: str
    retain_until: str | None

    @classmethod
    def of(cls, h: HandlingModel, info: strawberry.Info) -> Handling:
        code = context(info).schema.policy.codes.get(h.code)
        return cls(
            classification=h.classification,
            releasable_to=list(h.releasable_to),
            caveats=list(h.caveats),
            code=h.code,
            restricts=sorted(code.restricts) if code else [],
            originator=h.originator,
            retain_until=h.retain_until,
        )


@strawberry.type(description="A visible source record asserting an entity.")
class Record:
    provenance: Provenance
    grading: Grading | None
    handling: Handling


# -- entities and links ----------------------------------------------------------------------------


@strawberry.type(description="One value of a property and the record that asserted it.")
class PropertyValue:
    value: JSON
    source: str | None
    record: str | None
    observed_at: str | None
    derived: bool = strawberry.field(
        description="true for a selector's own value (a phone's number): its identity, "
        "asserted by every record of the entity"
    )


@strawberry.type(description="A property with its visible values, each with its source.")
class Property:
    name: str
    values: list[PropertyValue]


@strawberry.type(description="One page of a list, and how to ask for the next.")
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type(description="A page of links.")
class LinkPage:
    nodes: list[Link]
    page_info: PageInfo


@strawberry.type(description="A person, organisation, selector or thing, as the caller sees it.")
class Entity:
    id: strawberry.ID
    type: str
    label: str
    properties: list[Property] = strawberry.field(
        description="only values asserted by records visible to the caller"
    )
    records: list[Record] = strawberry.field(description="the visible records asserting it")
    sources: list[str]

    @strawberry.field(description="The entity's visible links, by link id, a page at a time.")
    def links(
        self,
        info: strawberry.Info,
        first: Annotated[
            int | None,
            strawberry.argument(
                description="how many links: 20 when omitted; at most the server's max_page "
                "(GRAPHSVC_MAX_PAGE)"
            ),
        ] = None,
        after: str | None = None,
        link_types: list[str] | None = None,
        since: Instant | None = None,
        until: Instant | None = None,
        min_confidence: float | None = None,
    ) -> LinkPage:
        ctx = context(info)
        size = ctx.bounded("first", first, 20, ctx.limits.max_page, "max_page")
        offset = decode_cursor(after)
        flt = link_filter(info, link_types, since, until, min_confidence)
        found = ctx.store.entity_links(ctx.scope, str(self.id), flt, size + 1, offset)
        page = found[:size]
        return LinkPage(
            nodes=[Link.of(link, info) for link in page],
            page_info=PageInfo(
                has_next_page=len(found) > size,
                end_cursor=encode_cursor(offset + len(page)) if page else after,
            ),
        )

    @classmethod
    def of(cls, e: model.Entity, info: strawberry.Info) -> Entity:
        context(info).returned_entity(e.id)
        properties: dict[str, list[PropertyValue]] = {}
        for st in e.statements:
            properties.setdefault(st.property, []).append(
                PropertyValue(
                    value=JSON(st.value),
                    source=None if st.derived else st.source,
                    record=None if st.derived else st.record,
                    observed_at=None if st.derived else st.observed_at,
                    derived=st.derived,
                )
            )
        return cls(
            id=strawberry.ID(e.id),
            type=e.type,
            label=e.label,
            properties=[Property(name=k, values=v) for k, v in properties.items()],
            records=[
                Record(
                    provenance=Provenance.of(r.provenance),
                    grading=Grading.of(r.grading, info) if r.grading else None,
                    handling=Handling.of(r.handling, info),
                )
                for r in e.records
            ],
            sources=e.sources,
        )


@strawberry.type(description="One assertion of a relationship, with its provenance.")
class Link:
    id: strawberry.ID
    type: str
    from_id: strawberry.ID
    to_id: strawberry.ID
    directed: bool
    properties: JSON
    provenance: Provenance
    grading: Grading
    handling: Handling

    @strawberry.field(name="from", description="The entity the link starts from.")
    def from_(self, info: strawberry.Info) -> Entity:
        return _end(info, str(self.from_id))

    @strawberry.field(description="The entity the link goes to.")
    def to(self, info: strawberry.Info) -> Entity:
        return _end(info, str(self.to_id))

    @classmethod
    def of(cls, link: model.Link, info: strawberry.Info) -> Link:
        context(info).returned_link(link.id)
        return cls(
            id=strawberry.ID(link.id),
            type=link.type,
            from_id=strawberry.ID(link.source_id),
            to_id=strawberry.ID(link.target_id),
            directed=link.directed,
            properties=JSON(link.properties),
            provenance=Provenance.of(link.provenance),
            grading=Grading.of(link.grading, info),
            handling=Handling.of(link.handling, info),
        )


def _end(info: strawberry.Info, entity_id: str) -> Entity:
    found = context(info).entity(entity_id)
    if found is None:  # a visible link's record asserts both its ends: never expected
        raise RuntimeError(f"an end of a visible link is not visible: {entity_id}")
    return Entity.of(found, info)


# -- answers ---------------------------------------------------------------------------------------


# Answers keep the store's result and make GraphQL objects only for the fields a client
# selects, so that what is audited as returned, and counted against max_elements, is what
# the response holds.


@strawberry.type(description="Entities and the links among them.")
class Subgraph:
    result: strawberry.Private[model.Subgraph]

    @strawberry.field
    def nodes(self, info: strawberry.Info) -> list[Entity]:
        return [Entity.of(n, info) for n in self.result.nodes]

    @strawberry.field
    def links(self, info: strawberry.Info) -> list[Link]:
        return [Link.of(link, info) for link in self.result.links]

    @strawberry.field(description="true when a limit cut the answer")
    def truncated(self) -> bool:
        return self.result.truncated


@strawberry.type(description="A simple path; nodes[i] and nodes[i+1] are joined by hops[i].")
class Path:
    result: strawberry.Private[model.Path]

    @strawberry.field
    def nodes(self, info: strawberry.Info) -> list[Entity]:
        return [Entity.of(n, info) for n in self.result.nodes]

    @strawberry.field(description="every link of every hop")
    def links(self, info: strawberry.Info) -> list[Link]:
        return [Link.of(link, info) for link in self.result.links]

    @strawberry.field(description="for each step, the parallel links joining its two entities")
    def hops(self, info: strawberry.Info) -> list[list[Link]]:
        return [[Link.of(link, info) for link in hop] for hop in self.result.hops]

    @strawberry.field(description="how many steps")
    def length(self) -> int:
        return self.result.length


@strawberry.type(description="An entity whose name or selector matched a search.")
class SearchHit:
    hit: strawberry.Private[model.SearchHit]

    @strawberry.field
    def entity(self, info: strawberry.Info) -> Entity:
        return Entity.of(self.hit.entity, info)

    @strawberry.field(description="0-100, higher is closer")
    def score(self) -> float:
        return self.hit.score

    @strawberry.field(description="the value that matched")
    def matched(self) -> str:
        return self.hit.matched


@strawberry.type(description="A count of things with one key.")
class Count:
    key: str
    count: int


@strawberry.type(description="What the caller can see, counted.")
class Stats:
    entities: int
    links: int
    records: int
    entities_by_type: list[Count]
    links_by_type: list[Count]
    links_by_source: list[Count]
    links_by_classification: list[Count]
    links_by_code: list[Count]

    @classmethod
    def of(cls, s: model.StoreStats) -> Stats:
        def counts(table: dict[str, int]) -> list[Count]:
            return [Count(key=k, count=v) for k, v in table.items()]

        return cls(
            entities=s.entities,
            links=s.links,
            records=s.records,
            entities_by_type=counts(s.entities_by_type),
            links_by_type=counts(s.links_by_type),
            links_by_source=counts(s.links_by_source),
            links_by_classification=counts(s.links_by_classification),
            links_by_code=counts(s.links_by_code),
        )


# -- the schema's own vocabulary ---------------------------------------------------------------


@strawberry.type(description="A typed property of an entity or link type.")
class PropertyType:
    name: str
    type: str
    multiple: bool
    values: list[str] | None = strawberry.field(description="the allowed values, when fixed")


@strawberry.type(description="An entity type of schema/entities.yaml.")
class EntityTypeInfo:
    name: str
    selector_prefix: str | None = strawberry.field(
        description="for selectors (phones, e-mails, accounts...): the prefix of their ids"
    )
    properties: list[PropertyType]


@strawberry.type(description="A link type of schema/links.yaml.")
class LinkTypeInfo:
    name: str
    directed: bool
    from_types: list[str]
    to_types: list[str]
    time_property: str | None = strawberry.field(description="the property time windows use")
    properties: list[PropertyType]


# -- audit -----------------------------------------------------------------------------------------


@strawberry.type(description="One consultation, as the audit log recorded it.")
class AuditEntry:
    seq: int
    at: str
    principal: str
    agency: str
    authentication: str
    operations: JSON = strawberry.field(description="[{name, arguments}] of the request")
    justification: str | None
    entities: list[strawberry.ID]
    links: list[strawberry.ID]
    outcome: str = strawberry.field(description="OK, or the error codes of the request")
    client: str | None
    previous_hash: str
    hash: str


@strawberry.type(description="A page of audit entries.")
class AuditPage:
    entries: list[AuditEntry]
    page_info: PageInfo


# -- cursors ---------------------------------------------------------------------------------------


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def decode_cursor(cursor: str | None, argument: str = "after") -> int:
    if cursor is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        kind, _, number = text.partition(":")
        if kind == "o" and number.isdigit():
            return int(number)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise InvalidInput("not a cursor this server issued (use a page's endCursor)", field=argument)
