"""The ingestion run: idempotent upserts, one edge per assertion, conflicts between records,
link ends resolved across lines, batches and files, manifests, and the store's consistency."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from graphsvc.errors import InvalidInput, InvalidMapping
from graphsvc.ingest import Ingestor, SourceRegistry
from graphsvc.model.schema import Schema
from graphsvc.store.embedded import EmbeddedStore
from graphsvc.store.protocol import GraphStore
from tests.conftest import entity, link
from tests.ingest.conftest import (
    assert_every_problem_located,
    data_version,
    everyone,
    get_entity,
    get_link,
    ingest,
    only_problem,
    write_jsonl,
)


def _case(tmp_path: Path) -> Path:
    return write_jsonl(
        tmp_path / "case.jsonl",
        [
            entity("p-1", name="Ivan Petrov", aliases=["Vanya"]),
            entity("p-2", name="Elena Popescu"),
            entity("org-1", type_="Organization", name="Acme SRL"),
            link("l-1", "p-1", "p-2", date="2024-01-02T10:00:00Z"),
            link("l-2", "p-1", "org-1", type_="DIRECTOR_OF", since="2019"),
            link("l-3", "p-2", "+40 721 234 567", type_="CALLED", date="2024-02-01T08:00:00Z"),
            link("l-4", "p-1", {"type": "Email", "value": "Ivan@Example.org"}, type_="USES"),
        ],
    )


# -- idempotency ----------------------------------------------------------------------------------


def test_ingesting_the_same_file_twice_changes_nothing(
    embedded_store: EmbeddedStore, tmp_path: Path, db: Path
) -> None:
    store = embedded_store  # the data version is read from its file
    path = _case(tmp_path)
    first = ingest(store, path)
    assert (first.accepted, first.rejected) == (7, 0), first.problems
    stats = store.totals().to_dict()
    version = data_version(db)
    assert version > 0
    scope = everyone(store.schema)
    before = [store.get_link(scope, f"l-{i}") for i in range(1, 5)]
    entity_before = get_entity(store, "p-1")

    second = ingest(store, path)
    assert (second.accepted, second.rejected) == (7, 0)
    assert store.totals().to_dict() == stats
    assert data_version(db) == version
    after = [store.get_link(scope, f"l-{i}") for i in range(1, 5)]
    assert [a.to_dict() if a else None for a in after] == [
        b.to_dict() if b else None for b in before
    ]
    assert get_entity(store, "p-1").statements == entity_before.statements


def test_idempotent_across_reopened_stores(tmp_path: Path, schema: Schema, db: Path) -> None:
    path = _case(tmp_path)
    with EmbeddedStore(db, schema) as first:
        ingest(first, path)
        stats = first.totals().to_dict()
    version = data_version(db)
    with EmbeddedStore(db, schema) as second:
        report = ingest(second, path, batch_size=2)
        assert report.rejected == 0
        assert second.totals().to_dict() == stats
    assert data_version(db) == version


def test_a_changed_record_updates_its_edge_without_duplicating_it(
    embedded_store: EmbeddedStore, tmp_path: Path, db: Path
) -> None:
    store = embedded_store  # the data version is read from its file
    ingest(store, _case(tmp_path))
    stats = store.totals()
    version = data_version(db)
    changed = link(
        "l-3",
        "p-2",
        "+40 721 234 567",
        type_="CALLED",
        date="2024-02-01T08:00:00Z",
        durationSeconds=300,
    )
    changed["handling"]["classification"] = "RESTRICTED"
    renamed = entity("p-2", name="Elena Popescu-Ionescu")
    report = ingest(store, write_jsonl(tmp_path / "update.jsonl", [changed, renamed]))
    assert (report.accepted, report.rejected) == (2, 0)
    after = store.totals()
    assert (after.entities, after.links, after.records) == (
        stats.entities,
        stats.links,
        stats.records,
    )
    assert data_version(db) > version
    call = get_link(store, "l-3")
    assert call.properties["durationSeconds"] == 300
    assert call.handling.classification == "RESTRICTED"
    assert get_entity(store, "p-2").properties["name"] == ["Elena Popescu-Ionescu"]
    scope = everyone(store.schema)
    calls = [x for x in store.entity_links(scope, "p-2") if x.type == "CALLED"]
    assert [x.id for x in calls] == ["l-3"]
    assert [h.entity.id for h in store.search(scope, "Popescu-Ionescu")][:1] == ["p-2"]


def test_a_link_whose_end_changes_moves(store: GraphStore, tmp_path: Path) -> None:
    ingest(store, _case(tmp_path))
    moved = link("l-1", "p-1", "p-3")
    ingest(store, write_jsonl(tmp_path / "moved.jsonl", [moved]))
    assert get_link(store, "l-1").target_id == "p-3"
    scope = everyone(store.schema)
    assert [x.id for x in store.entity_links(scope, "p-2") if x.type == "MET"] == []
    assert store.totals().links == 4


# -- one edge per assertion, conflicts ------------------------------------------------------------


def test_two_sources_asserting_one_relationship_make_two_links(
    store: GraphStore, tmp_path: Path
) -> None:
    a = link("fr-1", "p-1", "p-2", type_="RELATED_TO", relationship="brother")
    b = link("be-1", "p-1", "p-2", type_="RELATED_TO", relationship="brother")
    b["provenance"]["source"] = "partner-be"
    report = ingest(store, write_jsonl(tmp_path / "both.jsonl", [a, b]))
    assert report.rejected == 0
    assert store.totals().links == 2
    assert store.totals().links_by_source == {"partner-be": 1, "test": 1}
    scope = everyone(store.schema)
    assert sorted(x.id for x in store.entity_links(scope, "p-1")) == ["be-1", "fr-1"]
    expanded = store.expand(scope, ["p-1"], 1)
    assert sorted(x.id for x in expanded.links) == ["be-1", "fr-1"]


def test_a_link_id_reused_by_another_source_is_rejected(store: GraphStore, tmp_path: Path) -> None:
    ingest(store, write_jsonl(tmp_path / "first.jsonl", [link("l-1", "p-1", "p-2", place="Paris")]))
    other = link("l-1", "p-3", "p-4", place="Iaşi")
    other["provenance"]["source"] = "partner-ro"
    path = write_jsonl(tmp_path / "second.jsonl", [other, link("l-2", "p-3", "p-4")])
    report = ingest(store, path)
    assert (report.accepted, report.rejected) == (1, 1)
    problem = only_problem(report, path, 1)
    assert problem.field == "id"
    assert "'test'" in problem.reason
    stored = get_link(store, "l-1")
    assert (stored.source_id, stored.provenance.source, stored.properties) == (
        "p-1",
        "test",
        {"place": "Paris"},
    )


def test_a_link_id_reused_by_another_source_in_the_same_batch_is_rejected(
    store: GraphStore, tmp_path: Path
) -> None:
    other = link("l-1", "p-3", "p-4")
    other["provenance"]["source"] = "partner-ro"
    path = write_jsonl(tmp_path / "same.jsonl", [link("l-1", "p-1", "p-2"), other])
    report = ingest(store, path)
    assert (report.accepted, report.rejected) == (1, 1)
    assert only_problem(report, path, 2).field == "id"
    assert get_link(store, "l-1").source_id == "p-1"


@pytest.mark.parametrize("batch_size", [1, 5000])
def test_an_entity_asserted_with_two_types_rejects_the_second_record(
    store: GraphStore, tmp_path: Path, batch_size: int
) -> None:
    path = write_jsonl(
        tmp_path / "types.jsonl",
        [
            entity("x-1", name="Acme"),
            entity("x-1", type_="Organization", name="Acme"),
            link("l-1", {"id": "x-1", "type": "Organization"}, "p-2", type_="EMPLOYED_BY"),
            link("l-2", "x-1", "p-2"),
        ],
    )
    report = ingest(store, path, batch_size=batch_size)
    assert (report.accepted, report.rejected) == (2, 2)
    assert "Person" in only_problem(report, path, 2).reason
    assert only_problem(report, path, 3).field is not None
    assert get_entity(store, "x-1").type == "Person"
    assert store.totals().entities_by_type == {"Person": 2}


def test_an_entity_type_conflict_across_runs(store: GraphStore, tmp_path: Path) -> None:
    ingest(store, write_jsonl(tmp_path / "a.jsonl", [entity("x-1", name="Acme")]))
    path = write_jsonl(tmp_path / "b.jsonl", [entity("x-1", type_="Organization", name="Acme")])
    report = ingest(store, path)
    assert report.rejected == 1
    problem = only_problem(report, path, 1)
    assert problem.field == "id"
    assert "Person" in problem.reason and "Organization" in problem.reason


def test_a_link_end_of_a_known_entity_of_the_wrong_type_is_rejected(
    store: GraphStore, tmp_path: Path
) -> None:
    path = write_jsonl(
        tmp_path / "wrong.jsonl",
        [
            entity("acme", name="Not a company"),
            link("l-1", {"id": "p-1", "type": "Person"}, "acme", type_="DIRECTOR_OF"),
        ],
    )
    report = ingest(store, path)
    assert (report.accepted, report.rejected) == (1, 1)
    problem = only_problem(report, path, 2)
    assert problem.field == "to"
    assert "Person" in problem.reason


# -- link ends resolved across lines, batches and files -------------------------------------------


@pytest.mark.parametrize("batch_size", [1, 3, 5000])
def test_an_end_defined_later_in_the_same_file_resolves(
    store: GraphStore, tmp_path: Path, batch_size: int
) -> None:
    path = write_jsonl(
        tmp_path / "forward.jsonl",
        [
            link("l-1", "p-1", "addr-1", type_="OWNS"),  # OWNS allows several types at both ends
            link("l-2", "acme", "addr-1", type_="OWNS"),
            entity("p-1", name="Ivan"),
            entity("p-2", name="Ana"),
            entity("acme", type_="Organization", name="Acme"),
            entity("addr-1", type_="Address", full="1 rue de la Paix, Paris"),
        ],
    )
    report = ingest(store, path, batch_size=batch_size)
    assert (report.accepted, report.rejected) == (6, 0), report.problems
    first, second = get_link(store, "l-1"), get_link(store, "l-2")
    assert (first.source_id, first.target_id) == ("p-1", "addr-1")
    assert second.source_id == "acme"
    assert get_entity(store, "addr-1").type == "Address"
    assert store.totals().entities_by_type == {"Address": 1, "Organization": 1, "Person": 2}


def test_an_end_defined_in_a_later_file_of_the_run_resolves(
    store: GraphStore, tmp_path: Path
) -> None:
    links = write_jsonl(tmp_path / "1-links.jsonl", [link("l-1", "acme", "addr-1", type_="OWNS")])
    entities = write_jsonl(
        tmp_path / "2-entities.jsonl",
        [
            entity("acme", type_="Organization", name="Acme"),
            entity("addr-1", type_="Address", full="Strada Lipscani 1, Bucureşti"),
        ],
    )
    report = ingest(store, links, entities, batch_size=1)
    assert (report.accepted, report.rejected) == (3, 0), report.problems
    stored = get_link(store, "l-1")
    assert (stored.source_id, stored.target_id) == ("acme", "addr-1")
    assert report.files[str(links)].accepted == 1


def test_an_end_that_never_resolves_is_rejected_with_a_hint(
    store: GraphStore, tmp_path: Path
) -> None:
    path = write_jsonl(
        tmp_path / "dangling.jsonl",
        [
            entity("p-1", name="Ivan"),
            link("l-1", "p-1", "thing-9", type_="USES"),
            link("l-2", "p-1", "p-2"),
        ],
    )
    report = ingest(store, path, batch_size=1)
    assert (report.accepted, report.rejected) == (2, 1)
    assert_every_problem_located(report)
    problem = only_problem(report, path, 2)
    assert problem.field == "to"
    assert '{"id": "thing-9", "type": ' in problem.reason
    assert store.get_link(everyone(store.schema), "l-1") is None
    assert store.totals().entities == 2


def test_a_bare_id_is_not_looked_up_in_the_store(store: GraphStore, tmp_path: Path) -> None:
    # What the store holds may be hidden from those who will read the link (here a SECRET
    # record is the only one saying acme is an Organization); and a file must mean the same
    # whatever was loaded before it. So a bare id resolves only against the run's own records.
    secret = {"classification": "SECRET", "code": "H3", "originator": "FR-OCRTEH"}
    ingest(store, write_jsonl(tmp_path / "a.jsonl", [entity("acme", "Organization", secret)]))
    phone = {"type": "Phone", "value": "+40721234567"}
    report = ingest(store, write_jsonl(tmp_path / "b.jsonl", [link("l-1", "acme", phone, "OWNS")]))
    assert report.rejected == 1
    assert '{"id": "acme", "type": "..."}' in report.problems[0].reason
    named = {"id": "acme", "type": "Organization"}
    report = ingest(store, write_jsonl(tmp_path / "c.jsonl", [link("l-2", named, phone, "OWNS")]))
    assert report.rejected == 0, report.problems
    assert get_link(store, "l-2").source_id == "acme"


def test_a_bare_id_asserted_earlier_in_the_run_resolves_whatever_the_batch_size(
    store: GraphStore, tmp_path: Path
) -> None:
    first = write_jsonl(tmp_path / "a.jsonl", [entity("acme", "Organization")])
    phone = {"type": "Phone", "value": "+40721234567"}
    second = write_jsonl(tmp_path / "b.jsonl", [link("l-1", "acme", phone, "OWNS")])
    assert ingest(store, second).rejected == 1  # on its own, OWNS' 'from' is ambiguous
    for batch_size in (1, 5000):
        ingestor = Ingestor(store, SourceRegistry(), batch_size=batch_size)
        ingestor.ingest_path(first)
        ingestor.ingest_path(second)
        report = ingestor.finish()
        assert report.rejected == 0, report.problems


@pytest.mark.parametrize("batch_size", [1, 5000])
def test_the_last_assertion_of_a_link_in_a_run_wins(
    store: GraphStore, tmp_path: Path, batch_size: int
) -> None:
    """A corrected record later in the file wins, even when the first one waited for its ends."""
    path = write_jsonl(
        tmp_path / "corrected.jsonl",
        [
            link("l-1", "acme", "addr-1", type_="OWNS", share=10),
            entity("acme", type_="Organization", name="Acme"),
            entity("addr-1", type_="Address", full="1 rue de la Paix"),
            link("l-1", "acme", "addr-1", type_="OWNS", share=50),
        ],
    )
    report = ingest(store, path, batch_size=batch_size)
    assert report.rejected == 0, report.problems
    assert get_link(store, "l-1").properties == {"share": 50}
    assert store.totals().links == 1


# -- units are stored whole or not at all ---------------------------------------------------------


def test_a_rejected_unit_in_a_batch_does_not_spoil_the_others(
    store: GraphStore, tmp_path: Path
) -> None:
    lines = [entity(f"p-{i}", name=f"Person {i}") for i in range(20)]
    lines[7] = entity("p-7", type_="Organization", name="Clash")
    lines.insert(3, entity("p-7", name="Person 7"))
    path = write_jsonl(tmp_path / "batch.jsonl", lines)
    report = ingest(store, path, batch_size=100)
    assert (report.accepted, report.rejected) == (20, 1)
    assert store.totals().entities == 20
    assert only_problem(report, path, 9).field == "id"


# -- manifests ------------------------------------------------------------------------------------

SOURCES_YAML = """
sources:
  registry-ro:
    title: Company registry (RO)
    country: RO
    grading: {source: A, information: "1"}
    handling: {classification: UNCLASSIFIED, code: H0, originator: RO-DIICOT}
  partner-be:
    country: BE
    provenance: {method: structured, confidence: 0.8}
    grading: {source: B, information: "2"}
    handling: {classification: RESTRICTED, releasableTo: [BE, FR], code: H2, originator: BE-PJF}
