"""Entity-resolution corrections through the ``GraphStore`` protocol, on every backend: merging
keeps every value with its own provenance and re-points links; merged ids vanish from every
read; splitting moves records and link ends; undo restores exactly; re-ingestion respects
corrections; refusals change nothing and never tell hidden from missing; each scope sees only
its share of a correction. A hypothesis property undoes random sequences of corrections.
Embedded-only at the end: the file layout upgrade, the in-memory index, and migration."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphsvc.errors import Conflict, GraphsvcError, InvalidInput, NotFound
from graphsvc.ingest import Ingestor, SourceRegistry
from graphsvc.model.records import EntityAssertion, Grading, Handling, Provenance
from graphsvc.model.schema import Schema
from graphsvc.policy import Scope
from graphsvc.store.embedded import EmbeddedStore
from graphsvc.store.embedded.ddl import DDL
from graphsvc.store.migrate import migrate
from graphsvc.store.neo4j import rows
from graphsvc.store.protocol import GraphStore
from graphsvc.store.resolution import RecordRef, Redirect, Redirects, Resolution
from tests.conftest import MakeStore, scope_of

OPEN = {"classification": "UNCLASSIFIED", "code": "H0", "originator": "FR-OCRTEH"}
HUMINT = {
    "classification": "SECRET",
    "releasableTo": ["FR"],
    "caveats": ["HUMINT"],
    "code": "H3",
    "originator": "FR-OCRTEH",
}
AT = "2025-01-01T00:00:00Z"


def rec(
    entity_id: str,
    source: str,
    record: str,
    handling: dict[str, Any] | None = None,
    type_: str = "Person",
    **props: Any,
) -> dict[str, Any]:
    return {
        "kind": "entity",
        "id": entity_id,
        "type": type_,
        "properties": props,
        "provenance": {"source": source, "record": record, "ingestedAt": AT},
        "handling": handling or OPEN,
    }


def lnk(
    link_id: str,
    type_: str,
    src: Any,
    dst: Any,
    source: str = "police",
    handling: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "kind": "link",
        "id": link_id,
        "type": type_,
        "from": src,
        "to": dst,
        "provenance": {"source": source, "record": link_id, "ingestedAt": AT},
        "grading": {"source": "B", "information": "2"},
        "handling": handling or OPEN,
    }


PHONE = "phone:+33612345601"
PHONE_2 = "phone:+33612345602"
CASE = [
    rec("p-1", "registry", "r-1", name="Ivan Petrov", birthDate="1980-02-03"),
    rec("p-2", "police", "pv-7", name="Ivan PETROV", nationality=["RU"]),
    rec("p-2", "humint", "h-1", HUMINT, name="Vanya"),
    rec("p-3", "police", "pv-8", name="Olga Petrova"),
    rec("p-3", "registry", "r-3", name="Olga Ivanova", birthDate="1991-07-01"),
    rec("p-4", "registry", "r-1", name="Ivan P."),  # the same record key as p-1's
    rec("o-1", "registry", "r-o1", type_="Organization", name="Petrov Logistics"),
    lnk("l-1", "MET", "p-1", "p-3"),
    lnk("l-2", "USES", "p-2", {"id": PHONE, "type": "Phone"}),
    lnk("l-3", "MET", "p-2", "p-3", "humint", HUMINT),
    lnk("l-4", "RELATED_TO", "p-1", "p-2"),
    lnk("l-5", "DIRECTOR_OF", "p-3", "o-1", "registry"),
    lnk("l-6", "CALLED", {"id": PHONE, "type": "Phone"}, {"id": PHONE_2, "type": "Phone"}),
]
IDS = ["p-1", "p-2", "p-3", "p-4", "o-1", PHONE, PHONE_2]


def ingest(store: GraphStore, records: list[dict[str, Any]], tmp: Path) -> None:
    """``records`` as a native JSONL file, through the ingestion runner."""
    path = tmp / f"batch-{len(list(tmp.glob('batch-*')))}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    ingestor = Ingestor(store, SourceRegistry())
    ingestor.ingest_path(path)
    report = ingestor.finish()
    assert report.rejected == 0, report.problems


@pytest.fixture
def case(make_store: MakeStore, tmp_path: Path) -> GraphStore:
    store = make_store(tmp_path / "graph.db")
    ingest(store, CASE, tmp_path)
    return store


@pytest.fixture
def everyone(schema: Schema) -> Scope:
    return scope_of(schema, id="sup", clearance="SECRET", caveats=["HUMINT"], roles=["supervisor"])


@pytest.fixture
def analyst(schema: Schema) -> Scope:
    """Cleared CONFIDENTIAL without HUMINT: never sees the humint records."""
    return scope_of(schema, id="ana", clearance="CONFIDENTIAL")


def view(store: GraphStore, scope: Scope, ids: Sequence[str] = IDS) -> dict[str, Any]:
    """Everything a scope reads of these entities: the entity, its links, and the counts."""
    out: dict[str, Any] = {
        i: (store.get_entity(scope, i), store.entity_links(scope, i, limit=1000)) for i in ids
    }
    out["stats"] = store.stats(scope)
    return out


def values(store: GraphStore, scope: Scope, entity_id: str) -> set[tuple[Any, ...]]:
    found = store.get_entity(scope, entity_id)
    assert found is not None, entity_id
    return {(s.property, s.value, s.source, s.record) for s in found.statements if not s.derived}


def ends(store: GraphStore, scope: Scope, link_id: str) -> tuple[str, str]:
    found = store.get_link(scope, link_id)
    assert found is not None, link_id
    return found.source_id, found.target_id


def fails(call: Callable[[], object]) -> GraphsvcError:
    with pytest.raises(GraphsvcError) as caught:
        call()
    return caught.value


# -- merge -----------------------------------------------------------------------------------------


def test_merge_keeps_every_value_with_its_own_provenance(case: GraphStore, everyone: Scope) -> None:
    before = values(case, everyone, "p-1") | values(case, everyone, "p-2")
    records = {
        (r.provenance, r.grading, r.handling)
        for i in ("p-1", "p-2")
        for r in case.get_entity(everyone, i).records  # type: ignore[union-attr]
    }
    done = case.merge_entities(everyone, ["p-1", "p-2"], None, by="sup", reason="same man")
    assert (done.kind, done.target, done.entities, done.entity_type) == (
        "merge",
        "p-1",
        ("p-1", "p-2"),
        "Person",
    )
    assert values(case, everyone, "p-1") == before
    merged = case.get_entity(everyone, "p-1")
    assert merged is not None
    assert {(r.provenance, r.grading, r.handling) for r in merged.records} == records
    assert sorted((m.source, m.record, m.from_id, m.to_id) for m in done.records) == [
        ("humint", "h-1", "p-2", "p-1"),
        ("police", "pv-7", "p-2", "p-1"),
    ]


def test_merge_repoints_links_and_the_merged_id_disappears(
    case: GraphStore, everyone: Scope
) -> None:
    case.merge_entities(everyone, ["p-1", "p-2"], "p-1", by="sup", reason="same man")
    assert ends(case, everyone, "l-2") == ("p-1", PHONE)
    assert ends(case, everyone, "l-3") == ("p-1", "p-3")
    assert ends(case, everyone, "l-4") == ("p-1", "p-1")  # the link between them stays, a loop
    assert ends(case, everyone, "l-1") == ("p-1", "p-3")
    assert case.get_entity(everyone, "p-2") is None
    assert case.entity_links(everyone, "p-2") == []
    assert case.get_entities(everyone, ["p-2", "p-1"])[0].id == "p-1"
    assert {h.entity.id for h in case.search(everyone, "petrov")} >= {"p-1"}
    assert "p-2" not in {h.entity.id for h in case.search(everyone, "ivan petrov vanya")}
    assert {h.entity.id for h in case.search(everyone, "vanya")} == {"p-1"}
    expanded = case.expand(everyone, ["p-3"], hops=2)
    assert "p-2" not in {n.id for n in expanded.nodes}
    assert {"p-1", PHONE} <= {n.id for n in expanded.nodes}
    assert case.expand(everyone, ["p-2"]).nodes == ()
    assert case.paths(everyone, "p-2", "p-3") == []
    assert [len(p.hops) for p in case.paths(everyone, PHONE, "p-3")] == [2]
    assert case.subgraph(everyone, ["p-2", "p-3"]).nodes[0].id == "p-3"
    stats = case.stats(everyone)
    assert (stats.entities, stats.entities_by_type["Person"]) == (6, 3)
    view_ = case.view(everyone)
    assert "p-2" not in view_.vertex_ids.tolist()


def test_undo_restores_exactly(case: GraphStore, everyone: Scope, analyst: Scope) -> None:
    before = (view(case, everyone), view(case, analyst), case.search(everyone, "petrov"))
    done = case.merge_entities(analyst, ["p-2", "p-1"], "p-1", by="ana", reason="same")
    assert view(case, everyone) != before[0]
    undone = case.undo_resolution(analyst, done.id, by="ana", reason="not the same")
    assert (undone.kind, undone.undoes) == ("undo", done.id)
    assert (view(case, everyone), view(case, analyst), case.search(everyone, "petrov")) == before
    again = case.get_resolution(everyone, done.id)
    assert again is not None and again.undone_by == undone.id


def test_a_merge_moves_what_the_caller_may_not_see_but_shows_only_the_rest(
    case: GraphStore, everyone: Scope, analyst: Scope
) -> None:
    done = case.merge_entities(analyst, ["p-1", "p-2"], None, by="ana", reason="same man")
    assert [(m.source, m.record) for m in done.records] == [("police", "pv-7")]
    assert sorted(m.link for m in done.links) == ["l-2", "l-4"]
    assert (done.records_moved, done.links_moved) == (2, 3)  # for the audit log only
    assert "Vanya" in {s.value for s in case.get_entity(everyone, "p-1").statements}  # type: ignore[union-attr]
    supervisor = case.get_resolution(everyone, done.id)
    assert supervisor is not None
    assert {(m.source, m.record) for m in supervisor.records} == {
        ("police", "pv-7"),
        ("humint", "h-1"),
    }
    assert sorted(m.link for m in supervisor.links) == ["l-2", "l-3", "l-4"]


def test_merge_refusals_change_nothing(case: GraphStore, everyone: Scope, analyst: Scope) -> None:
    before = view(case, everyone)

    def refused(scope: Scope, ids: list[str], into: str | None = None) -> GraphsvcError:
        return fails(lambda: case.merge_entities(scope, ids, into, by="x", reason="why"))

    different = refused(everyone, ["p-1", "o-1"])
    assert isinstance(different, InvalidInput) and different.field == "ids"
    assert "only entities of one type" in different.message
    selector = refused(everyone, [PHONE, PHONE_2])
    assert isinstance(selector, InvalidInput) and "normalised value" in selector.message
    for ids in (["p-1"], ["p-1", "p-1"], []):
        single = refused(everyone, ids)
        assert isinstance(single, InvalidInput) and single.field == "ids"
    outside = refused(everyone, ["p-1", "p-3"], "p-2")
    assert isinstance(outside, InvalidInput) and outside.field == "into"
    collision = refused(everyone, ["p-1", "p-4"])
    assert isinstance(collision, Conflict) and "registry/r-1" in collision.message
    assert isinstance(
        fails(lambda: case.merge_entities(everyone, ["p-1", "p-2"], None, by="x", reason=" ")),
        InvalidInput,
    )
    assert view(case, everyone) == before


def test_an_entity_the_caller_may_not_see_is_not_found_like_a_missing_one(
    make_store: MakeStore, tmp_path: Path, everyone: Scope, analyst: Scope
) -> None:
    store = make_store(tmp_path / "graph.db")
    ingest(store, [*CASE, rec("p-9", "humint", "h-9", HUMINT, name="Secret Man")], tmp_path)
    hidden = fails(lambda: store.merge_entities(analyst, ["p-1", "p-9"], None, by="a", reason="r"))
    missing = fails(lambda: store.merge_entities(analyst, ["p-1", "p-8"], None, by="a", reason="r"))
    assert isinstance(hidden, NotFound) and isinstance(missing, NotFound)
    assert (hidden.field, hidden.message.replace("p-9", "p-8")) == (missing.field, missing.message)
    split_hidden = fails(
        lambda: store.split_entity(
            analyst, "p-9", [RecordRef("humint", "h-9")], [], None, by="a", reason="r"
        )
    )
    split_missing = fails(
        lambda: store.split_entity(
            analyst, "p-8", [RecordRef("humint", "h-9")], [], None, by="a", reason="r"
        )
    )
    assert type(split_hidden) is type(split_missing) is NotFound
    assert split_hidden.message.replace("p-9", "p-8") == split_missing.message
    assert store.get_entity(everyone, "p-9") is not None


# -- split -----------------------------------------------------------------------------------------


def test_split_moves_records_and_link_ends_and_undo_puts_them_back(
    case: GraphStore, everyone: Scope
) -> None:
    before = view(case, everyone)
    done = case.split_entity(
        everyone, "p-3", [RecordRef("registry", "r-3")], ["l-5"], None, by="sup", reason="two"
    )
    new = done.target
    assert new is not None and new.startswith("p-3~split-")
    assert (done.kind, done.entities) == ("split", ("p-3", new))
    assert values(case, everyone, new) == {
        ("name", "Olga Ivanova", "registry", "r-3"),
        ("birthDate", "1991-07-01", "registry", "r-3"),
    }
    assert values(case, everyone, "p-3") == {("name", "Olga Petrova", "police", "pv-8")}
    assert ends(case, everyone, "l-5") == (new, "o-1")
    assert ends(case, everyone, "l-1") == ("p-1", "p-3")
    assert [link.id for link in case.entity_links(everyone, new)] == ["l-5"]
    case.undo_resolution(everyone, done.id, by="sup", reason="one after all")
    assert view(case, everyone) == before
    assert case.get_entity(everyone, new) is None
    # the same split again: the id it had is taken (by an entity with nothing), so another
    again = case.split_entity(
        everyone, "p-3", [RecordRef("registry", "r-3")], ["l-5"], None, by="sup", reason="two"
    )
    assert again.target == f"{new}-2"


def test_split_with_a_chosen_id_and_a_self_loop(case: GraphStore, everyone: Scope) -> None:
    case.merge_entities(everyone, ["p-1", "p-2"], None, by="sup", reason="same")
    done = case.split_entity(
        everyone,
        "p-1",
        [RecordRef("humint", "h-1")],
        ["l-4"],
        "p-2b",
        by="sup",
        reason="the humint source meant his brother",
    )
    assert done.target == "p-2b"
    assert ends(case, everyone, "l-4") == ("p-2b", "p-2b")  # both ends of the loop move
    assert sorted((m.end, m.to_id) for m in done.links) == [("from", "p-2b"), ("to", "p-2b")]


def test_split_refusals(case: GraphStore, everyone: Scope, analyst: Scope) -> None:
    before = view(case, everyone)

    def refused(
        scope: Scope,
        entity_id: str,
        records: list[RecordRef],
        links: list[str] = [],  # noqa: B006
        new_id: str | None = None,
    ) -> GraphsvcError:
        return fails(
            lambda: case.split_entity(scope, entity_id, records, links, new_id, by="x", reason="r")
        )

    r3 = [RecordRef("registry", "r-3")]
    everything = refused(everyone, "p-3", [*r3, RecordRef("police", "pv-8")])
    assert (
        isinstance(everything, InvalidInput)
        and "at least one record must stay" in everything.message
    )
    nothing = refused(everyone, "p-3", [])
    assert isinstance(nothing, InvalidInput) and nothing.field == "records"
    hidden = refused(analyst, "p-2", [RecordRef("humint", "h-1")])
    missing = refused(analyst, "p-2", [RecordRef("humint", "h-2")])
    assert isinstance(hidden, NotFound) and hidden.field == "records"
    assert hidden.message.replace("h-1", "h-2") == missing.message
    # the analyst sees one record of p-2: moving it would leave none they see
    assert isinstance(refused(analyst, "p-2", [RecordRef("police", "pv-7")]), InvalidInput)
    hidden_link = refused(analyst, "p-3", r3, ["l-3"])
    assert isinstance(hidden_link, NotFound) and hidden_link.field == "links"
    assert refused(analyst, "p-3", r3, ["l-9"]).message == hidden_link.message.replace("l-3", "l-9")
    assert isinstance(refused(everyone, "p-3", r3, ["l-2"]), NotFound)  # not a link of p-3
    taken = refused(everyone, "p-3", r3, [], "p-1")
    assert isinstance(taken, InvalidInput) and taken.field == "newId"
    assert isinstance(refused(everyone, "p-3", r3, [], "phone:+33600000000"), InvalidInput)
    selector = refused(everyone, PHONE, [RecordRef("police", "l-2")])
    assert isinstance(selector, InvalidInput)
    assert view(case, everyone) == before


# -- undo ------------------------------------------------------------------------------------------


def test_undo_refusals(case: GraphStore, everyone: Scope, analyst: Scope) -> None:
    first = case.merge_entities(everyone, ["p-1", "p-2"], None, by="sup", reason="same")
    second = case.merge_entities(everyone, ["p-3", "p-1"], None, by="sup", reason="same again")
    late = fails(lambda: case.undo_resolution(everyone, first.id, by="sup", reason="r"))
    assert isinstance(late, Conflict) and "no longer on 'p-1'" in late.message
    hidden = fails(lambda: case.undo_resolution(analyst, first.id, by="ana", reason="r"))
    assert isinstance(hidden, Conflict) and "you may not see" in hidden.message
    assert "h-1" not in hidden.message
    undo = case.undo_resolution(everyone, second.id, by="sup", reason="r")
    assert isinstance(
        fails(lambda: case.undo_resolution(everyone, undo.id, by="s", reason="r")), InvalidInput
    )
    twice = fails(lambda: case.undo_resolution(everyone, second.id, by="sup", reason="r"))
    assert isinstance(twice, Conflict) and "already undone" in twice.message
    case.undo_resolution(everyone, first.id, by="sup", reason="r")
    assert case.get_entity(everyone, "p-2") is not None
    missing = fails(lambda: case.undo_resolution(everyone, "res-nope", by="sup", reason="r"))
    assert isinstance(missing, NotFound) and missing.field == "id"


def test_a_correction_the_scope_sees_nothing_of_is_not_found(
    make_store: MakeStore, tmp_path: Path, everyone: Scope, analyst: Scope
) -> None:
    store = make_store(tmp_path / "graph.db")
    ingest(
        store,
        [
            rec("s-1", "humint", "h-1", HUMINT, name="A"),
            rec("s-2", "humint", "h-2", HUMINT, name="B"),
            rec("p-1", "registry", "r-1", name="C"),
        ],
        tmp_path,
    )
    done = store.merge_entities(everyone, ["s-1", "s-2"], None, by="sup", reason="same")
    assert store.get_resolution(analyst, done.id) is None
    assert store.resolutions(analyst) == []
    error = fails(lambda: store.undo_resolution(analyst, done.id, by="ana", reason="r"))
    assert isinstance(error, NotFound)
    assert error.message == f"no correction {done.id!r}"


# -- re-ingestion ----------------------------------------------------------------------------------


def test_reingesting_after_a_merge_does_not_bring_the_merged_entity_back(
    case: GraphStore, everyone: Scope, tmp_path: Path
) -> None:
    case.merge_entities(everyone, ["p-1", "p-2"], None, by="sup", reason="same")
    after = view(case, everyone)
    ingest(case, CASE, tmp_path)
    assert view(case, everyone) == after
    # a new record about the merged id, and a new link to it, land on the entity kept
    ingest(
        case,
        [rec("p-2", "police", "pv-99", name="Ivan Petrov Jr"), lnk("l-9", "MET", "p-2", "p-3")],
        tmp_path,
    )
    assert case.get_entity(everyone, "p-2") is None
    assert ("name", "Ivan Petrov Jr", "police", "pv-99") in values(case, everyone, "p-1")
    assert ends(case, everyone, "l-9") == ("p-1", "p-3")


def test_reingesting_after_a_split_keeps_the_moved_record_and_link_end(
    case: GraphStore, everyone: Scope, tmp_path: Path
) -> None:
    done = case.split_entity(
        everyone, "p-3", [RecordRef("registry", "r-3")], ["l-5"], "p-3b", by="sup", reason="two"
    )
    after = view(case, everyone, [*IDS, "p-3b"])
    ingest(case, CASE, tmp_path)
    assert view(case, everyone, [*IDS, "p-3b"]) == after
    corrected = rec("p-3", "registry", "r-3", name="Olga IVANOVA", birthDate="1991-07-01")
    ingest(case, [corrected], tmp_path)  # a correction of the source record follows it
    assert ("name", "Olga IVANOVA", "registry", "r-3") in values(case, everyone, "p-3b")
    assert values(case, everyone, "p-3") == {("name", "Olga Petrova", "police", "pv-8")}
    # once the split is undone, re-ingestion writes where the sources say again
    case.undo_resolution(everyone, done.id, by="sup", reason="one")
    ingest(case, CASE, tmp_path)
    assert ("name", "Olga Ivanova", "registry", "r-3") in values(case, everyone, "p-3")
    assert ends(case, everyone, "l-5") == ("p-3", "o-1")


def test_redirects_follow_chains(case: GraphStore, everyone: Scope, tmp_path: Path) -> None:
    case.merge_entities(everyone, ["p-1", "p-2"], None, by="sup", reason="same")
    case.merge_entities(everyone, ["p-3", "p-1"], None, by="sup", reason="same again")
    ingest(case, [rec("p-2", "police", "pv-100", name="Ivan")], tmp_path)
    assert ("name", "Ivan", "police", "pv-100") in values(case, everyone, "p-3")
    # a record split off, its new entity merged back: the last correction decides
    split = case.split_entity(
        everyone, "p-3", [RecordRef("police", "pv-7")], [], "p-7", by="sup", reason="two"
    )
    ingest(case, CASE, tmp_path)
    assert ("name", "Ivan PETROV", "police", "pv-7") in values(case, everyone, "p-7")
    case.merge_entities(everyone, ["p-3", "p-7"], None, by="sup", reason="one after all")
    ingest(case, CASE, tmp_path)
    assert ("name", "Ivan PETROV", "police", "pv-7") in values(case, everyone, "p-3")
    assert case.get_entity(everyone, "p-7") is None
    assert split.kind == "split"


# -- reading corrections ---------------------------------------------------------------------------


def test_resolutions_newest_first_by_author_and_entity(
    case: GraphStore, everyone: Scope, analyst: Scope
) -> None:
    merge = case.merge_entities(analyst, ["p-1", "p-2"], None, by="ana", reason="same")
    split = case.split_entity(
        everyone, "p-3", [RecordRef("registry", "r-3")], [], None, by="sup", reason="two"
    )
    assert [r.id for r in case.resolutions(everyone)] == [split.id, merge.id]
    assert [r.id for r in case.resolutions(everyone, by="ana")] == [merge.id]
    assert [r.id for r in case.resolutions(everyone, entity_id="p-2")] == [merge.id]
    assert [r.id for r in case.resolutions(everyone, limit=1)] == [split.id]
    assert case.resolutions(everyone, entity_id="o-1") == []
    rows_ = case.resolution_rows()
    assert [r.id for r in rows_] == [merge.id, split.id]
    assert len(rows_[0].records) == 2 and rows_[0].redirects == (Redirect("entity", "p-2", "p-1"),)


# -- the property: any corrections, undone in reverse, leave the graph as it was -------------------

EXAMPLES = int(os.environ.get("GRAPHSVC_RESOLUTION_EXAMPLES", "40"))
PEOPLE = ["p-1", "p-2", "p-3", "p-4"]
Step = tuple[str, Any]


@st.composite
def steps(draw: st.DrawFn) -> list[Step]:
    made = draw(
        st.lists(
            st.one_of(
                st.tuples(
                    st.just("merge"),
                    st.lists(st.sampled_from(PEOPLE), min_size=2, max_size=3, unique=True),
                ),
                st.tuples(st.just("split"), st.tuples(st.sampled_from(PEOPLE), st.integers(0, 7))),
                st.tuples(st.just("undo"), st.integers(0, 5)),
            ),
            min_size=1,
            max_size=6,
        )
    )
    return made


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=steps())
def test_any_corrections_undone_in_reverse_give_back_the_graph(
    case: GraphStore, everyone: Scope, plan: list[Step]
) -> None:
    # one store for every example: each ends with everything undone, so each starts as CASE
    original = view(case, everyone)
    ids = list(IDS)
    done: list[Resolution] = []
    for kind, arg in plan:
        try:
            if kind == "merge":
                made = case.merge_entities(everyone, arg, None, by="sup", reason="r")
            elif kind == "split":
                entity_id, pick = arg
                found = case.get_entity(everyone, entity_id)
                if found is None or len(found.records) < 2:
                    continue
                records = sorted(
                    found.records, key=lambda r: (r.provenance.source, r.provenance.record)
                )
                moved = records[pick % len(records)].provenance
                links = [link.id for link in case.entity_links(everyone, entity_id)][pick % 2 :: 2]
                made = case.split_entity(
                    everyone,
                    entity_id,
                    [RecordRef(moved.source, moved.record)],
                    links,
                    None,
                    by="sup",
                    reason="r",
                )
            else:
                live = [r for r in done if r.kind != "undo"]
                if not live:
                    continue
                made = case.undo_resolution(
                    everyone, live[-1 - arg % len(live)].id, by="s", reason="r"
                )
        except (InvalidInput, NotFound, Conflict):
            continue
        done.append(made)
        if made.target is not None and made.target not in ids:
            ids.append(made.target)
    pending = [r for r in case.resolution_rows() if r.kind != "undo" and r.undone_by is None]
    for row in reversed(pending):
        case.undo_resolution(everyone, row.id, by="sup", reason="back")
    assert view(case, everyone) == original
    for extra in ids[len(IDS) :]:
        assert case.get_entity(everyone, extra) is None


# -- the writer's redirects (no store) -------------------------------------------------------------


def test_redirect_chains_and_cycles() -> None:
    redirects = Redirects.of(
        [
            (1, Redirect("record", "a", "m", source="s", record="r")),
            (2, Redirect("entity", "m", "a")),
            (3, Redirect("entity", "b", "a")),
            (4, Redirect("link", "a", "n", link="l", end="from")),
            (5, Redirect("entity", "n", "c")),
        ]
    )
    assert redirects.record("a", "s", "r") == "a"  # split off, then merged back: back
    assert redirects.record("b", "s", "r") == "a"
    assert redirects.record("b", "s", "other") == "a"
    assert redirects.record("m", "s", "x") == "a"
    assert redirects.end("l", "from", "b") == "c"  # b -> a, then the link end -> n -> c
    assert redirects.end("l", "to", "b") == "a"
    assert redirects.end("k", "from", "z") == "z"
    assert not Redirects.of([])


def test_a_moved_record_node_gets_the_digest_of_the_same_record_about_its_new_entity(
    schema: Schema,
) -> None:
    handling = Handling("RESTRICTED", ("FR",), (), "H1", "FR-OCRTEH")
    provenance = Provenance("registry", "r-1", "structured", AT, None, 0.9)

    def about(entity_id: str) -> dict[str, Any]:
        a = EntityAssertion(
            entity_id, "Person", {"name": ["Ivan Petrov"]}, provenance, Grading("B", "2"), handling
        )
        return rows.record_row(schema, a)["fields"]

    stored = {k: v for k, v in about("p-2").items() if v is not None}  # Neo4j drops nulls
    assert rows.moved_record(stored, "p-1") == about("p-1")
    assert set(rows.RECORD_FIELDS) | {"digest"} == set(about("p-1"))


# -- embedded only: the file, the index, migration -------------------------------------------------


def test_a_layout_1_file_gains_the_correction_tables(tmp_path: Path, schema: Schema) -> None:
    path = tmp_path / "old.db"
    with closing(sqlite3.connect(path)) as conn:
        conn.executescript(DDL.replace("('layout', '2')", "('layout', '1')"))
    with EmbeddedStore(path, schema, create=False) as store:
        assert store.resolution_rows() == []
    with closing(sqlite3.connect(path)) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        layout = conn.execute("SELECT value FROM meta WHERE key = 'layout'").fetchone()[0]
    assert {"resolutions", "redirects"} <= tables and layout == "2"


def test_the_index_follows_moved_rows_and_reingestion_changes_nothing(
    tmp_path: Path, schema: Schema, everyone: Scope
) -> None:
    with EmbeddedStore(tmp_path / "graph.db", schema) as store:
        ingest(store, CASE, tmp_path)
        view_before = store.view(everyone)
        store.merge_entities(everyone, ["p-1", "p-2"], None, by="sup", reason="same")
        after = store.view(everyone)
        assert after.version > view_before.version
        assert "p-2" not in after.vertex_ids.tolist()
        loops = after.edge_src == after.edge_dst
        assert int(loops.sum()) == 1  # l-4
        version = after.version
        ingest(store, CASE, tmp_path)
        assert store.view(everyone).version == version  # nothing rewritten
    # another process's store sees the correction too
    with EmbeddedStore(tmp_path / "graph.db", schema, create=False) as other:
        assert other.get_entity(everyone, "p-2") is None


def test_migration_copies_corrections_and_the_copy_respects_them(
    tmp_path: Path, schema: Schema, everyone: Scope
) -> None:
    with EmbeddedStore(tmp_path / "a.db", schema) as source:
        ingest(source, CASE, tmp_path)
        merge = source.merge_entities(everyone, ["p-1", "p-2"], None, by="sup", reason="same")
        split = source.split_entity(
            everyone, "p-3", [RecordRef("registry", "r-3")], ["l-5"], "p-3b", by="s", reason="t"
        )
        gone = source.merge_entities(everyone, ["p-3", "p-4"], None, by="sup", reason="no")
        source.undo_resolution(everyone, gone.id, by="sup", reason="wrong")
        with EmbeddedStore(tmp_path / "b.db", schema) as target:
            report = migrate(source, target)
            assert report.complete, report.differences
            assert report.resolutions == 4
            assert [r.id for r in target.resolution_rows()] == [
                r.id for r in source.resolution_rows()
            ]
            assert view(target, everyone, [*IDS, "p-3b"]) == view(source, everyone, [*IDS, "p-3b"])
            ingest(target, CASE, tmp_path)
            assert target.get_entity(everyone, "p-2") is None
            assert ends(target, everyone, "l-5") == ("p-3b", "o-1")
            assert migrate(source, target).resolutions == 0  # again: nothing to copy
            target.undo_resolution(everyone, split.id, by="sup", reason="r")
            assert ends(target, everyone, "l-5") == ("p-3", "o-1")
    assert merge.kind == "merge"
