"""The store: statements and their sources, scoped reads, traversals, search, views,
idempotent writes and catching up with writes made through another connection, on every
backend; and the embedded store's own file (its data version, a file that is not a store)."""

from __future__ import annotations

import itertools
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from graphsvc.model.properties import epoch_seconds
from graphsvc.model.records import EndRef, RecordValidator
from graphsvc.model.schema import Schema
from graphsvc.store.embedded import EmbeddedStore
from graphsvc.store.protocol import LinkFilter
from tests.conftest import MakeStore, entity, link, load, scope_of

SECRET_FR = {"classification": "SECRET", "releasableTo": ["FR"], "originator": "FR-OCRTEH"}
CONF_BE = {"classification": "CONFIDENTIAL", "releasableTo": ["BE", "FR"], "originator": "BE-PJF"}


def person(entity_id: str) -> dict[str, str]:
    return {"id": entity_id, "type": "Person"}


def data_version(store: EmbeddedStore) -> int:
    with sqlite3.connect(store.path) as conn:
        return int(conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()[0])


# -- entities and statements ---------------------------------------------------------------------


def test_each_value_remembers_its_record_and_hidden_records_add_nothing(loaded, schema):
    store = loaded(
        [
            entity("p1", name="Ivan Petrov", birthDate="1980-02-03"),
            entity("p1", name="Ivan PETROV", nationality=["RU"], handling=SECRET_FR, record="r2"),
        ]
    )
    fr_secret = store.get_entity(scope_of(schema, clearance="SECRET"), "p1")
    assert fr_secret is not None
    assert fr_secret.properties == {
        "name": ["Ivan PETROV", "Ivan Petrov"],
        "birthDate": ["1980-02-03"],
        "nationality": ["RU"],
    }
    by_value = {(s.property, s.value): s.record for s in fr_secret.statements}
    assert by_value[("nationality", "RU")] != by_value[("birthDate", "1980-02-03")]

    be = store.get_entity(scope_of(schema, agency="BE-PJF", country="BE"), "p1")
    assert be is not None
    assert be.properties == {"name": ["Ivan Petrov"], "birthDate": ["1980-02-03"]}
    assert len(be.records) == 1 and be.records[0].handling.classification == "UNCLASSIFIED"


def test_entity_seen_only_through_a_link_shows_identity_but_no_values(loaded, schema):
    store = loaded(
        [
            entity("p1", name="Hidden Name", handling=SECRET_FR),
            link("m1", person("p1"), person("p2"), handling=CONF_BE),
        ]
    )
    be = scope_of(schema, agency="BE-PJF", country="BE", clearance="CONFIDENTIAL")
    seen = store.get_entity(be, "p1")
    assert seen is not None and seen.type == "Person"
    assert seen.statements == () and seen.label == "p1"
    # without clearance for the link, the entity does not exist for this caller
    restricted = scope_of(schema, agency="BE-POL", country="BE", clearance="RESTRICTED")
    assert store.get_entity(restricted, "p1") is None
    assert store.get_entity(be, "no-such-id") is None


def test_selector_value_is_the_identity_and_link_ends_normalise(loaded, schema):
    store = loaded(
        [
            link(
                "c1", "+33 6 12 34 56 78", "+32 470 12 34 56", "CALLED", date="2024-01-02T10:00:00Z"
            ),
            entity(None, "Phone", number="+33 612 345 678", carrier="Orange"),
        ]
    )
    phone = store.get_entity(scope_of(schema), "phone:+33612345678")
    assert phone is not None
    assert phone.properties["number"] == ["+33612345678"]
    assert phone.properties["carrier"] == ["Orange"]
    derived = [s for s in phone.statements if s.derived]
    assert [s.property for s in derived] == ["number"]
    assert store.get_link(scope_of(schema), "c1").target_id == "phone:+32470123456"


def test_label_is_the_most_asserted_visible_name(loaded, schema):
    store = loaded(
        [
            entity("p1", name="A. Petrov", record="1"),
            entity("p1", name="Ivan Petrov", record="2"),
            entity("p1", name="Ivan Petrov", record="3"),
        ]
    )
    assert store.get_entity(scope_of(schema), "p1").label == "Ivan Petrov"


