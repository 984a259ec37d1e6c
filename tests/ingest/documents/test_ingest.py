"""``graphsvc ingest`` on documents, into real stores: the labelled reports of the seed case over
the structured seed (spans, selectors shared with the call records, resolution, what readers
may see), re-ingestion, bad input, OCR missing, the source's co-mention settings, corrections."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from graphsvc.errors import InvalidMapping
from graphsvc.ingest import Ingestor, IngestReport, SourceRegistry
from graphsvc.ingest.documents.read import read_document
from graphsvc.ingest.documents.resolve import new_entity_id
from graphsvc.ingest.documents.statements import document_id
from graphsvc.model.graph import Link
from graphsvc.model.schema import Schema
from graphsvc.policy import Principals, Scope
from graphsvc.store.embedded import EmbeddedStore
from graphsvc.store.protocol import GraphStore
from tests.conftest import SEED, TODAY, Stores, copy_file, scope_of

REPORTS = SEED / "reports"
MANIFEST = REPORTS / "manifest.yaml"
EVERY_CAVEAT = ["HUMINT", "FIU", "JIT", "UC"]
LEADER_PHONE = "phone:+33634712598"  # the leader's line: call records and reports


def ingest(store: GraphStore, *paths: Path, **kwargs: object) -> IngestReport:
    ingestor = Ingestor(store, **kwargs)  # type: ignore[arg-type]
    for path in paths:
        ingestor.ingest_path(path)
    return ingestor.finish()


def load_reports(store: GraphStore) -> None:
    report = ingest(store, MANIFEST)
    assert report.rejected == 0, report.problems


@pytest.fixture(scope="module")
def case(backend: str, stores: Stores) -> GraphStore:
    """The seed case with the labelled reports ingested over it (read only)."""
    return stores.shared(backend, "seed-reports", load_reports, on_seed=True)


@pytest.fixture(scope="module")
def everyone(schema: Schema) -> Scope:
    return scope_of(schema, clearance="SECRET", caveats=EVERY_CAVEAT, agency="FR-OCRTEH")


def documents() -> Iterator[tuple[str, object]]:
    """Every document of the manifest (attachments included), with its source's name."""
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        for document in read_document(REPORTS / entry["path"]):
            yield entry["source"], document


DOCUMENTS = list(documents())


def links_of(store: GraphStore, scope: Scope, entity_id: str) -> list[Link]:
    return store.entity_links(scope, entity_id, limit=100_000)


def test_every_document_is_an_entity_with_its_text_and_its_sources_handling(
    case: GraphStore, everyone: Scope
) -> None:
    sources = yaml.safe_load((REPORTS / "sources.yaml").read_text(encoding="utf-8"))["sources"]
    for source, document in DOCUMENTS:
        found = case.get_entity(everyone, document_id(document))  # type: ignore[arg-type]
        assert found is not None and found.type == "Document", document
        values = found.properties
        assert values["text"] == [document.text]  # type: ignore[attr-defined]
        assert values["hash"] == [document.sha256]  # type: ignore[attr-defined]
        assert values["source"] == [source]
        assert values["language"] == [document.language]  # type: ignore[attr-defined]
        (record,) = [r for r in found.records if r.provenance.source == source]
        handling = sources[source]["handling"]
        assert record.handling.classification == handling["classification"]
        assert record.handling.originator == handling["originator"]
        assert list(record.handling.releasable_to) == handling["releasableTo"]


def test_every_span_slices_its_documents_text_exactly(case: GraphStore, everyone: Scope) -> None:
    checked = 0
    for _, document in DOCUMENTS:
        doc_id = document_id(document)  # type: ignore[arg-type]
        text = document.text  # type: ignore[attr-defined]
        mentioned = [
            link for link in links_of(case, everyone, doc_id) if link.type == "MENTIONED_IN"
        ]
        assert mentioned, doc_id
        ends = set()
        for link in mentioned:
            start, end = link.provenance.span or (0, 0)
            assert text[start:end] == link.properties["mention"]
            assert link.provenance.document == doc_id and link.provenance.method == "extracted"
            assert "/" in (link.provenance.extractor or "")
            assert 0 < link.provenance.confidence <= 1
            ends.add(link.source_id)
            checked += 1
        for entity_id in ends:
            for link in links_of(case, everyone, entity_id):
                if link.type != "CO_MENTIONED" or link.provenance.document != doc_id:
                    continue
                start, end = link.provenance.span or (0, 0)
                for written in link.properties["mentions"]:
                    a, b = (int(x) for x in written.split("-"))
                    assert start <= a < b <= end
                assert link.properties["context"] == "sentence"
                checked += 1
    assert checked > 600


