"""CSV files through YAML mappings: columns to entities, properties and links, with templates,
formats, time zones, splits, maps, optional entities and per-row overrides; bad rows reported
with file, line, field and reason; mapping mistakes reported once, before any row is stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphsvc.errors import InvalidMapping
from graphsvc.ingest import IngestReport, SourceRegistry
from graphsvc.ingest.csvsource import row_digest
from graphsvc.ingest.lines import MAX_LINE_BYTES
from graphsvc.ingest.mapping import Mapping
from graphsvc.model.schema import Schema
from graphsvc.store.embedded import EmbeddedStore
from graphsvc.store.protocol import GraphStore
from tests.ingest.conftest import (
    assert_every_problem_located,
    data_version,
    everyone,
    get_entity,
    get_link,
    ingest,
    only_problem,
)

SOURCE = """
source:
  name: cdr-fr
  country: FR
  grading: {source: A, information: "1"}
  handling: {classification: CONFIDENTIAL, releasableTo: [FR], code: H2, originator: FR-OCRTEH}
"""

CDR_MAPPING = (
    SOURCE
    + """
csv: {delimiter: ";"}
timezone: Europe/Paris
record: "{call_id}"
entities:
  caller: {type: Phone, id: "{caller}"}
  callee: {type: Phone, id: "{callee}"}
links:
  - type: CALLED
    from: caller
    to: callee
    properties:
      date: {column: start, format: "%d/%m/%Y %H:%M:%S"}
      durationSeconds: "{duration}"
      cellId: {column: cell, default: unknown}
