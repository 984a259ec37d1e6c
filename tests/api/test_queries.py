"""The DSL over a real server: runQuery, saved queries and their sharing, the caller's scope,
errors with their position, limits, and the audit trail of every run."""

from __future__ import annotations

from typing import Any

import pytest

from graphsvc.api.config import Limits
from graphsvc.store.protocol import GraphStore
from tests.api.conftest import Api, StartServer

RUN = """query($dsl: String!, $params: JSON) {
  runQuery(dsl: $dsl, params: $params) {
    parts count table { columns rows }
    nodes { entity { id } rank score community degree }
    links { id } hiddenLinks { from { id } to { id } score }
  }
}"""
RUN_SAVED = """query($name: String!, $params: JSON, $version: Int) {
  runSavedQuery(name: $name, params: $params, version: $version) { count table { rows } }
}"""
SAVE = """mutation($name: String!, $body: String!, $sharing: Sharing!) {
  saveQuery(name: $name, body: $body, sharing: $sharing, description: "test") {
    name qualifiedName version owner agency sharing parameters { name type required default }
  }
}"""
GET = """query($name: String!) {
  savedQuery(name: $name) { name version body versions { version body } }
}"""
LEADER = "ocrteh:PER-0001"
LAZARESCU = 'find Person where name ~ "lazarescu" | return table id'


@pytest.fixture
def api(start_server: StartServer, writable_seed: GraphStore) -> Api:
    """A server on a private copy of the seed store: saving queries writes to it."""
    return start_server(store=writable_seed)


def ids_of(table: dict[str, Any]) -> list[str]:
    return [row[0] for row in table["rows"]]


def test_run_query_answers_in_the_callers_scope(api: Api) -> None:
    french = api.data(RUN, {"dsl": LAZARESCU}, as_="fr-analyst")["runQuery"]
    belgian = api.data(RUN, {"dsl": LAZARESCU}, as_="be-analyst")["runQuery"]
    assert ids_of(french["table"]) == [
        "bank-fr:20041-00000001",
        "diicot:P-00020",
        "ocrteh:PER-0001",
        "pjf:P-00021",
        "rne:PP-000045",
    ]
    assert ids_of(belgian["table"]) == ["pjf:P-00021", "rne:PP-000045"]


def test_rank_and_hidden_links_through_the_api(api: Api) -> None:
    dsl = f'find where id = "{LEADER}" | expand 2 | rank pagerank top 3'
    nodes = api.data(RUN, {"dsl": dsl})["runQuery"]["nodes"]
    assert [n["rank"] for n in nodes] == [1, 2, 3]
    assert nodes[0]["score"] >= nodes[1]["score"] >= nodes[2]["score"]
    dsl = f'find where id = "{LEADER}" | hidden-links top 1 | return hidden-links'
    pairs = api.data(RUN, {"dsl": dsl})["runQuery"]["hiddenLinks"]
    assert [(p["from"]["id"], p["to"]["id"]) for p in pairs] == [(LEADER, "rne:PP-000023")]


def test_a_syntax_error_points_at_line_and_column(api: Api) -> None:
    error = api.error(RUN, {"dsl": "find Person\n| expand 1 via CALLLED"})
    assert error["extensions"]["code"] == "INVALID_QUERY"
    assert (error["extensions"]["line"], error["extensions"]["column"]) == (2, 16)
    assert "did you mean CALLED?" in error["message"]
    assert error["extensions"]["excerpt"].endswith("^")


def test_params_are_typed_and_required(api: Api) -> None:
    dsl = "param hops: integer\nfind Person | expand $hops"
    error = api.error(RUN, {"dsl": dsl, "params": {"hops": "two"}})
    assert error["extensions"] == {"code": "INVALID_QUERY", "field": "params.hops"}
    error = api.error(RUN, {"dsl": dsl})
    assert "required" in error["message"]