def test_a_phone_in_a_report_is_the_call_records_node(case: GraphStore, everyone: Scope) -> None:
    types = {link.type for link in links_of(case, everyone, LEADER_PHONE)}
    assert {"CALLED", "MENTIONED_IN", "CO_MENTIONED"} <= types


def test_names_resolve_to_the_entities_of_the_structured_sources(
    case: GraphStore, everyone: Scope
) -> None:
    # the leader, named in the French PVs, is the French bank's and the registry's person
    mentioned = {
        link.source_id
        for _, document in DOCUMENTS
        for link in links_of(case, everyone, document_id(document))  # type: ignore[arg-type]
        if link.type == "MENTIONED_IN" and "ZĂRESCU" in link.properties["mention"]
    }
    assert mentioned and not any(entity.startswith("x:") for entity in mentioned)


def test_middle_band_names_get_a_possibly_same_as_with_score_and_reasons(
    case: GraphStore, everyone: Scope
) -> None:
    candidates = [
        link
        for _, document in DOCUMENTS
        for named in {
            link.source_id
            for link in links_of(case, everyone, document_id(document))  # type: ignore[arg-type]
            if link.source_id.startswith("x:")
        }
        for link in links_of(case, everyone, named)
        if link.type == "POSSIBLY_SAME_AS"
    ]
    assert candidates
    for link in candidates:
        assert 0.8 <= link.properties["score"] < 0.93
        assert link.properties["reasons"]
        assert link.provenance.method == "inferred"
        assert link.provenance.extractor == "graphsvc.resolve/1"


def test_no_reader_learns_an_entity_through_a_document(
    case: GraphStore, everyone: Scope, schema: Schema
) -> None:
    """Every link extraction made ties a document to an entity. Whoever may see the link must
    be able to see that entity by some other record than the link's own document's: a name is
    never resolved to an entity hidden from one of the document's readers."""
    principals = Principals.load(SEED / "principals.yaml", schema.policy)
    scopes = [Scope.of(p, schema.policy, today=TODAY) for p in principals]
    selector_prefixes = tuple(f"{p}:" for p in schema.selector_prefixes)
    checked = 0
    for source, document in DOCUMENTS:
        doc_id = document_id(document)  # type: ignore[arg-type]
        for link in links_of(case, everyone, doc_id):
            for end in (link.source_id, link.target_id):
                if end == doc_id or end.startswith(("doc:", *selector_prefixes)):
                    continue
                entity = case.get_entity(everyone, end)
                assert entity is not None
                own = {
                    new_entity_id(entity.type, source, doc_id, str(name))
                    for name in entity.properties.get("name", [])
                }
                if end in own:
                    continue  # the document's own new entity
                for scope in scopes:
                    if case.get_link(scope, link.id) is None:
                        continue
                    seen = case.get_entity(scope, end)
                    assert seen is not None
                    assert any(r.provenance.document != doc_id for r in seen.records), (
                        scope.principal.id,
                        link.id,
                        end,
                    )
                    checked += 1
    assert checked > 100


# -- writes (embedded: each test its own copy) ----------------------------------------------------


@pytest.fixture
def copy(stores: Stores, schema: Schema, tmp_path: Path) -> Iterator[EmbeddedStore]:
    source = stores.shared("embedded", "seed-reports", load_reports, on_seed=True)
    assert isinstance(source, EmbeddedStore)
    store = EmbeddedStore(copy_file(source.path, tmp_path / "graph.db"), schema, create=False)
    yield store
    store.close()


def data_version(store: EmbeddedStore) -> int:
    with sqlite3.connect(store.path) as conn:
        return int(conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()[0])


