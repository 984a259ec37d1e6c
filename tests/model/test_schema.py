"""The schema as data: what ``schema/`` declares, and how a broken copy is reported (file and key
of every mistake)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from graphsvc.errors import InvalidInput, InvalidSchema
from graphsvc.model.records import RecordValidator
from graphsvc.model.schema import Schema
from tests.model.conftest import problems_of, spec_entity

ENTITY_TYPES = {
    "Person",
    "Organization",
    "Phone",
    "Email",
    "BankAccount",
    "Address",
    "Vehicle",
    "Document",
    "Event",
    "Location",
}
LINK_TYPES = {
    "CALLED",
    "MESSAGED",
    "TRANSFERRED_TO",
    "OWNS",
    "DIRECTOR_OF",
    "EMPLOYED_BY",
    "LIVES_AT",
    "USES",
    "RELATED_TO",
    "MEMBER_OF",
    "MET",
    "MENTIONED_IN",
}


def test_the_schema_declares_the_required_entity_and_link_types(schema: Schema) -> None:
    assert set(schema.entities) >= ENTITY_TYPES
    assert set(schema.links) >= LINK_TYPES
    for link_type in schema.links.values():
        assert link_type.from_types and link_type.to_types
        assert set(link_type.from_types) | set(link_type.to_types) <= set(schema.entities)


def test_directedness_is_declared_per_link_type(schema: Schema) -> None:
    assert schema.links["CALLED"].directed
    assert schema.links["TRANSFERRED_TO"].directed
    assert schema.links["OWNS"].directed
    assert not schema.links["MET"].directed
    assert not schema.links["RELATED_TO"].directed
    assert schema.links["CALLED"].from_types == ("Phone", "Person")
    assert schema.links["DIRECTOR_OF"].to_types == ("Organization",)


def test_properties_are_typed(schema: Schema) -> None:
    person = schema.entities["Person"]
    assert person.properties["name"].type == "name"
    assert person.properties["birthDate"].type == "date"
    assert person.properties["aliases"].multiple
    assert not person.properties["birthDate"].multiple
    assert person.name_properties == ("name", "aliases")
    assert schema.links["CALLED"].properties["durationSeconds"].type == "integer"
    assert schema.links["CALLED"].time_property == "date"


def test_selector_types_and_prefixes(schema: Schema) -> None:
    prefixes = {t.name: (t.selector.kind, t.selector.prefix) for t in schema.selector_types}
    assert prefixes == {
        "Phone": ("phone", "phone"),
        "Email": ("email", "email"),
        "BankAccount": ("iban", "iban"),
        "Vehicle": ("plate", "plate"),
        "IpAddress": ("ip", "ip"),
        "CryptoWallet": ("crypto", "crypto"),
        "IdentityDocument": ("iddoc", "iddoc"),
    }
    assert schema.selector_prefixes["phone"].name == "Phone"
    assert schema.selector_prefixes["crypto"].name == "CryptoWallet"
    assert schema.entities["Phone"].selector.entity_id("+33612345678") == "phone:+33612345678"


def test_the_handling_policy(schema: Schema) -> None:
    policy = schema.policy
    assert policy.levels == ("UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL", "SECRET")
    assert [policy.rank(level) for level in policy.levels] == [0, 1, 2, 3]
    assert set(policy.source_grades) == {"A", "B", "C", "X"}
    assert set(policy.information_grades) == {"1", "2", "3", "4"}
    assert policy.source_grades["A"].weight > policy.source_grades["X"].weight
    assert set(policy.codes) == {"H0", "H1", "H2", "H3"}
    assert policy.codes["H0"].restricts == frozenset()
    assert policy.codes["H1"].restricts == {"judicial"}
    assert policy.codes["H2"].restricts == {"dissemination"}
    assert policy.codes["H3"].restricts == {"dissemination", "judicial"}
    assert all(policy.codes[c].meaning for c in policy.codes)
    assert {"HUMINT", "FIU", "JIT", "UC"} <= set(policy.caveats)


def test_unknown_names_are_invalid_input_with_a_suggestion(schema: Schema) -> None:
    with pytest.raises(InvalidInput, match="did you mean Person"):
        schema.entity_type("Persn")
    with pytest.raises(InvalidInput, match="did you mean CALLED"):
        schema.link_type("CALED")
    with pytest.raises(InvalidInput, match="did you mean SECRET"):
        schema.policy.rank("SECRT")


def test_schema_load_reads_a_copy(schema_copy: Callable[..., Path], schema: Schema) -> None:
    copy = Schema.load(schema_copy())
    assert copy == schema


def test_graphsvc_schema_names_the_default_directory(
    schema_copy: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = schema_copy(
        (
            "entities.yaml",
            "  Location:\n",
            "  Ship:\n    properties:\n      imo: {type: string}\n  Location:\n",
        )
    )
    monkeypatch.setenv("GRAPHSVC_SCHEMA", str(directory))
    assert "Ship" in Schema.load().entities


def test_deployments_change_the_policy_in_files_not_code(
    schema_copy: Callable[..., Path], schema: Schema
) -> None:
    directory = schema_copy(
        (
            "handling.yaml",
            "levels: [UNCLASSIFIED, RESTRICTED, CONFIDENTIAL, SECRET]",
            "levels: [OFFICIAL, SECRET, TOP_SECRET]",
        ),
        ("handling.yaml", "  UC: Undercover operation material.", "  UC: Undercover.\n  NOFORN: x"),
    )
    deployed = Schema.load(directory)
    assert deployed.policy.levels == ("OFFICIAL", "SECRET", "TOP_SECRET")
    record = spec_entity()
    record["handling"] = {**record["handling"], "classification": "TOP_SECRET"}
    record["handling"]["caveats"] = ["NOFORN"]
    assertion = RecordValidator(deployed).parse(record)
    assert assertion.handling.classification == "TOP_SECRET"
    assert assertion.handling.caveats == ("NOFORN",)
    fields = {f for f, _ in problems_of(RecordValidator(schema), record)}
    assert fields == {"handling.classification", "handling.caveats"}


# -- broken copies --------------------------------------------------------------------------------

BROKEN = [
    pytest.param(
        ("entities.yaml", "number: {type: phone}", "number: {type: fone}"),
        "entities.yaml",
        "entities.Phone.properties.number",
        "'fone'",
        id="unknown-property-type",
    ),
    pytest.param(
        ("links.yaml", "from: [Person]\n    to: [Address]", "from: [Person]\n    to: [Adress]"),
        "links.yaml",
        "links.LIVES_AT.to",
        "did you mean Address",
        id="link-end-names-an-unknown-entity-type",
    ),
    pytest.param(
        (
            "links.yaml",
            "from: [Phone, Person]\n    to: [Phone, Person]\n    time: date",
            "from: [Phone, Persn]\n    to: [Phone, Person]\n    time: date",
        ),
        "links.yaml",
        "links.CALLED.from",
        "'Persn'",
        id="link-from-names-an-unknown-entity-type",
    ),
    pytest.param(
        ("entities.yaml", "prefix: email}", "prefix: phone}"),
        "entities.yaml",
        "entities.Email.selector",
        "prefix",
        id="duplicated-selector-prefix",
    ),
    pytest.param(
        ("handling.yaml", "restricts: [judicial]\n", "restricts: [judicial, publication]\n"),
        "handling.yaml",
        "handling_codes.H1",
        "restricts",
        id="bad-handling-code-restriction",
    ),
    pytest.param(
        ("entities.yaml", "label: plate", "label: plat"),
        "entities.yaml",
        "entities.Vehicle",
        "'plat'",
        id="label-is-not-a-property",
    ),
    pytest.param(
        ("entities.yaml", "{kind: plate, property: plate", "{kind: plate, property: make"),
        "entities.yaml",
        "entities.Vehicle.selector",
        "'make'",
        id="selector-property-of-the-wrong-type",
    ),
    pytest.param(
        ("entities.yaml", "{kind: plate, property: plate", "{kind: vin, property: plate"),
        "entities.yaml",
        "entities.Vehicle.selector",
        "'vin'",
        id="unknown-selector-kind",
    ),
    pytest.param(
        (
            "links.yaml",
            "time: since\n    properties:\n      share",
            "time: share\n    properties:\n      share",
        ),
        "links.yaml",
        "links.OWNS",
        "'share'",
        id="time-names-a-non-date-property",
    ),
    pytest.param(
        ("links.yaml", "  RELATED_TO:\n    directed: false\n", "  RELATED_TO:\n"),
        "links.yaml",
        "links.RELATED_TO",
        "directed",
        id="directed-missing",
    ),
    pytest.param(
        ("links.yaml", "  MET:\n    directed: false\n", "  MET:\n    directed: sometimes\n"),
        "links.yaml",
        "links.MET",
        "directed",
        id="directed-not-a-boolean",
    ),
    pytest.param(
        (
            "links.yaml",
            "    from: [Person, Organization]\n    to: [Organization]\n",
            "    from: []\n    to: [Organization]\n",
        ),
        "links.yaml",
        "links.DIRECTOR_OF.from",
        "non-empty",
        id="empty-end-type-list",
    ),
    pytest.param(
        ("entities.yaml", "birthDate: {type: date}", "birthDate: {type: date, format: iso}"),
        "entities.yaml",
        "entities.Person.properties.birthDate",
        "format",
        id="unknown-key-in-a-property",
    ),
    pytest.param(
        (
            "entities.yaml",
            "gender: {type: string, values: [female, male, other, unknown]}",
            "gender: {type: string, values: female}",
        ),
        "entities.yaml",
        "entities.Person.properties.gender",
        "values",
        id="values-not-a-list",
    ),
    pytest.param(
        (
            "entities.yaml",
            "  Phone:\n    label: number\n",
            "  Phone:\n    label: number\n    selecter: {kind: phone}\n",
        ),
        "entities.yaml",
        "entities.Phone",
        "selecter",
        id="unknown-key-in-an-entity-type",
    ),
    pytest.param(
        (
            "links.yaml",
            "  CALLED:\n    directed: true\n",
            "  CALLED:\n    directed: true\n    tiem: date\n",
        ),
        "links.yaml",
        "links.CALLED",
        "tiem",
        id="unknown-key-in-a-link-type",
    ),
    pytest.param(
        (
            "handling.yaml",
            "levels: [UNCLASSIFIED, RESTRICTED, CONFIDENTIAL, SECRET]",
            "levels: [UNCLASSIFIED, RESTRICTED, RESTRICTED, SECRET]",
        ),
        "handling.yaml",
        "classification.levels",
        "distinct",
        id="duplicated-classification-level",
    ),
    pytest.param(
        (
            "handling.yaml",
            "B: {label: Usually reliable, weight: 0.75}",
            "B: {label: Usually reliable, weight: 1.75}",
        ),
        "handling.yaml",
        "grading.source.B",
        "weight",
        id="grade-weight-out-of-range",
    ),
    pytest.param(
        ("handling.yaml", "    restricts: [dissemination]\n", "    restricts: dissemination\n"),
        "handling.yaml",
        "handling_codes.H2",
        "restricts",
        id="restricts-not-a-list",
    ),
]


@pytest.mark.parametrize(("edit", "file", "key", "words"), BROKEN)
def test_a_broken_schema_names_the_file_and_key(
    schema_copy: Callable[..., Path], edit: tuple[str, str, str], file: str, key: str, words: str
) -> None:
    directory = schema_copy(edit)
    with pytest.raises(InvalidSchema) as caught:
        Schema.load(directory)
    error = caught.value
    assert error.file == str(directory / file)
    assert error.field == key
    assert words in error.message
    assert str(error).startswith(f"{directory / file}: {key}: ")
    assert error.code == "INVALID_SCHEMA"


def test_invalid_yaml_names_the_file_and_line(schema_copy: Callable[..., Path]) -> None:
    directory = schema_copy(("links.yaml", "  MET:\n", "  MET: [\n"))
    text = (directory / "links.yaml").read_text(encoding="utf-8")
    with pytest.raises(InvalidSchema) as caught:
        Schema.load(directory)
    error = caught.value
    assert error.file == str(directory / "links.yaml")
    assert "YAML" in error.message
    broken_line = text.splitlines().index("  MET: [") + 1
    assert error.line is not None and broken_line <= error.line <= broken_line + 3


def test_a_missing_file_is_named(schema_copy: Callable[..., Path]) -> None:
    directory = schema_copy()
    (directory / "handling.yaml").unlink()
    with pytest.raises(InvalidSchema) as caught:
        Schema.load(directory)
    assert caught.value.file == str(directory / "handling.yaml")
    assert "not found" in caught.value.message


@pytest.mark.parametrize(
    ("file", "content", "key"),
    [
        ("entities.yaml", "entities: {}\n", None),
        ("links.yaml", "links: {}\n", None),
        ("entities.yaml", "- Person\n", None),
        ("links.yaml", "types: {}\n", "links"),
        ("handling.yaml", "classification: {levels: []}\n", "classification.levels"),
    ],
)
def test_empty_or_misshapen_files_are_rejected(
    schema_copy: Callable[..., Path], file: str, content: str, key: str | None
) -> None:
    directory = schema_copy()
    (directory / file).write_text(content, encoding="utf-8")
    with pytest.raises(InvalidSchema) as caught:
        Schema.load(directory)
    assert caught.value.file == str(directory / file)
    assert caught.value.field == key
