"""Shared fixtures: the schema, principals, real SQLite stores in temporary directories, and a
small builder for native records so tests state only what they are about."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from graphsvc.ingest import Ingestor, IngestReport, SourceRegistry
from graphsvc.model.schema import Schema
from graphsvc.policy import Principal, Principals, Scope
from graphsvc.store.embedded import EmbeddedStore

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "seed"
TODAY = date(2025, 6, 1)


@pytest.fixture(scope="session")
def schema() -> Schema:
    return Schema.load(REPO / "schema")


@pytest.fixture
def store(tmp_path: Path, schema: Schema) -> Iterator[EmbeddedStore]:
    with EmbeddedStore(tmp_path / "graph.db", schema) as s:
        yield s


def make_principal(**fields: Any) -> Principal:
    base: dict[str, Any] = {
        "id": "p",
        "agency": "FR-DCPJ",  # not the originator of the test records unless a test says so
        "country": "FR",
        "clearance": "SECRET",
        "caveats": [],
        "roles": ["analyst"],
    }
    base.update(fields)
    return Principal.model_validate(base)


def scope_of(schema: Schema, **fields: Any) -> Scope:
    return Scope.of(make_principal(**fields), schema.policy, today=TODAY)


OPEN_HANDLING = {
    "classification": "UNCLASSIFIED",
    "releasableTo": [],
    "caveats": [],
    "code": "H0",
    "originator": "FR-OCRTEH",
}

_ids = itertools.count(1)


def entity(
    entity_id: str | None,
    type_: str = "Person",
    handling: dict[str, Any] | None = None,
    record: str | None = None,
    **props: Any,
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "kind": "entity",
        "type": type_,
        "properties": props,
        "provenance": {
            "source": "test",
            "record": record or f"e-{entity_id or next(_ids)}",
            "ingestedAt": "2025-01-01T00:00:00Z",
        },
        "handling": {**OPEN_HANDLING, **(handling or {})},
    }
    if entity_id is not None:
        record["id"] = entity_id
    return record


def link(
    link_id: str,
    source: Any,
    target: Any,
    type_: str = "MET",
    handling: dict[str, Any] | None = None,
    confidence: float = 1.0,
    **props: Any,
) -> dict[str, Any]:
    return {
        "kind": "link",
        "id": link_id,
        "type": type_,
        "from": source,
        "to": target,
        "properties": props,
        "provenance": {
            "source": "test",
            "record": link_id,
            "confidence": confidence,
            "ingestedAt": "2025-01-01T00:00:00Z",
        },
        "grading": {"source": "B", "information": "2"},
        "handling": {**OPEN_HANDLING, **(handling or {})},
    }


def load(store: EmbeddedStore, records: list[dict[str, Any]], **kwargs: Any) -> IngestReport:
    ingestor = Ingestor(store, SourceRegistry(), **kwargs)
    ingestor.ingest_records(records)
    return ingestor.finish()


@pytest.fixture
def loaded(store: EmbeddedStore) -> Callable[[list[dict[str, Any]]], EmbeddedStore]:
    def _load(records: list[dict[str, Any]]) -> EmbeddedStore:
        report = load(store, records)
        assert report.rejected == 0, report.problems
        return store

    return _load


# -- the seed case, loaded once per session (tests only read it) ------------------------------


@pytest.fixture(scope="session")
def seed_store(tmp_path_factory: pytest.TempPathFactory, schema: Schema) -> Iterator[EmbeddedStore]:
    with EmbeddedStore(tmp_path_factory.mktemp("seed") / "graph.db", schema) as store:
        ingestor = Ingestor(store)
        ingestor.ingest_path(SEED / "manifest.yaml")
        report = ingestor.finish()
        assert (report.rejected, report.skipped) == (0, 0), report.problems[:5]
        yield store


@pytest.fixture(scope="session")
def seed_principals(schema: Schema) -> Principals:
    return Principals.load(SEED / "principals.yaml", schema.policy)


@pytest.fixture(scope="session")
def seed_scope(seed_principals: Principals, schema: Schema) -> Callable[[str], Scope]:
    """``seed_scope("fr-analyst")``: the scope of a seed principal."""

    def of(principal: str) -> Scope:
        return Scope.of(seed_principals.get(principal), schema.policy)

    return of
