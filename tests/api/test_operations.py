"""Every operation on the seed case, through a real server: what each principal gets, in the
API's shape, and errors that say what was wrong and never confirm hidden data."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, demo_token

LEADER = "ocrteh:PER-0001"
BROKER_PHONE = "phone:+33652178340"
BROKER_BE = "pjf:P-00001"
HUMINT_LINK = "ocrteh:HUMINT-0001"
EXPIRED_BE = "pjf:EVT-0004"

ENTITY = """
query($id: ID!, $first: Int!, $after: String) {
  entity(id: $id) {
    id type label sources
    properties { name values { value source record observedAt derived } }
    records { provenance { source record method } grading { source information }
              handling { classification code originator } }
    links(first: $first, after: $after) {
      nodes { id type fromId toId }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""

LINK = """
query($id: ID!) {
  link(id: $id) {
    id type directed properties fromId toId
    from { id label } to { id label }
    provenance { source record method ingestedAt observedAt confidence }
    grading { source information sourceMeaning informationMeaning }
    handling { classification releasableTo caveats code restricts originator retainUntil }
  }
}"""


def test_entity_values_each_name_their_source_record(seed_api: Api) -> None:
    entity = seed_api.data(ENTITY, {"id": LEADER, "first": 5})["entity"]
    assert (entity["id"], entity["type"]) == (LEADER, "Person")
    assert entity["label"] == "Ștefan Lăzărescu"
    names = {p["name"]: p["values"] for p in entity["properties"]}
    assert names["name"][0] == {
        "value": "Ștefan Lăzărescu",
        "source": "analyst-fr",
        "record": "NOTE-2024-0001",
        "observedAt": names["name"][0]["observedAt"],
        "derived": False,
    }
    assert entity["sources"] == sorted({r["provenance"]["source"] for r in entity["records"]})
    assert len(entity["links"]["nodes"]) == 5
    assert all(LEADER in (n["fromId"], n["toId"]) for n in entity["links"]["nodes"])


def test_a_selector_value_is_its_identity(seed_api: Api) -> None:
    entity = seed_api.data(ENTITY, {"id": BROKER_PHONE, "first": 1})["entity"]
    number = {p["name"]: p["values"] for p in entity["properties"]}["number"]
    assert number == [
        {"value": "+33652178340", "source": None, "record": None, "observedAt": None,
         "derived": True}
    ]  # fmt: skip


def test_entity_links_page_through_every_visible_link(seed_api: Api) -> None:
    seen: list[str] = []
    after = None
    for _ in range(100):
        page = seed_api.data(ENTITY, {"id": BROKER_PHONE, "first": 20, "after": after})
        links = page["entity"]["links"]
        seen += [n["id"] for n in links["nodes"]]
        if not links["pageInfo"]["hasNextPage"]:
            break
        after = links["pageInfo"]["endCursor"]
    everything = seed_api.data(ENTITY, {"id": BROKER_PHONE, "first": 500})["entity"]["links"]
    assert not everything["pageInfo"]["hasNextPage"]
    assert seen == [n["id"] for n in everything["nodes"]]
    assert len(seen) > 40 and seen == sorted(seen)


def test_hidden_and_missing_entities_are_the_same_not_found(seed_api: Api) -> None:
    hidden = seed_api.error(ENTITY, {"id": EXPIRED_BE, "first": 1}, as_="fr-supervisor")
    missing = seed_api.error(ENTITY, {"id": "pjf:EVT-9999", "first": 1}, as_="fr-supervisor")
    for error, ident in ((hidden, EXPIRED_BE), (missing, "pjf:EVT-9999")):
        assert error["extensions"] == {"code": "NOT_FOUND", "field": "id"}
        assert error["message"] == f"id: no entity '{ident}'"
        assert error["path"] == ["entity"]
    # its originator still sees it
    assert seed_api.data(ENTITY, {"id": EXPIRED_BE, "first": 1}, as_="be-analyst")["entity"]


def test_link_carries_provenance_grading_and_handling(seed_api: Api) -> None:
    link = seed_api.data(LINK, {"id": HUMINT_LINK}, as_="fr-supervisor")["link"]
    assert link["id"] == HUMINT_LINK
    assert link["handling"]["caveats"] == ["HUMINT"]
    assert link["handling"]["originator"] == "FR-OCRTEH"
    assert link["handling"]["classification"] == "SECRET"
    assert link["from"]["id"] == link["fromId"] and link["to"]["id"] == link["toId"]
    assert link["grading"]["source"] in "ABCX" and link["grading"]["sourceMeaning"]
    assert link["provenance"]["source"] and link["provenance"]["record"]
    hidden = seed_api.error(LINK, {"id": HUMINT_LINK}, as_="fr-analyst")
    missing = seed_api.error(LINK, {"id": "ocrteh:HUMINT-9999"}, as_="fr-analyst")
    assert hidden["extensions"]["code"] == missing["extensions"]["code"] == "NOT_FOUND"
    assert hidden["message"].replace("0001", "9999") == missing["message"]


def test_handling_code_says_what_it_restricts(seed_api: Api) -> None:
    query = "query($ids: [ID!]!) { expand(ids: $ids, hops: 2, limit: 300) {"
    query += " links { handling { code restricts } } } }"
    links = seed_api.data(query, {"ids": [LEADER]}, as_="fr-supervisor")["expand"]["links"]
    seen = {lk["handling"]["code"]: lk["handling"]["restricts"] for lk in links}
    assert seen.get("H0") == [] and seen.get("H3") == ["dissemination", "judicial"]


SEARCH = """query($text: String!, $types: [String!], $limit: Int!) {
  search(text: $text, types: $types, limit: $limit) { score matched entity { id type label } }
}"""


def test_search_tolerates_accents_case_and_typos(seed_api: Api) -> None:
    for text in ("Ștefan Lăzărescu", "stefan lazarescu", "STEFAN LAZARSCU"):
        hits = seed_api.data(SEARCH, {"text": text, "types": ["Person"], "limit": 5})["search"]
        best = [h["entity"]["id"] for h in hits if h["score"] == hits[0]["score"]]
        assert LEADER in best, (text, hits)  # with the bank's record of the same man
        assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
        assert all(h["entity"]["type"] == "Person" for h in hits)


def test_search_finds_selectors_written_any_usual_way(seed_api: Api) -> None:
    hits = seed_api.data(SEARCH, {"text": "06 52 17 83 40", "types": None, "limit": 3})["search"]
    assert hits[0]["entity"]["id"] == BROKER_PHONE


def test_search_validates_types_with_a_suggestion(seed_api: Api) -> None:
    error = seed_api.error(SEARCH, {"text": "x", "types": ["Persn"], "limit": 3})
    assert error["extensions"] == {"code": "INVALID_INPUT", "field": "types"}
    assert error["message"] == "types: unknown entity type 'Persn' — did you mean Person?"


EXPAND = """query($ids: [ID!]!, $hops: Int!, $types: [String!], $since: Instant, $until: Instant,
                 $limit: Int!) {
  expand(ids: $ids, hops: $hops, linkTypes: $types, since: $since, until: $until, limit: $limit)
  { truncated nodes { id type } links { id type fromId toId properties } }
}"""


def expand(api: Api, as_: str = "fr-analyst", **args: Any) -> Any:
    variables = {"ids": [LEADER], "hops": 1, "types": None, "since": None, "until": None,
                 "limit": 500} | args  # fmt: skip
    return api.data(EXPAND, variables, as_=as_)["expand"]


def test_expand_returns_a_closed_subgraph(seed_api: Api) -> None:
    sub = expand(seed_api, hops=2)
    ids = {n["id"] for n in sub["nodes"]}
    assert LEADER in ids and not sub["truncated"]
    assert all(lk["fromId"] in ids and lk["toId"] in ids for lk in sub["links"])


def test_expand_is_cut_by_its_limit_and_says_so(seed_api: Api) -> None:
    sub = expand(seed_api, hops=3, limit=10)
    assert len(sub["nodes"]) == 10 and sub["truncated"]


def test_expand_filters_by_type_and_time(seed_api: Api) -> None:
    sub = expand(seed_api, ids=[BROKER_PHONE], types=["CALLED"], since="2024-03-01",
                 until="2024-03-31")  # fmt: skip
    assert sub["links"]
    for link in sub["links"]:
        assert link["type"] == "CALLED"
        assert "2024-03-01" <= link["properties"]["date"][:10] <= "2024-03-31"


def test_what_each_principal_sees_differs(seed_api: Api) -> None:
    counts = {
        who: len(expand(seed_api, as_=who, ids=[BROKER_PHONE], hops=2, limit=5000)["links"])
        for who in ("fr-analyst", "fr-supervisor", "be-analyst", "auditor")
    }
    assert counts["fr-supervisor"] > counts["fr-analyst"] > counts["be-analyst"]
    assert counts["auditor"] < counts["fr-analyst"]


def test_bad_arguments_name_the_argument(seed_api: Api) -> None:
    error = seed_api.error(EXPAND, {"ids": [LEADER], "hops": 1, "types": ["CALLLED"],
                                    "limit": 10})  # fmt: skip
    assert error["extensions"] == {"code": "INVALID_INPUT", "field": "linkTypes"}
    assert "unknown link type 'CALLLED'" in error["message"]
    assert error["message"].endswith("did you mean CALLED?")
    body = seed_api.gql(EXPAND, {"ids": [LEADER], "hops": 1, "since": "2024-13-01", "limit": 1})
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert error["message"] == (
        "Variable '$since' has invalid value: '2024-13-01' is not a calendar date"
    )
    assert body["data"] is None


PATHS = """query($from: ID!, $to: ID!, $maxHops: Int!, $limit: Int!) {
  paths(from: $from, to: $to, maxHops: $maxHops, limit: $limit) {
    length nodes { id } links { id fromId toId } hops { id }
  }
}"""


def test_paths_shortest_first_and_connected(seed_api: Api) -> None:
    found = seed_api.data(PATHS, {"from": LEADER, "to": BROKER_BE, "maxHops": 4, "limit": 5})[
        "paths"
    ]
    assert found and len(found) <= 5
    lengths = [p["length"] for p in found]
    assert lengths == sorted(lengths)
    for path in found:
        nodes = [n["id"] for n in path["nodes"]]
        assert nodes[0] == LEADER and nodes[-1] == BROKER_BE
        assert len(path["hops"]) == path["length"] == len(nodes) - 1
        for step, hop in enumerate(path["hops"]):
            ends = {nodes[step], nodes[step + 1]}
            links = {lk["id"]: lk for lk in path["links"]}
            for link in hop:
                assert {links[link["id"]]["fromId"], links[link["id"]]["toId"]} == ends


def test_paths_through_hidden_data_are_not_there(seed_api: Api) -> None:
    none = seed_api.data(
        PATHS, {"from": LEADER, "to": EXPIRED_BE, "maxHops": 6, "limit": 3}, as_="fr-supervisor"
    )
    assert none == {"paths": []}
    assert seed_api.data(PATHS, {"from": LEADER, "to": "nobody", "maxHops": 2, "limit": 3}) == {
        "paths": []
    }


def test_subgraph_and_entities(seed_api: Api) -> None:
    sub = expand(seed_api, hops=1, limit=8)
    ids = [n["id"] for n in sub["nodes"]]
    again = seed_api.data(
        "query($ids: [ID!]!) { subgraph(ids: $ids) { truncated nodes { id } links { id } } }",
        {"ids": ids},
    )["subgraph"]
    assert sorted(n["id"] for n in again["nodes"]) == sorted(ids)
    assert {lk["id"] for lk in sub["links"]} <= {lk["id"] for lk in again["links"]}
    listed = seed_api.data(
        "query($ids: [ID!]!) { entities(ids: $ids) { id } }",
        {"ids": [ids[1], "nobody", EXPIRED_BE, ids[0], ids[1]]},
        as_="fr-supervisor",
    )["entities"]
    assert [e["id"] for e in listed] == [ids[1], ids[0]]


def test_stats_count_what_the_caller_sees(seed_api: Api) -> None:
    query = "{ stats { entities links records linksByClassification { key count } } }"
    analyst = seed_api.data(query)["stats"]
    supervisor = seed_api.data(query, as_="fr-supervisor")["stats"]
    assert supervisor["links"] > analyst["links"] > 0
    levels = {c["key"] for c in analyst["linksByClassification"]}
    assert "SECRET" not in levels and "SECRET" in {
        c["key"] for c in supervisor["linksByClassification"]
    }


def test_schema_vocabulary(seed_api: Api) -> None:
    data = seed_api.data(
        "{ entityTypes { name selectorPrefix properties { name type } }"
        " linkTypes { name directed fromTypes toTypes timeProperty } }"
    )
    entity_types = {t["name"]: t for t in data["entityTypes"]}
    assert entity_types["Phone"]["selectorPrefix"] == "phone"
    assert entity_types["Person"]["selectorPrefix"] is None
    called = {t["name"]: t for t in data["linkTypes"]}["CALLED"]
    assert called["directed"] and called["fromTypes"] == ["Phone", "Person"]
    assert called["timeProperty"] == "date"


def test_graphql_errors_have_the_same_shape(seed_api: Api) -> None:
    parse = seed_api.error("{ me { id }")
    assert parse["extensions"] == {"code": "GRAPHQL_PARSE_FAILED"}
    assert parse["locations"][0]["line"] == 1
    unknown = seed_api.error("{ me { id nickname } }")
    assert unknown["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert "nickname" in unknown["message"]


def test_only_queries_are_served(seed_api: Api) -> None:
    error = seed_api.error("mutation { me { id } }")
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_malformed_http_requests(seed_api: Api) -> None:
    headers = {"Authorization": "Bearer gsk_demo-fr-analyst_lys-noir-public-demo-token"}
    url = f"{seed_api.url}/graphql"
    cases = [
        (dict(content=b"{not json", headers=headers | {"Content-Type": "application/json"}),
         400, "not valid JSON"),
        (dict(json=[{"query": "{ me { id } }"}], headers=headers), 400, "JSON object"),
        (dict(json={"query": ""}, headers=headers), 400, "'query'"),
        (dict(json={"query": "{ me { id } }", "variables": [1]}, headers=headers), 400,
         "'variables'"),
        (dict(content=b"query { me { id } }", headers=headers | {"Content-Type": "text/plain"}),
         415, "JSON"),
    ]  # fmt: skip
    for kwargs, status, text in cases:
        response = seed_api.http.post(url, **kwargs)  # type: ignore[arg-type]
        assert response.status_code == status, (kwargs, response.text)
        (error,) = response.json()["errors"]
        assert text in error["message"]
        assert error["extensions"]["code"] in ("INVALID_INPUT",)
    missing = seed_api.http.get(f"{seed_api.url}/nowhere", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_answers_are_not_cached(seed_api: Api) -> None:
    response = seed_api.post("{ me { id } }", token=demo_token("fr-analyst"))
    assert response.headers["cache-control"] == "no-store"
