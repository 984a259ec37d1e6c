"""The leak property through the GraphQL API: for random graphs, handling and principals, every
answer of the server equals the same answer on the graph pre-filtered by an independent oracle.

This lifts ``tests/policy/test_leak_property.py`` (whose strategies, oracle and constants it
reuses) from the store to the API. One server runs for the whole test; each example builds
store A (every record) and store B (the records the oracle lets the principal see, with neutral
handling), points the running server at A, sends a list of requests as the principal
(presented as a JWT), points it at B and sends the same requests again. The two series of
answers must be equal, errors included (a hidden entity or link is NOT_FOUND exactly as a
missing one), once the ``handling`` objects are removed: they are neutral in B by construction.
Every handling A returns must also be one the oracle lets the principal see, and the audit log
must record the same operations, entities, links and outcomes for both series.

How the requests are grouped: the ids B finds are asked for together (full detail, aliases),
and every other id alone, so that its NOT_FOUND error is compared on its own. The grouping is
planned on B, and A and B get the very same requests.
The filtered reads of three rounds (expand, paths, subgraph, entities, search) go in one
request; entity links are walked page by page (``first`` 1 or 2) following ``endCursor``.
The analytics (communities, centrality, hiddenLinks with their evidence) go in one more, on the
whole graph and on a drawn neighbourhood and filter; their floats are compared to 1e-9 (the
iterative measures are not reproducible to the last bit, and near-equal scores may come in
either order), everything else exactly.
The exports (Cytoscape JSON, inline, purpose INTERNAL: the whole visible graph and an expand of
drawn ids in one request, a community by a drawn member in another) are compared on their
elements without handling attributes and banner (both neutral in B), sorted by id; every
handling attribute A exports must come from records the oracle lets the principal see, and the
banner's classification must not exceed the principal's clearance.

GRAPHSVC_API_LEAK_EXAMPLES sets how many examples run (default 60).
"""

# Embedded-only: each example needs two stores alive at once (A and B); Neo4j has one database.

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphsvc.api import Authenticator, Limits, Services, create_app
from graphsvc.policy import Principal, Scope
from graphsvc.policy.audit import AuditLog
from graphsvc.store.embedded import EmbeddedStore
from tests.api.conftest import HS256, make_jwt, serve
from tests.policy.test_leak_property import (
    ALL_IDS,
    DAYS,
    LEVELS,
    LINK_KINDS,
    NEUTRAL,
    QUERIES,
    SCHEMA,
    TODAY,
    build,
    cases,
    entity_ids,
    oracle_sees,
)

EXAMPLES = int(os.environ.get("GRAPHSVC_API_LEAK_EXAMPLES", "60"))
ROUNDS = 3
ALIASES = Limits().max_aliases
MAX_PAGES = 40  # more than the 26 links a case has at most

# -- the requests ----------------------------------------------------------------------------------

