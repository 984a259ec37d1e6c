"""mergeEntities, splitEntity, undoResolution and resolutions over HTTP, on a copy of the seed
case: provenance survives, links follow, undo restores exactly, each principal sees only their
share of a correction, refusals, roles and the audit log."""

from __future__ import annotations

from typing import Any

import pytest

from graphsvc.store.protocol import GraphStore
from tests.api.conftest import Api, StartServer

LEADER = "ocrteh:PER-0001"  # the French notes' record of Ștefan Lăzărescu
BELGIAN = "pjf:P-00021"  # the Belgian police record of the same man
BELGIAN_RECORD = {"source": "be-pjf", "record": "CH.43.L7.010091/24"}
FRENCH_RECORD = {"source": "analyst-fr", "record": "NOTE-2024-0001"}
COMPANY = "siren:433252236"
PHONES = ("phone:+33652178340", "phone:+33634712598")

HANDLING = "classification code"
RESOLUTION = f"""
  id kind by at reason entityType target entities movedRecords movedLinks undoes undoneBy
  records {{ source record from to handling {{ {HANDLING} }} }}
  links {{ link end from to handling {{ {HANDLING} }} }}
"""
MERGE = f"""mutation($ids: [ID!]!, $into: ID, $reason: String!) {{
  mergeEntities(ids: $ids, into: $into, reason: $reason) {{ {RESOLUTION} }}
}}"""
SPLIT = f"""mutation($id: ID!, $records: [RecordRefInput!]!, $links: [ID!], $newId: ID,
    $reason: String!) {{
  splitEntity(id: $id, records: $records, links: $links, newId: $newId, reason: $reason) {{
    {RESOLUTION}
  }}
}}"""
UNDO = f"""mutation($id: ID!, $reason: String!) {{
  undoResolution(id: $id, reason: $reason) {{ {RESOLUTION} }}
}}"""
LIST = f"""query($entity: ID, $limit: Int) {{
  resolutions(entity: $entity, limit: $limit) {{ {RESOLUTION} }}
}}"""
ENTITY = """query($id: ID!) {
  entity(id: $id) {
    id type label
    properties { name values { value source record observedAt derived } }
    records { provenance { source record method observedAt } grading { source information }
              handling { classification releasableTo caveats code originator } }
    links(first: 500) { nodes { id type fromId toId } }
  }
}"""
AUDIT = """query($operation: String) {
  auditLog(operation: $operation) { entries { principal operations entities links outcome } }
}"""


@pytest.fixture
def api(start_server: StartServer, writable_seed: GraphStore) -> Api:
    """A server on a copy of the seed store, so the shared one is never written."""
    return start_server(store=writable_seed)


def entity(api: Api, entity_id: str, as_: str = "fr-analyst") -> Any:
    body = api.gql(ENTITY, {"id": entity_id}, as_=as_)
    return body["data"]["entity"] if "errors" not in body else body["errors"][0]["extensions"]


def merge(api: Api, ids: list[str], into: str | None = None, as_: str = "fr-analyst") -> Any:
    variables = {"ids": ids, "into": into, "reason": "same man: birth date and place"}
    return api.data(MERGE, variables, as_=as_)["mergeEntities"]


def undo(api: Api, resolution: str, as_: str = "fr-analyst") -> Any:
    return api.data(UNDO, {"id": resolution, "reason": "wrong"}, as_=as_)["undoResolution"]


def error(api: Api, query: str, variables: dict[str, Any], as_: str = "fr-analyst") -> Any:
    found = api.error(query, variables, as_=as_)
    return found


def world(api: Api) -> Any:
    """What three principals read of the two records of the leader, and their counts."""
    return {
        who: (
            entity(api, LEADER, who),
            entity(api, BELGIAN, who),
            api.data("{ stats { entities links records } }", as_=who)["stats"],
            api.data('{ search(text: "stefan lazarescu") { entity { id } } }', as_=who),
        )
        for who in ("fr-analyst", "fr-supervisor", "be-analyst")
    }