def test_ingesting_the_reports_again_changes_nothing(copy: EmbeddedStore) -> None:
    before, totals = data_version(copy), copy.totals()
    report = ingest(copy, MANIFEST)
    assert report.rejected == 0 and report.documents.documents == len(DOCUMENTS)
    assert (data_version(copy), copy.totals()) == (before, totals)


def test_a_merge_of_an_extracted_entity_survives_reingestion(
    copy: EmbeddedStore, everyone: Scope
) -> None:
    doc = next(d for s, d in DOCUMENTS if d.name == "pv-surveillance-ongles-de-lys.txt")  # type: ignore[attr-defined]
    extracted = sorted(
        {
            link.source_id
            for link in links_of(copy, everyone, document_id(doc))  # type: ignore[arg-type]
            if link.source_id.startswith("x:person:")
        }
    )
    officer = extracted[0]
    other = extracted[1]
    done = copy.merge_entities(everyone, [other, officer], None, by="fr-supervisor", reason="one")
    assert done.target == other
    merged = copy.get_entity(everyone, other)
    assert merged is not None
    assert {r.provenance.document for r in merged.records} == {document_id(doc)}  # type: ignore[arg-type]
    assert len(merged.properties["name"]) == 2  # each name with its own record and span
    ingest(copy, MANIFEST)
    assert copy.get_entity(everyone, officer) is None  # not brought back


# -- bad input and settings -----------------------------------------------------------------------

SOURCES = {
    "sources": {
        "notes": {
            "country": "FR",
            "provenance": {"method": "extracted", "confidence": 0.7},
            "grading": {"source": "B", "information": "2"},
            "handling": {
                "classification": "RESTRICTED",
                "releasableTo": ["FR"],
                "code": "H2",
                "originator": "FR-OCRTEH",
            },
        }
    }
}
GOOD = "Le 02/03/2024, M. Karim BELKACEM a appelé Julien FERRAND au 06 12 34 56 78.\n"


