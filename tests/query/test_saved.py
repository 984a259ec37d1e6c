"""Saved queries: versions, idempotent saves, sharing across principals and agencies, names
bare and qualified, deletion, the shipped queries, and persistence in the store (on every
backend; the embedded store's files made before the saved-query tables existed)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from graphsvc.errors import Forbidden, GraphsvcError, InvalidInput, NotFound, StoreError
from graphsvc.query.saved import SYSTEM_OWNER, SavedQueries, SavedQuery
from graphsvc.store.embedded import EmbeddedStore
from graphsvc.store.embedded.ddl import DDL
from graphsvc.store.protocol import GraphStore, SavedQueryRow
from tests.conftest import MakeStore, make_principal

ALICE = make_principal(id="alice", agency="FR-OCRTEH")
AMELIE = make_principal(id="amelie", agency="FR-OCRTEH")  # alice's agency
BOB = make_principal(id="bob", agency="BE-PJF", country="BE")
CLARA = make_principal(id="clara", agency="NL-NP", country="NL")
ROOT = make_principal(id="root", agency="FR-DCPJ", roles=["admin"])

PARAMS = ({"name": "person", "type": "string", "default": None, "required": True},)
BODY = "find Person where name ~ $person | expand 1"


class Clock:
    """Ten o'clock on 2026-11-23, one minute later at every reading."""

    def __init__(self) -> None:
        self.at = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        moment = self.at
        self.at += timedelta(minutes=1)
        return moment


@pytest.fixture
def saved(store: GraphStore) -> SavedQueries:
    return SavedQueries(store, now=Clock())


def data_version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()[0])


def failure(call: Callable[[], Any]) -> GraphsvcError:
    with pytest.raises(GraphsvcError) as caught:
        call()
    return caught.value


# -- saving and versions -------------------------------------------------------------------------


def test_save_creates_version_1_then_new_versions_keeping_the_old(saved):
    first = saved.save(ALICE, "associates", BODY, description="who", parameters=PARAMS)
    assert first == SavedQuery(
        name="associates",
        version=1,
        description="who",
        parameters=PARAMS,
        body=BODY,
        owner="alice",
        agency="FR-OCRTEH",
        sharing="private",
        created_at="2026-11-23T10:00:00Z",
        updated_at="2026-11-23T10:00:00Z",
    )
    second = saved.save(ALICE, "associates", BODY + " | limit 5", description="who")
    assert (second.version, second.parameters) == (2, ())
    assert (second.created_at, second.updated_at) == (
        "2026-11-23T10:00:00Z",
        "2026-11-23T10:01:00Z",
    )

    assert saved.get(ALICE, "associates") == second
    assert saved.get(ALICE, "associates", version=1) == first
    assert [q.version for q in saved.history(ALICE, "associates")] == [1, 2]
    assert [q.body for q in saved.history(ALICE, "alice/associates")] == [BODY, second.body]

    missing = failure(lambda: saved.get(ALICE, "associates", version=3))
    assert isinstance(missing, NotFound)
    assert (missing.field, missing.message) == (
        "version",
        "saved query 'alice/associates' has no version 3",
    )
    assert failure(lambda: saved.get(ALICE, "associates", version=0)).field == "version"


def test_to_dict_gives_every_field_and_the_qualified_name(saved):
    query = saved.save(ALICE, "q1", BODY, parameters=PARAMS, sharing="agency")
    assert query.to_dict() == {
        "name": "q1",
        "qualifiedName": "alice/q1",
        "version": 1,
        "description": "",
        "parameters": [dict(PARAMS[0])],
        "body": BODY,
        "owner": "alice",
        "agency": "FR-OCRTEH",
        "sharing": "agency",
        "createdAt": "2026-11-23T10:00:00Z",
        "updatedAt": "2026-11-23T10:00:00Z",
    }


def test_saving_what_the_latest_version_holds_changes_nothing(saved, store):
    first = saved.save(ALICE, "q", BODY, description="d", parameters=PARAMS, sharing="agency")
    again = saved.save(ALICE, "q", BODY, description="d", parameters=list(PARAMS), sharing="agency")
    assert again == first
    assert len(store.saved_query_rows(name="q")) == 1

    # each of body, description, parameters and sharing makes a new version
    assert saved.save(ALICE, "q", BODY, description="d", parameters=PARAMS).version == 2
    assert saved.save(ALICE, "q", BODY, description="e", parameters=PARAMS).version == 3
    assert saved.save(ALICE, "q", BODY, description="e").version == 4
    assert saved.save(ALICE, "q", BODY + " ", description="e").version == 5
    assert [r.version for r in store.saved_query_rows(name="q", owner="alice")] == [1, 2, 3, 4, 5]