def test_merge_shows_every_value_with_its_source_and_undo_restores_it(api: Api) -> None:
    before = world(api)
    links = {n["id"] for n in before["fr-analyst"][0]["links"]["nodes"]}
    links |= {n["id"] for n in before["fr-analyst"][1]["links"]["nodes"]}
    done = merge(api, [BELGIAN, LEADER])
    assert (done["kind"], done["target"], done["entities"], done["by"]) == (
        "MERGE",
        BELGIAN,
        [BELGIAN, LEADER],
        "fr-analyst",
    )
    assert done["records"] == [
        {
            **FRENCH_RECORD,
            "from": LEADER,
            "to": BELGIAN,
            "handling": {"classification": "CONFIDENTIAL", "code": "H2"},
        }
    ]
    merged = entity(api, BELGIAN)
    sources = {
        (v["value"], v["source"], v["record"])
        for p in merged["properties"]
        if p["name"] == "name"
        for v in p["values"]
    }
    assert sources == {
        ("LAZARESCU Stefan", *BELGIAN_RECORD.values()),
        ("Ștefan Lăzărescu", *FRENCH_RECORD.values()),
    }
    assert {(r["provenance"]["source"], r["provenance"]["record"]) for r in merged["records"]} == {
        tuple(BELGIAN_RECORD.values()),
        tuple(FRENCH_RECORD.values()),
    }
    assert {n["id"] for n in merged["links"]["nodes"]} == links
    assert all(BELGIAN in (n["fromId"], n["toId"]) for n in merged["links"]["nodes"])
    assert entity(api, LEADER) == {"code": "NOT_FOUND", "field": "id"}
    found = api.data('{ search(text: "stefan lazarescu") { entity { id } } }')["search"]
    assert LEADER not in {hit["entity"]["id"] for hit in found}
    expanded = api.data(
        "query($ids: [ID!]!) { expand(ids: $ids, hops: 1) { nodes { id } } }", {"ids": [LEADER]}
    )
    assert expanded["expand"]["nodes"] == []
    # what the supervisor sees moved: more links than the analyst did
    supervisor = api.data(LIST, {"entity": BELGIAN}, as_="fr-supervisor")["resolutions"]
    assert [r["id"] for r in supervisor] == [done["id"]]
    assert supervisor[0]["movedLinks"] > done["movedLinks"] == len(done["links"])
    # nothing moved is visible to Belgium: its analyst reads the same as before
    assert world(api)["be-analyst"] == before["be-analyst"]
    undone = undo(api, done["id"])
    assert (undone["kind"], undone["undoes"]) == ("UNDO", done["id"])
    assert world(api) == before
    again = api.data(LIST, {"entity": LEADER})["resolutions"]
    assert [(r["kind"], r["undoneBy"]) for r in again] == [("UNDO", None), ("MERGE", undone["id"])]


def test_split_then_undo(api: Api) -> None:
    before = world(api)
    done = merge(api, [LEADER, BELGIAN])
    belgian_links = [link["link"] for link in done["links"] if link["from"] == BELGIAN]
    split = api.data(
        SPLIT,
        {
            "id": LEADER,
            "records": [BELGIAN_RECORD],
            "links": belgian_links,
            "newId": "pjf:P-00021-again",
            "reason": "the Belgian file is his cousin",
        },
    )["splitEntity"]
    assert (split["kind"], split["target"], split["movedRecords"]) == (
        "SPLIT",
        "pjf:P-00021-again",
        1,
    )
    again = entity(api, "pjf:P-00021-again")
    assert {n["id"] for n in again["links"]["nodes"]} == set(belgian_links)
    assert {r["provenance"]["source"] for r in again["records"]} == {"be-pjf"}
    assert {r["provenance"]["source"] for r in entity(api, LEADER)["records"]} == {"analyst-fr"}
    undo(api, split["id"])
    undo(api, done["id"])
    assert world(api) == before


