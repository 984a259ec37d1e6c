"""``graphsvc ingest`` of documents, ``graphsvc evaluate extraction`` and ``graphsvc entities``
(merge, split, undo, resolutions), run for real in subprocesses on a store file."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO
from tests.test_cli import Result, run

PRINCIPALS = """
principals:
  - {id: analyst, agency: FR-OCRTEH, country: FR, clearance: CONFIDENTIAL, roles: [analyst]}
  - {id: other, agency: FR-OCRTEH, country: FR, clearance: CONFIDENTIAL, roles: [analyst]}
  - {id: auditor, agency: FR-IGPN, country: FR, clearance: UNCLASSIFIED, roles: [auditor]}
"""
SOURCES = {
    "sources": {
        "pv": {
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
REPORT = """# PROCÈS-VERBAL DE SURVEILLANCE

Le 14/05/2024 à 9h30, le Lieutenant de police Karim BELKACEM voit NEAGU Dragoș au volant
d'une camionnette immatriculée 1-KJT-482. M. Neagu téléphone au 06 34 71 25 98.

Plus tard, K. BELKACEM note que LĂZĂRESCU Ștefan rejoint NEAGU Dragoș devant le salon.
"""


class Files:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.store = root / "graph.db"
        (root / "principals.yaml").write_text(PRINCIPALS, encoding="utf-8")
        (root / "sources.yaml").write_text(yaml.safe_dump(SOURCES), encoding="utf-8")

    def __call__(self, *args: str) -> Result:
        return run(
            "--store",
            str(self.store),
            "--principals",
            str(self.root / "principals.yaml"),
            "--audit",
            str(self.root / "audit.db"),
            *args,
            cwd=self.root,
        )


@pytest.fixture
def files(tmp_path: Path) -> Files:
    return Files(tmp_path)


def test_ingest_a_report_then_read_what_it_says(files: Files) -> None:
    report = files.root / "pv.md"
    report.write_text(REPORT, encoding="utf-8")
    done = files("ingest", str(report), "--sources", "sources.yaml", "--source", "pv", "--quiet")
    assert done.code == 0, done.err
    assert re.search(r"documents 1: \d+ mentions of \d+ entities", done.out)
    assert done.out.rstrip().endswith("rejected 0")
    doc_id = "doc:" + hashlib.sha256(report.read_bytes()).hexdigest()[:32]
    shown = files("entity", doc_id, "--as", "analyst", "--format", "json")
    assert shown.code == 0, shown.err
    entity = shown.json()
    assert entity["properties"]["text"] == [REPORT.strip()]
    assert entity["properties"]["language"] == ["fr"]
    phone = files("expand", "phone:+33634712598", "--as", "analyst", "--format", "json")
    (mention,) = [
        link
        for link in phone.json()["links"]
        if link["type"] == "MENTIONED_IN" and link["from"] == "phone:+33634712598"
    ]
    start, end = mention["provenance"]["span"]
    assert REPORT.strip()[start:end] == "06 34 71 25 98" == mention["properties"]["mention"]
    assert mention["provenance"]["document"] == doc_id
    assert mention["provenance"]["extractor"] == "graphsvc.selectors/1"
    again = files("ingest", str(report), "--sources", "sources.yaml", "--source", "pv", "--quiet")
    assert again.code == 0 and again.out.rstrip().endswith("rejected 0")


def test_a_document_without_its_source_and_a_broken_one(files: Files) -> None:
    note = files.root / "note.txt"
    note.write_text("Appel au 06 34 71 25 98.\n", encoding="utf-8")
    missing = files("ingest", str(note), "--quiet")
    assert missing.code == 2 and "Traceback" not in missing.err
    assert missing.err.count("\n") == 1 and "a document needs its source" in missing.err
    broken = files.root / "scan.pdf"
    broken.write_bytes(b"%PDF-1.7\n1 0 obj << >> endobj\n")
    done = files(
        "ingest", str(note), str(broken), "--sources", "sources.yaml", "--source", "pv", "--quiet"
    )
    assert done.code == 1
    assert "scan.pdf: malformed PDF" in done.err
    assert re.search(r"note\.txt: accepted [1-9]\d*, rejected 0", done.out)


def test_evaluate_extraction_prints_the_table(files: Files) -> None:
    labels = str(REPO / "seed" / "reports" / "labels.yaml")
    done = files("evaluate", "extraction", labels, "--details")
    assert done.code == 0, done.err
    rows = {
        line.split("|")[1].strip(): [cell.strip() for cell in line.split("|")[2:-1]]
        for line in done.out.splitlines()
        if line.startswith("| ") and not line.startswith("| kind")
    }
    assert set(rows) >= {"phone", "person", "links", "all selectors", "all names"}
    labelled, found, correct, precision, recall, _ = rows["all selectors"]
    assert int(labelled) == 139 and int(correct) <= int(found)
    assert float(precision) >= 0.98 and float(recall) >= 0.98
    assert "17 labelled documents" in done.out
    assert "fr/pv-audition-marchand.md (fr," in done.out  # the details of each document
    bad = files.root / "labels.yaml"
    bad.write_text("documents:\n  - {file: x.md}\n", encoding="utf-8")
    refused = files("evaluate", "extraction", str(bad))
    assert refused.code == 2 and "documents[0]" in refused.err and "source" in refused.err


def test_entities_merge_split_undo_and_list(files: Files) -> None:
    report = files.root / "pv.md"
    report.write_text(REPORT, encoding="utf-8")
    files("ingest", str(report), "--sources", "sources.yaml", "--source", "pv", "--quiet")
    doc_id = "doc:" + hashlib.sha256(report.read_bytes()).hexdigest()[:32]
    links = files("entity", doc_id, "--as", "analyst", "--links", "500", "--format", "json")
    persons = sorted(
        {
            link["from"]
            for link in links.json()["links"]
            if link["type"] == "MENTIONED_IN" and link["from"].startswith("x:person:")
        }
    )
    assert len(persons) >= 3
    first, second = persons[0], persons[1]
    merged = files(
        "entities", "merge", first, second, "--as", "analyst", "--reason", "same officer",
        "--format", "json",
    )  # fmt: skip
    assert merged.code == 0, merged.err
    merge = merged.json()
    assert (merge["kind"], merge["target"], merge["movedRecords"]) == ("merge", first, 1)
    (moved,) = merge["records"]
    assert moved["source"] == "pv" and moved["record"].startswith(f"{doc_id}@")
    gone = files("entity", second, "--as", "analyst")
    assert gone.code == 2 and f"no entity {second!r}" in gone.err
    split = files(
        "entities", "split", first, "--record", f"pv:{moved['record']}", "--as", "analyst",
        "--reason", "two officers after all", "--format", "json",
    )  # fmt: skip
    assert split.code == 0, split.err
    assert split.json()["kind"] == "split" and split.json()["target"].startswith(f"{first}~split-")
    listed = files("entities", "resolutions", "--as", "analyst", "--entity", first)
    assert listed.code == 0 and "(2 corrections)" in listed.out
    undo = files("entities", "undo", split.json()["id"], "--as", "other", "--reason", "no")
    assert undo.code == 2 and "RESOLUTION_ID" in undo.err  # another analyst's correction
    undone = files("entities", "undo", split.json()["id"], "--as", "analyst", "--reason", "no")
    assert undone.code == 0 and " undo of " in undone.out
    refused = files("entities", "merge", first, second, "--as", "auditor", "--reason", "x")
    assert refused.code == 2 and "Traceback" not in refused.err
    log = files("audit", "show", "--operation", "mergeEntities", "--format", "json")
    entries = [json.loads(line) for line in log.out.splitlines()] if log.out.strip() else []
    assert log.code == 0 and entries
