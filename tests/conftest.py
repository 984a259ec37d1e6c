"""Shared fixtures: the schema, principals, stores on every backend, and a small builder for
native records so tests state only what they are about.

Backends. Every test that uses a store through the ``GraphStore`` protocol runs once per
backend: the module-scoped ``backend`` fixture is parametrised over ``embedded`` (SQLite files
in temporary directories) and ``neo4j``, and the store fixtures (``store``, ``loaded``,
``make_store``, ``seed_store``, datasets from ``Stores.shared``) hand out that backend's
store. The ``neo4j`` cases carry the ``neo4j`` mark and are skipped unless NEO4J_URI is set
(with NEO4J_USER, NEO4J_PASSWORD and NEO4J_DATABASE as ``graphsvc.config`` reads them).

THE NEO4J CASES ERASE THE DATABASE NEO4J_URI POINTS AT, again and again: there is one
database, so a fresh store is that database emptied (``erase_all``) with graphsvc's schema
applied, and a shared dataset (the seed case...) is loaded into it again whenever another test
erased it. On its first use in a session the suite refuses a database that holds data unless
GRAPHSVC_TEST_NEO4J_ERASE=1 says it may be erased: point NEO4J_URI at a throwaway server.
A session that erased it leaves it empty when it ends.
One database also means a test on neo4j has one store at a time: ``make_store`` opens the same
data again for the same path, and refuses a second path while a store of the first is open.

Embedded-only tests (SQLite internals, two different stores alive at once, private
attributes, the CLI's store file) take ``embedded_store`` or make an ``EmbeddedStore``
themselves, and are not parametrised.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

import pytest

from graphsvc.ingest import Ingestor, IngestReport, SourceRegistry
from graphsvc.model.graph import StoreStats
from graphsvc.model.schema import Schema
from graphsvc.policy import Principal, Principals, Scope
from graphsvc.store.embedded import EmbeddedStore
from graphsvc.store.protocol import GraphStore

if TYPE_CHECKING:
    from graphsvc.store.neo4j import Neo4jStore

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "seed"
TODAY = date(2025, 6, 1)

# -- backends -------------------------------------------------------------------------------------

NEO4J_SKIP = "NEO4J_URI is not set: the Neo4j contract cases need a Neo4j 5 server"
NEO4J_ERASE = "GRAPHSVC_TEST_NEO4J_ERASE"
BACKENDS = [
    pytest.param("embedded", id="embedded"),
    pytest.param("neo4j", id="neo4j", marks=pytest.mark.neo4j),
]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip the neo4j cases when NEO4J_URI is not set, before any of their fixtures is set up
    (from here, so that the summary reports them all on one line)."""
    callspec = getattr(item, "callspec", None)
    neo4j = callspec is not None and callspec.params.get("backend") == "neo4j"
    if neo4j and not os.environ.get("NEO4J_URI"):
        pytest.skip(NEO4J_SKIP)


Build = Callable[[GraphStore], None]
"""Loads a dataset into an empty store."""


class MakeStore(Protocol):
    """``make_store(path)``: a store of the test's backend, fresh for a path this test has not
    used, and the same data again for one it has (``create=False``: only that); ``schema``
    instead of the session's. The fixture closes every store it made when the test ends."""

    def __call__(
        self, path: Path, create: bool = True, *, schema: Schema | None = None
    ) -> GraphStore: ...


def load_seed(store: GraphStore) -> None:
    """The seed case (``seed/manifest.yaml``), loaded cleanly."""
    ingestor = Ingestor(store)
    ingestor.ingest_path(SEED / "manifest.yaml")
    report = ingestor.finish()
    assert (report.rejected, report.skipped) == (0, 0), report.problems[:5]
    assert report.accepted > 3000