def test_two_owners_each_have_their_own_query_and_versions(saved):
    saved.save(ALICE, "associates", BODY)
    saved.save(ALICE, "associates", BODY + " | limit 1")
    bobs = saved.save(BOB, "associates", "find Person")
    assert (bobs.owner, bobs.version, bobs.agency) == ("bob", 1, "BE-PJF")
    assert saved.get(ALICE, "associates").version == 2
    assert saved.get(BOB, "associates").body == "find Person"


def test_timestamps_are_utc_to_the_second(store):
    moments = iter(
        [
            datetime(2026, 11, 23, 11, 30, 15, 999_000, tzinfo=timezone(timedelta(hours=1))),
            datetime(2026, 11, 23, 10, 31, 0),  # naive: taken as UTC
        ]
    )
    saved = SavedQueries(store, now=lambda: next(moments))
    assert saved.save(ALICE, "q", BODY).updated_at == "2026-11-23T10:30:15Z"
    assert saved.save(ALICE, "q", BODY + "!").updated_at == "2026-11-23T10:31:00Z"


# -- sharing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sharing", "seen_by"),
    [
        ("private", {"alice"}),
        ("agency", {"alice", "amelie"}),
        ("everyone", {"alice", "amelie", "bob", "clara", "root"}),
    ],
)
def test_who_sees_a_query_depends_on_its_sharing(saved, sharing, seen_by):
    saved.save(ALICE, "q", BODY, sharing=sharing)
    for principal in (ALICE, AMELIE, BOB, CLARA, ROOT):
        listed = [q.qualified_name for q in saved.list(principal)]
        if principal.id in seen_by:
            assert listed == ["alice/q"], principal.id
            assert saved.get(principal, "q").owner == "alice"
            assert saved.get(principal, "alice/q").version == 1
            assert len(saved.history(principal, "q")) == 1
        else:
            assert listed == [], principal.id
            for call in (
                lambda p=principal: saved.get(p, "q"),
                lambda p=principal: saved.get(p, "alice/q", version=1),
                lambda p=principal: saved.history(p, "alice/q"),
            ):
                assert isinstance(failure(call), NotFound), principal.id


def test_agency_sharing_uses_the_owners_agency_when_saving(saved):
    saved.save(ALICE, "q", BODY, sharing="agency")
    moved = make_principal(id="alice", agency="BE-PJF", country="BE")  # alice changed agency
    assert saved.list(BOB) == []
    saved.save(moved, "q", BODY + " | limit 2", sharing="agency")
    assert [q.version for q in saved.list(BOB)] == [2]
    assert saved.list(AMELIE) == []


def test_the_latest_version_decides_visibility_of_every_version(saved):
    saved.save(ALICE, "q", BODY, sharing="everyone")
    assert saved.get(BOB, "q").version == 1
    saved.save(ALICE, "q", BODY, sharing="private")
    assert isinstance(failure(lambda: saved.get(BOB, "alice/q", version=1)), NotFound)
    assert isinstance(failure(lambda: saved.history(BOB, "q")), NotFound)
    saved.save(ALICE, "q", BODY, sharing="everyone")
    assert [q.sharing for q in saved.history(BOB, "q")] == ["everyone", "private", "everyone"]


def test_list_gives_latest_visible_versions_by_name_then_owner(saved):
    saved.save(BOB, "zeta", BODY, sharing="everyone")
    saved.save(ALICE, "zeta", BODY, sharing="everyone")
    saved.save(AMELIE, "alpha", BODY, sharing="agency")
    saved.save(AMELIE, "alpha", BODY + " | limit 3", sharing="agency")
    saved.save(CLARA, "beta", BODY)  # private
    assert [(q.qualified_name, q.version) for q in saved.list(ALICE)] == [
        ("amelie/alpha", 2),
        ("alice/zeta", 1),
        ("bob/zeta", 1),
    ]
    assert [q.qualified_name for q in saved.list(BOB)] == ["alice/zeta", "bob/zeta"]