"""

MAPPING_YAML = """
source: registry-ro
record: "{reg}"
entities:
  company: {type: Organization, id: "ro:{reg}", properties: {name: "{name}"}}
  phone: {type: Phone, id: "{phone}", optional: true}
  boss: {type: Person, id: "{boss_id}", optional: true, properties: {name: "{boss}"}}
links:
  - {type: OWNS, from: company, to: phone}
  - {type: DIRECTOR_OF, from: boss, to: company}
"""


def _manifest_case(tmp_path: Path) -> Path:
    root = tmp_path / "case"
    (root / "registry").mkdir(parents=True)
    (root / "mappings").mkdir()
    (root / "partner").mkdir()
    (root / "sources.yaml").write_text(SOURCES_YAML, encoding="utf-8")
    (root / "mappings" / "companies.yaml").write_text(MAPPING_YAML, encoding="utf-8")
    (root / "registry" / "companies.csv").write_text(
        "reg,name,phone,boss_id,boss\n"
        "J40/1/2019,Acme SRL,021 312 3456,ro-p-1,Ion Popescu\n"
        "J40/2/2020,Beta SRL,,,\n"
        "J40/3/2021,,0721 234 567,,\n",  # a company without a name is fine; its phone is RO
        encoding="utf-8",
    )
    met = link("be-1", "ro-p-1", "be-p-9", type_="MET")
    del met["handling"], met["grading"]
    met["provenance"] = {"record": "pv-1"}
    bad = link("be-2", "ro-p-1", "be-p-9", type_="MET")
    bad["handling"] = {"classification": "SECRTE"}
    del bad["grading"]
    bad["provenance"] = {"record": "pv-2"}
    person = entity("be-p-9", name="Jan Peeters")
    del person["provenance"]["source"], person["handling"]
    write_jsonl(root / "partner" / "be.jsonl", [met, bad, person])
    manifest = root / "manifest.yaml"
    manifest.write_text(
        "sources: sources.yaml\n"
        "files:\n"
        "  - {path: registry/companies.csv, mapping: mappings/companies.yaml}\n"
        "  - {path: partner/be.jsonl, source: partner-be}\n",
        encoding="utf-8",
    )
    return manifest


def test_a_manifest_with_sources_mappings_and_native_files(
    store: GraphStore, tmp_path: Path
) -> None:
    manifest = _manifest_case(tmp_path)
    report = ingest(store, manifest)
    csv_file = str(manifest.parent / "registry" / "companies.csv")
    native = str(manifest.parent / "partner" / "be.jsonl")
    assert report.files[csv_file].accepted == 3
    assert report.files[csv_file].rejected == 0
    assert (report.files[native].accepted, report.files[native].rejected) == (2, 1)
    assert [(p.file, p.line, p.field) for p in report.problems] == [
        (native, 2, "handling.classification")
    ]
    owns = [x for x in store.entity_links(everyone(store.schema), "ro:J40/1/2019")]
    assert {(x.type, x.source_id, x.target_id) for x in owns} == {
        ("OWNS", "ro:J40/1/2019", "phone:+40213123456"),
        ("DIRECTOR_OF", "ro-p-1", "ro:J40/1/2019"),
    }
    director = next(x for x in owns if x.type == "DIRECTOR_OF")
    assert director.provenance.source == "registry-ro"
    assert director.provenance.record == "J40/1/2019"
    assert director.grading.to_dict() == {"source": "A", "information": "1"}
    assert director.handling.originator == "RO-DIICOT"
    assert get_entity(store, "phone:+40721234567").type == "Phone"
    met = get_link(store, "be-1")
    assert met.provenance.source == "partner-be"
    assert met.provenance.confidence == 0.8
    assert met.grading.to_dict() == {"source": "B", "information": "2"}
    assert met.handling.classification == "RESTRICTED"
    assert met.handling.releasable_to == ("BE", "FR")
    assert met.handling.originator == "BE-PJF"
    person = get_entity(store, "be-p-9").records[0]
    assert person.provenance.source == "partner-be"
    assert person.handling.originator == "BE-PJF"


def test_a_manifest_is_idempotent(embedded_store: EmbeddedStore, tmp_path: Path, db: Path) -> None:
    store = embedded_store  # the data version is read from its file
    manifest = _manifest_case(tmp_path)
    ingest(store, manifest)
    stats, version = store.totals().to_dict(), data_version(db)
    ingest(store, manifest)
    assert store.totals().to_dict() == stats
    assert data_version(db) == version


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ("files: registry/companies.csv\n", None),
        ("sources: sources.yaml\n", None),
        ("files:\n  - {path: a.jsonl, colour: red}\n", "files[0]"),
        ("files:\n  - partner/be.jsonl\n  - {mapping: m.yaml}\n", "files[1]"),
        ("files: [\n", None),
    ],
)
def test_a_broken_manifest_is_named(
    store: GraphStore, tmp_path: Path, content: str, field: str | None
) -> None:
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidMapping) as caught:
        ingest(store, manifest)
    assert caught.value.file == str(manifest)
    assert caught.value.field == field
    assert store.totals().entities == 0


def test_a_manifest_naming_a_missing_file(store: GraphStore, tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text("files:\n  - ok.jsonl\n  - nowhere.jsonl\n", encoding="utf-8")
    (tmp_path / "ok.jsonl").write_text(json.dumps(entity("p1", name="A")) + "\n", encoding="utf-8")
    with pytest.raises(InvalidMapping) as caught:
        ingest(store, manifest)
    # the mistake is named where it is written, and nothing was stored before it was found
    assert caught.value.file == str(manifest)
    assert caught.value.field == "files[1]"
    assert "nowhere.jsonl" in caught.value.message
    assert store.totals().records == 0


@pytest.mark.parametrize(
    ("name", "words"),
    [("data.csv", "mapping"), ("data.xml", "unknown kind of file"), ("missing.jsonl", "no such")],
)
def test_files_the_runner_cannot_read_are_named(
    store: GraphStore, tmp_path: Path, name: str, words: str
) -> None:
    path = tmp_path / name
    if name != "missing.jsonl":
        path.write_text("x\n", encoding="utf-8")
    ingestor = Ingestor(store, SourceRegistry())
    with pytest.raises(InvalidInput) as caught:
        ingestor.ingest_path(path)
    assert caught.value.file == str(path)
    assert words in caught.value.message


# -- crash safety ---------------------------------------------------------------------------------

_SCRIPT = Path(sys.executable).parent / "graphsvc"
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "graphsvc.cli"]
KILL_LINES = 100_000


def _big_file(path: Path) -> tuple[list[str], list[str]]:
    """Entities and links in one file; returns the record ids (entities) and link ids, per line."""
    kinds: list[str] = []
    ids: list[str] = []
    handling = {"classification": "UNCLASSIFIED", "code": "H0", "originator": "FR-OCRTEH"}
    grading = {"source": "B", "information": "2"}
    with path.open("w", encoding="utf-8") as out:
        for i in range(KILL_LINES):
            if i % 25 == 0:
                record: dict[str, Any] = {
                    "kind": "entity",
                    "id": f"p{i % 3000}",
                    "type": "Person",
                    "properties": {"name": f"Person {i % 3000}"},
                    "provenance": {"source": "big", "record": f"e{i}"},
                    "handling": handling,
                }
                kinds.append("entity")
                ids.append(f"e{i}")
            elif i % 10 == 0:
                record = {
                    "kind": "link",
                    "id": f"c{i}",
                    "type": "CALLED",
                    "from": {"id": f"p{i % 3000}", "type": "Person"},
                    "to": f"+33 6 12 {i % 100:02d} {(i // 100) % 100:02d} 00",
                    "properties": {"durationSeconds": i % 600},
                    "provenance": {"source": "big"},
                    "grading": grading,
                    "handling": handling,
                }
                kinds.append("link")
                ids.append(f"c{i}")
            else:
                record = {
                    "kind": "link",
                    "id": f"m{i}",
                    "type": "MET",
                    "from": f"p{i % 3000}",
                    "to": f"p{(i * 7 + 1) % 3000}",
                    "provenance": {"source": "big"},
                    "grading": grading,
                    "handling": handling,
                }
                kinds.append("link")
                ids.append(f"m{i}")
            out.write(json.dumps(record) + "\n")
    return kinds, ids


def _count(db: Path, table: str) -> int:
    if not db.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def _contents(db: Path) -> dict[str, Any]:
    conn = sqlite3.connect(db)
    try:
        return {
            "entities": sorted(
                conn.execute("SELECT e.id, t.name FROM entities e JOIN types t ON t.tid = e.tid")
            ),
            "links": sorted(
                conn.execute(
                    "SELECT l.id, t.name, s.id, d.id, l.directed, l.source, l.record, "
                    "l.properties, l.confidence, l.grade_source, h.classification, h.code "
                    "FROM links l JOIN types t ON t.tid = l.tid JOIN entities s ON s.eid = l.src "
                    "JOIN entities d ON d.eid = l.dst JOIN handling h ON h.hid = l.hid"
                )
            ),
            "records": sorted(
                conn.execute(
                    "SELECT e.id, r.source, r.record, r.properties FROM erecords r "
                    "JOIN entities e ON e.eid = r.eid"
                )
            ),
        }
    finally:
        conn.close()


@pytest.mark.slow
def test_a_killed_ingestion_leaves_a_consistent_prefix_and_completes_on_rerun(
    tmp_path: Path,
) -> None:
    data = tmp_path / "big.jsonl"
    kinds, ids = _big_file(data)
    killed_db, reference_db = tmp_path / "killed.db", tmp_path / "reference.db"

    def command(db: Path) -> list[str]:
        return [*COMMAND, "--store", str(db), "ingest", str(data), "--batch-size", "500", "--quiet"]

    reference = subprocess.Popen(
        command(reference_db),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    victim = subprocess.Popen(
        command(killed_db), cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while _count(killed_db, "links") < 15_000:
            assert victim.poll() is None, "the ingestion finished before it could be killed"
            assert time.monotonic() < deadline, "the ingestion made no progress"
            time.sleep(0.02)
        assert victim.poll() is None, "the ingestion finished before it could be killed"
        os.kill(victim.pid, signal.SIGKILL)
        assert victim.wait(timeout=30) == -signal.SIGKILL
    finally:
        if victim.poll() is None:
            victim.kill()
            victim.wait()

    conn = sqlite3.connect(killed_db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        dangling = conn.execute(
            "SELECT count(*) FROM links WHERE src NOT IN (SELECT eid FROM entities) "
            "OR dst NOT IN (SELECT eid FROM entities)"
        ).fetchone()[0]
        assert dangling == 0
        orphan_records = conn.execute(
            "SELECT count(*) FROM erecords WHERE eid NOT IN (SELECT eid FROM entities)"
        ).fetchone()[0]
        assert orphan_records == 0
        stored_links = {row[0] for row in conn.execute("SELECT id FROM links")}
        stored_records = {row[0] for row in conn.execute("SELECT record FROM erecords")}
    finally:
        conn.close()
    assert 0 < len(stored_links) < kinds.count("link")
    stored_lines = {
        line
        for line, (kind, ident) in enumerate(zip(kinds, ids, strict=True))
        if (ident in stored_links if kind == "link" else ident in stored_records)
    }
    assert stored_lines == set(range(len(stored_lines))), "what is stored is not a prefix"

    out, err = reference.communicate(timeout=120)
    assert reference.returncode == 0, err
    assert out.strip().splitlines()[-1] == f"accepted {KILL_LINES}, rejected 0"

    rerun = subprocess.run(
        command(killed_db), cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout.strip().splitlines()[-1] == f"accepted {KILL_LINES}, rejected 0"
    completed, expected = _contents(killed_db), _contents(reference_db)
    assert len(completed["links"]) == kinds.count("link")
    assert len(completed["records"]) == kinds.count("entity")
    assert completed == expected
