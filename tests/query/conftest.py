"""The small case of ``cases.py`` for the query tests, loaded once per session and backend (the
tests only read it; the seed case is in ``tests/conftest.py``)."""

from __future__ import annotations

import pytest

from graphsvc.store.protocol import GraphStore
from tests.conftest import Stores, loading
from tests.query.cases import small_records


@pytest.fixture(scope="module")
def small(backend: str, stores: Stores) -> GraphStore:
    return stores.shared(backend, "query-small", loading(small_records()))
