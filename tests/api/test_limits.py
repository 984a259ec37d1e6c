"""Limits: a request over any configured maximum gets LIMIT_EXCEEDED naming the limit, before
doing the work where the shape of the request shows it, and at the cap otherwise."""

from __future__ import annotations

import pytest

from graphsvc.api import Limits
from tests.api.conftest import Api, StartServer, demo_token

LEADER = "ocrteh:PER-0001"


@pytest.fixture
def small(start_server: StartServer) -> Api:
    return start_server(
        limits=Limits(
            max_hops=3,
            max_nodes=50,
            max_links=100,
            max_ids=3,
            max_paths=4,
            max_search=5,
            max_page=10,
            max_elements=60,
            max_depth=5,
            max_aliases=3,
            max_root_fields=4,
            max_body=2_000,
        )
    )


def over(api: Api, query: str, limit: str, field: str | None = None) -> str:
    body = api.gql(query)
    assert body["errors"], body
    error = body["errors"][0]
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED", error
    assert f"({limit})" in error["message"] or f"limit {limit}" in error["message"], error
    if field is not None:
        assert error["extensions"]["field"] == field
    message: str = error["message"]
    return message


@pytest.mark.parametrize(
    ("query", "limit", "field"),
    [
        ('{ expand(ids: ["L"], hops: 4) { truncated } }', "max_hops", "hops"),
        ('{ expand(ids: ["L"], limit: 51) { truncated } }', "max_nodes", "limit"),
        ('{ expand(ids: ["L"], maxLinks: 101) { truncated } }', "max_links", "maxLinks"),
        ('{ expand(ids: ["a", "b", "c", "d"]) { truncated } }', "max_ids", "ids"),
        ('{ subgraph(ids: ["a", "b", "c", "d"]) { truncated } }', "max_ids", "ids"),
        ('{ paths(from: "a", to: "b", maxHops: 4) { length } }', "max_hops", "maxHops"),
        ('{ paths(from: "a", to: "b", limit: 5) { length } }', "max_paths", "limit"),
        ('{ search(text: "x", limit: 6) { score } }', "max_search", "limit"),
        ('{ entity(id: "L") { links(first: 11) { nodes { id } } } }', "max_page", "first"),
    ],
)
def test_argument_limits(small: Api, query: str, limit: str, field: str) -> None:
    message = over(small, query.replace('"L"', f'"{LEADER}"'), limit, field)
    assert "is over the limit of" in message


def test_at_the_limit_is_allowed(small: Api) -> None:
    query = f'{{ expand(ids: ["{LEADER}"], hops: 3, limit: 50, maxLinks: 40) {{ truncated }} }}'
    assert small.data(query)["expand"]["truncated"]
    # omitted sizes take their defaults lowered to the limits (500 nodes -> 50 here)
    defaults = f'{{ expand(ids: ["{LEADER}"], hops: 3) {{ nodes {{ id }} }} }}'
    assert len(small.data(defaults)["expand"]["nodes"]) == 50


def test_depth_aliases_and_root_fields_are_refused_before_execution(small: Api) -> None:
    deep = '{ entity(id: "L") { links { nodes { from { links { nodes { id } } } } } } }'
    deep = deep.replace('"L"', f'"{LEADER}"')
    assert "nested 7 levels deep; at most 5" in over(small, deep, "max_depth")
    aliases = "{ a: me { id } b: me { id } c: me { id } d: me { id } }"
    assert "more than 3 aliases" in over(small, aliases, "max_aliases")
    roots = "{ me { id } stats { links } entityTypes { name } linkTypes { name } x: me { id } }"
    assert "5 top-level operations" in over(small, roots, "max_root_fields")
    fragments = (
        "query { ...A ... on Query { ...A } }"
        " fragment A on Query { me { id } stats { links } s: stats { entities } }"
    )
    assert "6 top-level operations" in over(small, fragments, "max_root_fields")
    # nothing ran, so nothing was consulted
    assert small.services.audit.entries() == []


def test_introspection_is_not_counted_as_depth(small: Api) -> None:
    query = "{ __schema { types { fields { type { ofType { ofType { ofType { name } } } } } } } }"
    assert small.data(query)["__schema"]["types"]


def test_the_response_size_cap_stops_nested_fan_out(small: Api) -> None:
    query = f'{{ expand(ids: ["{LEADER}"], hops: 3) {{ nodes {{ id }} links {{ id }} }} }}'
    message = over(small, query, "max_elements")
    assert "more than 60 entities and links" in message


def test_an_over_long_body_is_refused(small: Api) -> None:
    query = "{ me { id } }" + " " * 3_000
    response = small.post(query, token=demo_token("fr-analyst"))
    assert response.status_code == 413
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED"
    assert "max_body" in error["message"]


def test_limits_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPHSVC_MAX_HOPS", "3")
    monkeypatch.setenv("GRAPHSVC_MAX_ELEMENTS", "1_000")
    limits = Limits.from_env()
    assert (limits.max_hops, limits.max_elements, limits.max_depth) == (3, 1000, 12)
    monkeypatch.setenv("GRAPHSVC_MAX_DEPTH", "deep")
    with pytest.raises(Exception, match="GRAPHSVC_MAX_DEPTH must be a whole number"):
        Limits.from_env()