# -- links -----------------------------------------------------------------------------------------


def test_link_carries_provenance_grading_handling(loaded, schema):
    store = loaded([link("m1", person("a"), person("b"), handling=CONF_BE, confidence=0.7)])
    found = store.get_link(scope_of(schema, clearance="CONFIDENTIAL"), "m1")
    assert found is not None
    as_dict = found.to_dict()
    assert as_dict["provenance"]["confidence"] == 0.7
    assert as_dict["grading"] == {"source": "B", "information": "2"}
    assert as_dict["handling"]["originator"] == "BE-PJF"
    assert as_dict["handling"]["releasableTo"] == ["BE", "FR"]
    assert store.get_link(scope_of(schema, country="DE", agency="DE-BKA"), "m1") is None


def test_entity_links_are_paginated_filtered_and_scoped(loaded, schema):
    records = [
        link(f"m{i}", person("hub"), person(f"p{i}"), date=f"2024-0{1 + i % 9}-01")
        for i in range(10)
    ]
    records.append(link("secret", person("hub"), person("x"), handling=SECRET_FR))
    store = loaded(records)
    fr = scope_of(schema, clearance="SECRET")
    be = scope_of(schema, agency="BE-PJF", country="BE")
    assert [lk.id for lk in store.entity_links(fr, "hub", limit=100)] == sorted(
        [f"m{i}" for i in range(10)] + ["secret"]
    )
    assert "secret" not in [lk.id for lk in store.entity_links(be, "hub", limit=100)]
    page = store.entity_links(be, "hub", limit=3, offset=3)
    assert [lk.id for lk in page] == ["m3", "m4", "m5"]
    since = LinkFilter(since=epoch_seconds("2024-05-01"))
    assert {lk.id for lk in store.entity_links(be, "hub", since)} == {"m4", "m5", "m6", "m7", "m8"}


# -- traversals ------------------------------------------------------------------------------------


@pytest.fixture
def chain(loaded):
    # a - b - c - d, plus a hidden shortcut a - d and a parallel pair b = c
    return loaded(
        [
            link("ab", person("a"), person("b"), date="2024-01-01"),
            link("bc1", person("b"), person("c"), date="2024-02-01"),
            link("bc2", person("c"), person("b"), date="2024-03-01", confidence=0.2),
            link("cd", person("c"), person("d"), date="2024-04-01"),
            link("ad", person("a"), person("d"), handling=SECRET_FR),
        ]
    )


def test_expand_by_hops_never_crosses_a_hidden_link(chain, schema):
    be = scope_of(schema, agency="BE-PJF", country="BE")
    one = chain.expand(be, ["a"], hops=1)
    assert [n.id for n in one.nodes] == ["a", "b"]
    assert [lk.id for lk in one.links] == ["ab"]
    two = chain.expand(be, ["a"], hops=2)
    assert [n.id for n in two.nodes] == ["a", "b", "c"]
    assert [lk.id for lk in two.links] == ["ab", "bc1", "bc2"]
    fr = chain.expand(scope_of(schema), ["a"], hops=1)
    assert [n.id for n in fr.nodes] == ["a", "b", "d"]


def test_expand_filters_by_type_time_and_confidence(chain, schema):
    be = scope_of(schema, agency="BE-PJF", country="BE")
    late = chain.expand(
        be, ["b"], hops=2, link_filter=LinkFilter(since=epoch_seconds("2024-02-15"))
    )
    assert [n.id for n in late.nodes] == ["b", "c", "d"]
    assert [lk.id for lk in late.links] == ["bc2", "cd"]
    confident = chain.expand(be, ["b"], hops=1, link_filter=LinkFilter(min_confidence=0.5))
    assert [lk.id for lk in confident.links] == ["ab", "bc1"]
    assert (
        chain.expand(be, ["b"], hops=2, link_filter=LinkFilter(types=frozenset({"CALLED"}))).links
        == ()
    )


