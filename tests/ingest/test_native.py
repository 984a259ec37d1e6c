"""Native JSONL files: each bad line is reported with file, line, field and reason, and every
valid line of the same file is still stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graphsvc.ingest import SourceConfig, SourceRegistry
from graphsvc.ingest.lines import MAX_LINE_BYTES
from graphsvc.store.protocol import GraphStore
from tests.conftest import entity, link
from tests.ingest.conftest import (
    assert_every_problem_located,
    everyone,
    get_entity,
    get_link,
    ingest,
    only_problem,
    write_jsonl,
)
from tests.model.conftest import SPEC_ENTITY, SPEC_LINK


def test_the_issue_example_file_is_stored(store: GraphStore, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "example.jsonl", [SPEC_ENTITY, SPEC_LINK])
    report = ingest(store, path)
    assert (report.accepted, report.rejected) == (2, 0)
    assert report.problems == []
    stats = store.totals()
    assert (stats.entities, stats.links, stats.records) == (2, 1, 1)
    assert stats.entities_by_type == {"Person": 1, "Phone": 1}
    person = get_entity(store, "p-17")
    assert person.type == "Person"
    assert person.properties == {"name": ["Ivan Petrov"], "birthDate": ["1980-02-03"]}
    assert {(s.property, s.source, s.record) for s in person.statements} == {
        ("name", "registry-fr", "r-17"),
        ("birthDate", "registry-fr", "r-17"),
    }
    call = get_link(store, "c-1")
    assert (call.type, call.source_id, call.target_id, call.directed) == (
        "CALLED",
        "p-17",
        "phone:+33612345678",
        True,
    )
    assert call.properties == {"date": "2024-01-02T10:00:00Z", "durationSeconds": 120}
    assert call.provenance.source == "cdr-fr"
    assert call.provenance.record == "cdr-2024-0001"
    assert call.provenance.confidence == 0.95
    assert call.grading.to_dict() == {"source": "B", "information": "2"}
    assert call.handling.classification == "CONFIDENTIAL"
    assert call.handling.code == "H2"
    assert call.handling.releasable_to == ("FR",)
    assert get_entity(store, "phone:+33612345678").properties == {"number": ["+33612345678"]}


def test_bad_lines_are_reported_and_good_lines_stored(store: GraphStore, tmp_path: Path) -> None:
    bad_classification = entity("p-3", name="Three")
    bad_classification["handling"]["classification"] = "SECRTE"
    bad_duration = link("l-2", "p-1", "p-2", type_="CALLED", durationSeconds="long")
    bad_grading = link("l-3", "p-1", "p-2")
    bad_grading["grading"]["source"] = "E"
    unknown_type = entity("p-4", type_="Persn", name="Four")
    unknown_field = entity("p-5", name="Five")
    unknown_field["colour"] = "red"
    path = write_jsonl(
        tmp_path / "mixed.jsonl",
        [
            entity("p-1", name="Ivan Petrov"),  # 1
            bad_classification,  # 2
            entity("p-2", name="Elena Popescu"),  # 3
            bad_duration,  # 4
            link("l-1", "p-1", "p-2", date="2024-03-01T12:00:00Z"),  # 5
            bad_grading,  # 6
            unknown_type,  # 7
            unknown_field,  # 8
            entity("p-6", name="Six"),  # 9
        ],
    )
    report = ingest(store, path)
    assert (report.accepted, report.rejected) == (4, 5)
    assert report.files[str(path)].accepted == 4
    assert report.files[str(path)].rejected == 5
    assert_every_problem_located(report)
    expected = {
        2: ("handling.classification", "did you mean SECRET"),
        4: ("properties.durationSeconds", "'long'"),
        6: ("grading.source", "'E'"),
        7: ("type", "did you mean Person"),
        8: ("colour", "unknown field"),
    }
    for line, (field, words) in expected.items():
        problem = only_problem(report, path, line)
        assert problem.field == field, problem
        assert words in problem.reason, problem
        assert str(problem).startswith(f"{path}:{line}: {field}: ")
    stats = store.totals()
    assert (stats.entities, stats.links, stats.records) == (3, 1, 3)
    assert get_entity(store, "p-1").properties["name"] == ["Ivan Petrov"]
    assert get_entity(store, "p-6").properties["name"] == ["Six"]
    assert get_link(store, "l-1").properties == {"date": "2024-03-01T12:00:00Z"}
    for missing in ("p-3", "p-4", "p-5"):
        assert store.get_entity(everyone(store.schema), missing) is None
    for missing in ("l-2", "l-3"):
        assert store.get_link(everyone(store.schema), missing) is None


def test_invalid_utf8_on_one_line(store: GraphStore, tmp_path: Path) -> None:
    good = json.dumps(entity("p-1", name="Ştefan Ionescu"), ensure_ascii=False).encode()
    broken = json.dumps(entity("p-2", name="Élodie")).encode().replace(b"lodie", b"lod\xe9ie")
    path = write_jsonl(
        tmp_path / "latin1.jsonl",
        [good, b'{"kind": "entity", "name": "\xff\xfe"}', broken, entity("p-3", name="Ana")],
    )
    report = ingest(store, path)
    assert (report.accepted, report.rejected) == (2, 2)
    for line in (2, 3):
        assert "utf-8" in only_problem(report, path, line).reason.lower()
    assert get_entity(store, "p-1").properties["name"] == ["Ştefan Ionescu"]
    assert get_entity(store, "p-3").properties["name"] == ["Ana"]
    assert store.totals().entities == 2


def test_a_byte_order_mark_is_ignored(store: GraphStore, tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    write_jsonl(path, [entity("p-1", name="Ana"), entity("p-2", name="Bo")])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    report = ingest(store, path)
    assert (report.accepted, report.rejected) == (2, 0), report.problems
    assert get_entity(store, "p-1").properties["name"] == ["Ana"]


def test_blank_lines_are_skipped_and_line_numbers_kept(store: GraphStore, tmp_path: Path) -> None:
    bad = entity("p-9", name="Nine")
    bad["handling"]["code"] = "H9"
    path = write_jsonl(
        tmp_path / "blank.jsonl",
        ["", entity("p-1", name="Ana"), "   ", "\t", "", bad, "", entity("p-2", name="Bo"), ""],
    )
    report = ingest(store, path)
    assert (report.accepted, report.rejected) == (2, 1)
    problem = only_problem(report, path, 6)
    assert problem.field == "handling.code"
    assert len(report.problems) == 1


def test_crlf_endings_and_a_last_line_without_newline(store: GraphStore, tmp_path: Path) -> None:
    path = tmp_path / "crlf.jsonl"
    first = json.dumps(entity("p-1", name="Ana")).encode()
    last = json.dumps(entity("p-2", name="Bo")).encode()
    path.write_bytes(first + b"\r\n" + last)
    report = ingest(store, path)
    assert (report.accepted, report.rejected) == (2, 0), report.problems
    assert get_entity(store, "p-2").properties["name"] == ["Bo"]


def test_an_over_long_line_is_rejected_and_the_next_line_read(
    store: GraphStore, tmp_path: Path
) -> None:
    huge = entity("p-2", notes="x" * (MAX_LINE_BYTES + 1000))
    path = write_jsonl(
        tmp_path / "long.jsonl",
        [entity("p-1", name="Ana"), huge, entity("p-3", name="Cy"), link("l-1", "p-1", "p-3")],
    )
    report = ingest(store, path)
    assert (report.accepted, report.rejected) == (3, 1)
    assert "longer than" in only_problem(report, path, 2).reason
    assert get_entity(store, "p-3").properties["name"] == ["Cy"]
    assert get_link(store, "l-1").target_id == "p-3"


@pytest.mark.parametrize(
    "line",
    ["[1, 2]", '"entity"', "42", "null", "true", "[]"],
)
def test_a_line_that_is_not_a_json_object_is_rejected(
    store: GraphStore, tmp_path: Path, line: str
) -> None:
    path = write_jsonl(tmp_path / "values.jsonl", [entity("p-1", name="Ana"), line])
    report = ingest(store, path)
    assert (report.accepted, report.rejected) == (1, 1)
    assert "JSON object" in only_problem(report, path, 2).reason


@pytest.mark.parametrize(
    "line",
    [
        '{"kind": "entity", "id": "p-2"',  # cut short
        "{kind: entity}",
        '{"kind": "entity",}',
        "not json at all",
    ],
)
def test_invalid_json_is_rejected_with_its_line(
    store: GraphStore, tmp_path: Path, line: str
) -> None:
    path = write_jsonl(tmp_path / "broken.jsonl", [line, entity("p-1", name="Ana")])
    report = ingest(store, path)
    assert (report.accepted, report.rejected) == (1, 1)
    assert "JSON" in only_problem(report, path, 1).reason


def test_deeply_nested_json_is_rejected_not_a_crash(store: GraphStore, tmp_path: Path) -> None:
    depth = 200_000
    nested_value = "[" * depth + "]" * depth
    in_a_record = json.dumps(entity("p-2", name="Bo")).replace('"Bo"', nested_value)
    moderately = entity("p-3", name="Cy")
    moderately["properties"]["notes"] = json.loads("[" * 400 + "]" * 400)
    path = write_jsonl(
        tmp_path / "deep.jsonl",
        [
            nested_value,
            in_a_record,
            moderately,
            '{"a":' * depth + "1" + "}" * depth,
            entity("p-1", name="Ana"),
        ],
    )
    report = ingest(store, path)
    assert (report.accepted, report.rejected) == (1, 4)
    for line in (1, 2, 4):
        assert "nested" in only_problem(report, path, line).reason
    assert only_problem(report, path, 3).field == "properties.notes"
    assert get_entity(store, "p-1").properties["name"] == ["Ana"]


@pytest.mark.parametrize("kind", ["node", None, 3])
def test_an_unknown_kind_is_rejected(store: GraphStore, tmp_path: Path, kind: object) -> None:
    record = entity("p-2", name="Bo")
    record["kind"] = kind
    path = write_jsonl(tmp_path / "kind.jsonl", [record, entity("p-1", name="Ana")])
    report = ingest(store, path)
    assert (report.accepted, report.rejected) == (1, 1)
    assert only_problem(report, path, 1).field == "kind"


def test_every_problem_of_a_line_is_reported(store: GraphStore, tmp_path: Path) -> None:
    record = link("l-1", "p-1", "p-2", type_="CALLED", durationSeconds="long")
    record["handling"]["classification"] = "SECRTE"
    record["grading"]["information"] = "9"
    path = write_jsonl(tmp_path / "many.jsonl", [record])
    report = ingest(store, path)
    assert report.rejected == 1
    fields = {p.field for p in report.problems if p.line == 1}
    assert fields == {
        "properties.durationSeconds",
        "handling.classification",
        "grading.information",
    }


def test_a_file_of_only_problems_stores_nothing(store: GraphStore, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", ["[]", "{", entity("p-1", type_="Nope")])
    report = ingest(store, path)
    assert (report.accepted, report.rejected) == (0, 3)
    assert store.totals().entities == 0


def test_the_source_country_reads_national_numbers_at_link_ends(
    store: GraphStore, tmp_path: Path
) -> None:
    registry = SourceRegistry({"cdr-ro": SourceConfig(name="cdr-ro", country="RO")})
    call = link("c-1", "0721 234 567", "0040 722 000 111", type_="CALLED")
    call["provenance"]["source"] = "cdr-ro"
    path = write_jsonl(tmp_path / "ro.jsonl", [call])
    report = ingest(store, path, registry=registry)
    assert report.rejected == 0, report.problems
    stored = get_link(store, "c-1")
    assert (stored.source_id, stored.target_id) == ("phone:+40721234567", "phone:+40722000111")