FRAGMENTS = {
    "P": """fragment P on Provenance {
  source record method ingestedAt observedAt confidence document span extractor
}""",
    "G": "fragment G on Grading { source information sourceMeaning informationMeaning }",
    "H": """fragment H on Handling {
  classification releasableTo caveats code restricts originator retainUntil
}""",
    "E": """fragment E on Entity {
  id type label
  properties { name values { value source record observedAt derived } }
  records { provenance { ...P } grading { ...G } handling { ...H } }
  sources
}""",
    "EL": """fragment EL on Entity {
  ...E
  links(first: 3) { nodes { ...L } pageInfo { hasNextPage endCursor } }
}""",
    "L": """fragment L on Link {
  id type fromId toId directed properties
  provenance { ...P } grading { ...G } handling { ...H }
  from { id label type sources } to { id label type sources }
}""",
    "Scope": "fragment Scope on AnalysisScope { entities pairs links weighting weightProperty }",
    "Comm": """fragment Comm on Communities {
  algorithm seed resolution modularity count matching scope { ...Scope }
  communities {
    id size density pairs links linkTypes { type count }
    members(first: 500) { rank score entity { id } }
  }
}""",
    "Rank": """fragment Rank on Centrality {
  measure weighted sampled samples scope { ...Scope } ranking { rank score entity { id } }
}""",
    "Hidden": """fragment Hidden on HiddenLinks {
  methods candidates scope { ...Scope }
  links {
    score scores { method score } from { id } to { id }
    evidence {
      strengths { kind strength }
      shared { identifier strength entity { id } links { id } }
      otherLinks { id } paths { length nodes { id } links { id } } sources
    }
  }
}""",
    "Export": """fragment Export on ExportResult {
  id format purpose filename mediaType size sha256 entities links truncated encoding content url
  expiresAt
  banner {
    marking classification releasableTo releasableToAll caveats handlingCodes originators
    withheld withheldElements text analysis
  }
}""",
}
FILTER = {
    "linkTypes": "[String!]",
    "since": "Instant",
    "until": "Instant",
    "minConfidence": "Float",
}
ME_AND_STATS = """{
  me { id agency country clearance caveats roles authentication }
  stats {
    entities links records
    entitiesByType { key count } linksByType { key count } linksBySource { key count }
    linksByClassification { key count } linksByCode { key count }
  }
}"""
LINKS_PAGE = """query ($id: ID!, $first: Int!, $after: String, $linkTypes: [String!],
    $since: Instant, $until: Instant, $minConfidence: Float) {
  entity(id: $id) {
    id
    links(first: $first, after: $after, linkTypes: $linkTypes, since: $since, until: $until,
          minConfidence: $minConfidence) {
      nodes { ...L }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""


ANALYTICS = """query ($ids: [ID!], $hops: Int!, $linkTypes: [String!], $since: Instant,
    $until: Instant, $minConfidence: Float) {
  communities(algorithm: LEIDEN, seed: 1, minSize: 1, limit: 500) { ...Comm }
  near: communities(algorithm: LOUVAIN, seed: 2, minSize: 1, limit: 500, ids: $ids, hops: $hops,
      linkTypes: $linkTypes, since: $since, until: $until, minConfidence: $minConfidence) {
    ...Comm
  }
  pagerank: centrality(measure: PAGERANK, top: 500) { ...Rank }
  degree: centrality(measure: DEGREE, top: 500) { ...Rank }
  betweenness: centrality(measure: BETWEENNESS, top: 500) { ...Rank }
  graded: centrality(measure: WEIGHTED_DEGREE, weighting: GRADING, top: 500, linkTypes: $linkTypes,
      since: $since, until: $until, minConfidence: $minConfidence) { ...Rank }
  hiddenLinks(methods: [COMBINED, RESOURCE_ALLOCATION], top: 500, explain: true) { ...Hidden }
  typed: hiddenLinks(ids: $ids, hops: 3, methods: [COMBINED, RESOURCE_ALLOCATION], top: 500,
      explain: true, linkTypes: $linkTypes, since: $since, until: $until,
      minConfidence: $minConfidence) { ...Hidden }
}"""

EXPORTS = """mutation ($ids: [ID!]!, $hops: Int!, $links: LinkScope) {
  whole: export(format: CYTOSCAPE, purpose: INTERNAL, delivery: INLINE,
      what: {visibleGraph: {}}) { ...Export }
  near: export(format: CYTOSCAPE, purpose: INTERNAL, delivery: INLINE,
      what: {expand: {ids: $ids, hops: $hops, links: $links}}) { ...Export }
}"""
EXPORT_COMMUNITY = """mutation ($member: ID!) {
  community: export(format: CYTOSCAPE, purpose: INTERNAL, delivery: INLINE,
      what: {community: {member: $member}}) { ...Export }
}"""
# the handling attributes of the exported elements (attributes.py): neutral in B by construction
NODE_HANDLING = ("classification", "handlingCodes", "releasableTo", "caveats", "originators")
EDGE_HANDLING = (
    "classification",
    "releasableTo",
    "caveats",
    "handlingCode",
    "originator",
    "retainUntil",
)
# what differs between two exports of the same elements besides handling: a random id, the
# time in the file name, and the digest and size of a file whose handling differs
EXPORT_VARYING = ("exportId", "sha256", "size", "marking")


def document(query: str) -> str:
    """The query with the fragments it uses (GraphQL refuses unused ones)."""
    needed: list[str] = []
    pending = re.findall(r"\.\.\.(\w+)", query)
    while pending:
        name = pending.pop()
        if name not in needed:
            needed.append(name)
            pending += re.findall(r"\.\.\.(\w+)", FRAGMENTS[name])
    return "\n".join([query, *(FRAGMENTS[n] for n in sorted(needed))])


@dataclass(frozen=True)
class Step:
    """One request. ``walk`` steps follow ``endCursor`` to the last page of entity links;
    ``expect`` is what B's answer must be (``ok`` or an error code), to check the plan."""

    query: str
    variables: dict[str, Any]
    expect: str | None = None
    walk: bool = False
    approx: bool = False  # floats compared to a relative 1e-9 (the analytics)
    export: bool = False  # export results: compared as ``export_view`` shows them