def test_expand_truncates_canonically(loaded, schema):
    store = loaded([link(f"l{i}", person("hub"), person(f"n{i:02d}")) for i in range(30)])
    cut = store.expand(scope_of(schema), ["hub"], hops=1, max_nodes=5)
    assert cut.truncated
    assert [n.id for n in cut.nodes] == ["hub", "n00", "n01", "n02", "n03"]
    few_links = store.expand(scope_of(schema), ["hub"], hops=1, max_links=3)
    assert few_links.truncated and [lk.id for lk in few_links.links] == ["l0", "l1", "l10"]
    assert not store.expand(scope_of(schema), ["hub"], hops=1).truncated


def test_paths_shortest_first_then_by_ids_with_parallel_links_per_hop(chain, schema):
    be = scope_of(schema, agency="BE-PJF", country="BE")
    found = chain.paths(be, "a", "d", max_hops=4)
    assert [[n.id for n in p.nodes] for p in found] == [["a", "b", "c", "d"]]
    assert [[lk.id for lk in hop] for hop in found[0].hops] == [["ab"], ["bc1", "bc2"], ["cd"]]
    assert found[0].length == 3
    assert chain.paths(be, "a", "d", max_hops=2) == []
    fr = chain.paths(scope_of(schema), "a", "d", max_hops=4)
    assert [[n.id for n in p.nodes] for p in fr] == [["a", "d"], ["a", "b", "c", "d"]]


def test_paths_directed_follow_direction(loaded, schema):
    store = loaded(
        [
            link("t1", person("x"), {"id": "acct", "type": "Organization"}, "EMPLOYED_BY"),
            link("t2", person("y"), {"id": "acct", "type": "Organization"}, "EMPLOYED_BY"),
        ]
    )
    scope = scope_of(schema)
    assert len(store.paths(scope, "x", "y", max_hops=2)) == 1
    assert store.paths(scope, "x", "y", max_hops=2, directed=True) == []


def test_paths_enumerate_alternatives_in_id_order(loaded, schema):
    # s connects to t through m3, m1, m2 (each two hops), and directly through nothing
    records = []
    for middle in ("m3", "m1", "m2"):
        records += [
            link(f"s-{middle}", person("s"), person(middle)),
            link(f"{middle}-t", person(middle), person("t")),
        ]
    store = loaded(records)
    found = store.paths(scope_of(schema), "s", "t", max_hops=3, limit=2)
    assert [[n.id for n in p.nodes] for p in found] == [["s", "m1", "t"], ["s", "m2", "t"]]


def test_subgraph_is_the_visible_links_among_given_entities(chain, schema):
    be = scope_of(schema, agency="BE-PJF", country="BE")
    sub = chain.subgraph(be, ["a", "b", "d", "nobody"])
    assert [n.id for n in sub.nodes] == ["a", "b", "d"]
    assert [lk.id for lk in sub.links] == ["ab"]


# -- search ----------------------------------------------------------------------------------------


@pytest.fixture
def people(loaded):
    return loaded(
        [
            entity("p1", name="Élodie Lefèvre"),
            entity("p2", name="Ștefan Popescu", aliases=["Stefi"]),
            entity("p3", name="Ivan Petrov"),
            entity("p4", name="Ivana Petrova", handling=SECRET_FR),
            entity("o1", "Organization", name="Petrov Logistics SPRL"),
            link("c1", "+33 6 12 34 56 78", "+33 6 98 76 54 32", "CALLED"),
        ]
    )


def test_search_tolerates_accents_case_and_typos(people, schema):
    scope = scope_of(schema, clearance="CONFIDENTIAL")
    assert people.search(scope, "elodie lefevre")[0].entity.id == "p1"
    assert people.search(scope, "STEFAN POPESCU")[0].entity.id == "p2"
    assert people.search(scope, "Ivan Petorv")[0].entity.id == "p3"
    assert people.search(scope, "stefi")[0].entity.id == "p2"
    hits = people.search(scope, "petrov")
    assert {h.entity.id for h in hits} == {"p3", "o1"}
    assert hits == sorted(hits, key=lambda h: (-h.score, h.entity.id))


def test_search_never_matches_hidden_names(people, schema):
    secret = people.search(scope_of(schema, clearance="SECRET"), "ivana petrova")
    assert secret[0].entity.id == "p4"
    confidential = people.search(scope_of(schema, clearance="CONFIDENTIAL"), "ivana petrova")
    assert "p4" not in {h.entity.id for h in confidential}


