"""The leak property: for random graphs, handling and principals, every read equals the same
read on the graph pre-filtered by an independent oracle.

Store A holds every record. The oracle below (written apart from ``graphsvc.policy``, on
purpose as plainly as possible) keeps the records the principal may see; store B holds only
those, with their handling made neutral so that nothing in B is hidden from anyone. Any
answer of A for the principal that differs from B's is either a leak (A showed more) or an
over-restriction (A showed less); both fail.
"""

# Embedded-only: each example needs two stores alive at once (A and B); Neo4j has one database.

from __future__ import annotations

import os
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphsvc.model.graph import Entity, Link, Subgraph
from graphsvc.model.properties import epoch_seconds
from graphsvc.model.schema import Schema
from graphsvc.policy import Principal, Scope
from graphsvc.store.embedded import EmbeddedStore
from graphsvc.store.protocol import LinkFilter
from tests.conftest import REPO, TODAY, load

EXAMPLES = int(os.environ.get("GRAPHSVC_LEAK_EXAMPLES", "300"))
SCHEMA = Schema.load(REPO / "schema")

LEVELS = ["UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL", "SECRET"]
PARTIES = [("FR-OCRTEH", "FR"), ("BE-PJF", "BE"), ("DE-BKA", "DE"), ("NL-NP", "NL")]
CAVEATS = ["HUMINT", "FIU"]
PERSONS = [f"p{i}" for i in range(7)]
ORGS = ["o0", "o1", "o2"]
PHONES = [f"+3361234560{i}" for i in range(5)]
NAMES = [
    "Ivan Petrov",
    "Ivana Petrova",
    "Élodie Lefèvre",
    "Elodie Lefevre",
    "Ștefan Popescu",
    "Stefan Popa",
    "Jean Dupont",
    "Jan Dupond",
    "Petrov Logistics",
    "Lisière Transports",
]
QUERIES = [
    "ivan petrov",
    "petrova",
    "elodie",
    "lefevre",
    "stefan popescu",
    "popa",
    "dupont",
    "jan dupnd",
    "petrov logistcs",
    "lisiere",
    "06 12 34 56 01",
    "+33612345603",
    "zzz",
]
NEUTRAL = {
    "classification": "UNCLASSIFIED",
    "releasableTo": [],
    "caveats": [],
    "code": "H0",
    "originator": "XX-ORACLE",
}
# (link type, from kind, to kind)
LINK_KINDS = [
    ("MET", "person", "person"),
    ("RELATED_TO", "person", "person"),
    ("CALLED", "phone", "phone"),
    ("USES", "person", "phone"),
    ("EMPLOYED_BY", "person", "org"),
    ("DIRECTOR_OF", "person", "org"),
]
DAYS = [date(2024, 1, 1) + timedelta(days=30 * i) for i in range(12)]


# -- the oracle ------------------------------------------------------------------------------------


def oracle_sees(handling: dict[str, Any], principal: dict[str, Any]) -> bool:
    """The visibility rule (README, "Handling and access control"), written independently of
    graphsvc.policy: clearance and caveats always apply; for the originating agency,
    releasability and retention do not."""
    if LEVELS.index(handling["classification"]) > LEVELS.index(principal["clearance"]):
        return False
    if any(c not in principal["caveats"] for c in handling["caveats"]):
        return False
    if handling["originator"] == principal["agency"]:
        return True
    releasable = handling["releasableTo"]
    if (
        releasable
        and principal["country"] not in releasable
        and principal["agency"] not in releasable
    ):
        return False
    retain = handling.get("retainUntil")
    return not (retain is not None and retain < TODAY.isoformat())


# -- strategies ------------------------------------------------------------------------------------

handlings = st.fixed_dictionaries(
    {
        "classification": st.sampled_from(LEVELS),
        "releasableTo": st.lists(
            st.sampled_from([c for _, c in PARTIES] + [a for a, _ in PARTIES]),
            max_size=3,
            unique=True,
        ),
        "caveats": st.lists(st.sampled_from(CAVEATS), max_size=2, unique=True),
        "code": st.sampled_from(["H0", "H1", "H2", "H3"]),
        "originator": st.sampled_from([a for a, _ in PARTIES]),
        "retainUntil": st.sampled_from(
            [
                None,
                None,
                None,
                (TODAY - timedelta(days=1)).isoformat(),
                TODAY.isoformat(),
                "2030-01-01",
            ]
        ),
    }
)