"""
)

CDR = (
    "call_id;caller;callee;start;duration;cell\n"
    "c1;06 12 34 56 78;07 11 22 33 44;15/01/2024 10:00:00;120;C-17\n"  # winter: UTC+1
    "c2;0612345678;+32 470 12 34 56;15/07/2024 10:00:00;60;\n"  # summer: UTC+2
    "c3;0612345678;0711223344;2024-07-15 10:00;60;C-1\n"  # wrong date format
    "c4;0612345678;0711223344\n"  # too few fields
    "c5;0612345678;0711223344;15/07/2024 10:00:00;60;C-1;extra;fields\n"  # too many
    "c6;0612345678;0711223344;15/07/2024 11:00:00;sixty;C-1\n"  # bad integer
    "c7;06 12;0711223344;15/07/2024 11:00:00;5;C-1\n"  # bad phone number
    "c8;+40 721 234 567;0711223344;31/12/2024 23:30:00;5;C-9\n"
)


def _files(
    tmp_path: Path, mapping: str, data: str | bytes, name: str = "data.csv"
) -> tuple[Path, Path]:
    mapping_path = tmp_path / "mapping.yaml"
    mapping_path.write_text(mapping, encoding="utf-8")
    data_path = tmp_path / name
    if isinstance(data, bytes):
        data_path.write_bytes(data)
    else:
        data_path.write_text(data, encoding="utf-8")
    return data_path, mapping_path


def _run(store: GraphStore, tmp_path: Path, mapping: str, data: str | bytes) -> IngestReport:
    data_path, mapping_path = _files(tmp_path, mapping, data)
    return ingest(store, data_path, mapping=mapping_path)


def _link_id(record: str, spec: str = "CALLED:caller-callee") -> str:
    return f"cdr-fr:{record}:{spec}"


def test_call_detail_records_through_a_mapping(store: GraphStore, tmp_path: Path) -> None:
    data, mapping = _files(tmp_path, CDR_MAPPING, CDR)
    report = ingest(store, data, mapping=mapping)
    assert (report.accepted, report.rejected) == (3, 5)
    assert_every_problem_located(report)
    assert {p.file for p in report.problems} == {str(data)}
    assert only_problem(report, data, 4).field == "links[0].properties.date"
    assert "'start'" in only_problem(report, data, 4).reason
    assert "%d/%m/%Y %H:%M:%S" in only_problem(report, data, 4).reason
    assert "fields" in only_problem(report, data, 5).reason
    assert "fields" in only_problem(report, data, 6).reason
    assert only_problem(report, data, 7).field == "properties.durationSeconds"
    assert only_problem(report, data, 8).field in ("from", "entities.caller.id", "id")
    stats = store.totals()
    assert stats.links == 3
    assert stats.entities_by_type == {"Phone": 4}

    winter = get_link(store, _link_id("c1"))
    assert (winter.source_id, winter.target_id) == ("phone:+33612345678", "phone:+33711223344")
    assert winter.properties == {
        "date": "2024-01-15T09:00:00Z",  # 10:00 in Paris in winter
        "durationSeconds": 120,
        "cellId": "C-17",
    }
    assert winter.provenance.source == "cdr-fr"
    assert winter.provenance.record == "c1"
    assert winter.grading.to_dict() == {"source": "A", "information": "1"}
    assert winter.handling.classification == "CONFIDENTIAL"
    assert winter.handling.originator == "FR-OCRTEH"

    summer = get_link(store, _link_id("c2"))
    assert summer.properties["date"] == "2024-07-15T08:00:00Z"
    assert summer.properties["cellId"] == "unknown"  # the default of an empty column
    assert summer.target_id == "phone:+32470123456"
    new_year = get_link(store, _link_id("c8"))
    assert new_year.properties["date"] == "2024-12-31T22:30:00Z"
    assert new_year.source_id == "phone:+40721234567"


def test_re_ingesting_a_mapped_file_changes_nothing(
    embedded_store: EmbeddedStore, tmp_path: Path, db: Path
) -> None:
    store = embedded_store  # the data version is read from its file
    data, mapping = _files(tmp_path, CDR_MAPPING, CDR)
    ingest(store, data, mapping=mapping)
    stats, version = store.totals().to_dict(), data_version(db)
    report = ingest(store, data, mapping=mapping)
    assert report.accepted == 3
    assert store.totals().to_dict() == stats
    assert data_version(db) == version


def test_without_a_record_template_rows_are_identified_by_their_content(
    embedded_store: EmbeddedStore, tmp_path: Path, db: Path
) -> None:
    store = embedded_store  # the data version is read from its file
    mapping = CDR_MAPPING.replace('record: "{call_id}"\n', "")
    data, mapping_path = _files(tmp_path, mapping, CDR)
    ingest(store, data, mapping=mapping_path)
    record = row_digest(CDR.splitlines()[1].split(";"))
    link = get_link(store, _link_id(record))
    assert link.provenance.record == record
    stats, version = store.totals().to_dict(), data_version(db)
    ingest(store, data, mapping=mapping_path)
    assert store.totals().to_dict() == stats
    assert data_version(db) == version
    # a row added at the top, and the same file under another folder: nothing moves or doubles
    header, *rows = CDR.splitlines(keepends=True)
    extra = "c0;0612345678;0711223344;14/01/2024 09:00:00;5;C-1\n"
    (tmp_path / "2025").mkdir()
    moved, _ = _files(tmp_path / "2025", mapping, header + extra + "".join(rows))
    ingest(store, moved, mapping=mapping_path)
    assert store.totals().links == stats["links"] + 1


def test_an_empty_record_id_rejects_the_row(store: GraphStore, tmp_path: Path) -> None:
    report = _run(store, tmp_path, CDR_MAPPING, CDR.replace("\nc1;", "\n;"))
    assert only_problem(report, tmp_path / "data.csv", 2).field == "record"


@pytest.mark.parametrize(
    ("timezone", "value", "expected"),
    [
        ("timezone: Europe/Paris\n", "2024-01-15 10:00:00", "2024-01-15T09:00:00Z"),
        ("timezone: Europe/Paris\n", "2024-07-15T10:00:00", "2024-07-15T08:00:00Z"),
        ("timezone: Europe/Bucharest\n", "2024-01-15 10:00:00", "2024-01-15T08:00:00Z"),
        ("timezone: Europe/Paris\n", "2024-01-15T10:00:00Z", "2024-01-15T10:00:00Z"),
        ("timezone: Europe/Paris\n", "2024-01-15T10:00:00+03:00", "2024-01-15T07:00:00Z"),
        ("timezone: Europe/Paris\n", "2024-01-15", "2024-01-15"),  # a date stays a date
        ("", "2024-01-15 10:00:00", "2024-01-15T10:00:00Z"),  # no zone: naive is UTC
    ],
)
def test_timezone_converts_naive_local_times(
    store: GraphStore, tmp_path: Path, timezone: str, value: str, expected: str
) -> None:
    mapping = (
        SOURCE
        + timezone
        + """