def test_a_query_one_may_not_see_is_reported_like_one_that_does_not_exist(saved):
    saved.save(ALICE, "secret", BODY)
    for name in ("secret", "alice/secret"):
        hidden = failure(lambda n=name: saved.get(BOB, n))
        absent = failure(lambda n=name: saved.get(BOB, n.replace("secret", "nothing")))
        assert type(hidden) is type(absent) is NotFound
        assert hidden.code == absent.code == "NOT_FOUND"
        assert hidden.field == absent.field == "name"
        assert hidden.message == f"no saved query {name!r}"
        assert absent.message == f"no saved query {name.replace('secret', 'nothing')!r}"
    # asking for a version says nothing more than asking for the query
    assert failure(lambda: saved.get(BOB, "alice/secret", version=9)).message == (
        "no saved query 'alice/secret'"
    )
    hidden_delete = failure(lambda: saved.delete(BOB, "alice/secret"))
    assert (type(hidden_delete), hidden_delete.message) == (
        NotFound,
        "no saved query 'alice/secret'",
    )


# -- names ---------------------------------------------------------------------------------------


def test_a_bare_name_is_ones_own_query_first_then_the_only_visible_other(saved):
    saved.save(ALICE, "associates", "alice's", sharing="everyone")
    saved.save(BOB, "associates", "bob's", sharing="everyone")
    saved.save(CLARA, "associates", "clara's")  # private: never a candidate for others
    assert saved.get(ALICE, "associates").body == "alice's"
    assert saved.get(BOB, "associates").body == "bob's"
    assert saved.get(CLARA, "associates").body == "clara's"

    several = failure(lambda: saved.get(AMELIE, "associates"))
    assert isinstance(several, InvalidInput)
    assert several.field == "name"
    assert several.message == (
        "several saved queries are named associates: give one of alice/associates, bob/associates"
    )
    assert saved.get(AMELIE, "bob/associates").body == "bob's"
    assert saved.get(AMELIE, "alice/associates").body == "alice's"

    saved.save(BOB, "associates", "bob's", sharing="private")
    assert saved.get(AMELIE, "associates").body == "alice's"


def test_qualified_names_may_have_owners_with_slashes(saved):
    svc = make_principal(id="svc/ingest", agency="FR-DCPJ")
    saved.save(svc, "nightly", BODY, sharing="everyone")
    assert saved.get(ALICE, "svc/ingest/nightly").owner == "svc/ingest"
    assert saved.get(ALICE, "nightly").qualified_name == "svc/ingest/nightly"


@pytest.mark.parametrize(
    "name",
    ["", "-lead", ".hidden", "_x", "two words", "café", "a" * 101, "alice/q", "q\n"],
)
def test_invalid_names_are_refused_naming_the_field(saved, name):
    error = failure(lambda: saved.save(ALICE, name, BODY))
    assert isinstance(error, InvalidInput)
    assert error.field == "name"
    assert saved.list(ALICE) == []


def test_names_up_to_100_characters_of_the_allowed_ones_are_accepted(saved):
    for name in ("a" * 100, "Q", "9lives", "a.b-c_d", "V2.final-draft"):
        assert saved.save(ALICE, name, BODY).name == name
    assert len(saved.list(ALICE)) == 5


def test_lookups_check_names_too(saved):
    for name in ("/q", "alice/", "alice/-q", "a" * 101):
        error = failure(lambda n=name: saved.get(ALICE, n))
        assert (type(error), error.field) == (InvalidInput, "name"), name


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"body": ""}, "body"),
        ({"body": "   \n"}, "body"),
        ({"body": "x" * 20_001}, "body"),
        ({"description": "d" * 2_001}, "description"),
        ({"sharing": "public"}, "sharing"),
        ({"parameters": "person"}, "parameters"),
        ({"parameters": [1]}, "parameters"),
        ({"parameters": [{"default": float("nan")}]}, "parameters"),
        ({"parameters": [{"default": object()}]}, "parameters"),
        ({"parameters": [{"d": "x" * 20_001}]}, "parameters"),
    ],
)
def test_invalid_contents_are_refused_naming_the_field(saved, arguments, field):
    arguments = {"body": BODY, **arguments}
    body = arguments.pop("body")
    error = failure(lambda: saved.save(ALICE, "q", body, **arguments))
    assert isinstance(error, InvalidInput)
    assert error.field == field
    assert saved.list(ALICE) == []


