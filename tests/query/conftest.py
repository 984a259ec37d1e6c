"""Stores for the query tests: the seed case and the small case of ``cases.py``, each loaded
once per session (the tests only read them)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from graphsvc.ingest import Ingestor
from graphsvc.model.schema import Schema
from graphsvc.policy import Principals, Scope
from graphsvc.store.embedded import EmbeddedStore
from tests.conftest import SEED, load
from tests.query.cases import small_records


@pytest.fixture(scope="session")
def small(tmp_path_factory: pytest.TempPathFactory, schema: Schema) -> Iterator[EmbeddedStore]:
    with EmbeddedStore(tmp_path_factory.mktemp("small") / "graph.db", schema) as store:
        report = load(store, small_records())
        assert report.rejected == 0, report.problems
        yield store


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
