"""Native record validation: every problem reported with its field, selector ids derived from
normalised values, link ends in each of their forms, and a validator that never raises anything
but ``InvalidInput`` whatever it is given."""

from __future__ import annotations

import contextlib
import copy
import json
from datetime import timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphsvc.errors import InvalidInput
from graphsvc.model.records import (
    EndRef,
    EntityAssertion,
    LinkAssertion,
    LinkDraft,
    RecordValidator,
    Unresolved,
)
from tests.model.conftest import SPEC_ENTITY, SPEC_LINK, problems_of, spec_entity, spec_link

H0 = {"classification": "UNCLASSIFIED", "code": "H0", "originator": "FR-OCRTEH"}


def _entity(type_: str, properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    record = {
        "kind": "entity",
        "type": type_,
        "properties": properties,
        "provenance": {"source": "s", "record": "r-1"},
        "handling": dict(H0),
    }
    record.update(extra)
    return record


def _link(type_: str, source: Any, target: Any, **extra: Any) -> dict[str, Any]:
    record = {
        "kind": "link",
        "id": "l-1",
        "type": type_,
        "from": source,
        "to": target,
        "provenance": {"source": "s"},
        "grading": {"source": "A", "information": "1"},
        "handling": dict(H0),
    }
    record.update(extra)
    return record


def _nothing_known(_: str) -> str | None:
    return None


def resolve(
    validator: RecordValidator,
    record: dict[str, Any],
    known: dict[str, str] | None = None,
    region: str | None = None,
) -> LinkAssertion:
    draft = validator.parse(record, region=region)
    assert isinstance(draft, LinkDraft)
    lookup = (known or {}).get
    return draft.resolve(
        validator.resolve_end(draft, draft.ends[0], lookup),
        validator.resolve_end(draft, draft.ends[1], lookup),
    )


# -- the issue's examples -------------------------------------------------------------------------


def test_the_issue_entity_example_is_valid(validator: RecordValidator) -> None:
    entity = validator.parse(copy.deepcopy(SPEC_ENTITY), ingested_at="2025-01-01T00:00:00Z")
    assert isinstance(entity, EntityAssertion)
    assert entity.entity_id == "p-17"
    assert entity.type == "Person"
    assert entity.properties == {"name": ["Ivan Petrov"], "birthDate": ["1980-02-03"]}
    assert entity.provenance.source == "registry-fr"
    assert entity.provenance.record == "r-17"
    assert entity.provenance.method == "structured"
    assert entity.provenance.ingested_at == "2025-01-01T00:00:00Z"
    assert entity.grading is None
    handling = entity.handling
    assert handling.classification == "RESTRICTED"
    assert set(handling.releasable_to) == {"FR", "DE"}
    assert handling.caveats == ()
    assert handling.code == "H0"
    assert handling.originator == "FR-OCRGDF"


def test_a_date_only_observed_at_stays_a_date(validator: RecordValidator) -> None:
    """A source that only knows the day should not be made to look more precise than it is."""
    entity = validator.parse(copy.deepcopy(SPEC_ENTITY))
    assert entity.provenance.observed_at == "2024-01-02"


def test_the_issue_link_example_is_valid(validator: RecordValidator) -> None:
    link = resolve(validator, copy.deepcopy(SPEC_LINK), known={"p-17": "Person"})
    assert link.id == "c-1"
    assert link.type == "CALLED"
    assert link.directed
    assert link.src == EndRef("p-17", "Person")
    assert link.dst == EndRef("phone:+33612345678", "Phone")
    assert link.properties == {"date": "2024-01-02T10:00:00Z", "durationSeconds": 120}
    assert link.provenance.source == "cdr-fr"
    assert link.provenance.record == "cdr-2024-0001"
    assert link.provenance.confidence == 0.95
    assert link.grading.source == "B" and link.grading.information == "2"
    assert link.handling.classification == "CONFIDENTIAL"
    assert link.handling.releasable_to == ("FR",)
    assert link.handling.caveats == ()
    assert link.time == 1704189600


def test_a_link_without_record_id_uses_its_own_id(validator: RecordValidator) -> None:
    record = spec_link()
    del record["provenance"]["record"]
    assert validator.parse(record).provenance.record == "c-1"


def test_a_link_is_dated_by_its_time_property_else_by_observed_at(
    validator: RecordValidator,
) -> None:
    record = _link("MET", "p-1", "p-2", properties={"date": "2024-01-02T11:00:00+01:00"})
    assert validator.parse(record).time == 1704189600
    record = _link("RELATED_TO", "p-1", "p-2")
    record["provenance"]["observedAt"] = "2024-01-02T10:00:00Z"
    assert validator.parse(record).time == 1704189600
    assert validator.parse(_link("RELATED_TO", "p-1", "p-2")).time is None


def test_handling_is_normalised(validator: RecordValidator) -> None:
    record = spec_entity()
    record["handling"] = {
        "classification": "SECRET",
        "releasableTo": ["fr", " BE ", "FR", "be-pjf"],
        "caveats": ["JIT", "HUMINT", "JIT"],
        "code": "H3",
        "originator": "fr-ocrtah",
        "retainUntil": "2030-06-30",
    }
    handling = validator.parse(record).handling
    assert handling.releasable_to == ("BE", "BE-PJF", "FR")
    assert handling.caveats == ("HUMINT", "JIT")
    assert handling.originator == "FR-OCRTAH"
    assert handling.retain_until == "2030-06-30"


# -- every problem, with its field ----------------------------------------------------------------


def _set(record: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    target = record
    *parents, last = path.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    if value is _DELETE:
        del target[last]
    else:
        target[last] = value
    return record


_DELETE = object()

LINK_PROBLEMS = [
    ("handling.classification", "SECRTE", "handling.classification", "did you mean SECRET"),
    ("handling.classification", "TOP SECRET", "handling.classification", "UNCLASSIFIED"),
    ("handling.code", "H7", "handling.code", "'H7'"),
    ("handling.caveats", ["HUMNIT"], "handling.caveats", "did you mean HUMINT"),
    ("handling.releasableTo", ["ZZ"], "handling.releasableTo", "'ZZ'"),
    ("handling.releasableTo", ["FR OCRTEH"], "handling.releasableTo", "'FR OCRTEH'"),
    ("handling.originator", "fr ocrgdf", "handling.originator", "agency code"),
    ("handling.originator", "", "handling.originator", ""),
    ("handling.originator", _DELETE, "handling.originator", "missing"),
    ("handling.retainUntil", "forever", "handling.retainUntil", ""),
    ("handling", _DELETE, "handling", "missing"),
    ("properties.durationSeconds", "two minutes", "properties.durationSeconds", "integer"),
    ("properties.durationSecs", 12, "properties.durationSecs", "did you mean durationSeconds"),
    ("properties.date", "02/01/2024", "properties.date", "date-time"),
    ("grading.source", "E", "grading.source", "'E'"),
    ("grading.information", "5", "grading.information", "'5'"),
    ("grading", _DELETE, "grading", "missing"),
    ("provenance", _DELETE, "provenance", "missing"),
    ("provenance.source", _DELETE, "provenance.source", "missing"),
    ("provenance.confidence", 1.5, "provenance.confidence", ""),
    ("provenance.confidence", -0.1, "provenance.confidence", ""),
    ("provenance.method", "guessed", "provenance.method", ""),
    ("provenance.observedAt", "last week", "provenance.observedAt", ""),
    ("provenance.span", [5, 1], "provenance.span", ""),
    ("provenance.colour", "red", "provenance.colour", "unknown field"),
    ("colour", "red", "colour", "unknown field"),
    ("type", "CALED", "type", "did you mean CALLED"),
    ("id", _DELETE, "id", "missing"),
    ("id", "", "id", ""),
    ("from", "   ", "from", "empty"),
    ("to", _DELETE, "to", "missing"),
    ("kind", "node", "kind", "'node'"),
    ("kind", _DELETE, "kind", ""),
    ("directed", False, "directed", "directed"),
]


@pytest.mark.parametrize(("path", "value", "field", "words"), LINK_PROBLEMS)
def test_each_problem_of_a_link_names_its_field(
    validator: RecordValidator, path: str, value: Any, field: str, words: str
) -> None:
    record = _set(spec_link(), path, value)
    problems = problems_of(validator, record)
    assert [(f, r) for f, r in problems if f == field and words in r], problems


ENTITY_PROBLEMS = [
    ("type", "Persn", "type", "did you mean Person"),
    ("type", "person", "type", "did you mean Person"),
    ("properties.birthDate", "3 Feb 1980", "properties.birthDate", "ISO date"),
    ("properties.gender", "robot", "properties.gender", "'robot'"),
    ("properties.nationality", ["FR", "Gallia"], "properties.nationality", "country"),
    ("properties.durationSeconds", 120, "properties.durationSeconds", "Person has no property"),
    ("id", _DELETE, "id", "needs an id"),
    ("handling.classification", "SECRTE", "handling.classification", "did you mean SECRET"),
    ("grading", {"source": "Q", "information": "1"}, "grading.source", "'Q'"),
    ("provenance.span", [0, 10], "provenance.span", "document"),
]


@pytest.mark.parametrize(("path", "value", "field", "words"), ENTITY_PROBLEMS)
def test_each_problem_of_an_entity_names_its_field(
    validator: RecordValidator, path: str, value: Any, field: str, words: str
) -> None:
    record = _set(spec_entity(), path, value)
    problems = problems_of(validator, record)
    assert [(f, r) for f, r in problems if f == field and words in r], problems


def test_several_problems_of_one_record_are_all_reported(validator: RecordValidator) -> None:
    record = spec_link()
    record["handling"]["classification"] = "SECRTE"
    record["properties"]["durationSeconds"] = "long"
    record["grading"]["source"] = "E"
    record["handling"]["caveats"] = ["UNKNOWN"]
    problems = problems_of(validator, record)
    fields = {f for f, _ in problems}
    assert fields >= {
        "handling.classification",
        "properties.durationSeconds",
        "grading.source",
        "handling.caveats",
    }
    with pytest.raises(InvalidInput) as caught:
        validator.parse(record)
    message = str(caught.value)
    for field in fields:
        assert field in message


def test_structural_and_schema_problems_are_reported_together(validator: RecordValidator) -> None:
    record = spec_link()
    record["colour"] = "red"
    record["handling"]["classification"] = "SECRTE"
    fields = {f for f, _ in problems_of(validator, record)}
    assert fields >= {"colour", "handling.classification"}


@pytest.mark.parametrize("value", [[], "record", 42, None, [SPEC_ENTITY]])
def test_a_record_that_is_not_an_object_is_rejected(validator: RecordValidator, value: Any) -> None:
    problems = problems_of(validator, value)
    assert "JSON object" in problems[0][1]


# -- selector entities ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "properties", "region", "entity_id"),
    [
        ("Phone", {"number": "06 12 34 56 78"}, "FR", "phone:+33612345678"),
        ("Phone", {"number": "0470 12 34 56"}, "BE", "phone:+32470123456"),
        ("Phone", {"number": "0721 234 567"}, "RO", "phone:+40721234567"),
        ("Phone", {"number": "0033 6 12 34 56 78"}, "RO", "phone:+33612345678"),
        ("Phone", {"number": "+33 6 12 34 56 78"}, None, "phone:+33612345678"),
        ("Email", {"address": "Ivan.Petrov@Example.COM"}, None, "email:ivan.petrov@example.com"),
        (
            "BankAccount",
            {"iban": "fr76 3000 6000 0112 3456 7890 189"},
            None,
            "iban:FR7630006000011234567890189",
        ),
        ("Vehicle", {"plate": "ab-123-cd", "make": "Dacia"}, None, "plate:AB123CD"),
    ],
)
def test_selector_ids_come_from_normalised_values(
    validator: RecordValidator,
    type_: str,
    properties: dict[str, Any],
    region: str | None,
    entity_id: str,
) -> None:
    entity = validator.parse(_entity(type_, properties), region=region)
    assert isinstance(entity, EntityAssertion)
    assert entity.entity_id == entity_id
    key = validator.schema.entities[type_].selector.property
    assert entity.properties[key] == [entity_id.partition(":")[2]]


@pytest.mark.parametrize(
    ("given_id", "region"),
    [
        ("phone:+33612345678", None),
        ("+33 6 12 34 56 78", None),
        ("06 12 34 56 78", "FR"),
        ("phone:06 12 34 56 78", "FR"),
    ],
)
def test_a_selector_entity_may_be_named_by_id_or_by_value(
    validator: RecordValidator, given_id: str, region: str | None
) -> None:
    entity = validator.parse(_entity("Phone", {}, id=given_id), region=region)
    assert entity.entity_id == "phone:+33612345678"
    assert entity.properties["number"] == ["+33612345678"]
    agreeing = validator.parse(
        _entity("Phone", {"number": "+33612345678"}, id=given_id), region=region
    )
    assert agreeing.entity_id == "phone:+33612345678"


def test_a_selector_id_contradicting_its_value_is_rejected(validator: RecordValidator) -> None:
    record = _entity("Phone", {"number": "+33 6 12 34 56 78"}, id="phone:+33698765432")
    problems = problems_of(validator, record)
    assert [r for f, r in problems if f == "id"], problems


def test_a_selector_entity_needs_its_value(validator: RecordValidator) -> None:
    problems = problems_of(validator, _entity("Phone", {"carrier": "Orange"}))
    assert [r for f, r in problems if f == "properties.number"], problems


@pytest.mark.parametrize(
    ("type_", "properties", "field", "words"),
    [
        ("Phone", {"number": "06 12"}, "properties.number", "phone number"),
        ("Phone", {"number": "06 12 34 56 78"}, "properties.number", "+<country>"),
        ("BankAccount", {"iban": "FR7630006000011234567890188"}, "properties.iban", "checksum"),
        ("Email", {"address": "ivan-at-example.com"}, "properties.address", "e-mail"),
        ("Vehicle", {"plate": "!"}, "properties.plate", "plate"),
    ],
)
def test_invalid_selector_values_are_rejected(
    validator: RecordValidator, type_: str, properties: dict[str, Any], field: str, words: str
) -> None:
    problems = problems_of(validator, _entity(type_, properties))
    assert [r for f, r in problems if f == field and words in r], problems


def test_the_same_phone_from_two_sources_is_one_entity(validator: RecordValidator) -> None:
    french = validator.parse(_entity("Phone", {"number": "06 12 34 56 78"}), region="FR")
    belgian = validator.parse(_entity("Phone", {"number": "0033 612 345 678"}), region="BE")
    plain = validator.parse(_entity("Phone", {"number": "+33-6-12-34-56-78"}))
    assert french.entity_id == belgian.entity_id == plain.entity_id == "phone:+33612345678"


# -- link ends ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "end", "known", "region", "expected"),
    [
        ("CALLED", "p-17", {"p-17": "Person"}, None, EndRef("p-17", "Person")),
        ("CALLED", "+33 6 12 34 56 78", {}, None, EndRef("phone:+33612345678", "Phone")),
        ("CALLED", "06 12 34 56 78", {}, "FR", EndRef("phone:+33612345678", "Phone")),
        ("CALLED", "0470 12 34 56", {}, "BE", EndRef("phone:+32470123456", "Phone")),
        ("CALLED", "phone:+33612345678", {}, None, EndRef("phone:+33612345678", "Phone")),
        ("CALLED", "phone:0612345678", {}, "FR", EndRef("phone:+33612345678", "Phone")),
        ("MESSAGED", "Ivan@Example.org", {}, None, EndRef("email:ivan@example.org", "Email")),
        (
            "TRANSFERRED_TO",
            "FR76 3000 6000 0112 3456 7890 189",
            {},
            None,
            EndRef("iban:FR7630006000011234567890189", "BankAccount"),
        ),
        ("CALLED", {"id": "p-99", "type": "Person"}, {}, None, EndRef("p-99", "Person")),
        (
            "CALLED",
            {"id": "06 12 34 56 78", "type": "Phone"},
            {},
            "FR",
            EndRef("phone:+33612345678", "Phone"),
        ),
        (
            "CALLED",
            {"id": "phone:+33612345678", "type": "Phone"},
            {},
            None,
            EndRef("phone:+33612345678", "Phone"),
        ),
        (
            "CALLED",
            {"type": "Phone", "value": "0721 234 567"},
            {},
            "RO",
            EndRef("phone:+40721234567", "Phone"),
        ),
        (
            "MESSAGED",
            {"type": "Email", "value": "IVAN@EXAMPLE.ORG"},
            {},
            None,
            EndRef("email:ivan@example.org", "Email"),
        ),
        (
            "USES",
            {"type": "Vehicle", "value": "ab-123-cd"},
            {},
            None,
            EndRef("plate:AB123CD", "Vehicle"),
        ),
        # a type allowed alone at this end is inferred for an unknown id
        ("MET", "p-new", {}, None, EndRef("p-new", "Person")),
        ("DIRECTOR_OF", "org-new", {}, None, EndRef("org-new", "Organization")),
    ],
)
def test_link_ends_in_every_form(
    validator: RecordValidator,
    type_: str,
    end: Any,
    known: dict[str, str],
    region: str | None,
    expected: EndRef,
) -> None:
    source: Any = "p-1"
    if type_ == "DIRECTOR_OF":
        source = {"id": "p-1", "type": "Person"}
    record = _link(type_, source, end)
    link = resolve(validator, record, known={"p-1": "Person", **known}, region=region)
    assert link.dst == expected


