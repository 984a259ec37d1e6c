"""What the store gives the analytics, on every backend: grading weights, positions, reads at
view positions, numeric link values, the provenance note; and the embedded store's migration
adding the note's columns."""

from __future__ import annotations

import itertools
import math
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from graphsvc.model.schema import Schema
from graphsvc.policy import Scope
from graphsvc.store.embedded import EmbeddedStore
from graphsvc.store.protocol import GraphStore
from graphsvc.store.view import ScopedView
from tests.conftest import entity, link, load, scope_of

CONF_BE = {"classification": "CONFIDENTIAL", "releasableTo": ["BE", "FR"], "originator": "BE-PJF"}
SECRET_FR = {"classification": "SECRET", "releasableTo": ["FR"], "originator": "FR-OCRTEH"}
PHONE_A, PHONE_B = "+33 6 12 34 56 78", "+33 6 98 76 54 32"


def person(entity_id: str) -> dict[str, str]:
    return {"id": entity_id, "type": "Person"}


def graded(record: dict[str, Any], source: str, information: str) -> dict[str, Any]:
    record["grading"] = {"source": source, "information": information}
    return record


def link_ids(store: GraphStore, scope: Scope, view: ScopedView) -> list[str]:
    """The link id of each edge of ``view`` (built for ``scope``): on the embedded store read
    from the file itself, on another backend asked of the store."""
    if isinstance(store, EmbeddedStore):
        with sqlite3.connect(store.path) as conn:
            by_lid = dict(conn.execute("SELECT lid, id FROM links"))
        return [by_lid[k] for k in view.edge_key.tolist()]
    found = store.links_at(scope, view, list(range(view.m)))
    assert all(found), "every edge of a view just built is visible"
    return [lk.id for lk in found if lk]


def be_scope(schema: Schema) -> Any:
    return scope_of(schema, agency="BE-PJF", country="BE", clearance="CONFIDENTIAL")


# -- grading weights -------------------------------------------------------------------------------


def test_edge_grade_is_the_product_of_the_policy_weights(loaded, schema):
    policy = schema.policy
    combos = list(
        itertools.product(sorted(policy.source_grades), sorted(policy.information_grades))
    )
    assert len(combos) == 16
    store = loaded(
        [graded(link(f"g{s}{i}", person(f"a{s}{i}"), person(f"b{s}{i}")), s, i) for s, i in combos]
    )
    scope = scope_of(schema)
    view = store.view(scope)
    expected = {
        f"g{s}{i}": policy.source_grades[s].weight * policy.information_grades[i].weight
        for s, i in combos
    }
    got = dict(zip(link_ids(store, scope, view), view.edge_grade.tolist(), strict=True))
    assert got == pytest.approx(expected)
    assert len(set(expected.values())) > 5  # the weights really differ
    assert view.edge_grade.dtype == np.float32


def test_edge_grade_follows_a_regraded_link(loaded, schema):
    store = loaded([graded(link("m1", person("a"), person("b")), "A", "1")])
    assert store.view(scope_of(schema)).edge_grade.tolist() == [1.0]
    load(store, [graded(link("m1", person("a"), person("b")), "C", "4")])
    policy = schema.policy
    expected = policy.source_grades["C"].weight * policy.information_grades["4"].weight
    assert store.view(scope_of(schema)).edge_grade.tolist() == pytest.approx([expected])


# -- positions -------------------------------------------------------------------------------------


def test_positions_of_finds_each_id_or_minus_one(loaded, schema):
    store = loaded(
        [
            link("m1", person("zed"), person("amy")),
            link("m2", person("bob"), person("amy")),
            link("c1", PHONE_A, PHONE_B, "CALLED"),
            entity("solo", name="Solo"),
            link("hidden", person("ghost"), person("amy"), handling=SECRET_FR),
        ]
    )
    view = store.view(be_scope(schema))
    asked = ["bob", "nobody", "phone:+33612345678", "amy", "solo", "ghost", "bob", "zed", ""]
    found = view.positions_of(asked)
    assert found.dtype == np.int64 and found.shape == (len(asked),)
    for entity_id, position in zip(asked, found.tolist(), strict=True):
        if entity_id in ("nobody", "ghost", ""):
            assert position == -1
        else:
            assert view.vertex_ids[position] == entity_id
    assert view.positions_of([]).shape == (0,)
    assert view.positions_of(view.vertex_ids.tolist()).tolist() == list(range(view.n))