entities:
  a: {type: Person, id: "{a}"}
  b: {type: Person, id: "{b}"}
links:
  - {type: MET, from: a, to: b, properties: {date: "{when}"}}
"""
    )
    report = _run(store, tmp_path, mapping, f"a,b,when\np-1,p-2,{value}\n")
    assert report.rejected == 0, report.problems
    record = row_digest(["p-1", "p-2", value])
    assert get_link(store, f"cdr-fr:{record}:MET:a-b").properties["date"] == expected


def test_timezone_applies_to_entity_date_times_too(store: GraphStore, tmp_path: Path) -> None:
    mapping = (
        SOURCE
        + """
timezone: Europe/Paris
entities:
  meeting:
    type: Event
    id: "{id}"
    properties: {name: "{name}", date: {column: when, format: "%d.%m.%Y %H:%M"}}
"""
    )
    report = _run(store, tmp_path, mapping, "id,name,when\nev-1,Meeting,15.01.2024 10:00\n")
    assert report.rejected == 0, report.problems
    assert get_entity(store, "ev-1").properties["date"] == ["2024-01-15T09:00:00Z"]


PEOPLE_MAPPING = (
    SOURCE
    + """
record: "{id}"
entities:
  person:
    type: Person
    id: "{id}"
    properties:
      name: "{first} {last}"
      aliases: {column: aliases, split: "|"}
      nationality: {column: nat, split: ";"}
      birthDate: {column: born, format: "%d/%m/%Y"}
      gender: {column: sex, map: {M: male, F: female, "?": unknown}}
  phone: {type: Phone, id: "{phone}", optional: true}
  employer: {type: Organization, id: "{org}", optional: true, properties: {name: "{org_name}"}}
links:
  - {type: USES, from: person, to: phone}
  - {type: EMPLOYED_BY, from: person, to: employer, properties: {role: "{role}"}}
"""
)
PEOPLE = (
    "id,first,last,aliases,nat,born,sex,phone,org,org_name,role\n"
    "p-1,Ivan,Petrov,Vanya|Ivanushka| ,RU; fr,03/02/1980,M,06 12 34 56 78,org-1,Acme SRL,driver\n"
    "p-2,Elena,,,,,F,,,,\n"
    "p-3,,,,,,?,,org-1,,\n"
    "p-4,Ana,Pop,,,31/02/1990,F,,,,\n"  # no such date
    "p-5,Radu,Ionescu,,,,X,,,,\n"  # X is not mapped and not a gender
    "p-6,Mihai,Stan,,Romania,,,,,,\n"  # not a country code
)


def test_templates_split_map_format_and_optional_entities(
    store: GraphStore, tmp_path: Path
) -> None:
    data, mapping = _files(tmp_path, PEOPLE_MAPPING, PEOPLE)
    report = ingest(store, data, mapping=mapping)
    assert (report.accepted, report.rejected) == (3, 3), report.problems
    ivan = get_entity(store, "p-1")
    assert ivan.properties["name"] == ["Ivan Petrov"]
    assert sorted(ivan.properties["aliases"]) == ["Ivanushka", "Vanya"]
    assert sorted(ivan.properties["nationality"]) == ["FR", "RU"]
    assert ivan.properties["birthDate"] == ["1980-02-03"]
    assert ivan.properties["gender"] == ["male"]
    uses = get_link(store, "cdr-fr:p-1:USES:person-phone")
    assert uses.target_id == "phone:+33612345678"
    job = get_link(store, "cdr-fr:p-1:EMPLOYED_BY:person-employer")
    assert (job.target_id, job.properties) == ("org-1", {"role": "driver"})
    assert get_entity(store, "org-1").properties["name"] == ["Acme SRL"]

    elena = get_entity(store, "p-2")  # one empty column of a template: the other is kept
    assert elena.properties == {"name": ["Elena"], "gender": ["female"]}
    scope = everyone(store.schema)
    assert store.entity_links(scope, "p-2") == []  # optional ends absent: no links

    nameless = get_entity(store, "p-3")  # every column of the template empty: no name
    assert "name" not in nameless.properties
    assert nameless.properties["gender"] == ["unknown"]
    assert [x.target_id for x in store.entity_links(scope, "p-3")] == ["org-1"]

    assert only_problem(report, data, 5).field == "entities.person.properties.birthDate"
    assert "'born'" in only_problem(report, data, 5).reason
    assert only_problem(report, data, 6).field == "properties.gender"
    assert only_problem(report, data, 7).field == "properties.nationality"
    assert store.get_entity(scope, "p-4") is None
    assert store.totals().entities_by_type == {"Organization": 1, "Person": 3, "Phone": 1}


def test_a_row_is_stored_whole_or_not_at_all(store: GraphStore, tmp_path: Path) -> None:
    data = (
        "id,first,last,aliases,nat,born,sex,phone,org,org_name,role\n"
        "p-1,Ivan,Petrov,,,,,06 12 34 56 78,org-1,Acme SRL,driver\n"
        "p-2,Elena,Pop,,,,,06 12,org-2,Beta SRL,\n"  # the phone is wrong: nothing of the row
    )
    report = _run(store, tmp_path, PEOPLE_MAPPING, data)
    assert (report.accepted, report.rejected) == (1, 1)
    scope = everyone(store.schema)
    assert store.get_entity(scope, "p-2") is None
    assert store.get_entity(scope, "org-2") is None
    assert store.totals().entities == 3


def test_a_required_entity_with_an_empty_id_rejects_the_row(
    store: GraphStore, tmp_path: Path
) -> None:
    data, mapping = _files(
        tmp_path, CDR_MAPPING, "call_id;caller;callee;start;duration;cell\nc1;;0711223344;;;\n"
    )
    report = ingest(store, data, mapping=mapping)
    assert report.rejected == 1
    problem = only_problem(report, data, 2)
    assert problem.field == "entities.caller.id"
    assert "'caller'" in problem.reason
    assert "optional" in problem.reason


def test_per_row_handling_and_grading_from_columns(store: GraphStore, tmp_path: Path) -> None:
    mapping = (
        SOURCE
        + """