@pytest.mark.parametrize(
    ("type_", "end", "known", "field"),
    [
        ("CALLED", {"type": "Email", "value": "a@b.fr"}, {}, "to"),
        ("CALLED", {"type": "Organization", "id": "org-1"}, {}, "to"),
        ("CALLED", "org-1", {"org-1": "Organization"}, "to"),
        ("CALLED", "email:a@b.fr", {}, "to"),
        ("DIRECTOR_OF", "p-2", {"p-2": "Person"}, "to"),
        ("CALLED", "+33 6 12 34", {}, "to"),
        ("CALLED", {"type": "Phone", "value": "not a phone"}, {}, "to"),
        ("CALLED", {"id": "p-2", "type": "Person", "value": "x"}, {}, "to"),
        ("CALLED", {"id": "p-2"}, {}, "to.type"),
        ("CALLED", {"type": "Persn", "id": "p-2"}, {}, "to"),
        ("CALLED", {"id": "p-2", "type": "Person", "colour": "red"}, {}, "to.colour"),
    ],
)
def test_wrong_link_ends_are_rejected_with_their_field(
    validator: RecordValidator, type_: str, end: Any, known: dict[str, str], field: str
) -> None:
    record = _link(type_, {"id": "p-1", "type": "Person"}, end)
    with pytest.raises(InvalidInput) as caught:
        resolve(validator, record, known=known)
    fields = [f for f, _ in caught.value.problems]
    assert any(f is not None and f.startswith(field) for f in fields), caught.value.problems


