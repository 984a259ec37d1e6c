"""Choosing the backend on the command line, ``db init`` and ``migrate``, run for real in
subprocesses. Neo4j cannot run here, so its paths are tested where they fail: a missing or
unreachable ``NEO4J_URI`` is one line on stderr and exit status 2, never a traceback."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.test_cli import CASE, COMMAND, Result, _one_line_error, write_jsonl

UNREACHABLE = "bolt://127.0.0.1:1"  # nothing listens on port 1


def run(*args: str, cwd: Path, **env: str) -> Result:
    """The command with no GRAPHSVC_* or NEO4J_* from this environment, and ``env`` added."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GRAPHSVC_", "NEO4J_"))} | env
    done = subprocess.run(
        [*COMMAND, *args], cwd=cwd, env=clean, capture_output=True, text=True, timeout=120
    )
    return Result(done.returncode, done.stdout, done.stderr)


def data_version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()[0])


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An embedded store holding the small case of ``test_cli`` (tests only read it)."""
    root = tmp_path_factory.mktemp("loaded")
    store = root / "source.db"
    data = write_jsonl(root / "case.jsonl", CASE)
    result = run("--store", str(store), "ingest", str(data), "--quiet", cwd=root)
    assert result.code == 0, result.err
    return store


# -- choosing the backend ----------------------------------------------------------------------


def test_help_says_neo4j_settings_come_from_the_environment(tmp_path: Path) -> None:
    result = run("--help", cwd=tmp_path)
    assert result.code == 0
    text = " ".join(result.out.split())
    assert "--backend {embedded,neo4j}" in text
    for variable in ("GRAPHSVC_BACKEND", "NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD"):
        assert variable in text
    assert "NEO4J_DATABASE (these four from the environment only)" in text


@pytest.mark.parametrize(
    ("args", "env"),
    [(["--backend", "neo4j", "stats"], {}), (["stats"], {"GRAPHSVC_BACKEND": "neo4j"})],
    ids=["flag", "environment"],
)
def test_neo4j_without_an_address_is_a_one_line_error_naming_neo4j_uri(
    tmp_path: Path, args: list[str], env: dict[str, str]
) -> None:
    result = run(*args, cwd=tmp_path, **env)
    assert result.code == 2
    assert "NEO4J_URI" in _one_line_error(result)


@pytest.mark.parametrize(
    "args",
    [
        ["stats"],
        ["db", "init"],
        ["search", "--as", "fr-analyst", "Petrov"],
        ["ingest", "case.jsonl"],
        ["query", "--as", "fr-analyst", "find Person"],
        ["export", "--as", "fr-analyst", "--format", "gexf", "--all"],
    ],
    ids=lambda args: args[0] + ("-" + args[1] if args[0] == "db" else ""),
)
def test_an_unreachable_neo4j_is_a_one_line_error(tmp_path: Path, args: list[str]) -> None:
    write_jsonl(tmp_path / "case.jsonl", CASE)
    result = run("--backend", "neo4j", *args, cwd=tmp_path, NEO4J_URI=UNREACHABLE)
    assert result.code == 2
    line = _one_line_error(result)
    assert f"cannot reach Neo4j at {UNREACHABLE}" in line
    assert not (tmp_path / "data").exists()  # no embedded store made on the side


def test_an_unknown_backend_is_a_clear_error(tmp_path: Path) -> None:
    flag = run("--backend", "mongo", "stats", cwd=tmp_path)
    assert flag.code == 2
    assert "argument --backend: invalid choice: 'mongo'" in flag.err
    assert "Traceback" not in flag.err
    env = run("stats", cwd=tmp_path, GRAPHSVC_BACKEND="mongo")
    assert env.code == 2
    line = _one_line_error(env)
    assert "GRAPHSVC_BACKEND" in line and "unknown backend 'mongo'" in line
    assert "embedded, neo4j" in line


def test_the_flag_wins_over_the_environment(loaded: Path, tmp_path: Path) -> None:
    result = run(
        "--backend", "embedded", "--store", str(loaded), "stats", cwd=tmp_path,
        GRAPHSVC_BACKEND="neo4j",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.out.startswith(f"store {loaded}: ")


# -- db init -----------------------------------------------------------------------------------


def test_db_init_creates_the_embedded_store_once(tmp_path: Path) -> None:
    store = tmp_path / "fresh" / "graph.db"
    first = run("--store", str(store), "db", "init", cwd=tmp_path)
    assert first.code == 0, first.err
    assert first.out == f"embedded store {store}: created\n"
    assert store.exists()
    again = run("--store", str(store), "db", "init", cwd=tmp_path)
    assert again.code == 0, again.err
    assert again.out == f"embedded store {store}: already there, layout up to date\n"
    stats = run("--store", str(store), "stats", "--format", "json", cwd=tmp_path)
    assert stats.code == 0, stats.err
    assert '"entities": 0' in stats.out


def test_db_init_leaves_a_loaded_store_alone(loaded: Path, tmp_path: Path) -> None:
    before = data_version(loaded)
    stats = run("--store", str(loaded), "stats", "--format", "json", cwd=tmp_path)
    result = run("--store", str(loaded), "db", "init", cwd=tmp_path)
    assert result.code == 0, result.err
    assert "already there" in result.out
    assert data_version(loaded) == before
    assert run("--store", str(loaded), "stats", "--format", "json", cwd=tmp_path).out == stats.out


def test_db_init_on_a_file_that_is_not_a_store_is_a_one_line_error(tmp_path: Path) -> None:
    junk = tmp_path / "notes.db"
    junk.write_text("not a database\n", encoding="utf-8")
    result = run("--store", str(junk), "db", "init", cwd=tmp_path)
    assert result.code == 2
    assert "cannot open the store" in _one_line_error(result)


# -- migrate -----------------------------------------------------------------------------------


def test_migrate_between_embedded_stores_is_verified_and_can_run_again(
    loaded: Path, tmp_path: Path
) -> None:
    target = tmp_path / "copy" / "graph.db"
    result = run("migrate", "--from", str(loaded), "--to", str(target), cwd=tmp_path)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    units = len(CASE)  # one unit per record of the case
    assert lines[0] == f"{units} units (entity records and links) from {loaded}: " + (
        f"{units} accepted, 0 refused"
    )
    assert lines[-1] == f"verified: {target} holds the same counts and saved queries as {loaded}"
    assert result.err.startswith(f"migrating {loaded} -> {target}: {units} units\n")

    def stats(path: Path) -> str:
        return run("--store", str(path), "stats", "--format", "json", cwd=tmp_path).out

    assert stats(target) == stats(loaded)
    for principal in ("fr-analyst", "be-analyst"):
        mine = run("--store", str(loaded), "entity", "--as", principal, "p-2", cwd=tmp_path)
        theirs = run("--store", str(target), "entity", "--as", principal, "p-2", cwd=tmp_path)
        assert theirs.out == mine.out and theirs.code == mine.code

    version = data_version(target)
    again = run(
        "migrate", "--from", str(loaded), "--to", str(target), "--batch-size", "2", cwd=tmp_path
    )
    assert again.code == 0, again.err
    assert again.out.splitlines()[-1].startswith("verified: ")
    assert data_version(target) == version


def test_migrate_to_an_unreachable_neo4j_is_a_one_line_error(loaded: Path, tmp_path: Path) -> None:
    result = run("migrate", "--from", str(loaded), "--to", UNREACHABLE, cwd=tmp_path)
    assert result.code == 2
    assert f"cannot reach Neo4j at {UNREACHABLE}" in _one_line_error(result)


def test_migrate_refuses_what_it_cannot_use(loaded: Path, tmp_path: Path) -> None:
    scheme = run("migrate", "--from", str(loaded), "--to", "http://db:7474", cwd=tmp_path)
    assert scheme.code == 2
    assert "--to: 'http://db:7474' is not a Neo4j address" in _one_line_error(scheme)

    itself = run("migrate", "--from", str(loaded), "--to", str(loaded), cwd=tmp_path)
    assert itself.code == 2
    assert "both the source and the target" in _one_line_error(itself)

    missing = tmp_path / "missing.db"
    absent = run("migrate", "--from", str(missing), "--to", str(tmp_path / "t.db"), cwd=tmp_path)
    assert absent.code == 2
    assert f"no store at {missing}" in _one_line_error(absent)
    assert not (tmp_path / "t.db").exists()

    batch = run(
        "migrate", "--from", str(loaded), "--to", str(tmp_path / "t.db"), "--batch-size", "0",
        cwd=tmp_path,
    )  # fmt: skip
    assert batch.code == 2
    assert "--batch-size: must be at least 1" in _one_line_error(batch)