principals = st.builds(
    lambda party, clearance, caveats: {
        "id": "caller",
        "agency": party[0],
        "country": party[1],
        "clearance": clearance,
        "caveats": caveats,
    },
    st.sampled_from(PARTIES),
    st.sampled_from(LEVELS),
    st.lists(st.sampled_from(CAVEATS), max_size=2, unique=True),
)


def end(kind: str, index: int) -> Any:
    if kind == "person":
        return {"id": PERSONS[index % len(PERSONS)], "type": "Person"}
    if kind == "org":
        return {"id": ORGS[index % len(ORGS)], "type": "Organization"}
    number = PHONES[index % len(PHONES)]
    return f"+33 {number[3]} {number[4:6]} {number[6:8]} {number[8:10]} {number[10:12]}"


@st.composite
def entity_records(draw: st.DrawFn, serial: int) -> dict[str, Any]:
    kind = draw(st.sampled_from(["person", "person", "org", "phone"]))
    record: dict[str, Any] = {"kind": "entity", "handling": draw(handlings)}
    if kind == "phone":
        record |= {
            "type": "Phone",
            "properties": {
                "number": draw(st.sampled_from(PHONES)),
                "carrier": draw(st.sampled_from(["Orange", "SFR"])),
            },
        }
    else:
        props: dict[str, Any] = {"name": draw(st.sampled_from(NAMES))}
        if draw(st.booleans()):
            props["aliases"] = draw(st.lists(st.sampled_from(NAMES), max_size=2, unique=True))
        record |= {
            "id": draw(st.sampled_from(PERSONS if kind == "person" else ORGS)),
            "type": "Person" if kind == "person" else "Organization",
            "properties": props,
        }
    record["provenance"] = {
        "source": draw(st.sampled_from(["s1", "s2"])),
        "record": f"r{serial}",
        "ingestedAt": "2025-01-01T00:00:00Z",
        "observedAt": draw(st.sampled_from(DAYS)).isoformat(),
    }
    return record


@st.composite
def link_records(draw: st.DrawFn, serial: int) -> dict[str, Any]:
    type_, from_kind, to_kind = draw(st.sampled_from(LINK_KINDS))
    props: dict[str, Any] = {}
    if type_ in ("MET", "CALLED") and draw(st.booleans()):
        props["date"] = draw(st.sampled_from(DAYS)).isoformat() + "T12:00:00Z"
    return {
        "kind": "link",
        "id": f"l{serial}",
        "type": type_,
        "from": end(from_kind, draw(st.integers(0, 6))),
        "to": end(to_kind, draw(st.integers(0, 6))),
        "properties": props,
        "provenance": {
            "source": "s1",
            "record": f"l{serial}",
            "ingestedAt": "2025-01-01T00:00:00Z",
            "confidence": draw(st.sampled_from([0.3, 0.6, 1.0])),
        },
        "grading": {"source": "B", "information": "2"},
        "handling": draw(handlings),
    }


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    n_entities = draw(st.integers(0, 14))
    n_links = draw(st.integers(0, 26))
    records = [draw(entity_records(i)) for i in range(n_entities)]
    records += [draw(link_records(i)) for i in range(n_links)]
    return records, draw(principals)


link_filters = st.builds(
    LinkFilter,
    types=st.one_of(
        st.none(), st.sets(st.sampled_from([k[0] for k in LINK_KINDS]), min_size=1).map(frozenset)
    ),
    since=st.one_of(st.none(), st.sampled_from(DAYS).map(lambda d: epoch_seconds(d.isoformat()))),
    until=st.one_of(st.none(), st.sampled_from(DAYS).map(lambda d: epoch_seconds(d.isoformat()))),
    min_confidence=st.one_of(st.none(), st.sampled_from([0.5, 0.9])),
)
ALL_IDS = PERSONS + ORGS + [f"phone:{p}" for p in PHONES] + ["nobody"]
entity_ids = st.sampled_from(ALL_IDS)


# -- comparing answers -----------------------------------------------------------------------------


def entity_view(e: Entity | None) -> Any:
    if e is None:
        return None
    return (
        e.id,
        e.type,
        e.label,
        [(s.property, s.value, s.source, s.record, s.observed_at, s.derived) for s in e.statements],
        [(r.provenance.to_dict(), r.grading) for r in e.records],
    )


