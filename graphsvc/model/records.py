"""Source records: the native exchange format, validated, and the assertions the store keeps.

A record is one JSON object (a line of native JSONL, or what a CSV mapping makes of a row):
an entity record asserts an entity's type and property values; a link record asserts one edge
and, implicitly, its two ends. Pydantic checks the structure (``EntityRecordIn``,
``LinkRecordIn``); ``RecordValidator`` then checks everything against the schema and the
handling policy and produces the normalised, immutable ``EntityAssertion``/``LinkAssertion``
the store writes. Every problem is reported with the field it concerns.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from graphsvc.errors import InvalidInput
from graphsvc.model.properties import (
    COUNTRIES,
    JSONScalar,
    epoch_seconds,
    parse_date,
    parse_datetime,
)
from graphsvc.model.schema import EntityType, LinkType, PropertySpec, Schema
from graphsvc.model.selectors import NORMALIZERS, looks_like
from graphsvc.model.text import did_you_mean, one_of

Method = Literal["structured", "extracted", "inferred", "analyst"]
METHODS: tuple[str, ...] = ("structured", "extracted", "inferred", "analyst")
_AGENCY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")

# ---------------------------------------------------------------------------------------------
# Wire format (pydantic): structure and basic types only.


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, populate_by_name=True)


_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def printable_id(value: Any) -> Any:
    """An id or record reference without control characters: every format an id travels
    through (XML exports, CSV, terminals) must carry it unchanged, and two ids must not
    collapse into one when a writer drops what it cannot represent."""
    if isinstance(value, str):
        found = _UNPRINTABLE.search(value)
        if found is not None:
            raise ValueError(
                f"must not contain control characters (U+{ord(found.group()):04X} at "
                f"position {found.start()})"
            )
    return value


class ProvenanceIn(_Strict):
    source: str = Field(min_length=1, max_length=200)
    record: str | None = Field(default=None, min_length=1, max_length=500)
    method: Method = "structured"
    ingestedAt: str | None = None  # canonical ISO text; a bare date stays a date
    observedAt: str | None = None
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    document: str | None = Field(default=None, min_length=1)
    span: tuple[int, int] | None = None
    extractor: str | None = Field(default=None, min_length=1)
    note: str | None = Field(default=None, min_length=1, max_length=4000)

    _record = field_validator("record", "document")(printable_id)

    @field_validator("ingestedAt", "observedAt", mode="before")
    @classmethod
    def _instant(cls, value: Any) -> str | None:
        return None if value is None else parse_datetime(value)

    @field_validator("span")
    @classmethod
    def _span_order(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and not 0 <= value[0] < value[1]:
            raise ValueError("span must be [start, end) with 0 <= start < end")
        return value


class GradingIn(_Strict):
    source: str
    information: str


class HandlingIn(_Strict):
    classification: str
    releasableTo: list[str] = Field(default_factory=list)
    caveats: list[str] = Field(default_factory=list)
    code: str
    originator: str = Field(min_length=1)
    retainUntil: date | None = None


class EndIn(_Strict):
    id: str | None = Field(default=None, min_length=1)
    type: str | None = None
    value: str | None = Field(default=None, min_length=1)

    _id = field_validator("id")(printable_id)


class EntityRecordIn(_Strict):
    kind: Literal["entity"]
    id: str | None = Field(default=None, min_length=1, max_length=500)
    type: str
    properties: dict[str, Any] = Field(default_factory=dict)
    provenance: ProvenanceIn
    grading: GradingIn | None = None
    handling: HandlingIn

    _id = field_validator("id")(printable_id)


class LinkRecordIn(_Strict):
    kind: Literal["link"]
    id: str = Field(min_length=1, max_length=500)
    type: str
    from_: str | EndIn = Field(alias="from")
    to: str | EndIn
    directed: bool | None = None
    properties: dict[str, Any] = Field(default_factory=dict)
    provenance: ProvenanceIn
    grading: GradingIn
    handling: HandlingIn

    _ids = field_validator("id", "from_", "to")(printable_id)


# ---------------------------------------------------------------------------------------------
# Normalised assertions: what the store writes and reads back.


@dataclass(frozen=True, slots=True)
class Handling:
    classification: str
    releasable_to: tuple[str, ...]
    caveats: tuple[str, ...]
    code: str
    originator: str
    retain_until: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "classification": self.classification,
            "releasableTo": list(self.releasable_to),
            "caveats": list(self.caveats),
            "code": self.code,
            "originator": self.originator,
            "retainUntil": self.retain_until,
        }


@dataclass(frozen=True, slots=True)
class Grading:
    source: str
    information: str

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "information": self.information}


@dataclass(frozen=True, slots=True)
class Provenance:
    source: str
    record: str
    method: str
    ingested_at: str
    observed_at: str | None = None
    confidence: float = 1.0
    document: str | None = None
    span: tuple[int, int] | None = None
    extractor: str | None = None
    note: str | None = None  # an analyst's reasoning, for ``method: analyst`` assessments

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "source": self.source,
            "record": self.record,
            "method": self.method,
            "ingestedAt": self.ingested_at,
            "observedAt": self.observed_at,
            "confidence": self.confidence,
        }
        if self.document is not None:
            out["document"] = self.document
        if self.span is not None:
            out["span"] = list(self.span)
        if self.extractor is not None:
            out["extractor"] = self.extractor
        if self.note is not None:
            out["note"] = self.note
        return out


@dataclass(frozen=True, slots=True)
class EndRef:
    """A resolved link end: the entity's id and type."""

    id: str
    type: str


