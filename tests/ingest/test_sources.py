"""Sources: definitions loaded from YAML (checked when loaded), and the defaults they give the
records that do not say otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graphsvc.errors import InvalidMapping
from graphsvc.ingest import SourceRegistry
from graphsvc.ingest.mapping import Mapping
from graphsvc.model.schema import Schema
from graphsvc.store.protocol import GraphStore
from tests.ingest.conftest import get_entity, get_link, ingest, only_problem, write_jsonl

SOURCES = """
sources:
  cdr-fr:
    title: Call detail records, operator requisition (FR)
    country: fr
    provenance: {method: structured, confidence: 0.95, observedAt: "2024-01-31"}
    grading: {source: A, information: "1"}
    handling: {classification: CONFIDENTIAL, releasableTo: [FR], code: H2, originator: FR-OCRTEH}
  partner-be:
    country: BE
    grading: {source: B, information: "2"}
    handling: {classification: RESTRICTED, releasableTo: [BE, FR], caveats: [JIT], code: H1,
               originator: BE-PJF}
  partner-ro:
    country: RO
    handling: {code: H3, originator: RO-DIICOT}
  bare: {}
"""


@pytest.fixture
def registry(tmp_path: Path, schema: Schema) -> SourceRegistry:
    path = tmp_path / "sources.yaml"
    path.write_text(SOURCES, encoding="utf-8")
    return SourceRegistry.load(path, schema)


def _bare_link(
    link_id: str, source: Any, target: Any, type_: str = "CALLED", **fields: Any
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "kind": "link",
        "id": link_id,
        "type": type_,
        "from": source,
        "to": target,
    }
    record.update(fields)
    return record


def test_source_definitions_are_loaded(registry: SourceRegistry) -> None:
    assert set(registry.sources) == {"cdr-fr", "partner-be", "partner-ro", "bare"}
    cdr = registry.get("cdr-fr")
    assert cdr is not None
    assert cdr.region == "FR"
    assert cdr.title == "Call detail records, operator requisition (FR)"
    assert registry.get("bare") is not None and registry.get("bare").region is None
    assert registry.get("nope") is None


def test_defaults_fill_missing_provenance_grading_and_handling(
    store: GraphStore, tmp_path: Path, registry: SourceRegistry
) -> None:
    call = _bare_link(
        "c-1",
        "06 12 34 56 78",
        "07 11 22 33 44",
        provenance={"source": "cdr-fr", "record": "cdr-0001"},
    )
    report = ingest(store, write_jsonl(tmp_path / "cdr.jsonl", [call]), registry=registry)
    assert report.rejected == 0, report.problems
    stored = get_link(store, "c-1")
    assert (stored.source_id, stored.target_id) == ("phone:+33612345678", "phone:+33711223344")
    assert stored.provenance.method == "structured"
    assert stored.provenance.confidence == 0.95
    assert stored.provenance.observed_at is not None
    assert stored.provenance.observed_at.startswith("2024-01-31")
    assert stored.grading.to_dict() == {"source": "A", "information": "1"}
    assert stored.handling.to_dict() == {
        "classification": "CONFIDENTIAL",
        "releasableTo": ["FR"],
        "caveats": [],
        "code": "H2",
        "originator": "FR-OCRTEH",
        "retainUntil": None,
    }


def test_the_default_source_names_records_without_one(
    store: GraphStore, tmp_path: Path, registry: SourceRegistry
) -> None:
    path = write_jsonl(
        tmp_path / "be.jsonl",
        [
            _bare_link("be-1", "0470 12 34 56", "+33 6 12 34 56 78"),
            {
                "kind": "entity",
                "type": "Phone",
                "properties": {"number": "02 123 45 67"},
                "provenance": {"record": "ph-1"},
            },
        ],
    )
    report = ingest(store, path, registry=registry, source="partner-be")
    assert report.rejected == 0, report.problems
    stored = get_link(store, "be-1")
    assert stored.source_id == "phone:+32470123456"
    assert stored.provenance.source == "partner-be"
    assert stored.provenance.record == "be-1"
    assert stored.handling.caveats == ("JIT",)
    assert stored.handling.code == "H1"
    phone = get_entity(store, "phone:+3221234567")
    assert phone.records[0].provenance.source == "partner-be"
    assert phone.records[0].handling.originator == "BE-PJF"


def test_record_fields_win_over_defaults(
    store: GraphStore, tmp_path: Path, registry: SourceRegistry
) -> None:
    call = _bare_link(
        "c-2",
        "+33612345678",
        "+33711223344",
        provenance={"source": "cdr-fr", "record": "r-2", "confidence": 0.5, "method": "analyst"},
        grading={"source": "C", "information": "3"},
        handling={"classification": "SECRET", "caveats": ["HUMINT"]},  # the rest from defaults
    )
    report = ingest(store, write_jsonl(tmp_path / "cdr.jsonl", [call]), registry=registry)
    assert report.rejected == 0, report.problems
    stored = get_link(store, "c-2")
    assert stored.provenance.confidence == 0.5
    assert stored.provenance.method == "analyst"
    assert stored.grading.to_dict() == {"source": "C", "information": "3"}
    assert stored.handling.classification == "SECRET"
    assert stored.handling.caveats == ("HUMINT",)
    assert stored.handling.code == "H2"
    assert stored.handling.releasable_to == ("FR",)
    assert stored.handling.originator == "FR-OCRTEH"


def test_a_record_naming_its_source_wins_over_the_default_source(
    store: GraphStore, tmp_path: Path, registry: SourceRegistry
) -> None:
    call = _bare_link("c-3", "06 12 34 56 78", "+40721234567", provenance={"source": "cdr-fr"})
    report = ingest(
        store, write_jsonl(tmp_path / "x.jsonl", [call]), registry=registry, source="partner-be"
    )
    assert report.rejected == 0, report.problems
    stored = get_link(store, "c-3")
    assert stored.provenance.source == "cdr-fr"
    assert stored.source_id == "phone:+33612345678"  # read with FR, the record's source's country


def test_missing_required_fields_without_defaults_are_errors(
    store: GraphStore, tmp_path: Path, registry: SourceRegistry
) -> None:
    path = write_jsonl(
        tmp_path / "ro.jsonl",
        [
            _bare_link("ro-1", "0721 234 567", "0722 000 111", provenance={"source": "partner-ro"}),
            _bare_link(
                "ro-2",
                "0721 234 567",
                "0722 000 111",
                provenance={"source": "bare"},
                grading={"source": "A", "information": "1"},
            ),
        ],
    )
    report = ingest(store, path, registry=registry)
    assert (report.accepted, report.rejected) == (0, 2)
    first = {(p.field, p.reason) for p in report.problems if p.line == 1}
    assert ("grading", "missing") in first
    assert ("handling.classification", "missing") in first
    assert ("handling", "missing") in {(p.field, p.reason) for p in report.problems if p.line == 2}


def test_a_source_without_a_country_reads_only_international_numbers(
    store: GraphStore, tmp_path: Path, registry: SourceRegistry
) -> None:
    record = _bare_link(
        "b-1",
        "06 12 34 56 78",
        "+33711223344",
        provenance={"source": "bare"},
        grading={"source": "A", "information": "1"},
        handling={"classification": "UNCLASSIFIED", "code": "H0", "originator": "FR-OCRTEH"},
    )
    path = write_jsonl(tmp_path / "bare.jsonl", [record])
    report = ingest(store, path, registry=registry)
    assert report.rejected == 1
    problem = only_problem(report, path, 1)
    assert problem.field == "from"
    assert "+<country>" in problem.reason


# -- definitions are checked when loaded ----------------------------------------------------------

INVALID_DEFAULTS = [
    ("country: ZZ", "country"),
    ("handling: {classification: TOPSECRET, code: H0, originator: FR-X}", "handling"),
    ("handling: {classification: TOPSECRET}", "handling"),
    ("handling: {code: H9}", "handling"),
    ("handling: {caveats: [NOPE]}", "handling"),
    ("handling: {releasableTo: [ZZ]}", "handling"),
    ('handling: {originator: "fr ocrteh"}', "handling"),
    ("handling: {colour: red}", "handling"),
    ("handling: {retainUntil: someday}", "handling"),
    ("grading: {source: Z}", "grading"),
    ('grading: {information: "7"}', "grading"),
    ('grading: {source: Z, information: "1"}', "grading"),
    ("provenance: {confidence: 2}", "provenance"),
    ("provenance: {method: guessed}", "provenance"),
    ("provenance: {observedAt: someday}", "provenance"),
    ("provenance: {colour: red}", "provenance"),
    ("colour: red", "colour"),
]


@pytest.mark.parametrize(("body", "part"), INVALID_DEFAULTS)
def test_an_invalid_default_is_rejected_when_the_sources_file_is_loaded(
    tmp_path: Path, schema: Schema, body: str, part: str
) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(f"sources:\n  src1:\n    {body}\n", encoding="utf-8")
    with pytest.raises(InvalidMapping) as caught:
        SourceRegistry.load(path, schema)
    error = caught.value
    assert error.file == str(path)
    assert error.field is not None and error.field.startswith(f"sources.src1.{part}"), error


@pytest.mark.parametrize(("body", "part"), INVALID_DEFAULTS)
def test_an_invalid_default_in_a_mapping_source_is_rejected_when_loaded(
    tmp_path: Path, schema: Schema, body: str, part: str
) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text(
        f'source:\n  name: src1\n  {body}\nentities:\n  person: {{type: Person, id: "{{id}}"}}\n',
        encoding="utf-8",
    )
    with pytest.raises(InvalidMapping) as caught:
        Mapping.load(path, schema, SourceRegistry())
    error = caught.value
    assert error.file == str(path)
    assert error.field is not None and error.field.startswith(f"source.{part}"), error


@pytest.mark.parametrize(
    "content",
    ["", "sources: [a, b]\n", "sources:\n  src1: [1]\n", "sources: {\n", "other: {}\n"],
)
def test_a_misshapen_sources_file_is_named(tmp_path: Path, schema: Schema, content: str) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidMapping) as caught:
        SourceRegistry.load(path, schema)
    assert caught.value.file == str(path)


def test_a_missing_sources_file_is_named(tmp_path: Path, schema: Schema) -> None:
    with pytest.raises(InvalidMapping) as caught:
        SourceRegistry.load(tmp_path / "nowhere.yaml", schema)
    assert caught.value.file == str(tmp_path / "nowhere.yaml")