def write_case(
    tmp_path: Path, files: dict[str, bytes], sources: dict[str, object] = SOURCES
) -> Path:
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "sources.yaml").write_text(yaml.safe_dump(sources), encoding="utf-8")
    manifest = {"sources": "sources.yaml", "files": [{"path": n, "source": "notes"} for n in files]}
    (tmp_path / "manifest.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    return tmp_path / "manifest.yaml"


def test_bad_documents_are_reported_and_the_rest_is_stored(
    embedded_store: EmbeddedStore, tmp_path: Path, everyone: Scope
) -> None:
    mail = (
        b"From: a@example.fr\r\nTo: b@example.fr\r\nSubject: Note\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + GOOD.encode() + b"\r\n--b\r\n"
        b'Content-Type: application/zip\r\nContent-Disposition: attachment; filename="x.zip"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\nUEsDBAo=\r\n--b--\r\n"
    )
    manifest = write_case(
        tmp_path,
        {
            "good.txt": GOOD.encode(),
            "broken.pdf": b"%PDF-1.4\nnot a pdf at all",
            "binary.txt": b"abc\x00def",
            "mail.eml": mail,
        },
    )
    report = ingest(embedded_store, manifest)
    problems = {(Path(p.file).name, p.reason) for p in report.problems}
    assert any(name == "broken.pdf" and "malformed PDF" in why for name, why in problems)
    assert any(name == "binary.txt" and "NUL" in why for name, why in problems)
    assert any(
        name == "mail.eml" and "x.zip" in why and "not read" in why for name, why in problems
    )
    assert report.rejected == 3
    for name in ("good.txt", "mail.eml"):
        digest = hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()
        assert embedded_store.get_entity(everyone, f"doc:{digest[:32]}") is not None
    assert embedded_store.get_entity(everyone, "phone:+33612345678") is not None
    again = ingest(embedded_store, manifest)  # re-running is safe
    assert (again.rejected, again.accepted) == (3, report.accepted)


def test_a_scan_without_ocr_is_a_clear_error_and_the_rest_is_stored(
    embedded_store: EmbeddedStore,
    tmp_path: Path,
    everyone: Scope,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GRAPHSVC_OCR_LANGUAGES", "fra+zzz")  # a language pack no one has
    shutil.copy(REPORTS / "fr" / "scan-pv-renseignement-hensies.png", tmp_path / "scan.png")
    manifest = write_case(tmp_path, {"good.txt": GOOD.encode()})
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    data["files"].append({"path": "scan.png", "source": "notes"})
    manifest.write_text(yaml.safe_dump(data), encoding="utf-8")
    report = ingest(embedded_store, manifest)
    (problem,) = report.problems
    assert Path(problem.file).name == "scan.png"
    assert "zzz" in problem.reason and "apt-get install" in problem.reason
    assert embedded_store.get_entity(everyone, "phone:+33612345678") is not None


def test_a_document_needs_a_defined_source_with_handling(
    embedded_store: EmbeddedStore, tmp_path: Path
) -> None:
    (tmp_path / "note.txt").write_text(GOOD, encoding="utf-8")
    with pytest.raises(InvalidMapping, match="a document needs its source"):
        Ingestor(embedded_store).ingest_path(tmp_path / "note.txt")
    registry = SourceRegistry.load(
        write_case(tmp_path, {}).parent / "sources.yaml", embedded_store.schema
    )
    registry.sources["bare"] = registry.sources["notes"].model_copy(
        update={"name": "bare", "handling": {}}
    )
    with pytest.raises(InvalidMapping, match="gives no handling classification, code, originator"):
        Ingestor(embedded_store, registry).ingest_path(tmp_path / "note.txt", source="bare")


def test_the_source_chooses_the_co_mention_link_and_its_context(
    embedded_store: EmbeddedStore, tmp_path: Path, everyone: Scope
) -> None:
    sources = yaml.safe_load(yaml.safe_dump(SOURCES))
    sources["sources"]["notes"]["extraction"] = {"coMention": "MET", "context": "paragraph"}
    manifest = write_case(tmp_path, {"good.txt": GOOD.encode()}, sources)
    report = ingest(embedded_store, manifest)
    assert report.rejected == 0
    # MET joins persons only: the two officers are linked, the phone is not
    assert report.documents.not_linked == {"Person-Phone": 2}
    persons = [
        link.source_id
        for link in links_of(
            embedded_store, everyone, f"doc:{hashlib.sha256(GOOD.encode()).hexdigest()[:32]}"
        )
        if link.source_id.startswith("x:person:")
    ]
    met = [link for link in links_of(embedded_store, everyone, persons[0]) if link.type == "MET"]
    assert len(met) == 1 and met[0].properties == {"date": "2024-03-02"}
    sources["sources"]["notes"]["extraction"] = {"coMention": "MEETS"}
    (tmp_path / "sources.yaml").write_text(yaml.safe_dump(sources), encoding="utf-8")
    with pytest.raises(
        InvalidMapping, match=r"'MEETS' is not a link type .* did you mean MET"
    ) as error:
        ingest(embedded_store, manifest)
    assert error.value.field == "sources.notes.extraction.coMention"


def test_names_resolve_against_the_files_before_them_in_the_same_run(
    embedded_store: EmbeddedStore, tmp_path: Path, everyone: Scope
) -> None:
    person = {
        "kind": "entity",
        "id": "fr:P-1",
        "type": "Person",
        "properties": {"name": "BELKACEM Karim"},
        "provenance": {"source": "notes", "record": "P-1"},
    }
    (tmp_path / "people.jsonl").write_text(json.dumps(person) + "\n", encoding="utf-8")
    manifest = write_case(tmp_path, {"good.txt": GOOD.encode()})
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    data["files"].insert(0, {"path": "people.jsonl", "source": "notes"})
    manifest.write_text(yaml.safe_dump(data), encoding="utf-8")
    report = ingest(embedded_store, manifest)
    assert report.rejected == 0 and report.documents.resolved >= 1
    mentioned = {
        link.properties["mention"]
        for link in links_of(embedded_store, everyone, "fr:P-1")
        if link.type == "MENTIONED_IN"
    }
    assert mentioned == {"Karim BELKACEM"}


def test_the_same_file_read_into_another_text_keeps_each_span_in_its_own_text(
    embedded_store: EmbeddedStore,
    tmp_path: Path,
    everyone: Scope,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A scan read again with other OCR settings gives another text: its records sit beside
    the first reading's, and every span is read in the text its record names."""
    shutil.copy(REPORTS / "fr" / "scan-pv-renseignement-hensies.png", tmp_path / "scan.png")
    manifest = write_case(tmp_path, {})
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    data["files"] = [{"path": "scan.png", "source": "notes"}]
    manifest.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert ingest(embedded_store, manifest).rejected == 0
    monkeypatch.setenv("GRAPHSVC_OCR_LANGUAGES", "eng")  # reads the French page differently
    assert ingest(embedded_store, manifest).rejected == 0
    doc_id = f"doc:{hashlib.sha256((tmp_path / 'scan.png').read_bytes()).hexdigest()[:32]}"
    document = embedded_store.get_entity(everyone, doc_id)
    assert document is not None
    texts = {st.record: str(st.value) for st in document.statements if st.property == "text"}
    assert len(texts) == 2  # two readings, two records
    mentioned = [
        link for link in links_of(embedded_store, everyone, doc_id) if link.type == "MENTIONED_IN"
    ]
    assert {link.provenance.record for link in mentioned} == set(texts)
    for link in mentioned:
        start, end = link.provenance.span or (0, 0)
        assert texts[link.provenance.record][start:end] == link.properties["mention"]


def test_a_merge_for_one_sources_readers_does_not_reach_another_sources_reading(
    embedded_store: EmbeddedStore, tmp_path: Path, everyone: Scope, schema: Schema
) -> None:
    """Source A's entity for a name is merged into a French-only entity; the same file read
    through a source shared with Belgium must not land on it through the merge."""
    french = {
        "kind": "entity",
        "id": "fr:P-9",
        "type": "Person",
        "properties": {"name": "Marc DUPUIS"},
        "provenance": {"source": "notes", "record": "P-9"},
    }
    (tmp_path / "people.jsonl").write_text(json.dumps(french) + "\n", encoding="utf-8")
    sources = yaml.safe_load(yaml.safe_dump(SOURCES))
    shared = yaml.safe_load(yaml.safe_dump(SOURCES["sources"]["notes"]))
    shared["handling"]["releasableTo"] = ["BE", "FR"]
    sources["sources"]["shared"] = shared
    text = b"Le 02/03/2024, Karim BELKACEM a vu Marcel DUPUY au 06 12 34 56 78.\n"
    manifest = write_case(tmp_path, {"pv.txt": text}, sources)
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    data["files"].insert(0, {"path": "people.jsonl", "source": "notes"})
    manifest.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert ingest(embedded_store, manifest).rejected == 0
    doc_id = f"doc:{hashlib.sha256(text).hexdigest()[:32]}"
    (dupuy,) = {
        link.source_id
        for link in links_of(embedded_store, everyone, doc_id)
        if link.properties.get("mention") == "Marcel DUPUY"
    }
    assert dupuy.startswith("x:person:")  # "Marcel DUPUY" is not "Marc DUPUIS" for sure
    embedded_store.merge_entities(everyone, ["fr:P-9", dupuy], None, by="an", reason="same")
    data["files"] = [{"path": "pv.txt", "source": "shared"}]
    manifest.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert ingest(embedded_store, manifest).rejected == 0
    ends = {
        link.source_id
        for link in links_of(embedded_store, everyone, doc_id)
        if link.properties.get("mention") == "Marcel DUPUY" and link.id.startswith("shared:")
    }
    assert len(ends) == 1 and "fr:P-9" not in ends


def test_a_readers_fault_on_one_file_is_reported_and_the_run_goes_on(
    embedded_store: EmbeddedStore,
    tmp_path: Path,
    everyone: Scope,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from graphsvc.ingest import runner

    real = runner.read_document

    def faulty(path: Path) -> list[object]:
        if Path(path).name == "bad.txt":
            raise RecursionError("maximum recursion depth exceeded")
        return real(path)  # type: ignore[return-value]

    monkeypatch.setattr(runner, "read_document", faulty)
    manifest = write_case(tmp_path, {"bad.txt": b"x", "good.txt": GOOD.encode()})
    report = ingest(embedded_store, manifest)
    (problem,) = report.problems
    assert Path(problem.file).name == "bad.txt"
    assert problem.reason == "could not be read (RecursionError: maximum recursion depth exceeded)"
    assert embedded_store.get_entity(everyone, "phone:+33612345678") is not None