def test_an_end_whose_type_cannot_be_known_is_unresolved_with_a_hint(
    validator: RecordValidator,
) -> None:
    draft = validator.parse(_link("USES", "p-1", "thing-9"))
    assert isinstance(draft, LinkDraft)
    with pytest.raises(Unresolved) as caught:
        validator.resolve_end(draft, draft.ends[1], _nothing_known)
    assert caught.value.end.field == "to"
    assert '{"id": "thing-9", "type": ' in caught.value.message


def test_a_span_needs_its_document(validator: RecordValidator) -> None:
    record = _link("MET", "p-1", "p-2")
    record["provenance"].update(method="extracted", span=[10, 25])
    problems = problems_of(validator, record)
    assert [r for f, r in problems if f == "provenance.span" and "document" in r], problems
    record["provenance"]["document"] = "doc-1"
    draft = validator.parse(record)
    assert draft.provenance.span == (10, 25)
    assert draft.provenance.document == "doc-1"


@pytest.mark.parametrize(
    ("type_", "directed", "ok"),
    [
        ("CALLED", True, True),
        ("CALLED", False, False),
        ("MET", False, True),
        ("MET", True, False),
        ("RELATED_TO", True, False),
    ],
)
def test_directed_must_agree_with_the_schema(
    validator: RecordValidator, type_: str, directed: bool, ok: bool
) -> None:
    record = _link(type_, {"id": "p-1", "type": "Person"}, {"id": "p-2", "type": "Person"})
    record["directed"] = directed
    if ok:
        assert resolve(validator, record).directed is directed
    else:
        problems = problems_of(validator, record)
        assert [r for f, r in problems if f == "directed"], problems