def test_refusals(api: Api) -> None:
    before = world(api)

    def refused(query: str, variables: dict[str, Any], as_: str = "fr-analyst") -> Any:
        found = error(api, query, variables, as_)
        return found["extensions"], found["message"]

    base = {"into": None, "reason": "r"}
    assert refused(MERGE, {**base, "ids": [LEADER, COMPANY]})[0] == {
        "code": "INVALID_INPUT",
        "field": "ids",
    }
    code, message = refused(MERGE, {**base, "ids": list(PHONES)})
    assert code == {"code": "INVALID_INPUT", "field": "ids"} and "normalised value" in message
    assert refused(MERGE, {**base, "ids": [LEADER]})[0]["code"] == "INVALID_INPUT"
    assert refused(MERGE, {**base, "ids": [LEADER, BELGIAN], "reason": " "})[0] == {
        "code": "INVALID_INPUT",
        "field": "reason",
    }
    # Belgium does not see the French record: it is exactly as if it did not exist
    hidden = refused(MERGE, {**base, "ids": [BELGIAN, LEADER]}, "be-analyst")
    missing = refused(MERGE, {**base, "ids": [BELGIAN, "ocrteh:PER-9999"]}, "be-analyst")
    assert hidden[0] == missing[0] == {"code": "NOT_FOUND", "field": "ids"}
    assert hidden[1].replace(LEADER, "ocrteh:PER-9999") == missing[1]
    assert refused(MERGE, {**base, "ids": [BELGIAN, LEADER]}, "auditor")[0] == {"code": "FORBIDDEN"}
    split = {"id": LEADER, "records": [FRENCH_RECORD], "links": [], "newId": None, "reason": "r"}
    assert refused(SPLIT, split)[0] == {"code": "INVALID_INPUT", "field": "records"}
    assert refused(SPLIT, {**split, "records": [BELGIAN_RECORD]})[0] == {
        "code": "NOT_FOUND",
        "field": "records",
    }
    assert refused(UNDO, {"id": "res-0000", "reason": "r"})[0] == {
        "code": "NOT_FOUND",
        "field": "id",
    }
    assert world(api) == before
    # undo: twice, by someone else, by an auditor
    done = merge(api, [LEADER, BELGIAN])
    assert refused(UNDO, {"id": done["id"], "reason": "r"}, "ro-analyst")[0] == {
        "code": "NOT_FOUND",
        "field": "id",
    }
    assert refused(UNDO, {"id": done["id"], "reason": "r"}, "auditor")[0] == {"code": "FORBIDDEN"}
    undo(api, done["id"], as_="fr-supervisor")  # supervisors undo anyone's
    assert refused(UNDO, {"id": done["id"], "reason": "r"})[0] == {
        "code": "CONFLICT",
        "field": "id",
    }
    assert world(api) == before


def test_who_reads_which_corrections(api: Api) -> None:
    done = merge(api, [BELGIAN, LEADER])
    assert [r["id"] for r in api.data(LIST)["resolutions"]] == [done["id"]]
    assert api.data(LIST, as_="be-analyst")["resolutions"] == []  # not theirs
    assert api.data(LIST, as_="ro-analyst")["resolutions"] == []
    # the auditor reads everyone's, but sees nothing of this one (nothing UNCLASSIFIED moved)
    assert api.data(LIST, as_="auditor")["resolutions"] == []
    supervisor = api.data(LIST, {"limit": 1}, as_="fr-supervisor")["resolutions"]
    assert len(supervisor) == 1 and supervisor[0]["reason"].startswith("same man")
    assert api.error(LIST, {"limit": 100_000})["extensions"]["code"] == "LIMIT_EXCEEDED"


def test_corrections_are_audited_with_what_they_moved(api: Api) -> None:
    done = merge(api, [BELGIAN, LEADER])
    api.error(MERGE, {"ids": [BELGIAN, LEADER], "into": None, "reason": "r"}, as_="auditor")
    api.data(LIST)
    entries = api.data(AUDIT, {"operation": "mergeEntities"}, as_="auditor")["auditLog"]["entries"]
    ok, forbidden = entries
    assert ok["principal"] == "fr-analyst" and ok["outcome"] == "OK"
    arguments = ok["operations"][0]["arguments"]
    assert arguments["resolution"] == done["id"]
    assert arguments["ids"] == [BELGIAN, LEADER]
    assert arguments["recordsMoved"] == 1
    assert arguments["linksMoved"] > done["movedLinks"]  # every link moved, seen or not
    assert set(ok["entities"]) == {BELGIAN, LEADER}
    assert set(ok["links"]) == {link["link"] for link in done["links"]}
    assert (forbidden["principal"], forbidden["outcome"]) == ("auditor", "FORBIDDEN")
    listed = api.data(AUDIT, {"operation": "resolutions"}, as_="auditor")["auditLog"]["entries"]
    assert listed[0]["entities"] == sorted({BELGIAN, LEADER})