def test_positions_of_in_an_empty_view(store, schema):
    view = store.view(scope_of(schema))
    assert view.n == 0
    assert view.positions_of(["a", "b"]).tolist() == [-1, -1]


# -- reads at view positions -----------------------------------------------------------------------


@pytest.fixture
def small(loaded):
    return loaded(
        [
            entity("a", name="Anna"),
            link("m1", person("a"), person("b"), handling=CONF_BE),
            link("m2", person("c"), person("b")),
            link("m3", person("b"), person("x"), handling=CONF_BE),
            link("c1", PHONE_A, PHONE_B, "CALLED", durationSeconds=60),
            link("s1", person("a"), person("s"), handling=SECRET_FR),
        ]
    )


def test_entities_and_links_at_come_in_the_order_asked(small, schema):
    scope = be_scope(schema)
    view = small.view(scope)
    assert "s" not in view.vertex_ids.tolist()
    vertices = [3, 0, 5, 1, 3, 4, 2]
    entities = small.entities_at(scope, view, vertices)
    assert [e.id for e in entities] == view.vertex_ids[vertices].tolist()
    anna = small.entities_at(scope, view, view.positions_of(["a"]).tolist())[0]
    assert anna.id == "a" and anna.label == "Anna"
    edges = [3, 1, 0, 2, 1]
    links = small.links_at(scope, view, edges)
    ids = link_ids(small, scope, view)
    assert [lk.id for lk in links] == [ids[e] for e in edges]
    for e, lk in zip(edges, links, strict=True):
        assert (lk.source_id, lk.target_id) == (
            view.vertex_ids[view.edge_src[e]],
            view.vertex_ids[view.edge_dst[e]],
        )
    assert small.entities_at(scope, view, []) == [] and small.links_at(scope, view, []) == []


def test_what_stopped_being_visible_since_the_view_is_none(small, schema):
    scope = be_scope(schema)
    view = small.view(scope)
    ids = link_ids(small, scope, view)
    # m3 is re-asserted at SECRET: x, seen only through it, disappears with it
    load(small, [link("m3", person("b"), person("x"), handling={**CONF_BE, **SECRET_FR})])
    edges = [ids.index("m3"), ids.index("m1")]
    assert [lk and lk.id for lk in small.links_at(scope, view, edges)] == [None, "m1"]
    x, b = view.positions_of(["x", "b"]).tolist()
    assert [e and e.id for e in small.entities_at(scope, view, [x, b, x])] == [None, "b", None]
    # a scope that may see it gets it at its position in its own view
    fr = scope_of(schema)
    fr_view = small.view(fr)
    assert small.links_at(fr, fr_view, [link_ids(small, fr, fr_view).index("m3")])[0].id == "m3"


# -- numeric link values ---------------------------------------------------------------------------


@pytest.fixture
def numbers(loaded):
    return loaded(
        [
            link("c1", PHONE_A, PHONE_B, "CALLED", durationSeconds=60, cellId="123"),
            link("c2", PHONE_B, PHONE_A, "CALLED", durationSeconds=0),
            link("c3", PHONE_A, "+33 6 11 11 11 11", "CALLED"),
            link(
                "c4",
                PHONE_B,
                "+33 6 22 22 22 22",
                "CALLED",
                durationSeconds=999,
                handling=SECRET_FR,
            ),
            link(
                "t1",
                {"type": "BankAccount", "value": "FR1420041010050500013M02606"},
                {"type": "BankAccount", "value": "BE68539007547034"},
                "TRANSFERRED_TO",
                amount=12.5,
            ),
            link("m1", person("a"), person("b")),
        ]
    )


def test_link_numbers_give_each_edge_its_value(numbers, schema):
    scope = be_scope(schema)
    view = numbers.view(scope)
    ids = link_ids(numbers, scope, view)
    assert "c4" not in ids
    durations = numbers.link_numbers(scope, view, "durationSeconds")
    assert durations.shape == (view.m,) and durations.dtype == np.float64
    expected = {"c1": 60.0, "c2": 0.0}
    for link_id, value in zip(ids, durations.tolist(), strict=True):
        if link_id in expected:
            assert value == expected[link_id]
        else:
            assert math.isnan(value), link_id
    assert 999.0 not in durations.tolist()
    amounts = numbers.link_numbers(scope, view, "amount")
    assert [a for a in amounts.tolist() if not math.isnan(a)] == [12.5]
    assert amounts[ids.index("t1")] == 12.5