def test_contents_at_the_limits_are_accepted(saved):
    query = saved.save(ALICE, "big", "x" * 20_000, description="d" * 2_000)
    assert (len(query.body), len(query.description)) == (20_000, 2_000)


# -- deleting ------------------------------------------------------------------------------------


def test_only_the_owner_or_an_admin_may_delete(saved):
    saved.save(ALICE, "shared", BODY, sharing="everyone")
    saved.save(ALICE, "mine", BODY)

    forbidden = failure(lambda: saved.delete(BOB, "alice/shared"))
    assert (type(forbidden), forbidden.code) == (Forbidden, "FORBIDDEN")
    assert isinstance(failure(lambda: saved.delete(BOB, "alice/mine")), NotFound)
    assert isinstance(failure(lambda: saved.delete(BOB, "nothing")), NotFound)
    assert isinstance(failure(lambda: saved.delete(ROOT, "alice/mine")), NotFound)  # not visible
    assert saved.get(BOB, "shared").version == 1

    deleted = saved.delete(ROOT, "alice/shared")
    assert (deleted.qualified_name, deleted.version) == ("alice/shared", 1)
    assert isinstance(failure(lambda: saved.get(ALICE, "shared")), NotFound)

    assert saved.delete(ALICE, "mine").name == "mine"
    assert saved.list(ALICE) == []
    for call in (
        lambda: saved.get(ALICE, "mine"),
        lambda: saved.get(ALICE, "alice/mine", version=1),
        lambda: saved.history(ALICE, "mine"),
        lambda: saved.delete(ALICE, "mine"),
    ):
        assert isinstance(failure(call), NotFound)


def test_a_deleted_own_query_no_longer_hides_anothers_of_the_same_name(saved):
    saved.save(ALICE, "associates", "alice's")
    saved.save(BOB, "associates", "bob's", sharing="everyone")
    assert saved.get(ALICE, "associates").owner == "alice"
    saved.delete(ALICE, "associates")
    assert saved.get(ALICE, "associates").owner == "bob"


def test_saving_a_deleted_name_again_continues_its_versions(saved, store):
    saved.save(ALICE, "q", BODY)
    saved.save(ALICE, "q", BODY + " | limit 1")
    saved.delete(ALICE, "q")
    back = saved.save(ALICE, "q", BODY + " | limit 1")  # identical to the deleted latest
    assert (back.version, back.created_at) == (3, "2026-11-23T10:00:00Z")
    assert [q.version for q in saved.history(ALICE, "q")] == [1, 2, 3]
    assert all(r.deleted_at is None for r in store.saved_query_rows(name="q"))
    assert saved.save(ALICE, "q", BODY + " | limit 1") == back


# -- the shipped queries -------------------------------------------------------------------------


def test_load_shared_is_idempotent_and_versions_changes(saved, store):
    items = [
        ("associates", BODY, "people around a person", PARAMS),
        ("money-flows", "find Account | expand 2 via TRANSFERRED", "", ()),
    ]
    loaded = saved.load_shared(SYSTEM_OWNER, items)
    assert [(q.qualified_name, q.version, q.sharing) for q in loaded] == [
        ("graphsvc/associates", 1, "everyone"),
        ("graphsvc/money-flows", 1, "everyone"),
    ]
    assert saved.load_shared(SYSTEM_OWNER, items) == loaded
    assert len(store.saved_query_rows(owner=SYSTEM_OWNER)) == 2

    items[1] = ("money-flows", "find Account | expand 3 via TRANSFERRED", "", ())
    reloaded = saved.load_shared(SYSTEM_OWNER, items)
    assert [q.version for q in reloaded] == [1, 2]
    assert len(store.saved_query_rows(owner=SYSTEM_OWNER)) == 3
    for principal in (ALICE, BOB, CLARA):
        assert saved.get(principal, "money-flows").version == 2
    # an analyst's own query of that name comes first for them
    saved.save(BOB, "associates", "bob's")
    assert saved.get(BOB, "associates").owner == "bob"
    assert saved.get(ALICE, "associates").owner == SYSTEM_OWNER


def test_the_owner_override_saves_for_the_system_owner(saved):
    query = saved.save(ROOT, "shipped", BODY, sharing="everyone", owner=SYSTEM_OWNER)
    assert (query.owner, query.agency) == (SYSTEM_OWNER, "FR-DCPJ")
    assert saved.get(ALICE, "graphsvc/shipped") == query
    assert isinstance(failure(lambda: saved.delete(ALICE, "shipped")), Forbidden)


