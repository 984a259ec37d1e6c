"""A real server on loopback for API tests: uvicorn runs the app in a thread on a free port,
and tests speak HTTP to it with httpx. The seed case is loaded once per session and backend.

``start_server`` makes a server with any configuration (limits, JWT, justification rule) on
the seed case of the module's backend (or on a store given); ``seed_api`` is the shared one on
the seed case, with JWT HS256 enabled; ``writable_seed`` is a private copy of the seed case.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import jwt as pyjwt
import pytest
import uvicorn
from starlette.applications import Starlette

from graphsvc.api import Authenticator, JwtConfig, Limits, Services, create_app
from graphsvc.ingest import Ingestor
from graphsvc.model.schema import Schema
from graphsvc.policy.audit import AuditLog
from graphsvc.store.embedded import EmbeddedStore
from graphsvc.store.protocol import GraphStore
from tests.conftest import REPO, SEED, Stores, copy_file

JWT_SECRET = "test-secret-of-at-least-thirty-two-bytes!"
JWT_AUDIENCE = "graphsvc-tests"


def demo_token(principal_id: str) -> str:
    """The published demo key of a seed principal (bench/casegen.py, README)."""
    return f"gsk_demo-{principal_id}_lys-noir-public-demo-token"


def make_jwt(claims: dict[str, Any], *, key: str = JWT_SECRET, algorithm: str = "HS256") -> str:
    base = {"aud": JWT_AUDIENCE, "exp": int(time.time()) + 300}
    return pyjwt.encode({**base, **claims}, key, algorithm=algorithm)


@contextmanager
def serve(app: Starlette) -> Iterator[str]:
    """Run ``app`` under uvicorn on a free loopback port; yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # asyncio sets TCP_NODELAY only on sockets it made itself: without it every kept-alive
    # answer waits ~40 ms for the client's delayed ACK
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@dataclass
class Api:
    """A running server and a client for it."""

    url: str
    services: Services
    principals_path: Path
    http: httpx.Client = field(repr=False)

    def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        justification: str | None = None,
    ) -> httpx.Response:
        headers: dict[str, str | bytes] = {}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if justification is not None:
            headers["X-Justification"] = justification.encode("utf-8")
        return self.http.post(
            f"{self.url}/graphql", json={"query": query, "variables": variables}, headers=headers
        )

    def gql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        as_: str = "fr-analyst",
        token: str | None = None,
        justification: str | None = "test",
    ) -> dict[str, Any]:
        """The JSON answer of a GraphQL request (HTTP 200 asserted), as a seed principal."""
        response = self.post(
            query, variables, token=token or demo_token(as_), justification=justification
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def data(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> Any:
        """The ``data`` of an answer that must have no errors."""
        body = self.gql(query, variables, **kw)
        assert "errors" not in body, body["errors"]
        return body["data"]

    def error(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> Any:
        """The single error of an answer that must have one."""
        body = self.gql(query, variables, **kw)
        assert len(body.get("errors", [])) == 1, body
        return body["errors"][0]


@pytest.fixture(scope="session")
def api_schema() -> Schema:
    return Schema.load(REPO / "schema")


@pytest.fixture(scope="session")
def seed_db(tmp_path_factory: pytest.TempPathFactory, api_schema: Schema) -> Path:
    """The embedded store file of the seed case for the servers (closed: copy it at will)."""
    path = tmp_path_factory.mktemp("seed-api") / "graph.db"
    with EmbeddedStore(path, api_schema) as store:
        ingestor = Ingestor(store)
        ingestor.ingest_path(SEED / "manifest.yaml")
        report = ingestor.finish()
    assert (report.rejected, report.skipped) == (0, 0), report.problems[:5]
    return path


StartServer = Callable[..., Api]


@pytest.fixture
def start_server(
    tmp_path_factory: pytest.TempPathFactory,
    api_schema: Schema,
    backend: str,
    stores: Stores,
    request: pytest.FixtureRequest,
) -> Iterator[StartServer]:
    """Start servers on the seed case (a copy of its principals file, a fresh audit log), or
    on ``store``; each server closes its store when the test ends."""
    stack: list[tuple[Any, GraphStore, AuditLog, httpx.Client]] = []

    def seed() -> GraphStore:
        if backend == "neo4j":
            return stores.seed(backend)  # the shared connection: closing it does nothing
        path: Path = request.getfixturevalue("seed_db")
        return EmbeddedStore(path, api_schema, create=False)

    def start(
        *,
        limits: Limits | None = None,
        jwt: JwtConfig | None = None,
        require_justification: bool = False,
        today: date | None = None,
        store: GraphStore | None = None,
    ) -> Api:
        root = tmp_path_factory.mktemp("api")
        principals = root / "principals.yaml"
        shutil.copy(SEED / "principals.yaml", principals)
        the_store = store or seed()
        audit = AuditLog(root / "audit.db")
        services = Services(the_store, audit, limits or Limits(), require_justification)
        app = create_app(services, Authenticator(principals, api_schema.policy, jwt), today=today)
        running = serve(app)
        url = running.__enter__()
        http = httpx.Client(timeout=60)
        stack.append((running, the_store, audit, http))
        return Api(url, services, principals, http)

    yield start
    for running, the_store, audit, http in reversed(stack):
        http.close()
        running.__exit__(None, None, None)
        audit.close()
        the_store.close()


@pytest.fixture
def writable_seed(
    backend: str, stores: Stores, tmp_path: Path, api_schema: Schema, request: pytest.FixtureRequest
) -> GraphStore:
    """A private copy of the seed case, which the test may change (give it to ``start_server``,
    which closes it)."""
    if backend == "neo4j":
        return stores.seed_copy(backend, tmp_path / "graph.db")
    seed_db: Path = request.getfixturevalue("seed_db")
    return EmbeddedStore(copy_file(seed_db, tmp_path / "graph.db"), api_schema, create=False)


HS256 = JwtConfig(key=JWT_SECRET, algorithm="HS256", audience=JWT_AUDIENCE)


@pytest.fixture
def seed_api(start_server: StartServer) -> Api:
    return start_server(jwt=HS256)