def by_id(field: str, fragment: str, ids: list[str], expect: str) -> Step:
    """``field(id: ...)`` for each id, aliased, in one request."""
    declared = ", ".join(f"$id{i}: ID!" for i in range(len(ids)))
    fields = " ".join(f"a{i}: {field}(id: $id{i}) {{ ...{fragment} }}" for i in range(len(ids)))
    return Step(
        f"query ({declared}) {{ {fields} }}", {f"id{i}": v for i, v in enumerate(ids)}, expect
    )


def chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def reads(rounds: list[dict[str, dict[str, Any]]]) -> Step:
    """The filtered reads of every round in one request, each argument a variable."""
    declared, fields, variables = [], [], {}
    for k, ops in enumerate(rounds):
        for op, arguments in ops.items():
            given = []
            for name, (kind, value) in arguments.items():
                variables[f"{op}{k}_{name}"] = value
                declared.append(f"${op}{k}_{name}: {kind}")
                given.append(f"{name}: ${op}{k}_{name}")
            selection = {
                "expand": "nodes { ...E } links { ...L } truncated",
                "subgraph": "nodes { ...E } links { ...L } truncated",
                "paths": "nodes { ...E } links { id } hops { ...L } length",
                "entities": "...EL",
                "search": "entity { ...E } score matched",
            }[op]
            fields.append(f"{op}{k}: {op}({', '.join(given)}) {{ {selection} }}")
    query = f"query ({', '.join(declared)}) {{\n  " + "\n  ".join(fields) + "\n}"
    return Step(query, variables, "ok")


# -- strategies for the API's arguments ------------------------------------------------------------