# -- persistence -----------------------------------------------------------------------------------


def test_saved_queries_persist_across_reopening_the_store(
    tmp_path: Path, make_store: MakeStore
) -> None:
    path = tmp_path / "graph.db"
    with closing(make_store(path)) as store:
        saved = SavedQueries(store, now=Clock())
        saved.save(ALICE, "q", BODY, parameters=PARAMS, sharing="agency")
        second = saved.save(ALICE, "q", BODY + " | limit 1", parameters=PARAMS, sharing="agency")
        saved.save(ALICE, "gone", BODY)
        saved.delete(ALICE, "gone")
    with closing(make_store(path, create=False)) as store:
        saved = SavedQueries(store, now=Clock())
        assert saved.get(AMELIE, "q") == second
        assert [q.version for q in saved.history(ALICE, "q")] == [1, 2]
        assert isinstance(failure(lambda: saved.get(ALICE, "gone")), NotFound)
        assert saved.save(ALICE, "gone", BODY).version == 2


# -- the embedded store's files (embedded only) ----------------------------------------------------


def test_a_store_file_made_before_saved_queries_gains_their_tables(tmp_path, schema):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:  # the layout as it was: no saved-query tables
        conn.executescript(DDL)
        conn.execute("PRAGMA journal_mode = WAL")
    tables = {"saved_queries", "saved_query_deletions"}

    def present() -> set[str]:
        with sqlite3.connect(path) as conn:
            return {r[0] for r in conn.execute("SELECT name FROM sqlite_master")} & tables

    assert present() == set()
    with EmbeddedStore(path, schema, create=False) as store:
        assert present() == tables
        saved = SavedQueries(store, now=Clock())
        saved.save(ALICE, "q", BODY)
        assert saved.delete(ALICE, "q").version == 1
    with EmbeddedStore(path, schema, create=False) as store:
        assert [(r.version, r.deleted_at) for r in store.saved_query_rows()] == [
            (1, "2026-11-23T10:01:00Z")
        ]


def test_saved_query_writes_leave_the_graph_data_version_alone(
    embedded_store: EmbeddedStore,
) -> None:
    store = embedded_store
    saved = SavedQueries(store, now=Clock())
    before = data_version(store.path)
    saved.save(ALICE, "q", BODY)
    saved.save(ALICE, "q", BODY + "!")
    saved.delete(ALICE, "q")
    saved.load_shared(SYSTEM_OWNER, [("s", BODY, "", ())])
    assert data_version(store.path) == before


# -- the store's side: versions checked where they are written ------------------------------------


def row(version: int, owner: str = "alice", name: str = "q") -> SavedQueryRow:
    return SavedQueryRow(
        owner=owner,
        name=name,
        version=version,
        description="",
        parameters="[]",
        body=BODY,
        agency="FR-OCRTEH",
        sharing="private",
        created_at="2026-11-23T10:00:00Z",
        updated_at="2026-11-23T10:00:00Z",
    )


def test_the_store_refuses_a_version_that_is_not_the_next(store):
    store.append_saved_query(row(1))
    for version in (1, 3):
        with pytest.raises(StoreError) as caught:
            store.append_saved_query(row(version))
        assert "alice/q" in caught.value.message
        assert f"version {version}" in caught.value.message
    store.append_saved_query(row(2))
    store.append_saved_query(row(1, owner="bob"))
    with pytest.raises(StoreError, match="no saved query alice/nothing"):
        store.mark_saved_query_deleted("alice", "nothing", "2026-11-23T10:00:00Z")
    assert [(r.owner, r.version) for r in store.saved_query_rows(name="q")] == [
        ("alice", 1),
        ("alice", 2),
        ("bob", 1),
    ]
    assert [r.version for r in store.saved_query_rows(owner="alice")] == [1, 2]
    assert store.saved_query_rows(name="q", owner="carol") == []


def test_concurrent_saves_get_consecutive_versions(store):
    saved = SavedQueries(store, now=Clock())
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def save(i: int) -> None:
        try:
            barrier.wait()
            saved.save(ALICE, "q", f"{BODY} | limit {i}")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    history = saved.history(ALICE, "q")
    assert [q.version for q in history] == list(range(1, 9))
    assert sorted(q.body for q in history) == sorted(f"{BODY} | limit {i}" for i in range(8))