@dataclass(frozen=True, slots=True)
class EntityAssertion:
    entity_id: str
    type: str
    properties: dict[str, list[JSONScalar]]
    provenance: Provenance
    grading: Grading | None
    handling: Handling


@dataclass(frozen=True, slots=True)
class LinkAssertion:
    id: str
    type: str
    src: EndRef
    dst: EndRef
    directed: bool
    properties: dict[str, JSONScalar | list[JSONScalar]]
    provenance: Provenance
    grading: Grading
    handling: Handling
    time: int | None  # epoch seconds of the link's date, for time windows


@dataclass(frozen=True, slots=True)
class EndSpec:
    """A link end as the record gave it, before it is resolved to an entity."""

    field: str  # "from" or "to"
    raw: str | None = None
    id: str | None = None
    type: str | None = None
    value: str | None = None


@dataclass(frozen=True, slots=True)
class LinkDraft:
    """A validated link whose ends still have to be resolved against known entities."""

    id: str
    type: LinkType
    ends: tuple[EndSpec, EndSpec]
    region: str | None
    properties: dict[str, JSONScalar | list[JSONScalar]]
    provenance: Provenance
    grading: Grading
    handling: Handling
    time: int | None

    def resolve(self, src: EndRef, dst: EndRef) -> LinkAssertion:
        return LinkAssertion(
            id=self.id,
            type=self.type.name,
            src=src,
            dst=dst,
            directed=self.type.directed,
            properties=self.properties,
            provenance=self.provenance,
            grading=self.grading,
            handling=self.handling,
            time=self.time,
        )


class Unresolved(Exception):
    """A link end names an id that is not known yet and whose type cannot be inferred."""

    def __init__(self, end: EndSpec, message: str) -> None:
        super().__init__(message)
        self.end = end
        self.message = message