def test_an_undirected_link_is_stored_undirected(validator: RecordValidator) -> None:
    record = _link("MET", {"id": "p-1", "type": "Person"}, {"id": "p-2", "type": "Person"})
    assert resolve(validator, record).directed is False


# -- the validator never raises anything but InvalidInput -----------------------------------------

TRICKY_STRINGS = [
    "",
    " ",
    "p-17",
    "+33612345678",
    "06 12 34 56 78",
    "phone:",
    "phone:abc",
    "email:",
    "iban:FR76",
    "plate:!",
    ":",
    "FR7630006000011234567890189",
    "a@b.fr",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "0005-01-01T00:00:00Z",
    "2024-01-02T10:00:00Z",
    "2024-02-30",
    "1980",
    "Person",
    "CALLED",
    "SECRET",
    "H0",
    "FR",
    "FR-OCRTEH",
    "HUMINT",
    "\x00",
    "\ud800",
    "9" * 5000,
    "NaN",
    "Infinity",
]
iso_datetimes = st.builds(
    lambda moment, minutes: moment.replace(tzinfo=timezone(timedelta(minutes=minutes))).isoformat(),
    st.datetimes(),
    st.integers(min_value=-14 * 60, max_value=14 * 60),
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(TRICKY_STRINGS)
    | iso_datetimes
    | st.dates().map(str)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(max_size=8) | st.sampled_from(["id", "type", "value"]), children, max_size=4
        )
    ),
    max_leaves=12,
)
KEYS = [
    "kind",
    "id",
    "type",
    "from",
    "to",
    "directed",
    "properties",
    "provenance",
    "grading",
    "handling",
]
random_records = st.dictionaries(
    st.sampled_from(KEYS) | st.text(max_size=6), json_values, max_size=8
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            out += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            out += _paths(child, (*prefix, index))
    return out


BASES = [
    SPEC_ENTITY,
    SPEC_LINK,
    {
        **SPEC_LINK,
        "provenance": {
            **SPEC_LINK["provenance"],
            "observedAt": "2024-01-02",
            "ingestedAt": "2024-01-03T00:00:00Z",
        },
    },
    _entity("Phone", {"number": "+33612345678"}),
    _entity("BankAccount", {"iban": "FR7630006000011234567890189", "bic": "BNPAFRPP"}),
    _link("MESSAGED", {"type": "Email", "value": "a@b.fr"}, {"id": "p-2", "type": "Person"}),
    _link("MET", "p-1", "p-2", properties={"date": "2024-01-02"}),
]


@st.composite
def near_valid_records(draw: st.DrawFn) -> Any:
    record = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = _paths(record)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent: Any = record
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(st.sampled_from(TRICKY_STRINGS) | iso_datetimes | json_values)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=6) | st.sampled_from(KEYS))] = draw(json_values)
        else:
            parent.append(draw(json_values))
    return record