handling:
  classification: {column: level, map: {C: CONFIDENTIAL, S: SECRET, R: RESTRICTED}}
  releasableTo: "{rel}"
  caveats: "{cav}"
grading: {source: "{rel_src}"}
entities:
  a: {type: Person, id: "{a}"}
  b: {type: Person, id: "{b}"}
links:
  - {type: MET, from: a, to: b, id: "met-{n}"}
"""
    )
    data = (
        "n,a,b,level,rel,cav,rel_src\n"
        '1,p-1,p-2,S,"FR,DE",HUMINT,C\n'
        "2,p-1,p-3,,,,\n"  # every override empty: the source's defaults
        "3,p-1,p-4,R,BE,,\n"
        "4,p-1,p-5,X,,,\n"  # X is not a level
    )
    data_path, mapping_path = _files(tmp_path, mapping, data)
    report = ingest(store, data_path, mapping=mapping_path)
    assert (report.accepted, report.rejected) == (3, 1), report.problems
    first = get_link(store, "met-1")
    assert first.handling.classification == "SECRET"
    assert first.handling.releasable_to == ("DE", "FR")
    assert first.handling.caveats == ("HUMINT",)
    assert first.handling.code == "H2"
    assert first.grading.to_dict() == {"source": "C", "information": "1"}
    second = get_link(store, "met-2")
    assert second.handling.classification == "CONFIDENTIAL"
    assert second.handling.releasable_to == ("FR",)
    assert second.grading.to_dict() == {"source": "A", "information": "1"}
    assert get_link(store, "met-3").handling.releasable_to == ("BE",)
    assert only_problem(report, data_path, 5).field == "handling.classification"


def test_quoted_fields_may_hold_delimiters_and_newlines(store: GraphStore, tmp_path: Path) -> None:
    mapping = (
        SOURCE
        + """
entities:
  person: {type: Person, id: "{id}", properties: {name: "{name}", notes: "{notes}"}}
