"""Every consultation through the API lands in the audit log before its answer is sent: who,
when, what was asked, why, and which entities and links came back. Only auditors read it."""

from __future__ import annotations

import itertools
from typing import Any

from tests.api.conftest import Api, StartServer, demo_token

LEADER = "ocrteh:PER-0001"
EXPAND = """query($ids: [ID!]!) {
  expand(ids: $ids, hops: 1, linkTypes: ["CALLED", "USES", "MET"], since: "2024-01-01") {
    nodes { id } links { id }
  }
}"""
AUDIT = """query($principal: ID, $operation: String, $first: Int, $after: String) {
  auditLog(principal: $principal, operation: $operation, first: $first, after: $after) {
    entries { seq at principal agency authentication operations justification entities links
              outcome client previousHash hash }
    pageInfo { hasNextPage endCursor }
  }
}"""


def test_a_consultation_is_logged_with_what_it_returned(seed_api: Api) -> None:
    answer = seed_api.data(
        EXPAND, {"ids": [LEADER]}, as_="fr-analyst", justification="PV 2024/117, juge Martin"
    )["expand"]
    (entry,) = seed_api.services.audit.entries()
    assert (entry.principal, entry.agency, entry.auth) == (
        "fr-analyst",
        "FR-OCRTEH",
        "api-key:demo-fr-analyst",
    )
    assert entry.justification == "PV 2024/117, juge Martin"
    assert entry.operations == (
        {
            "name": "expand",
            "arguments": {
                "ids": [LEADER],
                "hops": 1,
                "linkTypes": ["CALLED", "USES", "MET"],
                "since": "2024-01-01",
            },
        },
    )
    assert list(entry.entities) == sorted(n["id"] for n in answer["nodes"])
    assert list(entry.links) == sorted(lk["id"] for lk in answer["links"])
    assert entry.outcome == "OK" and entry.client == "127.0.0.1"


def test_only_what_the_client_selected_counts_as_returned(seed_api: Api) -> None:
    seed_api.data("query($ids: [ID!]!) { expand(ids: $ids) { nodes { id } } }", {"ids": [LEADER]})
    (entry,) = seed_api.services.audit.entries()
    assert entry.entities and entry.links == ()


def test_failures_are_logged_with_their_codes(seed_api: Api) -> None:
    seed_api.gql('{ entity(id: "nobody") { id } me { id } }', as_="be-analyst")
    (entry,) = seed_api.services.audit.entries()
    assert entry.outcome == "NOT_FOUND"
    assert [op["name"] for op in entry.operations] == ["entity", "me"]


def test_requests_that_ran_nothing_are_not_consultations(seed_api: Api) -> None:
    seed_api.gql("{ me { id } nope }")
    seed_api.gql("{ __schema { queryType { name } } entityTypes { name } }")
    assert seed_api.services.audit.entries() == []


def audit_page(api: Api, as_: str = "auditor", **variables: Any) -> Any:
    return api.gql(AUDIT, variables, as_=as_)


def test_auditors_read_the_log_and_nobody_else(seed_api: Api) -> None:
    for who in ("fr-analyst", "be-analyst", "fr-analyst"):
        seed_api.data("{ me { id } }", as_=who, justification=f"check {who}")
    denied = audit_page(seed_api, as_="fr-supervisor")
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert denied["data"] is None

    body = audit_page(seed_api, principal="fr-analyst")
    assert "errors" not in body
    entries = body["data"]["auditLog"]["entries"]
    assert [e["principal"] for e in entries] == ["fr-analyst", "fr-analyst"]
    assert entries[0]["justification"] == "check fr-analyst"
    assert entries[0]["operations"] == [{"name": "me", "arguments": {}}]
    # the supervisor's refused attempt is in the log too
    refused = audit_page(seed_api, principal="fr-supervisor")["data"]["auditLog"]["entries"]
    assert [e["outcome"] for e in refused] == ["FORBIDDEN"]
    assert refused[0]["operations"][0]["name"] == "auditLog"


def test_audit_log_pages_and_filters_by_operation(seed_api: Api) -> None:
    for _ in range(5):
        seed_api.data("{ me { id } }")
    seed_api.data(EXPAND, {"ids": [LEADER]})
    seen, after = [], None
    while True:
        page = audit_page(seed_api, operation="me", first=2, after=after)["data"]["auditLog"]
        seen += [e["seq"] for e in page["entries"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [1, 2, 3, 4, 5]
    expands = audit_page(seed_api, operation="expand")["data"]["auditLog"]["entries"]
    assert [e["seq"] for e in expands] == [6]
    chain = audit_page(seed_api, first=50)["data"]["auditLog"]["entries"]
    for before, after_entry in itertools.pairwise(chain):
        assert after_entry["previousHash"] == before["hash"]
    assert seed_api.services.audit.verify().ok


def test_justification_can_be_required(start_server: StartServer) -> None:
    api = start_server(require_justification=True)
    body = api.gql("{ me { id } }", justification=None)
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "JUSTIFICATION_REQUIRED"
    assert "X-Justification" in error["message"]
    assert api.data("{ me { id } }", justification="enquête   2024/117")["me"]["id"]
    refused, allowed = api.services.audit.entries()
    assert (refused.outcome, refused.justification) == ("JUSTIFICATION_REQUIRED", None)
    assert (allowed.outcome, allowed.justification) == ("OK", "enquête 2024/117")
    # the schema's own vocabulary is not a consultation and needs no reason
    assert api.data("{ linkTypes { name } }", justification=None)["linkTypes"]


def test_an_over_long_justification_is_refused(seed_api: Api) -> None:
    response = seed_api.post(
        "{ me { id } }", token=demo_token("fr-analyst"), justification="x" * 2001
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


def test_no_answer_leaves_without_its_audit_entry(seed_api: Api) -> None:
    seed_api.services.audit.close()  # the log can no longer be written
    response = seed_api.post(EXPAND, {"ids": [LEADER]}, token=demo_token("fr-analyst"))
    assert response.status_code == 503
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "AUDIT_UNAVAILABLE"
    health = seed_api.http.get(f"{seed_api.url}/healthz")
    assert health.status_code == 503 and health.json()["audit"].startswith("unavailable")