def test_search_by_type_and_by_selector(people, schema):
    scope = scope_of(schema)
    assert [h.entity.id for h in people.search(scope, "petrov", types=["Organization"])] == ["o1"]
    phone = people.search(scope, "06 12 34 56 78")
    assert phone[0].entity.id == "phone:+33612345678" and phone[0].score == 100.0
    assert people.search(scope_of(schema, country="BE", agency="BE-PJF"), "06 12 34 56 78") == []
    assert people.search(scope, "   ") == []


# -- writes, versions and views --------------------------------------------------------------------


def test_rewriting_the_same_records_changes_nothing(embedded_store, schema):
    store = embedded_store  # the data version is read from its file
    records = [entity("p1", name="A"), link("m1", person("p1"), person("p2"))]
    assert load(store, records).accepted == 2
    version = data_version(store)
    assert load(store, records).accepted == 2
    assert data_version(store) == version
    assert store.totals().links == 1 and store.totals().records == 1


def test_a_changed_record_replaces_its_values(store, schema):
    load(store, [entity("p1", name="Old Name")])
    load(store, [entity("p1", name="New Name")])
    assert store.get_entity(scope_of(schema), "p1").properties["name"] == ["New Name"]
    assert all(hit.matched != "Old Name" for hit in store.search(scope_of(schema), "old name"))


def test_units_are_atomic_and_conflicts_are_refused(store, schema):
    validator = RecordValidator(schema)
    person_p1 = validator.entity(entity("p1", name="A"))
    org_p1 = validator.entity(entity("p1", "Organization", name="B"))
    draft = validator.link(link("m1", person("p1"), person("p2")))
    good_link = draft.resolve(EndRef("p1", "Person"), EndRef("p2", "Person"))
    rejections = store.write([[person_p1], [org_p1, good_link]])
    assert [(r.index, r.field) for r in rejections] == [(1, "id")]
    assert "is a Person" in rejections[0].reason
    assert store.get_link(scope_of(schema), "m1") is None  # refused with its unit
    other_source = validator.link(
        {**link("m1", person("p1"), person("p2")), "provenance": {"source": "other", "record": "x"}}
    )
    assert store.write([[good_link]]) == []
    refused = store.write([[other_source.resolve(EndRef("p1", "Person"), EndRef("p2", "Person"))]])
    assert refused and "already belongs to source 'test'" in refused[0].reason


def test_views_are_cached_per_scope_and_refreshed_after_writes(store, schema):
    load(store, [link("m1", person("a"), person("b"))])
    scope = scope_of(schema)
    first = store.view(scope)
    assert store.view(scope_of(schema, id="someone-else")) is first  # same visibility, same view
    assert (first.n, first.m) == (2, 1)
    load(store, [link("m2", person("b"), person("c"))])
    second = store.view(scope)
    assert second is not first and (second.n, second.m) == (3, 2)
    assert second.graph.ecount() == 2 and sorted(second.graph.vs["id"]) == ["a", "b", "c"]


def test_a_reader_catches_up_with_writes_from_another_connection(
    tmp_path: Path, schema: Schema, make_store: MakeStore
):
    path = tmp_path / "shared.db"
    with closing(make_store(path)) as writer, closing(make_store(path)) as reader:
        load(writer, [link("m1", person("a"), person("b"), handling=CONF_BE)])
        scope = scope_of(schema, clearance="CONFIDENTIAL")
        assert [n.id for n in reader.expand(scope, ["a"]).nodes] == ["a", "b"]
        # the same link id re-asserted with stricter handling becomes invisible to the reader
        load(
            writer,
            [
                link(
                    "m1", person("a"), person("b"), handling={**CONF_BE, "classification": "SECRET"}
                )
            ],
        )
        assert reader.expand(scope, ["a"]).nodes == ()
        assert reader.get_link(scope, "m1") is None
        load(writer, [link("m2", person("a"), person("c"))])
        assert [n.id for n in reader.expand(scope, ["a"]).nodes] == ["a", "c"]