"""
    )
    data = 'id,name,notes\np-1,"Petrov, Ivan","first line\nsecond line"\np-2,Ana,\np-3,Bo,x,y\n'
    data_path, mapping_path = _files(tmp_path, mapping, data)
    report = ingest(store, data_path, mapping=mapping_path)
    assert (report.accepted, report.rejected) == (2, 1)
    ivan = get_entity(store, "p-1")
    assert ivan.properties["name"] == ["Petrov, Ivan"]
    assert ivan.properties["notes"] == ["first line\nsecond line"]
    assert only_problem(report, data_path, 5).reason.startswith("row has 4 fields")


def test_a_multi_line_row_with_an_unreadable_line_is_rejected_whole(
    store: GraphStore, tmp_path: Path
) -> None:
    mapping = (
        SOURCE
        + """
entities:
  person: {type: Person, id: "{id}", properties: {name: "{name}", notes: "{notes}"}}
"""
    )
    data = (
        b"id,name,notes\n"
        b'p-1,Ivan,"line one\nline \xff two\nline three"\n'  # the row starts on line 2
        b"p-2,Ana,fine\n"
    )
    data_path, mapping_path = _files(tmp_path, mapping, data)
    report = ingest(store, data_path, mapping=mapping_path)
    assert (report.accepted, report.rejected) == (1, 1)
    problem = only_problem(report, data_path, 2)
    assert "line 3" in problem.reason and "not stored" in problem.reason
    assert store.get_entity(everyone(store.schema), "p-1") is None  # never stored truncated
    assert get_entity(store, "p-2").properties["notes"] == ["fine"]


def test_invalid_utf8_in_one_row_and_a_bom(store: GraphStore, tmp_path: Path) -> None:
    mapping = (
        SOURCE + 'entities:\n  person: {type: Person, id: "{id}", properties: {name: "{name}"}}\n'
    )
    data = (
        b"\xef\xbb\xbfid,name\n"
        + "p-1,Ştefan\n".encode()
        + b"p-2,\xe9lodie\n"
        + "p-3,Élodie\n".encode()
    )
    data_path, mapping_path = _files(tmp_path, mapping, data)
    report = ingest(store, data_path, mapping=mapping_path)
    assert (report.accepted, report.rejected) == (2, 1), report.problems
    assert "utf-8" in only_problem(report, data_path, 3).reason.lower()
    assert get_entity(store, "p-1").properties["name"] == ["Ştefan"]
    assert get_entity(store, "p-3").properties["name"] == ["Élodie"]


def test_an_over_long_row_is_rejected_and_the_next_read(store: GraphStore, tmp_path: Path) -> None:
    mapping = (
        SOURCE + 'entities:\n  person: {type: Person, id: "{id}", properties: {name: "{name}"}}\n'
    )
    data = "id,name\np-1,Ana\np-2," + "x" * (MAX_LINE_BYTES + 10) + "\np-3,Cy\n"
    data_path, mapping_path = _files(tmp_path, mapping, data)
    report = ingest(store, data_path, mapping=mapping_path)
    assert (report.accepted, report.rejected) == (2, 1), report.problems
    assert "longer than" in only_problem(report, data_path, 3).reason
    assert get_entity(store, "p-3").properties["name"] == ["Cy"]


def test_the_mapping_names_the_file_encoding(store: GraphStore, tmp_path: Path) -> None:
    mapping = (
        SOURCE
        + "csv: {encoding: latin-1, delimiter: '|'}\n"
        + 'entities:\n  person: {type: Person, id: "{id}", properties: {name: "{name}"}}\n'
    )
    data_path, mapping_path = _files(tmp_path, mapping, b"id|name\np-1|\xc9lodie Martin\n")
    report = ingest(store, data_path, mapping=mapping_path)
    assert report.rejected == 0, report.problems
    assert get_entity(store, "p-1").properties["name"] == ["Élodie Martin"]


def test_an_empty_file_or_only_a_header_stores_nothing(store: GraphStore, tmp_path: Path) -> None:
    for content in ("", "call_id;caller;callee;start;duration;cell\n"):
        report = _run(store, tmp_path, CDR_MAPPING, content)
        assert (report.accepted, report.rejected) == (0, 0)
    assert store.totals().links == 0


# -- mapping mistakes -----------------------------------------------------------------------------


def test_a_column_the_csv_lacks_is_named_before_any_row_is_stored(
    embedded_store: EmbeddedStore, tmp_path: Path, db: Path
) -> None:
    store = embedded_store  # the data version is read from its file
    mapping = CDR_MAPPING.replace('id: "{callee}"', 'id: "{calee}"')
    data, mapping_path = _files(tmp_path, mapping, CDR)
    with pytest.raises(InvalidMapping) as caught:
        ingest(store, data, mapping=mapping_path, batch_size=1)
    error = caught.value
    assert error.file == str(mapping_path)
    assert "'calee'" in error.message
    assert "data.csv" in error.message
    assert "did you mean callee" in error.message
    assert store.totals().links == 0
    assert store.totals().entities == 0
    assert data_version(db) == 0


def test_a_column_read_only_by_an_override_is_checked_too(
    store: GraphStore, tmp_path: Path
) -> None:
    mapping = CDR_MAPPING + 'handling: {classification: "{level}"}\n'
    data, mapping_path = _files(tmp_path, mapping, CDR)
    with pytest.raises(InvalidMapping) as caught:
        ingest(store, data, mapping=mapping_path)
    assert "'level'" in caught.value.message
    assert store.totals().links == 0


BROKEN_MAPPINGS = [
    (
        'caller: {type: Phone, id: "{caller}"}',
        'caller: {type: Fone, id: "{caller}"}',
        "entities.caller.type",
        "did you mean Phone",
    ),
    ("  - type: CALLED\n", "  - type: CALED\n", "links[0].type", "did you mean CALLED"),
    ("    to: callee\n", "    to: nobody\n", "links[0].to", "'nobody'"),
    ("durationSeconds:", "durationSecs:", "links[0].properties", "did you mean durationSeconds"),
    ("timezone: Europe/Paris", "timezone: Europe/Pariss", "timezone", "Europe/Pariss"),
    ('record: "{call_id}"', 'record: "{call_id!r}"', "record", "template"),
    (
        'durationSeconds: "{duration}"',
        "durationSeconds: {column: duration, round: 2}",
        "links[0].properties.durationSeconds",
        "round",
    ),
    (
        'durationSeconds: "{duration}"',
        "durationSeconds: {column: duration, split: ','}",
        "links[0].properties.durationSeconds",
        "split",
    ),
    ('caller: {type: Phone, id: "{caller}"}', "caller: {type: Phone}", "entities.caller", "id"),
    ('csv: {delimiter: ";"}', 'csv: {delimiter: ";", escape: x}', "csv", "delimiter"),
    ("record: ", "recrod: ", None, "recrod"),
]


@pytest.mark.parametrize(("old", "new", "field", "words"), BROKEN_MAPPINGS)
def test_mapping_mistakes_name_the_file_and_key(
    store: GraphStore,
    tmp_path: Path,
    schema: Schema,
    old: str,
    new: str,
    field: str | None,
    words: str,
) -> None:
    assert CDR_MAPPING.count(old) == 1
    mapping_path = tmp_path / "mapping.yaml"
    mapping_path.write_text(CDR_MAPPING.replace(old, new), encoding="utf-8")
    with pytest.raises(InvalidMapping) as caught:
        Mapping.load(mapping_path, schema, SourceRegistry())
    assert caught.value.file == str(mapping_path)
    assert caught.value.field == field
    assert words in caught.value.message


def test_a_link_end_type_the_link_does_not_allow(tmp_path: Path, schema: Schema) -> None:
    mapping = CDR_MAPPING.replace("  - type: CALLED\n", "  - type: DIRECTOR_OF\n")
    path = tmp_path / "mapping.yaml"
    path.write_text(mapping, encoding="utf-8")
    with pytest.raises(InvalidMapping) as caught:
        Mapping.load(path, schema, SourceRegistry())
    assert caught.value.field == "links[0].from"
    assert "Phone" in caught.value.message


def test_a_mapping_naming_a_source_from_the_sources_file(
    store: GraphStore, tmp_path: Path, schema: Schema
) -> None:
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n  cdr-ro:\n    country: RO\n    grading: {source: B, information: '2'}\n"
        "    handling: {classification: SECRET, code: H3, originator: RO-DIICOT}\n",
        encoding="utf-8",
    )
    registry = SourceRegistry.load(sources, schema)
    mapping = CDR_MAPPING.replace(SOURCE, "source: cdr-ro\n").replace(
        "Europe/Paris", "Europe/Bucharest"
    )
    data = (
        "call_id;caller;callee;start;duration;cell\n"
        "r1;0721 234 567;0722 000 111;15/01/2024 10:00:00;1;\n"
    )
    data_path, mapping_path = _files(tmp_path, mapping, data)
    report = ingest(store, data_path, mapping=mapping_path, registry=registry)
    assert report.rejected == 0, report.problems
    link = get_link(store, "cdr-ro:r1:CALLED:caller-callee")
    assert (link.source_id, link.target_id) == ("phone:+40721234567", "phone:+40722000111")
    assert link.properties["date"] == "2024-01-15T08:00:00Z"
    assert link.handling.classification == "SECRET"
    assert link.grading.to_dict() == {"source": "B", "information": "2"}

    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(mapping.replace("source: cdr-ro", "source: cdr-r0"), encoding="utf-8")
    with pytest.raises(InvalidMapping) as caught:
        Mapping.load(wrong, schema, registry)
    assert caught.value.field == "source"
    assert "did you mean cdr-ro" in caught.value.message


# -- conditions, decimal commas, date-only formats ------------------------------------------

MIXED_MAPPING = (
    SOURCE
    + """
