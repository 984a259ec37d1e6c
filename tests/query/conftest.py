"""The small case of ``cases.py`` for the query tests, loaded once per session (the tests only
read it; the seed case is in ``tests/conftest.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from graphsvc.model.schema import Schema
from graphsvc.store.embedded import EmbeddedStore
from tests.conftest import load
from tests.query.cases import small_records


@pytest.fixture(scope="session")
def small(tmp_path_factory: pytest.TempPathFactory, schema: Schema) -> Iterator[EmbeddedStore]:
    with EmbeddedStore(tmp_path_factory.mktemp("small") / "graph.db", schema) as store:
        report = load(store, small_records())
        assert report.rejected == 0, report.problems
        yield store
