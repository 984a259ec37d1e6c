"""Helpers for the ingestion tests: files written to tmp_path, runs of the real ``Ingestor``
over them, and reading the store back as a principal who may see everything."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from graphsvc.ingest import Ingestor, IngestReport, Problem, SourceRegistry
from graphsvc.model.graph import Entity, Link
from graphsvc.model.schema import Schema
from graphsvc.policy import Scope
from graphsvc.store.protocol import GraphStore
from tests.conftest import scope_of

Line = dict[str, Any] | str | bytes


def write_jsonl(path: Path, lines: Iterable[Line], *, ending: bytes = b"\n") -> Path:
    """One line per item: dicts as JSON, str as UTF-8 text, bytes as they are."""
    chunks = []
    for line in lines:
        if isinstance(line, dict):
            chunks.append(json.dumps(line, ensure_ascii=False).encode("utf-8"))
        elif isinstance(line, str):
            chunks.append(line.encode("utf-8"))
        else:
            chunks.append(line)
    path.write_bytes(b"".join(chunk + ending for chunk in chunks))
    return path


def ingest(
    store: GraphStore,
    *paths: Path,
    registry: SourceRegistry | None = None,
    mapping: Path | None = None,
    source: str | None = None,
    batch_size: int = 5000,
) -> IngestReport:
    """One run of the real ingestor over ``paths`` (the way ``graphsvc ingest`` does it)."""
    ingestor = Ingestor(store, registry or SourceRegistry(), batch_size=batch_size)
    for path in paths:
        ingestor.ingest_path(path, mapping, source)
    return ingestor.finish()


def everyone(schema: Schema) -> Scope:
    """A principal who sees every record the tests write: SECRET, every caveat, in France, of
    the agency that originates the test records (an originator sees its own records)."""
    return scope_of(
        schema, agency="FR-OCRTEH", country="FR", caveats=["HUMINT", "FIU", "JIT", "UC"]
    )


def get_entity(store: GraphStore, entity_id: str) -> Entity:
    found = store.get_entity(everyone(store.schema), entity_id)
    assert found is not None, f"entity {entity_id!r} not stored"
    return found


def get_link(store: GraphStore, link_id: str) -> Link:
    found = store.get_link(everyone(store.schema), link_id)
    assert found is not None, f"link {link_id!r} not stored"
    return found


def data_version(db: Path) -> int:
    """The store's data version, read from the SQLite file by another connection."""
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()[0])
    finally:
        conn.close()


def problems_at(report: IngestReport, file: Path, line: int) -> list[Problem]:
    return [p for p in report.problems if p.file == str(file) and p.line == line]


def only_problem(report: IngestReport, file: Path, line: int) -> Problem:
    found = problems_at(report, file, line)
    assert found, f"no problem reported at {file}:{line}; problems: {report.problems}"
    return found[0]


def assert_every_problem_located(report: IngestReport) -> None:
    """Every problem names a file and a line, and gives a reason."""
    for problem in report.problems:
        assert problem.file
        assert isinstance(problem.line, int) and problem.line >= 1, problem
        assert problem.reason, problem


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """The SQLite file of the ``embedded_store`` fixture."""
    return tmp_path / "graph.db"
