"""The ``graphsvc`` command, run for real in subprocesses: ingest reports, stats, scoped reads,
and errors that are one line on stderr with a non-zero exit, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO

_SCRIPT = Path(sys.executable).parent / "graphsvc"
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "graphsvc.cli"]

PRINCIPALS = """
principals:
  - {id: fr-analyst, agency: FR-OCRTEH, country: FR, clearance: CONFIDENTIAL, roles: [analyst]}
  - {id: be-analyst, agency: BE-PJF, country: BE, clearance: RESTRICTED, roles: [analyst]}
  - {id: supervisor, agency: FR-OCRTEH, country: FR, clearance: SECRET, caveats: [JIT],
     roles: [supervisor]}
  - {id: auditor, agency: FR-IGPN, country: FR, clearance: UNCLASSIFIED, roles: [auditor]}
"""

FR_OPEN = {"classification": "UNCLASSIFIED", "code": "H0", "originator": "FR-OCRTEH"}


def _entity(entity_id: str, type_: str, **props: Any) -> dict[str, Any]:
    return {
        "kind": "entity",
        "id": entity_id,
        "type": type_,
        "properties": props,
        "provenance": {"source": "registry-fr", "record": f"r-{entity_id}"},
        "handling": FR_OPEN,
    }


def _link(
    link_id: str, type_: str, source: Any, target: Any, handling: dict[str, Any], **props: Any
) -> dict[str, Any]:
    return {
        "kind": "link",
        "id": link_id,
        "type": type_,
        "from": source,
        "to": target,
        "properties": props,
        "provenance": {"source": "cdr-fr", "record": f"rec-{link_id}", "confidence": 0.9},
        "grading": {"source": "B", "information": "2"},
        "handling": handling,
    }


CASE = [
    _entity("p-1", "Person", name="Ivan Petrov", birthDate="1980-02-03"),
    _entity("p-2", "Person", name="Elena Popescu"),
    _entity("p-3", "Person", name="Jan Peeters"),
    _entity("org-1", "Organization", name="Acme SRL"),
    _link("l-1", "MET", "p-1", "p-2", FR_OPEN, date="2024-01-02T10:00:00Z"),
    _link(
        "l-2",
        "CALLED",
        "p-2",
        "+40 721 234 567",
        {
            "classification": "CONFIDENTIAL",
            "releasableTo": ["FR"],
            "code": "H2",
            "originator": "FR-OCRTEH",
        },
        date="2024-03-01T08:00:00Z",
        durationSeconds=60,
    ),
    _link(
        "l-3",
        "RELATED_TO",
        "p-2",
        "p-3",
        {"classification": "SECRET", "code": "H3", "originator": "BE-PJF"},
        relationship="cousin",
    ),
    _link(
        "l-4",
        "DIRECTOR_OF",
        {"id": "p-1", "type": "Person"},
        "org-1",
        {
            "classification": "RESTRICTED",
            "releasableTo": ["BE"],
            "code": "H1",
            "originator": "BE-PJF",
        },
    ),
]
PHONE = "phone:+40721234567"


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("GRAPHSVC_")}


def run(*args: str, cwd: Path) -> Result:
    done = subprocess.run(
        [*COMMAND, *args], cwd=cwd, env=_env(), capture_output=True, text=True, timeout=120
    )
    return Result(done.returncode, done.stdout, done.stderr)


def run_many(commands: list[list[str]], cwd: Path) -> list[Result]:
    """Run independent commands at the same time (each is a fresh Python process)."""
    procs = [
        subprocess.Popen(
            [*COMMAND, *args],
            cwd=cwd,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args in commands
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append(Result(proc.returncode, out, err))
    return results


def write_jsonl(path: Path, records: list[Any]) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records),
        encoding="utf-8",
    )
    return path


@dataclass
class Case:
    root: Path
    store: Path
    principals: Path

    def __call__(self, *args: str) -> Result:
        return run(
            "--store", str(self.store), "--principals", str(self.principals), *args, cwd=self.root
        )

    def argv(self, *args: str) -> list[str]:
        return ["--store", str(self.store), "--principals", str(self.principals), *args]


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Case:
    root = tmp_path_factory.mktemp("cli")
    principals = root / "principals.yaml"
    principals.write_text(PRINCIPALS, encoding="utf-8")
    data = write_jsonl(root / "case.jsonl", CASE)
    store = root / "graph.db"
    result = run("--store", str(store), "ingest", str(data), "--quiet", cwd=root)
    assert result.code == 0, result.err
    assert result.out.strip().splitlines()[-1] == f"accepted {len(CASE)}, rejected 0"
    return Case(root, store, principals)


def _one_line_error(result: Result) -> str:
    assert result.code != 0, result
    assert "Traceback" not in result.err, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("graphsvc: "), lines[0]
    return lines[0]


# -- ingest ---------------------------------------------------------------------------------------


def test_ingest_reports_rejections_and_exits_non_zero(tmp_path: Path) -> None:
    bad_level = _entity("p-9", "Person", name="Nine")
    bad_level["handling"] = {**FR_OPEN, "classification": "SECRTE"}
    data = write_jsonl(
        tmp_path / "mixed.jsonl",
        [CASE[0], CASE[1], bad_level, "[1, 2]", CASE[4], "{broken"],
    )
    errors = tmp_path / "errors.jsonl"
    store = tmp_path / "graph.db"
    result = run(
        "--store", str(store), "ingest", str(data), "--errors", str(errors), "--quiet", cwd=tmp_path
    )
    assert result.code != 0
    assert "Traceback" not in result.err
    assert result.out.strip().splitlines()[-1] == "accepted 3, rejected 3"
    assert f"{data}:3: handling.classification: " in result.err
    assert f"{data}:4: " in result.err
    assert f"{data}:6: " in result.err
    problems = [json.loads(line) for line in errors.read_text(encoding="utf-8").splitlines()]
    assert [(p["file"], p["line"]) for p in problems] == [
        (str(data), 3),
        (str(data), 4),
        (str(data), 6),
    ]
    assert all(set(p) == {"file", "line", "field", "reason"} for p in problems)
    assert problems[0]["field"] == "handling.classification"
    assert "did you mean SECRET" in problems[0]["reason"]
    stats = run("--store", str(store), "stats", "--format", "json", cwd=tmp_path).json()
    assert (stats["entities"], stats["links"]) == (2, 1)


def test_ingest_errors_file_holds_every_problem(tmp_path: Path) -> None:
    count = 10_050
    data = tmp_path / "bad.jsonl"
    data.write_text("[]\n" * count + json.dumps(CASE[0]) + "\n", encoding="utf-8")
    errors = tmp_path / "errors.jsonl"
    result = run(
        "--store",
        str(tmp_path / "g.db"),
        "ingest",
        str(data),
        "--errors",
        str(errors),
        "--quiet",
        cwd=tmp_path,
    )
    assert result.code != 0
    assert result.out.strip().splitlines()[-1] == f"accepted 1, rejected {count}"
    assert len(result.err.strip().splitlines()) <= 60  # the terminal gets a summary
    lines = errors.read_text(encoding="utf-8").splitlines()
    assert len(lines) == count
    assert [json.loads(line)["line"] for line in lines] == list(range(1, count + 1))


def test_ingest_csv_with_a_mapping_and_sources(tmp_path: Path) -> None:
    (tmp_path / "sources.yaml").write_text(
        "sources:\n  cdr-ro:\n    country: RO\n    grading: {source: A, information: '1'}\n"
        "    handling: {classification: RESTRICTED, code: H2, originator: RO-DIICOT}\n",
        encoding="utf-8",
    )
    (tmp_path / "mapping.yaml").write_text(
        "source: cdr-ro\ntimezone: Europe/Bucharest\nrecord: '{id}'\n"
        "entities:\n  a: {type: Phone, id: '{a}'}\n  b: {type: Phone, id: '{b}'}\n"
        "links:\n  - {type: CALLED, from: a, to: b, properties: {date: '{when}'}}\n",
        encoding="utf-8",
    )
    (tmp_path / "calls.csv").write_text(
        "id,a,b,when\nr1,0721 234 567,0722 000 111,2024-01-15 10:00\nr2,0721 234 567,,\n",
        encoding="utf-8",
    )
    store = str(tmp_path / "g.db")
    result = run(
        "--store",
        store,
        "ingest",
        "calls.csv",
        "--mapping",
        "mapping.yaml",
        "--sources",
        "sources.yaml",
        "--quiet",
        cwd=tmp_path,
    )
    assert result.code == 1
    assert result.out.strip().splitlines()[-1] == "accepted 1, rejected 1"
    assert "calls.csv:3: entities.b.id: " in result.err
    (tmp_path / "principals.yaml").write_text(PRINCIPALS, encoding="utf-8")
    shown = run(
        "--store",
        store,
        "--principals",
        "principals.yaml",
        "link",
        "cdr-ro:r1:CALLED:a-b",
        "--as",
        "fr-analyst",
        "--format",
        "json",
        cwd=tmp_path,
    )
    assert shown.code == 0, shown.err
    link = shown.json()
    assert (link["from"], link["to"]) == ("phone:+40721234567", "phone:+40722000111")
    assert link["properties"]["date"] == "2024-01-15T08:00:00Z"
    assert link["handling"]["originator"] == "RO-DIICOT"


# -- stats ----------------------------------------------------------------------------------------


def test_stats(case: Case) -> None:
    text, as_json, by_principal, by_principal_text, as_fr = run_many(
        [
            case.argv("stats"),
            case.argv("stats", "--format", "json"),
            case.argv("stats", "--by-principal", "--format", "json"),
            case.argv("stats", "--by-principal"),
            case.argv("stats", "--as", "fr-analyst", "--format", "json"),
        ],
        case.root,
    )
    for result in (text, as_json, by_principal, by_principal_text, as_fr):
        assert result.code == 0, result.err
    assert "5 entities, 4 links, 4 entity records" in text.out
    counts = as_json.json()
    assert (counts["entities"], counts["links"], counts["records"]) == (5, 4, 4)
    assert counts["entitiesByType"] == {"Organization": 1, "Person": 3, "Phone": 1}
    assert counts["linksByType"] == {"CALLED": 1, "DIRECTOR_OF": 1, "MET": 1, "RELATED_TO": 1}
    assert counts["linksByClassification"] == {
        "UNCLASSIFIED": 1,
        "RESTRICTED": 1,
        "CONFIDENTIAL": 1,
        "SECRET": 1,
    }
    rows = {row["principal"]: row for row in by_principal.json()}
    assert {p: (r["entities"], r["links"]) for p, r in rows.items()} == {
        "fr-analyst": (5, 2),
        "be-analyst": (4, 2),  # not l-3: BE-PJF's own, but SECRET, over the analyst's clearance
        "supervisor": (5, 3),
        "auditor": (4, 1),
    }
    lines = by_principal_text.out.strip().splitlines()
    assert len(lines) == 5
    assert lines[1].split()[0] == "fr-analyst"
    assert lines[1].split()[-2:] == ["5", "2"]
    assert (as_fr.json()["entities"], as_fr.json()["links"]) == (5, 2)


# -- reading as a principal -----------------------------------------------------------------------

LINK_KEYS = {"id", "type", "from", "to", "properties", "provenance", "grading", "handling"}


def test_expand_prints_the_scoped_neighbourhood_as_json(case: Case) -> None:
    fr, be, two_hops, text, several, typed, since = run_many(
        [
            case.argv("expand", "p-2", "--hops", "1", "--as", "fr-analyst", "--format", "json"),
            case.argv("expand", "p-2", "--hops", "1", "--as", "be-analyst", "--format", "json"),
            case.argv("expand", "p-1", "--hops", "2", "--as", "fr-analyst", "--format", "json"),
            case.argv("expand", "p-2", "--as", "fr-analyst"),
            case.argv("expand", "p-3", "org-1", "--as", "be-analyst", "--format", "json"),
            case.argv(
                "expand", "p-2", "--types", "CALLED", "--as", "fr-analyst", "--format", "json"
            ),
            case.argv(
                "expand", "p-2", "--since", "2024-02-01", "--as", "fr-analyst", "--format", "json"
            ),
        ],
        case.root,
    )
    for result in (fr, be, two_hops, text, several, typed, since):
        assert result.code == 0, result.err
    # never l-2 (CONFIDENTIAL) nor l-3 (SECRET, even though BE-PJF originated it)
    assert {x["id"] for x in several.json()["links"]} == {"l-4"}
    assert sorted(n["id"] for n in several.json()["nodes"]) == ["org-1", "p-1", "p-3"]
    assert [x["id"] for x in typed.json()["links"]] == ["l-2"]
    assert [x["id"] for x in since.json()["links"]] == ["l-2"]
    graph = fr.json()
    assert set(graph) == {"nodes", "links", "truncated"}
    assert graph["truncated"] is False
    for node in graph["nodes"]:
        assert {"id", "type", "properties"} <= set(node)
    for link in graph["links"]:
        assert set(link) >= LINK_KEYS
        assert {"source", "record"} <= set(link["provenance"])
        assert set(link["grading"]) == {"source", "information"}
        assert {"classification", "releasableTo", "caveats", "code", "originator"} <= set(
            link["handling"]
        )
    assert sorted(n["id"] for n in graph["nodes"]) == ["p-1", "p-2", PHONE]
    assert sorted(x["id"] for x in graph["links"]) == ["l-1", "l-2"]
    call = next(x for x in graph["links"] if x["id"] == "l-2")
    assert (call["type"], call["from"], call["to"]) == ("CALLED", "p-2", PHONE)
    assert call["properties"] == {"date": "2024-03-01T08:00:00Z", "durationSeconds": 60}
    assert call["provenance"]["source"] == "cdr-fr"
    assert call["provenance"]["record"] == "rec-l-2"
    assert call["grading"] == {"source": "B", "information": "2"}
    assert call["handling"]["classification"] == "CONFIDENTIAL"
    assert call["handling"]["code"] == "H2"
    elena = next(n for n in graph["nodes"] if n["id"] == "p-2")
    assert elena["type"] == "Person"
    assert elena["properties"] == {"name": ["Elena Popescu"]}

    seen_by_be = be.json()
    assert sorted(n["id"] for n in seen_by_be["nodes"]) == ["p-1", "p-2"]
    assert sorted(x["id"] for x in seen_by_be["links"]) == ["l-1"]

    far = two_hops.json()
    assert sorted(n["id"] for n in far["nodes"]) == ["p-1", "p-2", PHONE]
    assert "org-1" not in {n["id"] for n in far["nodes"]}  # l-4 is not releasable to FR

    assert "l-1" in text.out and "l-2" in text.out and "l-3" not in text.out


def test_paths(case: Case) -> None:
    found, too_short, hidden, secret, text = run_many(
        [
            case.argv(
                "paths", "p-1", PHONE, "--max-hops", "2", "--as", "fr-analyst", "--format", "json"
            ),
            case.argv(
                "paths", "p-1", PHONE, "--max-hops", "1", "--as", "fr-analyst", "--format", "json"
            ),
            case.argv(
                "paths", "p-1", PHONE, "--max-hops", "3", "--as", "be-analyst", "--format", "json"
            ),
            case.argv(
                "paths", "p-1", "p-3", "--max-hops", "3", "--as", "supervisor", "--format", "json"
            ),
            case.argv("paths", "p-1", "p-3", "--max-hops", "3", "--as", "fr-analyst"),
        ],
        case.root,
    )
    for result in (found, too_short, hidden, secret, text):
        assert result.code == 0, result.err
    paths = found.json()["paths"]
    assert len(paths) == 1
    assert paths[0]["length"] == 2
    assert [n["id"] for n in paths[0]["nodes"]] == ["p-1", "p-2", PHONE]
    assert [x["id"] for x in paths[0]["links"]] == ["l-1", "l-2"]
    assert too_short.json() == {"paths": []}
    assert hidden.json() == {"paths": []}  # l-2 is CONFIDENTIAL, releasable to FR only
    assert [[x["id"] for x in p["links"]] for p in secret.json()["paths"]] == [["l-1", "l-3"]]
    assert "no path" in text.out  # l-3 is SECRET


def test_search_entity_and_link(case: Case) -> None:
    search, accents, by_phone, entity, link = run_many(
        [
            case.argv("search", "petrov", "--as", "fr-analyst", "--format", "json"),
            case.argv("search", "ÉLENA POPESCO", "--as", "fr-analyst", "--format", "json"),
            case.argv("search", "+40 721 234 567", "--as", "fr-analyst", "--format", "json"),
            case.argv("entity", "p-2", "--as", "fr-analyst", "--format", "json"),
            case.argv("link", "l-2", "--as", "fr-analyst", "--format", "json"),
        ],
        case.root,
    )
    for result in (search, accents, by_phone, entity, link):
        assert result.code == 0, result.err
    hits = search.json()
    assert hits[0]["entity"]["id"] == "p-1"
    assert hits[0]["score"] > 0
    assert accents.json()[0]["entity"]["id"] == "p-2"
    assert by_phone.json()[0]["entity"]["id"] == PHONE

    shown = entity.json()
    assert (shown["id"], shown["type"]) == ("p-2", "Person")
    assert shown["properties"] == {"name": ["Elena Popescu"]}
    assert {(s["property"], s["source"], s["record"]) for s in shown["statements"]} == {
        ("name", "registry-fr", "r-p-2")
    }
    assert sorted(x["id"] for x in shown["links"]) == ["l-1", "l-2"]

    detail = link.json()
    assert set(detail) >= LINK_KEYS
    assert (detail["from"], detail["to"]) == ("p-2", PHONE)
    assert detail["provenance"]["confidence"] == 0.9
    assert detail["handling"]["releasableTo"] == ["FR"]


def test_what_a_principal_may_not_see_is_not_found(case: Case) -> None:
    results = run_many(
        [
            case.argv("link", "l-3", "--as", "fr-analyst"),
            case.argv("entity", PHONE, "--as", "be-analyst"),
            case.argv("link", "l-99", "--as", "supervisor"),
        ],
        case.root,
    )
    for result in results:
        line = _one_line_error(result)
        assert "no " in line
    assert "l-3" in _one_line_error(results[0])


# -- errors ---------------------------------------------------------------------------------------


def test_errors_are_one_line_without_traceback(case: Case, tmp_path: Path) -> None:
    broken_schema = tmp_path / "schema"
    broken_schema.mkdir()
    for name in ("entities.yaml", "links.yaml", "handling.yaml"):
        text = (REPO / "schema" / name).read_text(encoding="utf-8")
        (broken_schema / name).write_text(text.replace("{type: phone}", "{type: fone}"), "utf-8")
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    (tmp_path / "m.yaml").write_text(
        "source: {name: s, handling: {classification: UNCLASSIFIED, code: H0, originator: FR-X}}\n"
        "entities:\n  p: {type: Person, id: '{pid}'}\n",
        encoding="utf-8",
    )
    (tmp_path / "rows.csv").write_text("id,name\np-1,Ana\n", encoding="utf-8")
    cases: list[tuple[list[str], str]] = [
        (case.argv("expand", "p-1", "--as", "nobody"), "nobody"),
        (["--store", str(tmp_path / "missing.db"), "stats"], "missing.db"),
        (
            [
                "--store",
                str(tmp_path / "missing.db"),
                "--principals",
                str(case.principals),
                "expand",
                "p-1",
                "--as",
                "fr-analyst",
            ],
            "missing.db",
        ),
        (case.argv("expand", "p-1", "--as", "fr-analyst", "--since", "last week"), "--since"),
        (
            case.argv("paths", "p-1", "p-2", "--as", "fr-analyst", "--until", "2024-13-01"),
            "--until",
        ),
        (case.argv("expand", "p-1", "--as", "fr-analyst", "--types", "MET,CALED"), "CALED"),
        (case.argv("expand", "p-1", "--as", "fr-analyst", "--hops", "99"), "--hops"),
        (case.argv("expand", "p-1", "--as", "fr-analyst", "--hops", "-1"), "--hops"),
        (case.argv("paths", "p-1", "p-2", "--as", "fr-analyst", "--max-hops", "99"), "--max-hops"),
        (
            [
                "--store",
                str(case.store),
                "--principals",
                str(tmp_path / "none.yaml"),
                "expand",
                "p-1",
                "--as",
                "fr-analyst",
            ],
            "none.yaml",
        ),
        (["--store", str(case.store), "--schema", str(broken_schema), "stats"], "fone"),
        (["--store", str(garbage), "stats"], "garbage.db"),
        (
            ["--store", str(tmp_path / "new.db"), "ingest", str(tmp_path / "nowhere.jsonl")],
            "nowhere.jsonl",
        ),
        (
            [
                "--store",
                str(tmp_path / "new2.db"),
                "ingest",
                str(tmp_path / "rows.csv"),
                "--mapping",
                str(tmp_path / "m.yaml"),
            ],
            "did you mean id",
        ),
        (["--store", str(tmp_path / "new3.db"), "ingest", str(tmp_path / "rows.csv")], "mapping"),
        (
            [
                "--store",
                str(tmp_path / "new4.db"),
                "ingest",
                str(tmp_path / "rows.csv"),
                "--batch-size",
                "0",
                "--mapping",
                str(tmp_path / "m.yaml"),
            ],
            "--batch-size",
        ),
    ]
    results = run_many([argv for argv, _ in cases], case.root)
    for (argv, words), result in zip(cases, results, strict=True):
        line = _one_line_error(result)
        assert words in line, (argv, line)
    assert not (tmp_path / "missing.db").exists()