def copy_file(source: Path, target: Path) -> Path:
    """A consistent copy of a SQLite store file, whatever its journal holds."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    return target


def current_test() -> str:
    """The node id of the test running now (pytest names it in PYTEST_CURRENT_TEST)."""
    return os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" ", 1)[0]


class Neo4jHandle:
    """A ``Neo4jStore`` as a test holds it: the connection to a shared ``dataset``, which loads
    the dataset again before any use when another test erased it (closing it does nothing), or
    a test's own store, which remembers being closed."""

    def __init__(
        self,
        database: Neo4jDatabase,
        store: Neo4jStore,
        dataset: tuple[str, Build] | None = None,
    ) -> None:
        self._database = database
        self._store = store
        self._dataset = dataset
        self.closed = False

    def __getattr__(self, name: str) -> Any:
        if self._dataset is not None:
            self._database.ensure(*self._dataset)
        return getattr(self._store, name)

    def close(self) -> None:
        if self._dataset is None and not self.closed:
            self.closed = True
            self._store.close()

    def __enter__(self) -> Neo4jHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Neo4jDatabase:
    """The one Neo4j database of the session (NEO4J_*) and what it holds now."""

    def __init__(self, schema: Schema) -> None:
        from graphsvc.config import Neo4jSettings

        self.settings = Neo4jSettings.from_env()
        self.schema = schema
        self.holds: str | None = None  # the shared dataset loaded, unchanged since
        self.private_to: str | None = None  # the test that made its own store in it last
        self._totals: StoreStats | None = None  # of the shared dataset, when loaded
        self._verified: str | None = None  # the last test that found them unchanged
        self._checked = False
        self._lock = threading.RLock()
        self._shared: Neo4jStore | None = None

    def connect(self, schema: Schema | None = None) -> Neo4jStore:
        from graphsvc.store.neo4j import Neo4jStore

        return Neo4jStore(self.settings, schema or self.schema)

    @property
    def shared(self) -> Neo4jStore:
        """The session's connection for shared datasets (closed at the end of the session)."""
        if self._shared is None:
            self._shared = self.connect()
        return self._shared

    def erase(self, store: Neo4jStore) -> None:
        """Empty the database and apply graphsvc's schema; on the first erase of the session,
        refuse a database holding data unless GRAPHSVC_TEST_NEO4J_ERASE=1."""
        if not self._checked:
            if not store.is_empty() and os.environ.get(NEO4J_ERASE) != "1":
                pytest.fail(
                    f"NEO4J_URI points at a database holding data ({self.settings.name}); the "
                    f"contract suite erases it; set {NEO4J_ERASE}=1 to allow",
                    pytrace=False,
                )
            self._checked = True
        self.holds = None
        store.erase_all()
        store.init_schema()

    def fresh(self, schema: Schema | None = None) -> Neo4jHandle:
        """The database emptied, as the running test's own store."""
        with self._lock:
            self.erase(self.shared)
            self.private_to = current_test()
        return self.reopen(schema)

    def reopen(self, schema: Schema | None = None) -> Neo4jHandle:
        """Another connection to what the database holds now, the running test's own."""
        return Neo4jHandle(self, self.connect(schema))

    def ensure(self, name: str, build: Build) -> None:
        """Load dataset ``name`` unless the database holds it already, unchanged (its totals
        are compared once per test: another process, a benchmark, may have replaced it)."""
        test = current_test()
        with self._lock:
            if self.holds == name and (
                self._verified == test or self.shared.totals() == self._totals
            ):
                self._verified = test
                return
            if self.private_to == test:
                pytest.fail(
                    f"this test made its own store and reads the shared dataset {name!r}: one "
                    "Neo4j database cannot hold both; keep the test embedded-only",
                    pytrace=False,
                )
            self.erase(self.shared)
            build(self.shared)
            self.holds, self._totals, self._verified = name, self.shared.totals(), test

    def dataset(self, name: str, build: Build) -> GraphStore:
        self.ensure(name, build)
        return cast(GraphStore, Neo4jHandle(self, self.shared, (name, build)))

    def take(self, name: str, build: Build) -> GraphStore:
        """Dataset ``name`` as the running test's own store, which it may change."""
        with self._lock:
            self.ensure(name, build)
            self.holds = None
            self.private_to = current_test()
        return cast(GraphStore, self.reopen())

    def close(self) -> None:
        """Leave the database empty if this session erased it (the next session finds it so),
        and close the shared connection."""
        if self._shared is not None:
            if self._checked:
                self.erase(self._shared)
            self._shared.close()


class Stores:
    """The stores of a session on every backend: datasets tests only read, built once, and
    the Neo4j database when a Neo4j case asks for it."""

    def __init__(self, schema: Schema, tmp: pytest.TempPathFactory) -> None:
        self.schema = schema
        self._tmp = tmp
        self._embedded: dict[str, EmbeddedStore] = {}
        self._neo4j: Neo4jDatabase | None = None

    @property
    def neo4j(self) -> Neo4jDatabase:
        if self._neo4j is None:
            self._neo4j = Neo4jDatabase(self.schema)
        return self._neo4j

    def shared(self, backend: str, name: str, build: Build, *, on_seed: bool = False) -> GraphStore:
        """Dataset ``name`` (``build`` loads it; ``on_seed``: over the seed case) for tests that
        only read it. Embedded: a store of its own, built once per session. Neo4j: the
        database, loaded with the dataset again whenever it holds something else."""
        if backend == "neo4j":
            if not on_seed:
                return self.neo4j.dataset(name, build)

            def seed_and_build(store: GraphStore) -> None:
                load_seed(store)
                build(store)

            return self.neo4j.dataset(name, seed_and_build)
        found = self._embedded.get(name)
        if found is None:
            path = self._tmp.mktemp(name) / "graph.db"
            if on_seed:
                copy_file(self.embedded_seed().path, path)
            found = EmbeddedStore(path, self.schema, create=not on_seed)
            build(found)
            self._embedded[name] = found
        return found

    def seed(self, backend: str) -> GraphStore:
        """The seed case, for tests that only read it."""
        return self.shared(backend, "seed", load_seed)

    def embedded_seed(self) -> EmbeddedStore:
        """The embedded store of the seed case (the one ``seed("embedded")`` gives)."""
        seed = self.seed("embedded")
        assert isinstance(seed, EmbeddedStore)
        return seed

    def seed_copy(self, backend: str, path: Path) -> GraphStore:
        """The seed case as a test's own store, which it may change (embedded: a copy at
        ``path``). The caller closes it."""
        if backend == "neo4j":
            return self.neo4j.take("seed", load_seed)
        return EmbeddedStore(copy_file(self.embedded_seed().path, path), self.schema, create=False)

    def close(self) -> None:
        for store in self._embedded.values():
            store.close()
        if self._neo4j is not None:
            self._neo4j.close()