Problems = list[tuple[str | None, str]]
TypeLookup = Callable[[str], str | None]


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class RecordValidator:
    """Checks records against the schema and handling policy and normalises them."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.policy = schema.policy

    # -- entry points ---------------------------------------------------------------------------

    def parse(
        self, raw: Any, *, region: str | None = None, ingested_at: str | None = None
    ) -> EntityAssertion | LinkDraft:
        """Validate one record (a decoded JSON object); raise ``InvalidInput`` listing problems."""
        if not isinstance(raw, dict):
            raise InvalidInput(f"expected a JSON object, got {type(raw).__name__}")
        kind = raw.get("kind")
        if kind == "entity":
            return self.entity(raw, region=region, ingested_at=ingested_at)
        if kind == "link":
            return self.link(raw, region=region, ingested_at=ingested_at)
        raise InvalidInput(f"expected 'entity' or 'link', got {kind!r}", field="kind")

    def entity(
        self, raw: dict[str, Any], *, region: str | None = None, ingested_at: str | None = None
    ) -> EntityAssertion:
        record = self._structure(EntityRecordIn, raw, region)
        problems: Problems = []
        etype = self._type(record.type, problems)
        properties = (
            self._properties(etype.properties, record.properties, region, problems, etype.name)
            if etype
            else {}
        )
        entity_id = (
            self._entity_id(etype, record.id, properties, region, problems) if etype else None
        )
        provenance = self._provenance(
            record.provenance, record.id or entity_id, ingested_at, problems
        )
        grading = self.validate_grading(record.grading, problems) if record.grading else None
        handling = self.validate_handling(record.handling, problems)
        if problems or etype is None or entity_id is None or provenance is None or handling is None:
            raise InvalidInput.of(problems or [(None, "invalid entity record")])
        return EntityAssertion(
            entity_id=entity_id,
            type=etype.name,
            properties=properties,
            provenance=provenance,
            grading=grading,
            handling=handling,
        )

    def link(
        self, raw: dict[str, Any], *, region: str | None = None, ingested_at: str | None = None
    ) -> LinkDraft:
        record = self._structure(LinkRecordIn, raw, region)
        problems: Problems = []
        ltype = None
        try:
            ltype = self.schema.link_type(record.type)
        except InvalidInput as exc:
            problems.append(("type", exc.message))
        properties: dict[str, JSONScalar | list[JSONScalar]] = {}
        ends: list[EndSpec] = []
        if ltype is not None:
            if record.directed is not None and record.directed != ltype.directed:
                problems.append(
                    ("directed", f"{ltype.name} links are {'' if ltype.directed else 'un'}directed")
                )
            values = self._properties(
                ltype.properties, record.properties, region, problems, ltype.name
            )
            properties = {
                k: (v if ltype.properties[k].multiple else v[0]) for k, v in values.items()
            }
            for name, spec in (("from", record.from_), ("to", record.to)):
                end = self._end_spec(name, spec, ltype, problems)
                if end is not None:
                    ends.append(end)
        provenance = self._provenance(record.provenance, record.id, ingested_at, problems)
        grading = self.validate_grading(record.grading, problems)
        handling = self.validate_handling(record.handling, problems)
        if (
            problems
            or ltype is None
            or provenance is None
            or grading is None
            or handling is None
            or len(ends) != 2
        ):
            raise InvalidInput.of(problems or [(None, "invalid link record")])
        return LinkDraft(
            id=record.id,
            type=ltype,
            ends=(ends[0], ends[1]),
            region=region,
            properties=properties,
            provenance=provenance,
            grading=grading,
            handling=handling,
            time=_link_time(ltype, properties, provenance),
        )

    # -- link ends ------------------------------------------------------------------------------

    def resolve_end(self, draft: LinkDraft, end: EndSpec, lookup: TypeLookup) -> EndRef:
        """Resolve a link end to an entity id and type.

        In order: an explicit ``{"id", "type"}``; a ``{"type", "value"}`` or a string carrying
        a selector prefix (``phone:...``), normalised as that selector; a bare string that
        reads as a selector allowed at this end (a phone number, an e-mail address, an IBAN);
        an entity id ``lookup`` knows; and finally, when the link type allows exactly one
        entity type at this end, that type. Raises ``InvalidInput`` when the end is wrong and
        ``Unresolved`` when it names an id not known (yet) whose type cannot be inferred.
        """
        allowed = draft.type.end_types(end.field)
        if end.raw is None:
            if end.type is None:
                raise InvalidInput("an end given as an object needs a 'type'", field=end.field)
            etype = self._end_type(end.type, allowed, end.field)
            if end.value is not None:
                return EndRef(
                    self._selector_id(etype, end.value, draft.region, end.field), etype.name
                )
            assert end.id is not None
            return EndRef(self._given_id(etype, end.id, draft.region, end.field), etype.name)
        raw = end.raw
        prefix, _, rest = raw.partition(":")
        if rest and prefix in self.schema.selector_prefixes:
            etype = self.schema.selector_prefixes[prefix]
            self._end_type(etype.name, allowed, end.field)
            return EndRef(self._selector_id(etype, rest, draft.region, end.field), etype.name)
        for name in allowed:
            etype = self.schema.entities[name]
            if etype.selector and looks_like(etype.selector.kind, raw):
                return EndRef(self._selector_id(etype, raw, draft.region, end.field), name)
        known = lookup(raw)
        if known is not None:
            if known not in allowed:
                raise InvalidInput(
                    f"entity {raw!r} is a {known}; {draft.type.name} allows {one_of(allowed)} here",
                    field=end.field,
                )
            return EndRef(raw, known)
        if len(allowed) == 1:
            etype = self.schema.entities[allowed[0]]
            if etype.selector:
                return EndRef(self._selector_id(etype, raw, draft.region, end.field), etype.name)
            return EndRef(raw, etype.name)
        raise Unresolved(
            end,
            f"unknown entity {raw!r}: not asserted by the files being ingested, and "
            f"{draft.type.name} allows {one_of(allowed)} here; "
            f'name it as {{"id": "{raw}", "type": "..."}}',
        )

    # -- pieces ---------------------------------------------------------------------------------

    def _structure(self, model: type[BaseModel], raw: dict[str, Any], region: str | None) -> Any:
        """Parse the record's structure; when it is wrong, report that together with what the
        schema says of the parts that are well-formed (type, properties, grading, handling)."""
        record, problems = _structure_problems(model, raw)
        if record is not None:
            return record
        broken = {field.split(".")[0] for field, _ in problems if field}
        kind = raw.get("type")
        owner: Any = None
        if "type" not in broken and isinstance(kind, str):
            try:
                owner = (
                    self.schema.entity_type(kind)
                    if model is EntityRecordIn
                    else self.schema.link_type(kind)
                )
            except InvalidInput as exc:
                problems.append(("type", exc.message))
        properties = raw.get("properties")
        if owner is not None and "properties" not in broken and isinstance(properties, dict):
            self._properties(owner.properties, properties, region, problems, owner.name)
        for part, check in (
            ("handling", self.handling_problems),
            ("grading", self.grading_problems),
        ):
            if part not in broken and isinstance(raw.get(part), dict):
                problems.extend(check(raw[part]))
        raise InvalidInput.of(problems)

    def _type(self, name: str, problems: Problems) -> EntityType | None:
        try:
            return self.schema.entity_type(name)
        except InvalidInput as exc:
            problems.append(("type", exc.message))
            return None

    def _properties(
        self,
        specs: Mapping[str, PropertySpec],
        raw: dict[str, Any],
        region: str | None,
        problems: Problems,
        owner: str,
    ) -> dict[str, list[JSONScalar]]:
        values: dict[str, list[JSONScalar]] = {}
        for name, value in raw.items():
            where = f"properties.{name}"
            spec = specs.get(name)
            if spec is None:
                problems.append(
                    (where, f"{owner} has no property {name!r}" + did_you_mean(name, specs))
                )
                continue
            if value is None or value == "" or value == []:
                continue
            try:
                coerced = spec.coerce(value, region)
            except ValueError as exc:
                problems.append((where, str(exc)))
                continue
            if coerced:
                values[name] = coerced
        return values

    def _entity_id(
        self,
        etype: EntityType,
        given: str | None,
        properties: dict[str, list[JSONScalar]],
        region: str | None,
        problems: Problems,
    ) -> str | None:
        selector = etype.selector
        if selector is None:
            if given is None:
                problems.append(("id", f"a {etype.name} record needs an id"))
            return given
        key_values = properties.get(selector.property, [])
        if len(key_values) > 1:
            problems.append((f"properties.{selector.property}", "a selector takes one value"))
            return None
        try:
            derived = selector.entity_id(str(key_values[0])) if key_values else None
            from_id = self._given_id(etype, given, region, "id") if given else None
        except InvalidInput as exc:
            problems.append((exc.field, exc.message))
            return None
        if derived and from_id and derived != from_id:
            problems.append(
                (
                    "id",
                    f"id {given!r} and {selector.property} {key_values[0]!r} "
                    f"are different {etype.name}s",
                )
            )
            return None
        entity_id = derived or from_id
        if entity_id is None:
            problems.append(
                (f"properties.{selector.property}", f"a {etype.name} needs its {selector.property}")
            )
            return None
        properties[selector.property] = [entity_id.partition(":")[2]]
        return entity_id

    def _given_id(self, etype: EntityType, given: str, region: str | None, field: str) -> str:
        """The stored id for an id given in a record: selectors accept the value or its id."""
        selector = etype.selector
        if selector is None:
            return given
        prefix, _, rest = given.partition(":")
        value = rest if rest and prefix == selector.prefix else given
        return self._selector_id(etype, value, region, field)

    def _selector_id(self, etype: EntityType, value: str, region: str | None, field: str) -> str:
        assert etype.selector is not None
        try:
            normalized = NORMALIZERS[etype.selector.kind](value, region)
        except ValueError as exc:
            raise InvalidInput(str(exc), field=field) from None
        return etype.selector.entity_id(normalized)

    def _end_type(self, name: str, allowed: tuple[str, ...], field: str) -> EntityType:
        etype = self.schema.entities.get(name)
        if etype is None:
            raise InvalidInput(
                f"unknown entity type {name!r}" + did_you_mean(name, self.schema.entities),
                field=f"{field}.type",
            )
        if name not in allowed:
            raise InvalidInput(
                f"a {name} is not allowed here; expected {one_of(allowed)}", field=field
            )
        return etype

    def _end_spec(
        self, name: str, spec: str | EndIn, ltype: LinkType, problems: Problems
    ) -> EndSpec | None:
        if isinstance(spec, str):
            if not spec.strip():
                problems.append((name, "empty link end"))
                return None
            return EndSpec(field=name, raw=spec.strip())
        if (spec.id is None) == (spec.value is None):
            problems.append((name, "give exactly one of 'id' or 'value' with a 'type'"))
            return None
        if spec.type is None:
            problems.append((f"{name}.type", "an end given as an object needs a 'type'"))
            return None
        if spec.type not in ltype.end_types(name):
            problems.append(
                (
                    name,
                    f"a {spec.type} is not allowed here; expected {one_of(ltype.end_types(name))}",
                )
            )
            return None
        return EndSpec(field=name, id=spec.id, type=spec.type, value=spec.value)

    def _provenance(
        self,
        raw: ProvenanceIn,
        default_record: str | None,
        ingested_at: str | None,
        problems: Problems,
    ) -> Provenance | None:
        record = raw.record or default_record
        if not record:
            problems.append(("provenance.record", "missing: the record's id in its source"))
            return None
        if raw.span is not None and raw.document is None:
            problems.append(("provenance.span", "a span needs the document it points into"))
            return None
        return Provenance(
            source=raw.source,
            record=record,
            method=raw.method,
            ingested_at=raw.ingestedAt or ingested_at or now_iso(),
            observed_at=raw.observedAt,
            confidence=raw.confidence,
            document=raw.document,
            span=raw.span,
            extractor=raw.extractor,
            note=raw.note,
        )

    def validate_grading(self, raw: GradingIn, problems: Problems) -> Grading | None:
        found = self.grading_problems(raw.model_dump())
        problems.extend(found)
        return None if found else Grading(raw.source, raw.information)

    def validate_handling(self, raw: HandlingIn, problems: Problems) -> Handling | None:
        found = self.handling_problems(raw.model_dump())
        problems.extend(found)
        if found:
            return None
        return Handling(
            classification=raw.classification,
            releasable_to=tuple(sorted({code.strip().upper() for code in raw.releasableTo})),
            caveats=tuple(sorted(set(raw.caveats))),
            code=raw.code,
            originator=raw.originator.strip().upper(),
            retain_until=parse_date(raw.retainUntil) if raw.retainUntil else None,
        )

    def grading_problems(self, values: dict[str, Any]) -> Problems:
        """Problems of the grading fields present in ``values`` (all may be absent)."""
        problems: Problems = []
        scales = (
            ("source", self.policy.source_grades),
            ("information", self.policy.information_grades),
        )
        for name, scale in scales:
            if name in values and str(values[name]) not in scale:
                problems.append(
                    (f"grading.{name}", f"{values[name]!r} is not one of {one_of(scale)}")
                )
        return problems

    def handling_problems(self, values: dict[str, Any]) -> Problems:
        """Problems of the handling fields present in ``values`` (all may be absent)."""
        policy = self.policy
        problems: Problems = []
        level = values.get("classification")
        if level is not None and level not in policy.levels:
            problems.append(
                (
                    "handling.classification",
                    f"{level!r} is not one of {one_of(policy.levels)}"
                    + did_you_mean(str(level), policy.levels),
                )
            )
        code = values.get("code")
        if code is not None and code not in policy.codes:
            problems.append(("handling.code", f"{code!r} is not one of {one_of(policy.codes)}"))
        for caveat in values.get("caveats") or []:
            if caveat not in policy.caveats:
                problems.append(
                    (
                        "handling.caveats",
                        f"unknown caveat {caveat!r}; known: {one_of(policy.caveats)}"
                        + did_you_mean(str(caveat), policy.caveats),
                    )
                )
        for party in values.get("releasableTo") or []:
            if not _is_party(str(party).strip().upper()):
                problems.append(
                    (
                        "handling.releasableTo",
                        f"{party!r} is neither an ISO country code "
                        "nor an agency code like FR-OCRTEH",
                    )
                )
        originator = values.get("originator")
        if originator is not None and not _is_agency(str(originator).strip().upper()):
            problems.append(
                ("handling.originator", f"{originator!r} is not an agency code like FR-OCRTEH")
            )
        return problems


def _is_agency(code: str) -> bool:
    return 2 <= len(code) <= 64 and set(code) <= _AGENCY_CHARS and code[0].isalnum()


def _is_party(code: str) -> bool:
    """A country code (``FR``) or an agency code (``FR-OCRTEH``)."""
    return code in COUNTRIES if len(code) == 2 else _is_agency(code)


def _link_time(
    ltype: LinkType, properties: dict[str, JSONScalar | list[JSONScalar]], provenance: Provenance
) -> int | None:
    value = properties.get(ltype.time_property) if ltype.time_property else None
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, str):
        return epoch_seconds(value)
    if provenance.observed_at:
        return epoch_seconds(provenance.observed_at)
    return None


def _structure_problems(model: type[BaseModel], raw: dict[str, Any]) -> tuple[Any, Problems]:
    """The parsed record, or None and the problems of its structure."""
    try:
        return model.model_validate(raw), []
    except ValidationError as exc:
        problems: Problems = []
        for error in exc.errors(include_url=False):
            # pydantic reports union members (``str``, ``EndIn``) as path parts; keep the field.
            loc = [str(part) for part in error["loc"] if part not in ("str", "EndIn")]
            field = ".".join(p.replace("from_", "from") for p in loc) or None
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = "unknown field"
            elif error["type"] == "missing":
                message = "missing"
            if (field, message) not in problems:
                problems.append((field, message))
        return None, problems
