"""assessLink on a copy of the seed case: attribution, the handling floor, refusals and audit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graphsvc.model.schema import HandlingPolicy, Schema
from graphsvc.store.protocol import GraphStore
from tests.api.conftest import Api, StartServer
from tests.conftest import MakeStore, entity, link, load

LEADER = "ocrteh:PER-0001"
PARTNER = "rne:PP-000023"  # shares the leader's home address
LIEUTENANT = "ocrteh:PER-0006"
HUMINT_LINK = "ocrteh:HUMINT-0001"  # leader and lieutenant: SECRET, HUMINT, fr-supervisor only
EXPIRED_BE = "pjf:EVT-0004"  # past its retention: only its Belgian originator sees it
ACCOUNT_HOLDERS = ("bank-fr:20041-00000007", "bank-fr:20041-00000008")  # joined by H1 links only

HANDLING = "classification releasableTo caveats code restricts originator retainUntil"
LINK = f"""
  id type fromId toId directed properties
  provenance {{ source record method ingestedAt observedAt confidence note }}
  grading {{ source information }}
  handling {{ {HANDLING} }}
"""
ASSESS = f"""mutation($from: ID!, $to: ID!, $type: String!, $note: String!, $confidence: Float!,
    $grading: GradingInput, $handling: HandlingInput, $properties: JSON) {{
  assessLink(from: $from, to: $to, type: $type, note: $note, confidence: $confidence,
             grading: $grading, handling: $handling, properties: $properties) {{
    {LINK} from {{ id }} to {{ id }}
  }}
}}"""
GET = f"query($id: ID!) {{ link(id: $id) {{ {LINK} }} }}"
EVIDENCE = f"""query($from: ID!, $to: ID!) {{
  paths(from: $from, to: $to, maxHops: 3, limit: 20) {{ links {{ id handling {{ {HANDLING} }} }} }}
}}"""
AUDIT = """query($operation: String) {
  auditLog(operation: $operation) { entries { principal operations entities links outcome } }
}"""
BASE: dict[str, Any] = {
    "from": LEADER,
    "to": PARTNER,
    "type": "RELATED_TO",
    "note": "same home address (ban:94028_1259_00130) in the registry and in our notes",
    "confidence": 0.7,
    "grading": None,
    "handling": None,
    "properties": None,
}


@pytest.fixture
def fresh(start_server: StartServer, writable_seed: GraphStore) -> Api:
    """A server on a copy of the seed store, so the shared one is never written."""
    return start_server(store=writable_seed)


def assess(api: Api, as_: str = "fr-analyst", **args: Any) -> Any:
    return api.data(ASSESS, BASE | args, as_=as_)["assessLink"]


def refused(api: Api, code: str, field: str | None, as_: str = "fr-analyst", **args: Any) -> Any:
    """The error of an assessment that must fail, having written nothing."""
    before = links_seen(api, "fr-supervisor")
    error = api.error(ASSESS, BASE | args, as_=as_)
    expected = {"code": code} if field is None else {"code": code, "field": field}
    assert error["extensions"] == expected, error
    assert error["path"] == ["assessLink"]
    assert links_seen(api, "fr-supervisor") == before
    return error


def links_seen(api: Api, as_: str = "fr-analyst") -> int:
    count: int = api.data("{ stats { links } }", as_=as_)["stats"]["links"]
    return count


def fetch(api: Api, link_id: str, as_: str) -> Any:
    body = api.gql(GET, {"id": link_id}, as_=as_)
    if "errors" in body:
        (error,) = body["errors"]
        assert error["extensions"] == {"code": "NOT_FOUND", "field": "id"}, error
        return None
    return body["data"]["link"]


def joining(api: Api, a: str, b: str, link_type: str, as_: str = "fr-analyst") -> list[str]:
    query = """query($ids: [ID!]!, $types: [String!]) {
      subgraph(ids: $ids, linkTypes: $types) { links { id fromId toId } } }"""
    found = api.data(query, {"ids": [a, b], "types": [link_type]}, as_=as_)["subgraph"]["links"]
    return sorted(lk["id"] for lk in found if {lk["fromId"], lk["toId"]} == {a, b})


def floor(evidence: list[dict[str, Any]], policy: HandlingPolicy, agency: str) -> dict[str, Any]:
    """The handling an assessment from this evidence must have at least, worked out here from
    the README's rule: the highest classification, every caveat, the readers every piece is
    releasable to (the assessing agency alone when they have none in common), the least
    restrictive code that still restricts every use a piece restricts, the earliest retention."""
    level = max((h["classification"] for h in evidence), key=policy.levels.index)
    lists = [set(h["releasableTo"]) for h in evidence if h["releasableTo"]]
    readers = sorted(set.intersection(*lists) or {agency}) if lists else []
    uses = {use for h in evidence for use in h["restricts"]}
    codes = [c for c, spec in policy.codes.items() if uses <= spec.restricts]
    retention = [h["retainUntil"] for h in evidence if h["retainUntil"]]
    code = min(codes, key=lambda c: len(policy.codes[c].restricts))
    return {
        "classification": level,
        "releasableTo": readers,
        "caveats": sorted({c for h in evidence for c in h["caveats"]}),
        "code": code,
        "restricts": sorted(policy.codes[code].restricts),
        "originator": agency,
        "retainUntil": min(retention) if retention else None,
    }


def evidence_of(api: Api, a: str, b: str, as_: str = "fr-analyst") -> list[dict[str, Any]]:
    paths = api.data(EVIDENCE, {"from": a, "to": b}, as_=as_)["paths"]
    assert paths, "the pair is joined"
    return list({lk["id"]: lk["handling"] for p in paths for lk in p["links"]}.values())


# -- the happy path --------------------------------------------------------------------------------


def test_an_assessment_is_an_attributable_link(
    fresh: Api, api_schema: Schema, start_server: StartServer, backend: str
) -> None:
    policy = api_schema.policy
    evidence = evidence_of(fresh, LEADER, PARTNER)
    before = {who: links_seen(fresh, who) for who in ("fr-analyst", "be-analyst")}
    candidates = "query($ids: [ID!]) { hiddenLinks(ids: $ids, top: 50) { links { to { id } } } }"
    was = fresh.data(candidates, {"ids": [LEADER]})["hiddenLinks"]["links"]
    assert PARTNER in {c["to"]["id"] for c in was}

    made = assess(fresh, note="  same home address  ")
    assert made["id"].startswith("assessed:")
    assert (made["type"], made["fromId"], made["toId"], made["directed"]) == (
        "RELATED_TO", LEADER, PARTNER, False,
    )  # fmt: skip
    assert (made["from"]["id"], made["to"]["id"]) == (LEADER, PARTNER)
    assert made["properties"] == {}
    provenance = made["provenance"]
    assert provenance["method"] == "analyst"
    assert provenance["source"] == "analyst:fr-analyst"
    assert provenance["record"] == made["id"]
    assert provenance["note"] == "same home address"
    assert provenance["confidence"] == 0.7
    assert provenance["observedAt"] and provenance["ingestedAt"]
    # the most cautious grades of the policy's scale by default
    assert made["grading"] == {
        "source": list(policy.source_grades)[-1],
        "information": list(policy.information_grades)[-1],
    }
    assert made["grading"] == {"source": "X", "information": "4"}
    # the handling is the floor of the evidence joining the pair, originated by the analyst
    highest = max((h["classification"] for h in evidence), key=policy.levels.index)
    assert made["handling"]["classification"] == highest == "CONFIDENTIAL"
    assert made["handling"] == floor(evidence, policy, "FR-OCRTEH")
    assert made["handling"]["releasableTo"] == ["FR"]

    # readable as any link by those it is releasable to, and by nobody else
    assert fetch(fresh, made["id"], "fr-analyst") == {
        k: v for k, v in made.items() if k not in ("from", "to")
    }
    assert fetch(fresh, made["id"], "fr-supervisor") is not None
    for outsider in ("be-analyst", "ro-analyst", "auditor"):
        assert fetch(fresh, made["id"], outsider) is None, outsider
    assert links_seen(fresh, "fr-analyst") == before["fr-analyst"] + 1
    assert links_seen(fresh, "be-analyst") == before["be-analyst"]
    # the pair is now linked, so no longer a candidate
    assert joining(fresh, LEADER, PARTNER, "RELATED_TO") == [made["id"]]
    now = fresh.data(candidates, {"ids": [LEADER]})["hiddenLinks"]["links"]
    assert PARTNER not in {c["to"]["id"] for c in now}
    if backend == "embedded":  # on neo4j the copy is the one database: no other to look at
        # the shared seed store was not written
        assert fetch(start_server(), made["id"], "fr-analyst") is None


def test_assessing_again_updates_the_assessment(fresh: Api) -> None:
    before = links_seen(fresh)
    first = assess(fresh)
    again = assess(fresh, note="confirmed by the lease", confidence=0.9)
    assert again["id"] == first["id"]
    stored = fetch(fresh, first["id"], "fr-analyst")
    assert stored["provenance"]["note"] == "confirmed by the lease"
    assert stored["provenance"]["confidence"] == 0.9
    assert links_seen(fresh) == before + 1
    assert joining(fresh, LEADER, PARTNER, "RELATED_TO") == [first["id"]]
    # another type is another assessment, and so is another analyst's
    other = assess(fresh, type="MET")
    theirs = assess(fresh, as_="fr-supervisor")
    assert len({first["id"], other["id"], theirs["id"]}) == 3
    assert theirs["provenance"]["source"] == "analyst:fr-supervisor"
    assert links_seen(fresh) == before + 3


def test_swapped_ends_of_an_undirected_link_are_the_same_pair(fresh: Api) -> None:
    first = assess(fresh)
    again = assess(fresh, **{"from": PARTNER, "to": LEADER, "note": "the same, reversed"})
    assert again["id"] == first["id"]
    assert joining(fresh, LEADER, PARTNER, "RELATED_TO") == [first["id"]]


def test_reassessing_can_return_to_the_evidence_floor(fresh: Api, api_schema: Schema) -> None:
    evidence = evidence_of(fresh, LEADER, PARTNER)
    strict = {"classification": "CONFIDENTIAL", "releasableTo": ["FR"], "code": "H3"}
    assert assess(fresh, handling=strict)["handling"]["code"] == "H3"
    again = assess(fresh, note="on reflection, the usual handling")
    assert again["handling"] == floor(evidence, api_schema.policy, "FR-OCRTEH")


# -- the handling ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"classification": "CONFIDENTIAL", "releasableTo": ["FR"], "code": "H3"},
         {"code": "H3", "restricts": ["dissemination", "judicial"]}),
        ({"classification": "CONFIDENTIAL", "releasableTo": [" fr "], "code": "H2",
          "retainUntil": "2030-01-01"},
         {"releasableTo": ["FR"], "retainUntil": "2030-01-01"}),
        ({"classification": "CONFIDENTIAL", "releasableTo": ["FR"], "code": "H2",
          "caveats": ["FIU"]},
         {"caveats": ["FIU"]}),
    ],
)  # fmt: skip
def test_a_stricter_handling_is_kept(
    fresh: Api, given: dict[str, Any], expected: dict[str, Any]
) -> None:
    as_ = "fr-supervisor" if given.get("caveats") else "fr-analyst"
    made = assess(fresh, as_=as_, handling=given)
    assert made["handling"]["originator"] == "FR-OCRTEH"  # always the caller's agency
    for key, value in expected.items():
        assert made["handling"][key] == value, key
    assert fetch(fresh, made["id"], as_)["handling"] == made["handling"]


def test_a_supervisors_assessment_keeps_the_human_sources_handling(
    fresh: Api, api_schema: Schema
) -> None:
    evidence = evidence_of(fresh, LEADER, LIEUTENANT, as_="fr-supervisor")
    assert "HUMINT" in {c for h in evidence for c in h["caveats"]}
    analyst_links = links_seen(fresh, "fr-analyst")
    made = assess(fresh, as_="fr-supervisor", to=LIEUTENANT, note="the source says so")
    handling = made["handling"]
    assert handling == floor(evidence, api_schema.policy, "FR-OCRTEH")
    assert (handling["classification"], handling["caveats"]) == ("SECRET", ["HUMINT"])
    assert handling["code"] == "H3" and handling["releasableTo"] == ["FR"]
    # a conclusion drawn from the human source is hidden from whom the source is hidden
    assert fetch(fresh, made["id"], "fr-analyst") is None
    assert links_seen(fresh, "fr-analyst") == analyst_links
    # the analyst's own assessment of the pair rests on what they see: no HUMINT in it
    own = assess(fresh, to=LIEUTENANT, note="they met at the salon")
    assert own["handling"]["caveats"] == [] and own["handling"]["classification"] != "SECRET"
    assert own["handling"] == floor(
        evidence_of(fresh, LEADER, LIEUTENANT), api_schema.policy, "FR-OCRTEH"
    )


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ({"classification": "RESTRICTED", "releasableTo": ["FR"], "code": "H2"},
         "classification: the evidence is CONFIDENTIAL"),
        ({"classification": "CONFIDENTIAL", "code": "H2"}, "releasableTo"),
        ({"classification": "CONFIDENTIAL", "releasableTo": ["FR", "BE"], "code": "H2"},
         "releasableTo"),
        ({"classification": "CONFIDENTIAL", "releasableTo": ["FR"], "code": "H0"},
         "code: the evidence is handled under H2"),
        ({"classification": "CONFIDENTIAL", "releasableTo": ["FR"], "code": "H1"}, "code"),
    ],
)  # fmt: skip
def test_a_looser_handling_is_refused(fresh: Api, given: dict[str, Any], says: str) -> None:
    error = refused(fresh, "INVALID_INPUT", "handling", handling=given)
    assert error["message"].startswith("handling: looser than the evidence joining the pair: ")
    assert says in error["message"]


@pytest.mark.parametrize(
    "given",
    [
        {"classification": "SECRET", "releasableTo": ["FR"], "code": "H2"},
        {"classification": "CONFIDENTIAL", "releasableTo": ["FR"], "code": "H2",
         "caveats": ["HUMINT"]},
    ],
)  # fmt: skip
def test_a_handling_the_analyst_could_not_read_is_refused(
    fresh: Api, given: dict[str, Any]
) -> None:
    error = refused(fresh, "INVALID_INPUT", "handling", handling=given)
    assert "you could not read a link with this handling yourself" in error["message"]


def test_a_code_restricting_other_uses_is_looser(fresh: Api, api_schema: Schema) -> None:
    evidence = evidence_of(fresh, *ACCOUNT_HOLDERS)
    assert {h["code"] for h in evidence} == {"H1"}
    bare = floor(evidence, api_schema.policy, "FR-OCRTEH")
    given = {k: bare[k] for k in ("classification", "releasableTo", "caveats")} | {"code": "H2"}
    args = {"from": ACCOUNT_HOLDERS[0], "to": ACCOUNT_HOLDERS[1]}
    error = fresh.error(ASSESS, BASE | args | {"handling": given})
    assert error["extensions"] == {"code": "INVALID_INPUT", "field": "handling"}


@pytest.fixture
def mixed_codes(start_server: StartServer, make_store: MakeStore, tmp_path: Path) -> Api:
    """a - c under H1 (no judicial use), c - b under H2 (no dissemination)."""
    store = make_store(tmp_path / "mixed.db")
    person = {"type": "Person"}
    report = load(
        store,
        [
            entity("a", name="Anna Alpha"),
            entity("b", name="Boris Beta"),
            entity("c", name="Carla Gamma"),
            link("l1", {"id": "a", **person}, {"id": "c", **person}, handling={"code": "H1"}),
            link("l2", {"id": "c", **person}, {"id": "b", **person}, handling={"code": "H2"}),
        ],
    )
    assert report.rejected == 0, report.problems
    return start_server(store=store)


def test_the_floor_restricts_every_use_the_evidence_restricts(mixed_codes: Api) -> None:
    made = assess(mixed_codes, **{"from": "a", "to": "b"})
    assert set(made["handling"]["restricts"]) >= {"judicial", "dissemination"}


# -- refusals --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "field", "says"),
    [
        ({"type": "OWNS"}, "to", "OWNS allows"),
        ({"type": "OWNS", "from": "ban:94028_1259_00130", "to": LEADER}, "from",
         "OWNS allows Person or Organization"),
        ({"type": "RELATEDTO"}, "type", "did you mean RELATED_TO?"),
        ({"confidence": 1.5}, "confidence", "less than or equal to 1"),
        ({"grading": {"source": "Z", "information": "1"}}, "grading.source", "'Z'"),
        ({"properties": {"bogus": 1}}, "properties.bogus", "no property 'bogus'"),
        ({"handling": {"classification": "TOPSECRET", "code": "H3"}},
         "handling.classification", "did you mean SECRET?"),
        ({"handling": {"classification": "SECRET", "code": "H9"}}, "handling.code", "'H9'"),
        ({"handling": {"classification": "SECRET", "code": "H3", "caveats": ["HUMINTT"]}},
         "handling.caveats", "HUMINTT"),
    ],
)  # fmt: skip
def test_invalid_arguments_name_the_argument(
    fresh: Api, args: dict[str, Any], field: str, says: str
) -> None:
    error = refused(fresh, "INVALID_INPUT", field, **args)
    assert error["message"].startswith(f"{field}: ") and says in error["message"]


def test_unknown_and_invisible_ends_are_the_same_not_found(fresh: Api) -> None:
    for field in ("from", "to"):
        for missing in ("nobody", EXPIRED_BE):
            error = refused(fresh, "NOT_FOUND", field, **{field: missing})
            assert error["message"] == f"{field}: no entity '{missing}'"
    # the leader is not released to Belgium: the same answer as for nobody
    error = refused(fresh, "NOT_FOUND", "from", as_="be-analyst")
    assert error["message"] == f"from: no entity '{LEADER}'"


def test_a_link_joins_two_entities(fresh: Api) -> None:
    error = refused(fresh, "INVALID_INPUT", "to", to=LEADER)
    assert "two different entities" in error["message"]


@pytest.mark.parametrize("note", ["", "   ", "\n\t"])
def test_the_note_is_required(fresh: Api, note: str) -> None:
    refused(fresh, "INVALID_INPUT", "note", note=note)


def test_only_analysts_and_supervisors_assess(fresh: Api) -> None:
    error = refused(fresh, "FORBIDDEN", None, as_="auditor")
    assert "analysts and supervisors" in error["message"]


def test_assessments_are_audited(fresh: Api) -> None:
    made = assess(fresh, confidence=0.6)
    refused(fresh, "INVALID_INPUT", "note", note=" ")
    refused(fresh, "FORBIDDEN", None, as_="auditor")
    entries = fresh.data(AUDIT, {"operation": "assessLink"}, as_="auditor")["auditLog"]["entries"]
    assert [(e["principal"], e["outcome"]) for e in entries] == [
        ("fr-analyst", "OK"),
        ("fr-analyst", "INVALID_INPUT"),
        ("auditor", "FORBIDDEN"),
    ]
    written = entries[0]
    assert written["operations"] == [
        {"name": "assessLink",
         "arguments": {"from": LEADER, "to": PARTNER, "type": "RELATED_TO", "note": BASE["note"],
                       "confidence": 0.6}}
    ]  # fmt: skip
    assert written["links"] == [made["id"]]
    assert written["entities"] == sorted([LEADER, PARTNER])
    assert entries[1]["links"] == [] and entries[1]["operations"][0]["arguments"]["note"] == " "
    assert fresh.services.audit.verify().ok