def test_limits_apply_inside_queries(start_server: StartServer) -> None:
    api = start_server(limits=Limits(max_hops=2, max_nodes=10))
    error = api.error(RUN, {"dsl": f'find where id = "{LEADER}" | expand 3'})
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED"
    error = api.error(RUN, {"dsl": "find Person"})
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED"
    assert "max_nodes" in error["message"]


def test_saved_query_runs_in_the_callers_scope_never_the_owners(api: Api) -> None:
    body = "param name: string\nfind Person where name ~ $name | return table id"
    saved = api.data(SAVE, {"name": "by-name", "body": body, "sharing": "EVERYONE"})
    assert saved["saveQuery"]["parameters"] == [
        {"name": "name", "type": "string", "required": True, "default": None}
    ]
    params = {"name": "lazarescu"}
    run = api.data(RUN_SAVED, {"name": "fr-analyst/by-name", "params": params}, as_="be-analyst")
    assert ids_of(run["runSavedQuery"]["table"]) == ["pjf:P-00021", "rne:PP-000045"]


def test_private_and_agency_queries_are_not_found_by_others(api: Api) -> None:
    api.data(SAVE, {"name": "mine", "body": LAZARESCU, "sharing": "PRIVATE"})
    api.data(SAVE, {"name": "ours", "body": LAZARESCU, "sharing": "AGENCY"})
    for name in ("mine", "ours"):
        error = api.error(GET, {"name": name}, as_="be-analyst")
        assert error["extensions"]["code"] == "NOT_FOUND"
    assert api.data(GET, {"name": "fr-analyst/ours"}, as_="fr-supervisor")["savedQuery"]
    error = api.error(GET, {"name": "fr-analyst/mine"}, as_="fr-supervisor")
    assert error["extensions"]["code"] == "NOT_FOUND"
    listed = api.data("{ savedQueries { qualifiedName } }", as_="be-analyst")["savedQueries"]
    assert not {"fr-analyst/mine", "fr-analyst/ours"} & {q["qualifiedName"] for q in listed}


def test_saving_again_keeps_the_old_version(api: Api) -> None:
    api.data(SAVE, {"name": "q", "body": "find Person | return count", "sharing": "PRIVATE"})
    second = api.data(SAVE, {"name": "q", "body": LAZARESCU, "sharing": "PRIVATE"})
    assert second["saveQuery"]["version"] == 2
    got = api.data(GET, {"name": "q"})["savedQuery"]
    assert [v["version"] for v in got["versions"]] == [1, 2]
    old = api.data(RUN_SAVED, {"name": "q", "version": 1})["runSavedQuery"]
    assert old["table"] is None and old["count"] > 5


def test_a_saved_query_must_declare_its_parameters(api: Api) -> None:
    body = "find Person where name ~ $name"
    error = api.error(SAVE, {"name": "bad", "body": body, "sharing": "PRIVATE"})
    assert error["extensions"]["code"] == "INVALID_QUERY"
    assert "$name is not declared" in error["message"]


def test_only_the_owner_deletes(api: Api) -> None:
    api.data(SAVE, {"name": "shared", "body": LAZARESCU, "sharing": "AGENCY"})
    delete = "mutation($n: String!) { deleteSavedQuery(name: $n) { version } }"
    error = api.error(delete, {"n": "fr-analyst/shared"}, as_="fr-supervisor")
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert api.data(delete, {"n": "shared"})["deleteSavedQuery"]["version"] == 1
    assert api.error(GET, {"name": "shared"})["extensions"]["code"] == "NOT_FOUND"


def test_every_run_is_audited_with_text_params_and_ids(api: Api) -> None:
    api.data(RUN, {"dsl": LAZARESCU + ", label"})
    audit = """{ auditLog(operation: "runQuery") { entries { operations entities } } }"""
    entries = api.data(audit, as_="auditor")["auditLog"]["entries"]
    last = entries[-1]
    assert last["operations"][0]["arguments"]["dsl"] == LAZARESCU + ", label"
    assert "ocrteh:PER-0001" in last["entities"]