class StoreFactory:
    """``make_store`` of one test. Embedded: a store file per path. Neo4j: the one database,
    erased for the first path and opened again (not erased) for the same path; another path
    is refused while a store of the first is open, and so is going back to an earlier one."""

    def __init__(self, backend: str, stores: Stores) -> None:
        self.backend = backend
        self.stores = stores
        self._made: list[EmbeddedStore | Neo4jHandle] = []
        self._handles: list[Neo4jHandle] = []
        self._path: Path | None = None
        self._paths: set[Path] = set()

    def __call__(
        self, path: Path, create: bool = True, *, schema: Schema | None = None
    ) -> GraphStore:
        if self.backend == "embedded":
            store = EmbeddedStore(path, schema or self.stores.schema, create=create)
            self._made.append(store)
            return store
        database = self.stores.neo4j
        if path == self._path:
            handle = database.reopen(schema)
        else:
            if self._path is not None and any(not h.closed for h in self._handles):
                pytest.fail(
                    f"a second store ({path.name}) while the one of {self._path.name} is open: "
                    "on neo4j a test has one database; keep this test embedded-only",
                    pytrace=False,
                )
            if path in self._paths:
                pytest.fail(
                    f"{path.name} opened again after another store: on neo4j its data is gone; "
                    "keep this test embedded-only",
                    pytrace=False,
                )
            if not create:
                pytest.fail(
                    f"create=False on neo4j opens only a store this test made ({path.name} is "
                    "not one); keep this test embedded-only",
                    pytrace=False,
                )
            handle = database.fresh(schema)
            self._path = path
            self._paths.add(path)
        self._made.append(handle)
        self._handles.append(handle)
        return cast(GraphStore, handle)

    def close(self) -> None:
        for store in reversed(self._made):
            store.close()


@pytest.fixture(scope="session")
def schema() -> Schema:
    return Schema.load(REPO / "schema")


@pytest.fixture(scope="session")
def stores(schema: Schema, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stores]:
    made = Stores(schema, tmp_path_factory)
    yield made
    made.close()


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The backend of every store a test gets (module-scoped: datasets and what modules compute
    from them are made once per module and backend)."""
    return cast(str, request.param)


@pytest.fixture
def make_store(backend: str, stores: Stores) -> Iterator[MakeStore]:
    factory = StoreFactory(backend, stores)
    yield factory
    factory.close()


@pytest.fixture
def store(make_store: MakeStore, tmp_path: Path) -> GraphStore:
    """A fresh, empty store of the test's backend."""
    return make_store(tmp_path / "graph.db")


@pytest.fixture
def embedded_store(tmp_path: Path, schema: Schema) -> Iterator[EmbeddedStore]:
    """A fresh embedded store (``tmp_path / "graph.db"``), for tests of its own details."""
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
    made: dict[str, Any] = {
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
        made["id"] = entity_id
    return made


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


def load(store: GraphStore, records: list[dict[str, Any]], **kwargs: Any) -> IngestReport:
    ingestor = Ingestor(store, SourceRegistry(), **kwargs)
    ingestor.ingest_records(records)
    return ingestor.finish()


def loading(records: list[dict[str, Any]]) -> Build:
    """A ``Build`` for ``Stores.shared``: ``records`` loaded, every one accepted."""

    def build(store: GraphStore) -> None:
        report = load(store, records)
        assert report.rejected == 0, report.problems

    return build


@pytest.fixture
def loaded(store: GraphStore) -> Callable[[list[dict[str, Any]]], GraphStore]:
    """``loaded(records)``: the test's store (of its backend) with ``records`` loaded."""

    def _load(records: list[dict[str, Any]]) -> GraphStore:
        report = load(store, records)
        assert report.rejected == 0, report.problems
        return store

    return _load


# -- the seed case, loaded once per backend (tests only read it) -----------------------------------


@pytest.fixture(scope="module")
def seed_store(backend: str, stores: Stores) -> GraphStore:
    return stores.seed(backend)


@pytest.fixture(scope="session")
def embedded_seed_store(stores: Stores) -> EmbeddedStore:
    """The embedded store of the seed case (``seed_store``'s on embedded), for embedded-only
    tests: they may read its file (copy it: it is open, in WAL mode), never write it."""
    return stores.embedded_seed()


@pytest.fixture(scope="session")
def seed_principals(schema: Schema) -> Principals:
    return Principals.load(SEED / "principals.yaml", schema.policy)


@pytest.fixture(scope="session")
def seed_scope(seed_principals: Principals, schema: Schema) -> Callable[[str], Scope]:
    """``seed_scope("fr-analyst")``: the scope of a seed principal."""

    def of(principal: str) -> Scope:
        return Scope.of(seed_principals.get(principal), schema.policy)

    return of