def test_stats_total_and_scoped(chain, schema):
    total = chain.totals()
    assert (total.entities, total.links) == (4, 5)
    assert total.links_by_classification == {"UNCLASSIFIED": 4, "SECRET": 1}
    be = chain.stats(scope_of(schema, agency="BE-PJF", country="BE"))
    assert (be.entities, be.links) == (4, 4)
    assert be.links_by_type == {"MET": 4}


def test_opening_something_that_is_not_a_store_is_a_clear_error(tmp_path: Path, schema: Schema):
    from graphsvc.errors import StoreError

    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match=r"junk\.db"):
        EmbeddedStore(junk, schema)
    with pytest.raises(StoreError, match="no store"):
        EmbeddedStore(tmp_path / "missing.db", schema, create=False)


def test_a_path_search_that_would_run_away_stops_with_a_named_limit(loaded, schema, monkeypatch):
    from graphsvc.errors import LimitExceeded
    from graphsvc.store import traverse

    # three layers of five people, everyone linked to the whole next layer: 125 paths of 4 hops
    records = []
    layers = [["s"], [f"a{i}" for i in range(5)], [f"b{i}" for i in range(5)], ["t"]]
    for left, right in itertools.pairwise(layers):
        records += [link(f"{x}-{y}", person(x), person(y)) for x in left for y in right]
    store = loaded(records)
    assert len(store.paths(scope_of(schema), "s", "t", max_hops=3, limit=100)) == 25
    monkeypatch.setattr(traverse, "DFS_BUDGET", 20)
    with pytest.raises(LimitExceeded, match="path search"):
        store.paths(scope_of(schema), "s", "t", max_hops=3, limit=100)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda s, sc: s.expand(sc, ["a"], hops=-1), "hops"),
        (lambda s, sc: s.expand(sc, ["a"], max_nodes=0), "max_nodes"),
        (lambda s, sc: s.paths(sc, "a", "b", limit=-1), "limit"),
        (lambda s, sc: s.search(sc, "a", limit=-1), "limit"),
        (lambda s, sc: s.entity_links(sc, "a", offset=-5), "offset"),
    ],
)
def test_sizes_are_checked_by_the_store(store, schema, call, field):
    from graphsvc.errors import InvalidInput

    with pytest.raises(InvalidInput) as caught:
        call(store, scope_of(schema))
    assert caught.value.field == field


def test_a_level_withdrawn_from_the_policy_hides_its_records_and_reads_go_on(
    tmp_path: Path, schema: Schema, make_store: MakeStore
):
    import shutil

    from tests.conftest import REPO

    wider = tmp_path / "schema"
    shutil.copytree(REPO / "schema", wider)
    policy = wider / "handling.yaml"
    policy.write_text(
        policy.read_text().replace("CONFIDENTIAL, SECRET]", "CONFIDENTIAL, SECRET, COSMIC]")
    )
    with closing(make_store(tmp_path / "g.db", schema=Schema.load(wider))) as before:
        load(
            before,
            [
                link("m1", person("a"), person("b")),
                link("m2", person("a"), person("c"), handling={"classification": "COSMIC"}),
            ],
        )
    with closing(make_store(tmp_path / "g.db", schema=schema)) as after:
        scope = scope_of(schema, clearance="SECRET", agency="FR-OCRTEH")  # even the originator
        assert [n.id for n in after.expand(scope, ["a"]).nodes] == ["a", "b"]
        assert after.get_link(scope, "m2") is None
        assert after.stats(scope).links == 1


def test_a_number_typed_as_a_name_does_not_match_every_house_number(loaded, schema):
    store = loaded(
        [
            entity("a1", "Address", full="78 rue de Paris, Lyon"),
            entity("a2", "Address", full="12 place du Marché, Bobigny"),
            link("c1", "+33 6 12 34 56 78", "+33 6 98 76 54 32", "CALLED"),
        ]
    )
    hits = store.search(scope_of(schema), "06 12 34 56 78")
    assert [h.entity.id for h in hits] == ["phone:+33612345678"]
    assert [h.entity.id for h in store.search(scope_of(schema), "78 rue de paris")] == ["a1"]