def link_view(link: Link | None) -> Any:
    if link is None:
        return None
    return (
        link.id,
        link.type,
        link.source_id,
        link.target_id,
        link.directed,
        link.properties,
        link.provenance.to_dict(),
        link.grading,
    )


def subgraph_view(sub: Subgraph) -> Any:
    return ([entity_view(n) for n in sub.nodes], [link_view(lk) for lk in sub.links], sub.truncated)


def build(directory: Path, name: str, records: list[dict[str, Any]]) -> EmbeddedStore:
    store = EmbeddedStore(directory / name, SCHEMA)
    report = load(store, records)
    assert report.rejected == 0, report.problems
    return store


# -- the property ----------------------------------------------------------------------------------


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=cases(), data=st.data())
def test_every_read_equals_the_read_on_the_oracle_filtered_graph(case, data):
    records, caller = case
    visible = [r for r in records if oracle_sees(r["handling"], caller)]
    neutral = [{**r, "handling": NEUTRAL} for r in visible]
    principal = Principal.model_validate(caller)
    scope = Scope.of(principal, SCHEMA.policy, today=TODAY)

    with tempfile.TemporaryDirectory() as tmp:
        full, oracle = build(Path(tmp), "full.db", records), build(Path(tmp), "oracle.db", neutral)
        try:
            for entity_id in ALL_IDS:
                assert entity_view(full.get_entity(scope, entity_id)) == entity_view(
                    oracle.get_entity(scope, entity_id)
                ), entity_id
            for link_id in [r["id"] for r in records if r["kind"] == "link"]:
                assert link_view(full.get_link(scope, link_id)) == link_view(
                    oracle.get_link(scope, link_id)
                ), link_id

            for _ in range(3):
                seeds = data.draw(st.lists(entity_ids, min_size=1, max_size=3), label="seeds")
                hops = data.draw(st.integers(1, 3), label="hops")
                flt = data.draw(link_filters, label="filter")
                max_nodes = data.draw(st.sampled_from([2, 4, 1000]), label="max_nodes")
                max_links = data.draw(st.sampled_from([3, 5000]), label="max_links")
                args = (seeds, hops, flt, max_nodes, max_links)
                assert subgraph_view(full.expand(scope, *args)) == subgraph_view(
                    oracle.expand(scope, *args)
                )

                source, target = (
                    data.draw(entity_ids, label="from"),
                    data.draw(entity_ids, label="to"),
                )
                max_hops = data.draw(st.integers(1, 4), label="max_hops")
                limit = data.draw(st.integers(1, 4), label="limit")
                directed = data.draw(st.booleans(), label="directed")
                found = full.paths(scope, source, target, max_hops, flt, limit, directed)
                expected = oracle.paths(scope, source, target, max_hops, flt, limit, directed)
                assert [
                    ([n.id for n in p.nodes], [[link_view(lk) for lk in hop] for hop in p.hops])
                    for p in found
                ] == [
                    ([n.id for n in p.nodes], [[link_view(lk) for lk in hop] for hop in p.hops])
                    for p in expected
                ]

                ids = data.draw(st.lists(entity_ids, max_size=5), label="subgraph ids")
                assert subgraph_view(full.subgraph(scope, ids, flt)) == subgraph_view(
                    oracle.subgraph(scope, ids, flt)
                )

                entity_id = data.draw(entity_ids, label="entity links of")
                assert [link_view(lk) for lk in full.entity_links(scope, entity_id, flt)] == [
                    link_view(lk) for lk in oracle.entity_links(scope, entity_id, flt)
                ]

                query = data.draw(st.sampled_from(QUERIES), label="query")
                types = data.draw(st.sampled_from([None, ["Person"], ["Organization", "Phone"]]))
                assert [
                    (h.entity.id, h.score, h.matched) for h in full.search(scope, query, types, 5)
                ] == [
                    (h.entity.id, h.score, h.matched) for h in oracle.search(scope, query, types, 5)
                ]

            full_view, oracle_view = full.view(scope), oracle.view(scope)
            assert sorted(full_view.vertex_ids.tolist()) == sorted(oracle_view.vertex_ids.tolist())
            assert full_view.m == oracle_view.m
            full_stats, oracle_stats = full.stats(scope), oracle.stats(scope)
            assert (full_stats.entities, full_stats.links, full_stats.records) == (
                oracle_stats.entities,
                oracle_stats.links,
                oracle_stats.records,
            )
            assert full_stats.links_by_type == oracle_stats.links_by_type
        finally:
            full.close()
            oracle.close()