def _check_total(validator: RecordValidator, record: Any, region: str | None) -> None:
    json.dumps(record)  # the inputs are JSON-like
    try:
        result = validator.parse(record, region=region)
    except InvalidInput as exc:
        assert exc.problems
        for field, reason in exc.problems:
            assert field is None or isinstance(field, str)
            assert isinstance(reason, str) and reason
        return
    if isinstance(result, LinkDraft):
        for kind in ("Person", "Organization", "Phone", None):
            for end in result.ends:
                with contextlib.suppress(InvalidInput, Unresolved):
                    validator.resolve_end(result, end, lambda _id, k=kind: k)
    else:
        assert isinstance(result, EntityAssertion)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(record=random_records | near_valid_records(), region=st.sampled_from([None, "FR", "RO"]))
def test_the_validator_raises_only_invalid_input(
    validator: RecordValidator, record: Any, region: str | None
) -> None:
    _check_total(validator, record, region)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("provenance", "ingestedAt"), "0001-01-01T00:00:00+01:00"),
        (("provenance", "observedAt"), "0001-01-01T00:00:00+01:00"),
        (("properties", "date"), "0001-01-01T00:30:00+01:00"),
        (("properties", "date"), "9999-12-31T23:30:00-01:00"),
    ],
)
def test_date_times_outside_the_calendar_in_utc_are_invalid_input(
    validator: RecordValidator, path: tuple[str, str], value: str
) -> None:
    record = _link("MET", "p-1", "p-2")
    record.setdefault(path[0], {})[path[1]] = value
    problems = problems_of(validator, record)
    assert [f for f, _ in problems if f == ".".join(path)], problems


def test_an_early_year_is_kept_with_four_digits(validator: RecordValidator) -> None:
    record = _link("MET", "p-1", "p-2", properties={"date": "0005-01-01T00:00:00Z"})
    draft = validator.parse(record)
    assert isinstance(draft, LinkDraft)
    assert draft.properties["date"] == "0005-01-01T00:00:00Z"
    assert draft.time == -62009366400
