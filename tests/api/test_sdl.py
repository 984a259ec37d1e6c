"""The committed SDL (schema/schema.graphql) is the contract clients code against: it must be
exactly what the server serves."""

from __future__ import annotations

import difflib

from graphsvc.api import sdl
from tests.api.conftest import Api, demo_token
from tests.conftest import REPO

COMMITTED = REPO / "schema" / "schema.graphql"
REGENERATE = (
    '.venv/bin/python -c "from graphsvc.api import sdl; import sys; sys.stdout.write(sdl())" '
    "> schema/schema.graphql"
)


def test_committed_sdl_matches_the_code() -> None:
    committed = COMMITTED.read_text(encoding="utf-8")
    current = sdl()
    diff = "".join(
        difflib.unified_diff(
            committed.splitlines(keepends=True),
            current.splitlines(keepends=True),
            "schema/schema.graphql (committed)",
            "the code's schema",
        )
    )
    assert not diff, f"the GraphQL schema drifted; review, then regenerate:\n  {REGENERATE}\n{diff}"


def test_server_serves_the_same_sdl(seed_api: Api) -> None:
    response = seed_api.http.get(
        f"{seed_api.url}/schema.graphql",
        headers={"Authorization": f"Bearer {demo_token('be-analyst')}"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/graphql")
    assert response.text == COMMITTED.read_text(encoding="utf-8")


def test_operations_named_by_the_contract_exist() -> None:
    text = sdl()
    for operation in (
        "me:",
        "entity(id: ID!)",
        "link(id: ID!)",
        "search(text: String!",
        "expand(ids: [ID!]!",
        "paths(from: ID!, to: ID!",
        "subgraph(ids: [ID!]!",
        "auditLog(",
    ):
        assert operation in text, operation