csv: {delimiter: ";", decimal: ","}
timezone: Europe/Paris
record: "{id}"
entities:
  caller: {type: Phone, id: "{caller}"}
  callee: {type: Phone, id: "{callee}"}
  payer: {type: Person, id: "{payer}", optional: true, when: {column: kind, in: [transfer]}}
  payee: {type: Organization, id: "{payee}", optional: true, when: {column: kind, equals: transfer}}
links:
  - type: CALLED
    when: {column: kind, equals: voice}
    from: caller
    to: callee
    properties: {date: {column: start, format: "%d/%m/%Y %H:%M"}}
  - type: MESSAGED
    when: {column: kind, not_in: [voice, transfer]}
    from: caller
    to: callee
    properties:
      date: {column: start, format: "%d/%m/%Y %H:%M"}
      channel: sms
  - type: TRANSFERRED_TO
    when: {column: kind, equals: transfer}
    from: payer
    to: payee
    properties:
      date: {column: day, format: "%d/%m/%Y"}
      amount: "{amount}"
"""
)

MIXED = (
    "id;kind;caller;callee;start;day;payer;payee;amount\n"
    "r1;voice;0612345678;0698765432;15/03/2024 00:30;;;;\n"
    "r2;sms;0612345678;0698765432;15/03/2024 00:40;;;;\n"
    "r3;transfer;0612345678;0698765432;;15/03/2024;p-1;o-1;1 234,56\n"
    "r4;transfer;0612345678;0698765432;;16/03/2024;p-1;o-1;2.500,00\n"
)


def test_when_chooses_the_link_type_from_a_column(store: GraphStore, tmp_path: Path) -> None:
    report = _run(store, tmp_path, MIXED_MAPPING, MIXED)
    assert (report.accepted, report.rejected) == (4, 0), report.problems
    assert get_link(store, "cdr-fr:r1:CALLED:caller-callee").type == "CALLED"
    assert get_link(store, "cdr-fr:r2:MESSAGED:caller-callee").properties["channel"] == "sms"
    scope = everyone(store.schema)
    assert store.get_link(scope, "cdr-fr:r1:MESSAGED:caller-callee") is None
    assert store.get_link(scope, "cdr-fr:r3:CALLED:caller-callee") is None
    # the transfer rows name the payer and payee; the call rows do not read them at all
    assert store.get_entity(scope, "p-1") is not None
    assert store.totals().links_by_type == {"CALLED": 1, "MESSAGED": 1, "TRANSFERRED_TO": 2}


def test_decimal_commas_and_date_only_formats(store: GraphStore, tmp_path: Path) -> None:
    _run(store, tmp_path, MIXED_MAPPING, MIXED)
    first = get_link(store, "cdr-fr:r3:TRANSFERRED_TO:payer-payee")
    assert first.properties["amount"] == 1234.56
    assert get_link(store, "cdr-fr:r4:TRANSFERRED_TO:payer-payee").properties["amount"] == 2500
    # a date read with a date-only format stays that day, whatever the mapping's time zone
    assert first.properties["date"] == "2024-03-15"
    # a local date-time just after midnight in Paris is the evening before in UTC
    call = get_link(store, "cdr-fr:r1:CALLED:caller-callee")
    assert call.properties["date"] == "2024-03-14T23:30:00Z"


@pytest.mark.parametrize(
    ("when", "words"),
    [
        ("{column: kind}", "one of equals, in, not_in"),
        ("{column: kind, is: voice}", "unknown test"),
        ("{column: kind, in: voice}", "takes a list"),
        ("{column: kynd, equals: voice}", "kynd"),
    ],
)
def test_bad_conditions_are_named(store: GraphStore, tmp_path: Path, when: str, words: str) -> None:
    mapping = MIXED_MAPPING.replace("when: {column: kind, equals: voice}", f"when: {when}")
    with pytest.raises(InvalidMapping) as caught:
        _run(store, tmp_path, mapping, MIXED)
    assert words in str(caught.value)
    assert store.totals().links == 0


def test_a_decimal_point_in_a_decimal_comma_file_is_an_error_not_a_bigger_number(
    store: GraphStore, tmp_path: Path
) -> None:
    data = MIXED + "r5;transfer;0612345678;0698765432;;17/03/2024;p-1;o-1;50.4363\n"
    report = _run(store, tmp_path, MIXED_MAPPING, data)
    problem = only_problem(report, tmp_path / "data.csv", 6)
    assert problem.field == "links[2].properties.amount"
    assert "decimal comma" in problem.reason
    assert report.accepted == 4


def test_a_confidence_read_from_a_column_follows_the_decimal_comma(
    store: GraphStore, tmp_path: Path
) -> None:
    mapping = MIXED_MAPPING.replace(
        'record: "{id}"', 'record: "{id}"\nprovenance: {confidence: {column: conf}}'
    )
    data = "id;kind;caller;callee;start;day;payer;payee;amount;conf\n" + "".join(
        row + ";0,6\n" for row in MIXED.splitlines()[1:]
    )
    report = _run(store, tmp_path, mapping, data)
    assert report.rejected == 0, report.problems
    assert get_link(store, "cdr-fr:r1:CALLED:caller-callee").provenance.confidence == 0.6


@pytest.mark.parametrize("value", ["01", "yes", "1.5"])
def test_when_values_must_be_quoted_text(store: GraphStore, tmp_path: Path, value: str) -> None:
    mapping = MIXED_MAPPING.replace(
        "{column: kind, equals: voice}", f"{{column: kind, equals: {value}}}"
    )
    with pytest.raises(InvalidMapping, match="quote it"):
        _run(store, tmp_path, mapping, MIXED)


def test_rows_that_assert_nothing_are_counted_as_skipped(store: GraphStore, tmp_path: Path) -> None:
    data = MIXED + "r6;fax;;;;;;;\n"  # no entity id, every link's condition fails
    mapping = MIXED_MAPPING.replace(
        'caller: {type: Phone, id: "{caller}"}',
        'caller: {type: Phone, id: "{caller}", optional: true}',
    ).replace(
        'callee: {type: Phone, id: "{callee}"}',
        'callee: {type: Phone, id: "{callee}", optional: true}',
    )
    report = _run(store, tmp_path, mapping, data)
    assert (report.accepted, report.rejected, report.skipped) == (4, 0, 1)
    assert report.summary() == "accepted 4, rejected 0, skipped 1 (nothing to store)"


def test_an_entity_whose_link_is_not_read_keeps_its_own_record(
    store: GraphStore, tmp_path: Path
) -> None:
    mapping = (
        SOURCE
        + """
entities:
  person: {type: Person, id: "{person}"}
  company: {type: Organization, id: "{company}", optional: true}
links:
  - {type: EMPLOYED_BY, from: person, to: company}
"""
    )
    report = _run(store, tmp_path, mapping, "person,company\np-1,o-1\np-2,\n")
    assert (report.accepted, report.rejected) == (2, 0)
    # p-2 has no link to carry it: the row asserts it on its own, it is not silently dropped
    assert get_entity(store, "p-2").type == "Person"
    assert len(get_entity(store, "p-1").records) == 0  # asserted by its link only