def test_link_numbers_are_nan_for_text_and_unknown_properties(numbers, schema):
    scope = be_scope(schema)
    view = numbers.view(scope)
    for prop in ("cellId", "nothing", "a.b", 'dur"ation'):
        assert np.isnan(numbers.link_numbers(scope, view, prop)).all(), prop


def test_link_numbers_never_show_a_link_hidden_since_the_view(numbers, schema):
    scope = be_scope(schema)
    view = numbers.view(scope)
    ids = link_ids(numbers, scope, view)
    load(
        numbers,
        [link("c1", PHONE_A, PHONE_B, "CALLED", durationSeconds=61, handling=SECRET_FR)],
    )
    values = numbers.link_numbers(scope, view, "durationSeconds")
    assert math.isnan(values[ids.index("c1")]) and values[ids.index("c2")] == 0.0
    secret = scope_of(schema)
    wide = numbers.view(secret)
    wide_values = dict(
        zip(
            link_ids(numbers, secret, wide),
            numbers.link_numbers(secret, wide, "durationSeconds").tolist(),
            strict=True,
        )
    )
    assert wide_values["c1"] == 61.0 and wide_values["c4"] == 999.0


def test_link_numbers_of_an_empty_view(store, schema):
    view = store.view(scope_of(schema))
    assert store.link_numbers(scope_of(schema), view, "durationSeconds").shape == (0,)


# -- the provenance note ---------------------------------------------------------------------------


def noted(record: dict[str, Any], note: str | None) -> dict[str, Any]:
    if note is not None:
        record["provenance"] = {**record["provenance"], "method": "analyst", "note": note}
    return record


def test_the_note_round_trips_on_links_and_entity_records(store, schema):
    text = "Seen together at the port twice; the second sighting is from a photo — ünïcode."
    load(
        store,
        [
            noted(link("m1", person("a"), person("b")), text),
            noted(entity("a", name="Anna"), "named by an informant"),
            link("m2", person("a"), person("c")),
        ],
    )
    scope = scope_of(schema)
    found = store.get_link(scope, "m1")
    assert found.provenance.note == text and found.provenance.method == "analyst"
    assert found.to_dict()["provenance"]["note"] == text
    plain = store.get_link(scope, "m2")
    assert plain.provenance.note is None and "note" not in plain.to_dict()["provenance"]
    anna = store.get_entity(scope, "a")
    assert [r.provenance.note for r in anna.records] == ["named by an informant"]
    # a changed note is a change: the link is rewritten
    load(store, [noted(link("m1", person("a"), person("b")), "revised")])
    assert store.get_link(scope, "m1").provenance.note == "revised"


def test_a_store_from_before_the_note_gets_its_columns_on_opening(tmp_path: Path, schema):
    path = tmp_path / "old.db"
    with EmbeddedStore(path, schema) as old:
        load(old, [entity("a", name="Anna"), link("m1", person("a"), person("b"))])
    with sqlite3.connect(path) as conn:
        for table in ("links", "erecords"):
            conn.execute(f"ALTER TABLE {table} DROP COLUMN note")
    conn.close()

    def columns(table: str) -> set[str]:
        with sqlite3.connect(path) as check:
            found = {row[1] for row in check.execute(f"PRAGMA table_info({table})")}
        check.close()
        return found

    assert "note" not in columns("links") and "note" not in columns("erecords")
    with EmbeddedStore(path, schema, create=False) as reopened:
        assert "note" in columns("links") and "note" in columns("erecords")
        scope = scope_of(schema)
        assert reopened.get_link(scope, "m1").provenance.note is None
        assert reopened.get_entity(scope, "a").label == "Anna"
        assert [n.id for n in reopened.expand(scope, ["a"]).nodes] == ["a", "b"]
        load(reopened, [noted(link("m2", person("b"), person("c")), "new since")])
        assert reopened.get_link(scope, "m2").provenance.note == "new since"
        view = reopened.view(scope)
        assert view.m == 2 and sorted(link_ids(reopened, scope, view)) == ["m1", "m2"]
    with EmbeddedStore(path, schema) as again:  # opening an up-to-date file changes nothing
        assert again.get_link(scope_of(schema), "m2").provenance.note == "new since"