def mostly_none(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """None two times out of three: four criteria drawn half the time leave little to read."""
    return st.sampled_from([False, False, True]).flatmap(
        lambda given: strategy if given else st.none()
    )


# As a lower or upper bound: a day (its whole day as an upper bound), its start, or the noon at
# which the dated links of the cases happen.
instants = mostly_none(
    st.sampled_from(DAYS).flatmap(
        lambda d: st.sampled_from(
            [d.isoformat(), f"{d.isoformat()}T00:00:00Z", f"{d.isoformat()}T12:00:00Z"]
        )
    )
)
filters = st.fixed_dictionaries(
    {
        "linkTypes": mostly_none(
            st.lists(st.sampled_from([k[0] for k in LINK_KINDS]), min_size=1, unique=True)
        ),
        "since": instants,
        "until": instants,
        "minConfidence": mostly_none(st.sampled_from([0.5, 0.9])),
    }
)


def end_id(end: Any) -> str:
    """The entity id of a link end of the cases: a reference, or a phone number."""
    return end["id"] if isinstance(end, dict) else "phone:" + end.replace(" ", "")


def draw_steps(
    data: st.DataObject,
    records: list[dict[str, Any]],
    visible: list[dict[str, Any]],
    entities_seen: list[str],
) -> list[Step]:
    """The requests of one example. The ids B finds are asked for together, the others one
    by one. The entities the reads start from are often ends of links, and paths are often
    asked between the ends of a visible link, so that their answers are not always empty."""
    links = [r["id"] for r in records if r["kind"] == "link"]
    links_seen = [r["id"] for r in visible if r["kind"] == "link"]
    ends = [end_id(r[side]) for r in records if r["kind"] == "link" for side in ("from", "to")]
    pairs = [(end_id(r["from"]), end_id(r["to"])) for r in visible if r["kind"] == "link"]
    seen_ends = [e for pair in pairs for e in pair]
    some_ids = st.one_of(
        entity_ids, *(st.sampled_from(choices) for choices in (ends, seen_ends) if choices)
    )
    walk_from = st.sampled_from(seen_ends) if seen_ends else entity_ids
    ends_of_paths = st.one_of(
        st.tuples(some_ids, some_ids), *([st.sampled_from(pairs)] if pairs else [])
    )
    steps = [by_id("entity", "EL", ids, "ok") for ids in chunks(entities_seen, ALIASES)]
    steps += [
        Step("query ($id: ID!) { entity(id: $id) { id label } }", {"id": i}, "NOT_FOUND")
        for i in ALL_IDS
        if i not in entities_seen
    ]
    steps += [by_id("link", "L", ids, "ok") for ids in chunks(links_seen, ALIASES)]
    steps += [
        Step("query ($id: ID!) { link(id: $id) { id type } }", {"id": i}, "NOT_FOUND")
        for i in [*links, "l999"]
        if i not in links_seen
    ]
    rounds = []
    for _ in range(ROUNDS):
        source, target = data.draw(ends_of_paths, label="paths from, to")
        flt = data.draw(filters, label="filter")
        typed_filter = {name: (kind, flt[name]) for name, kind in FILTER.items()}
        ids = st.lists(some_ids, max_size=5)
        rounds.append(
            {
                "expand": {
                    "ids": (
                        "[ID!]!",
                        data.draw(st.lists(some_ids, min_size=1, max_size=3), label="seeds"),
                    ),
                    "hops": ("Int!", data.draw(st.integers(1, 3), label="hops")),
                    "limit": ("Int!", data.draw(st.sampled_from([2, 4, 1000]), label="limit")),
                    "maxLinks": ("Int!", data.draw(st.sampled_from([3, 5000]), label="maxLinks")),
                    **typed_filter,
                },
                "paths": {
                    "from": ("ID!", source),
                    "to": ("ID!", target),
                    "maxHops": ("Int!", data.draw(st.integers(1, 4), label="maxHops")),
                    "directed": ("Boolean!", data.draw(st.booleans(), label="directed")),
                    "limit": ("Int!", data.draw(st.integers(1, 4), label="paths limit")),
                    **typed_filter,
                },
                "subgraph": {
                    "ids": ("[ID!]!", data.draw(ids, label="subgraph ids")),
                    "maxLinks": (
                        "Int!",
                        data.draw(st.sampled_from([2, 5000]), label="subgraph maxLinks"),
                    ),
                    **typed_filter,
                },
                "entities": {"ids": ("[ID!]!", data.draw(ids, label="entities ids"))},
                "search": {
                    "text": ("String!", data.draw(st.sampled_from(QUERIES), label="text")),
                    "types": (
                        "[String!]",
                        data.draw(
                            st.sampled_from([None, ["Person"], ["Organization", "Phone"]]),
                            label="types",
                        ),
                    ),
                    "limit": (
                        "Int!",
                        data.draw(st.sampled_from([1, 3, 20]), label="search limit"),
                    ),
                },
            }
        )
        steps.append(
            Step(
                LINKS_PAGE,
                {
                    "id": data.draw(st.one_of(some_ids, walk_from), label="links of"),
                    "first": data.draw(st.sampled_from([1, 2]), label="first"),
                    **data.draw(st.sampled_from([flt, dict.fromkeys(FILTER)]), label="walk filter"),
                },
                walk=True,
            )
        )
    steps.append(reads(rounds))
    analysed = {
        "ids": data.draw(st.lists(some_ids, min_size=1, max_size=3), label="analytics ids"),
        "hops": data.draw(st.integers(0, 3), label="analytics hops"),
        **data.draw(filters, label="analytics filter"),
    }
    steps.append(Step(ANALYTICS, analysed, "ok", approx=True))
    exported = {
        "ids": data.draw(st.lists(some_ids, min_size=1, max_size=3), label="export ids"),
        "hops": data.draw(st.integers(1, 3), label="export hops"),
        "links": data.draw(st.one_of(st.none(), filters), label="export links"),
    }
    steps.append(Step(EXPORTS, exported, "ok", export=True))
    # the analysed network is every entity with a visible link to another one
    joined = sorted({e for pair in pairs if pair[0] != pair[1] for e in pair})
    members = st.one_of(some_ids, *([st.sampled_from(joined)] if joined else []))
    member = data.draw(members, label="community member")
    expect = "ok" if member in joined else "NOT_FOUND"
    steps.append(Step(EXPORT_COMMUNITY, {"member": member}, expect, export=True))
    steps.append(Step(ME_AND_STATS, {}, "ok"))  # last: the counts say least about a difference
    return steps


# -- running and comparing -------------------------------------------------------------------------


@dataclass
class Server:
    url: str
    services: Services
    audit: AuditLog
    placeholder: EmbeddedStore
    http: httpx.Client
    audited: int = 0  # the seq of the last audit entry read


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("api-leak")
    principals = root / "principals.yaml"
    principals.write_text(yaml.safe_dump({"principals": []}), encoding="utf-8")
    placeholder = EmbeddedStore(root / "placeholder.db", SCHEMA)  # between examples
    audit = AuditLog(root / "audit.db")
    services = Services(placeholder, audit, Limits(), False)
    app = create_app(services, Authenticator(principals, SCHEMA.policy, HS256), today=TODAY)
    with serve(app) as url, httpx.Client(timeout=60) as http:
        yield Server(url, services, audit, placeholder, http)
    audit.close()
    placeholder.close()


def post(server: Server, token: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = server.http.post(
        f"{server.url}/graphql",
        json={"query": document(query), "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    for error in body.get("errors", []):
        assert error["extensions"].get("code") != "INTERNAL", (query, variables, error)
    return body


def run(server: Server, token: str, steps: list[Step]) -> list[Any]:
    answers: list[Any] = []
    for step in steps:
        if not step.walk:
            answers.append(post(server, token, step.query, step.variables))
            continue
        pages, after = [], None
        for _ in range(MAX_PAGES):
            body = post(server, token, step.query, {**step.variables, "after": after})
            pages.append(body)
            if body.get("errors") or body["data"] is None:
                break
            info = body["data"]["entity"]["links"]["pageInfo"]
            if not info["hasNextPage"]:
                break
            after = info["endCursor"]
        else:
            pytest.fail(f"entity links did not end within {MAX_PAGES} pages: {step.variables}")
        answers.append(pages)
    return answers


def check_expected(step: Step, answer: dict[str, Any]) -> None:
    """B's answer is what the plan says (so that A's is compared with something meaningful)."""
    if step.expect == "ok":
        assert "errors" not in answer and answer["data"] is not None, (step, answer)
    elif step.expect is not None:
        assert [e["extensions"]["code"] for e in answer.get("errors", [])] == [step.expect], (
            step,
            answer,
        )


def without_handling(value: Any, found: list[dict[str, Any]]) -> Any:
    """The answer without its ``handling`` objects, which are collected into ``found``."""
    if isinstance(value, list):
        return [without_handling(v, found) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        if key == "handling" and isinstance(item, dict):
            found.append(item)
        elif key == "stats" and isinstance(item, dict):
            out[key] = stats_view(item)
        else:
            out[key] = without_handling(item, found)
    return out


def stats_view(stats: dict[str, Any]) -> dict[str, Any]:
    """Counts as tables; by classification and code only their totals (B is neutral)."""
    out: dict[str, Any] = {}
    for key, item in stats.items():
        if key in ("linksByClassification", "linksByCode"):
            out[key] = sum(c["count"] for c in item)
        elif isinstance(item, list):
            out[key] = {c["key"]: c["count"] for c in item}
        else:
            out[key] = item
    return out


def audited(server: Server) -> list[Any]:
    """The audit entries written since the last call."""
    entries = server.audit.entries(after=server.audited, limit=100_000)
    if entries:
        server.audited = entries[-1].seq
    return [
        (
            e.principal,
            e.auth,
            [audited_operation(op) for op in e.operations],
            sorted(e.entities),
            sorted(e.links),
            e.outcome,
        )
        for e in entries
    ]


def audited_operation(operation: Any) -> Any:
    """An audited operation; of an export, without what differs between two exports of the
    same elements (``EXPORT_VARYING``; the file name without its time). An export that
    failed records no file."""
    if operation.get("name") != "export" or "exportId" not in operation["arguments"]:
        return operation
    arguments = {k: v for k, v in operation["arguments"].items() if k not in EXPORT_VARYING}
    arguments["filename"] = without_time(arguments["filename"])
    return {**operation, "arguments": arguments}


def without_time(filename: str) -> str:
    """``graphsvc-20261123-100412-community-0.cyjs`` as ``graphsvc-community-0.cyjs``."""
    return re.sub(r"^graphsvc-\d{8}-\d{6}-", "graphsvc-", filename)


def export_view(answer: dict[str, Any], found: list[dict[str, Any]]) -> dict[str, Any]:
    """An answer of export results without what differs by construction between A and B: the
    export id, the digest and size of the file, the time in its name, its banner, and the
    handling attributes of its elements. The content's nodes and edges are sorted by id. The
    results as they came (banner, parsed content) are collected into ``found``."""
    if not answer.get("data"):
        return answer
    out: dict[str, Any] = {**answer, "data": {}}
    for alias, result in answer["data"].items():
        found.append({**result, "content": json.loads(result["content"])})
        content = json.loads(result["content"])
        elements = content.pop("elements")
        assert [len(elements["nodes"]), len(elements["edges"])] == [
            result["entities"],
            result["links"],
        ], (alias, result)
        assert content["data"]["classification"] == result["banner"]["classification"], result
        del content["data"]
        content["elements"] = {
            "nodes": sorted(
                (
                    {k: v for k, v in n["data"].items() if k not in NODE_HANDLING}
                    for n in elements["nodes"]
                ),
                key=lambda d: d["id"],
            ),
            "edges": sorted(
                (
                    {k: v for k, v in e["data"].items() if k not in EDGE_HANDLING}
                    for e in elements["edges"]
                ),
                key=lambda d: d["id"],
            ),
        }
        view = {k: v for k, v in result.items() if k not in ("id", "sha256", "size", "banner")}
        view["filename"] = without_time(result["filename"])
        view["content"] = content
        out["data"][alias] = view
    return out


def split(value: Any) -> set[str]:
    """An attribute of several values (``"; "``-joined) as a set; absent is empty."""
    return set(value.split("; ")) if value else set()


def check_exported(
    found: list[dict[str, Any]], visible: list[dict[str, Any]], caller: dict[str, Any]
) -> None:
    """Every handling attribute of A's exports comes from records the oracle lets the caller
    see: an edge's is its link record's; a node's those of the entity's records (or, for an
    entity known only through links, some of its links': those in the file, so none when an
    export's link filter leaves them out); the banner's those of the elements."""
    links = {r["id"]: r["handling"] for r in visible if r["kind"] == "link"}
    asserted: dict[str, list[dict[str, Any]]] = {}
    touching: dict[str, list[dict[str, Any]]] = {}
    for r in visible:
        if r["kind"] == "entity":
            key = r.get("id") or "phone:" + r["properties"]["number"]
            asserted.setdefault(key, []).append(r["handling"])
        else:
            for side in ("from", "to"):
                touching.setdefault(end_id(r[side]), []).append(r["handling"])
    for result in found:
        elements = result["content"]["elements"]
        behind: list[dict[str, Any]] = []
        for edge in (e["data"] for e in elements["edges"]):
            assert edge["id"] in links, ("an exported link the caller may not see", edge)
            h = links[edge["id"]]
            behind.append(h)
            assert (
                edge["classification"],
                split(edge.get("releasableTo")),
                split(edge.get("caveats")),
                edge["handlingCode"],
                edge["originator"],
                edge.get("retainUntil"),
            ) == (
                h["classification"],
                set(h["releasableTo"]),
                set(h["caveats"]),
                h["code"],
                h["originator"],
                h.get("retainUntil"),
            ), ("an edge's handling is not its record's", edge, h)
        for node in (n["data"] for n in elements["nodes"]):
            own = asserted.get(node["id"], [])
            hs = own or touching.get(node["id"], [])
            behind += hs
            assert hs, ("an exported entity the caller may not see", node)
            classes = {h["classification"] for h in hs}
            summary = (
                node.get("classification"),
                split(node.get("handlingCodes")),
                split(node.get("releasableTo")),
                split(node.get("caveats")),
                split(node.get("originators")),
            )
            if own:  # the entity's visible records decide it exactly
                assert summary == (
                    max(classes, key=LEVELS.index),
                    {h["code"] for h in hs},
                    {x for h in hs for x in h["releasableTo"]},
                    {x for h in hs for x in h["caveats"]},
                    {h["originator"] for h in hs},
                ), ("a node's handling is not its records'", node, hs)
            else:  # known through the exported links touching it (none when filtered out)
                assert summary[0] in classes | {None}, ("a node's classification", node, hs)
                assert summary[1] <= {h["code"] for h in hs}, ("a node's codes", node, hs)
                assert summary[2] <= {x for h in hs for x in h["releasableTo"]}, (node, hs)
                assert summary[3] <= {x for h in hs for x in h["caveats"]}, (node, hs)
                assert summary[4] <= {h["originator"] for h in hs}, (node, hs)
        banner = result["banner"]
        # analysis values were computed on every visible link: the marking covers them all
        # (their classification and codes, and the caller's caveats)
        basis = list(links.values()) if banner["analysis"] else []
        held = set(caller["caveats"]) if banner["analysis"] else set()
        assert LEVELS.index(banner["classification"]) <= LEVELS.index(caller["clearance"]), (
            "a banner above the caller's clearance",
            banner,
            caller,
        )
        assert set(banner["caveats"]) <= set(caller["caveats"]), (banner, caller)
        assert set(banner["caveats"]) <= {x for h in behind for x in h["caveats"]} | held, banner
        assert set(banner["originators"]) <= {h["originator"] for h in behind}, banner
        assert set(banner["handlingCodes"]) <= {h["code"] for h in behind + basis}, banner
        assert set(banner["releasableTo"]) <= {x for h in behind for x in h["releasableTo"]}
        if behind + basis:
            highest = max((h["classification"] for h in behind + basis), key=LEVELS.index)
            assert LEVELS.index(banner["classification"]) <= LEVELS.index(highest), banner
        assert banner["withheldElements"] == 0, banner  # INTERNAL withholds nothing


SCORED = {"rank", "score", "entity"}  # the keys of a ScoredEntity as the analytics select them


def same(got: Any, expected: Any, where: str = "") -> None:
    """``got == expected``, but floats to a relative 1e-9, and rankings of scored entities as
    their scores in order and the score of each entity (equal scores may come in any order)."""
    if isinstance(expected, dict) and isinstance(got, dict):
        assert got.keys() == expected.keys(), (where, got, expected)
        for key in expected:
            same(got[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list) and isinstance(got, list):
        assert len(got) == len(expected), (where, got, expected)
        if expected and all(isinstance(x, dict) and x.keys() == SCORED for x in expected + got):
            same([x["rank"] for x in got], [x["rank"] for x in expected], f"{where}[rank]")
            same([x["score"] for x in got], [x["score"] for x in expected], f"{where}[score]")
            by_id = {x["entity"]["id"]: x["score"] for x in got}
            assert len(by_id) == len(got), (where, got)
            same(by_id, {x["entity"]["id"]: x["score"] for x in expected}, f"{where}[entity]")
        else:
            for i, (a, b) in enumerate(zip(got, expected, strict=True)):
                same(a, b, f"{where}[{i}]")
    elif isinstance(expected, float) and isinstance(got, float):
        assert math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-12), (where, got, expected)
    else:
        assert got == expected, (where, got, expected)


def first_field(query: str) -> str:
    found = re.search(r"\{\s*(?:\w+:\s*)?(\w+)", query)
    return found.group(1) if found else query


# -- the property ----------------------------------------------------------------------------------


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=cases(), data=st.data())
def test_every_api_answer_equals_the_answer_on_the_oracle_filtered_graph(server, case, data):
    records, caller = case
    if data.draw(st.booleans(), label="fully cleared"):  # then the other rules decide alone
        caller = {**caller, "clearance": "SECRET", "caveats": ["HUMINT", "FIU"]}
    visible = [r for r in records if oracle_sees(r["handling"], caller)]
    neutral = [{**r, "handling": NEUTRAL} for r in visible]
    scope = Scope.of(Principal.model_validate(caller), SCHEMA.policy, today=TODAY)
    token = make_jwt(
        {
            "sub": caller["id"],
            "agency": caller["agency"],
            "country": caller["country"],
            "clearance": caller["clearance"],
            "caveats": caller["caveats"],
            "roles": ["analyst"],
        }
    )

    with tempfile.TemporaryDirectory() as tmp:
        full, oracle = build(Path(tmp), "full.db", records), build(Path(tmp), "oracle.db", neutral)
        try:
            seen = [e.id for e in oracle.get_entities(scope, ALL_IDS)]
            steps = draw_steps(data, records, visible, seen)
            audited(server)
            server.services.store = full
            answers_full = run(server, token, steps)
            audit_full = audited(server)
            server.services.store = oracle
            answers_oracle = run(server, token, steps)
            audit_oracle = audited(server)
        finally:
            server.services.store = server.placeholder
            full.close()
            oracle.close()

    me = answers_oracle[-1]["data"]["me"]
    assert (me["agency"], me["country"], me["clearance"], me["authentication"]) == (
        caller["agency"],
        caller["country"],
        caller["clearance"],
        "jwt",
    )
    assert sorted(me["caveats"]) == sorted(caller["caveats"])
    shown: list[dict[str, Any]] = []
    for step, got, expected in zip(steps, answers_full, answers_oracle, strict=True):
        for answer in expected if step.walk else [expected]:
            check_expected(step, answer)
        context = (first_field(step.query), step.variables)
        if step.export:
            found: list[dict[str, Any]] = []
            assert export_view(got, found) == export_view(expected, []), context
            check_exported(found, visible, caller)
        elif step.approx:
            same(without_handling(got, shown), without_handling(expected, []), repr(context))
        else:
            assert without_handling(got, shown) == without_handling(expected, []), context
    for handling in shown:
        assert oracle_sees(handling, caller), ("a handling the caller may not see", handling)
    assert audit_full == audit_oracle
