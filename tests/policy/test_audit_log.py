"""The audit log, for real on SQLite files: the hash chain, reading it back with filters, what
``verify`` says about every kind of tampering, the triggers, and appends from many threads,
many connections and another process at once."""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from graphsvc.errors import StoreError
from graphsvc.policy.audit import GENESIS, AuditEntry, AuditLog, chain_hash
from tests.conftest import REPO

_VENV_PYTHON = REPO / ".venv" / "bin" / "python"
PYTHON = str(_VENV_PYTHON) if _VENV_PYTHON.exists() else sys.executable


def op(name: str, **arguments: Any) -> dict[str, Any]:
    return {"name": name, "arguments": arguments}


def record(
    log: AuditLog,
    principal: str = "fr-analyst",
    operations: Sequence[str] = ("expand",),
    **fields: Any,
) -> AuditEntry:
    return log.append(
        principal=principal,
        agency=fields.pop("agency", "FR-OCRTEH"),
        auth=fields.pop("auth", f"api-key:demo-{principal}"),
        operations=[op(name, ids=["p-1"]) for name in operations],
        justification=fields.pop("justification", "enquête 2024/117"),
        **fields,
    )


def epoch(entry: AuditEntry) -> float:
    return datetime.fromisoformat(entry.at.replace("Z", "+00:00")).timestamp()


@contextlib.contextmanager
def raw(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain connection to the log's file, as someone with file access would open it."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "audit.db"


@pytest.fixture
def log(log_path: Path) -> Iterator[AuditLog]:
    with AuditLog(log_path) as opened:
        yield opened


@pytest.fixture
def five(log: AuditLog) -> list[AuditEntry]:
    """Five entries; tests tamper with them."""
    return [record(log, principal=f"user-{n}") for n in range(1, 6)]


# -- appending ------------------------------------------------------------------------------------


def test_append_numbers_and_chains_entries(log: AuditLog, log_path: Path) -> None:
    entries = [record(log) for _ in range(4)]
    assert [e.seq for e in entries] == [1, 2, 3, 4]
    assert GENESIS == "0" * 64
    assert entries[0].prev == "0" * 64
    for before, after in itertools.pairwise(entries):
        assert after.prev == before.hash
    assert len({e.hash for e in entries}) == 4
    for entry in entries:
        assert len(entry.hash) == 64
        int(entry.hash, 16)
    # each hash is sha256(prev + "\n" + the stored body), computed here without the module
    with raw(log_path) as conn:
        rows = conn.execute("SELECT seq, body, prev, hash FROM audit ORDER BY seq").fetchall()
    assert [r[0] for r in rows] == [1, 2, 3, 4]
    for (seq, body, prev, digest), entry in zip(rows, entries, strict=True):
        assert (prev, digest) == (entry.prev, entry.hash)
        assert hashlib.sha256(f"{prev}\n{body}".encode()).hexdigest() == digest
        assert chain_hash(prev, body) == digest
        assert json.loads(body)["seq"] == seq


def test_append_returns_what_was_recorded(log: AuditLog) -> None:
    entry = log.append(
        principal="fr-analyst",
        agency="FR-OCRTEH",
        auth="api-key:demo-fr-analyst",
        operations=[op("expand", ids=["p-1"], hops=2), op("search", text="Iași")],
        justification="dossier « Lys noir », réquisition n° 7",
        entities=["p-2", "p-1", "p-2"],
        links=["l-9", "l-1"],
        outcome="TRUNCATED",
        client="10.0.0.7",
    )
    assert entry.seq == 1
    assert (entry.principal, entry.agency, entry.auth) == (
        "fr-analyst",
        "FR-OCRTEH",
        "api-key:demo-fr-analyst",
    )
    assert entry.operations == (
        {"name": "expand", "arguments": {"ids": ["p-1"], "hops": 2}},
        {"name": "search", "arguments": {"text": "Iași"}},
    )
    assert entry.justification == "dossier « Lys noir », réquisition n° 7"
    assert entry.entities == ("p-1", "p-2")  # sorted, once each
    assert entry.links == ("l-1", "l-9")
    assert (entry.outcome, entry.client) == ("TRUNCATED", "10.0.0.7")
    assert entry.at.endswith("Z")
    assert abs(epoch(entry) - time.time()) < 60
    (stored,) = log.entries()
    assert stored == entry
    assert stored.to_dict() == {
        "seq": 1,
        "at": entry.at,
        "principal": "fr-analyst",
        "agency": "FR-OCRTEH",
        "auth": "api-key:demo-fr-analyst",
        "operations": [
            {"name": "expand", "arguments": {"ids": ["p-1"], "hops": 2}},
            {"name": "search", "arguments": {"text": "Iași"}},
        ],
        "justification": "dossier « Lys noir », réquisition n° 7",
        "entities": ["p-1", "p-2"],
        "links": ["l-1", "l-9"],
        "outcome": "TRUNCATED",
        "client": "10.0.0.7",
        "prev": GENESIS,
        "hash": entry.hash,
    }


def test_defaults_of_an_entry(log: AuditLog) -> None:
    entry = log.append(
        principal="auditor", agency="FR-IGPN", auth="jwt", operations=[], justification=None
    )
    assert (entry.entities, entry.links, entry.outcome, entry.client) == ((), (), "OK", None)
    assert entry.justification is None
    assert log.entries() == [entry]


def test_entries_survive_reopening(log_path: Path) -> None:
    with AuditLog(log_path) as first:
        written = [record(first, principal=p) for p in ("a-1", "b-2", "a-1")]
        head = first.verify().head
    assert head == written[-1].hash
    with AuditLog(log_path, create=False) as again:
        assert again.entries() == written
        assert again.verify().entries == 3
        assert again.verify().head == head
        following = record(again)
    assert (following.seq, following.prev) == (4, head)
    with AuditLog(log_path) as third:
        assert [e.seq for e in third.entries()] == [1, 2, 3, 4]
        assert third.verify().ok


def test_creates_missing_directories(tmp_path: Path) -> None:
    path = tmp_path / "var" / "lib" / "graphsvc" / "audit.db"
    with AuditLog(path) as log:
        record(log)
    assert path.is_file()


def test_opening_a_missing_log_without_create_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "audit.db"
    with pytest.raises(StoreError) as raised:
        AuditLog(path, create=False)
    assert raised.value.file == str(path)
    assert str(path) in str(raised.value)
    assert "no audit log" in str(raised.value)
    assert not path.exists()
    assert not path.parent.exists()


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    path.write_bytes(b"this is not SQLite, " * 100)
    with pytest.raises(StoreError) as raised:
        AuditLog(path)
    assert raised.value.file == str(path)
    assert "cannot open the audit log" in str(raised.value)


def test_ping(log: AuditLog, log_path: Path) -> None:
    assert log.ping() is None
    record(log)
    assert log.ping() is None
    log.close()
    with pytest.raises(StoreError) as raised:
        log.ping()
    assert raised.value.file == str(log_path)
    assert "cannot be read" in str(raised.value)


# -- reading with filters -------------------------------------------------------------------------


@pytest.fixture
def varied(log: AuditLog) -> list[AuditEntry]:
    written = []
    for principal, operations in [
        ("fr-analyst", ("expand",)),  # 1
        ("be-analyst", ("search",)),  # 2
        ("fr-analyst", ("expandX",)),  # 3
        ("fr-analyst", ("search", "expand")),  # 4
        ("auditor", ("auditLog",)),  # 5
        ("be-analyst", ("paths", "expandNeighbours")),  # 6
        ("fr-analyst", ("reexpand", "entity")),  # 7
        ("fr-analyst", ("expand", "expand")),  # 8
    ]:
        written.append(record(log, principal=principal, operations=operations))
        time.sleep(0.003)  # distinct times for the time filters
    return written


def seqs(entries: Sequence[AuditEntry]) -> list[int]:
    return [e.seq for e in entries]


def test_entries_in_order_unfiltered(log: AuditLog, varied: list[AuditEntry]) -> None:
    assert seqs(log.entries()) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert log.entries() == varied


def test_filter_by_principal(log: AuditLog, varied: list[AuditEntry]) -> None:
    assert seqs(log.entries(principal="fr-analyst")) == [1, 3, 4, 7, 8]
    assert seqs(log.entries(principal="be-analyst")) == [2, 6]
    assert seqs(log.entries(principal="auditor")) == [5]
    assert log.entries(principal="fr") == []
    assert log.entries(principal="fr-analyst%") == []
    assert log.entries(principal="nobody") == []


def test_filter_by_operation_matches_whole_names_only(
    log: AuditLog, varied: list[AuditEntry]
) -> None:
    assert seqs(log.entries(operation="expand")) == [1, 4, 8]
    assert seqs(log.entries(operation="expandX")) == [3]
    assert seqs(log.entries(operation="search")) == [2, 4]
    assert seqs(log.entries(operation="entity")) == [7]
    assert seqs(log.entries(operation="expandNeighbours")) == [6]
    assert log.entries(operation="exp") == []
    assert log.entries(operation="xpand") == []
    assert log.entries(operation="pand") == []
    # LIKE's wildcards are taken literally
    assert log.entries(operation="exp_nd") == []
    assert log.entries(operation="exp%") == []
    assert log.entries(operation="%") == []
    assert log.entries(operation="_") == []
    # nor can a name with the separator reach across two names
    assert log.entries(operation="search,expand") == []
    assert log.entries(operation="expand,") == []


def test_filter_by_operation_and_principal(log: AuditLog, varied: list[AuditEntry]) -> None:
    assert seqs(log.entries(principal="fr-analyst", operation="search")) == [4]
    assert seqs(log.entries(principal="be-analyst", operation="expand")) == []


def test_filter_by_time_is_inclusive(log: AuditLog, varied: list[AuditEntry]) -> None:
    times = [epoch(e) for e in varied]
    assert times == sorted(times)
    assert len(set(times)) == len(times)
    assert seqs(log.entries(since=times[2])) == [3, 4, 5, 6, 7, 8]
    assert seqs(log.entries(since=times[2] + 0.001)) == [4, 5, 6, 7, 8]
    assert seqs(log.entries(until=times[2])) == [1, 2, 3]
    assert seqs(log.entries(until=times[2] - 0.001)) == [1, 2]
    assert seqs(log.entries(since=times[1], until=times[4])) == [2, 3, 4, 5]
    assert seqs(log.entries(since=times[3], until=times[3])) == [4]
    assert log.entries(since=times[7] + 1) == []
    assert log.entries(until=times[0] - 1) == []
    assert log.entries(since=times[5], until=times[2]) == []
    assert seqs(log.entries(since=times[1], principal="fr-analyst", operation="expand")) == [4, 8]


def test_after_and_limit(log: AuditLog, varied: list[AuditEntry]) -> None:
    assert seqs(log.entries(after=5)) == [6, 7, 8]
    assert seqs(log.entries(after=0)) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert log.entries(after=8) == []
    assert log.entries(after=100) == []
    assert seqs(log.entries(limit=3)) == [1, 2, 3]
    assert seqs(log.entries(after=2, limit=2)) == [3, 4]
    assert seqs(log.entries(after=2, limit=1)) == [3]
    assert log.entries(limit=0) == []
    # paging through one principal's entries
    assert seqs(log.entries(principal="fr-analyst", limit=2)) == [1, 3]
    assert seqs(log.entries(principal="fr-analyst", after=3, limit=2)) == [4, 7]
    assert seqs(log.entries(principal="fr-analyst", after=7, limit=2)) == [8]


def test_default_limit_is_100(log: AuditLog) -> None:
    for _ in range(102):
        record(log)
    assert seqs(log.entries()) == list(range(1, 101))
    assert seqs(log.entries(after=100)) == [101, 102]
    assert len(log.entries(limit=1000)) == 102


# -- verify ---------------------------------------------------------------------------------------


def test_verify_an_empty_log(log: AuditLog) -> None:
    result = log.verify()
    assert (result.entries, result.head, result.broken, result.reason) == (0, GENESIS, None, None)
    assert result.ok is True


def test_verify_a_clean_log(log: AuditLog, five: list[AuditEntry]) -> None:
    result = log.verify()
    assert result.ok is True
    assert (result.entries, result.head, result.broken, result.reason) == (
        5,
        five[-1].hash,
        None,
        None,
    )


def test_verify_after_many_entries(log: AuditLog) -> None:
    """More rows than one batch of the walk (1000)."""
    with raw(log.path) as conn:
        # real appends are slow (fsync each); build a long valid chain directly
        prev = GENESIS
        conn.execute("BEGIN")
        at = "2025-01-01T00:00:00Z"
        epoch = datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp()
        for seq in range(1, 2502):
            content = {"seq": seq, "at": at, "principal": "p", "operations": [{"name": "expand"}]}
            body = json.dumps(content, sort_keys=True)
            digest = chain_hash(prev, body)
            conn.execute(
                "INSERT INTO audit VALUES (?, ?, ?, 'p', 'expand', ?, ?, ?)",
                (seq, at, epoch, body, prev, digest),
            )
            prev = digest
        conn.execute("COMMIT")
    result = log.verify()
    assert (result.ok, result.entries, result.head) == (True, 2501, prev)


def _drop(conn: sqlite3.Connection, *triggers: str) -> None:
    for trigger in triggers:
        conn.execute(f"DROP TRIGGER {trigger}")


def test_changed_body_is_detected(log: AuditLog, five: list[AuditEntry]) -> None:
    with raw(log.path) as conn:
        _drop(conn, "audit_no_update")
        conn.execute(
            "UPDATE audit SET body = replace(body, '\"user-3\"', '\"someone-else\"') WHERE seq = 3"
        )
        assert conn.total_changes == 1
    result = log.verify()
    assert result.ok is False
    assert result.broken == 3
    assert result.reason == "its content does not match its hash"
    assert (result.entries, result.head) == (2, five[1].hash)
    assert log.entries(after=2, limit=1)[0].principal == "someone-else"


def test_changed_first_body_is_detected(log: AuditLog, five: list[AuditEntry]) -> None:
    with raw(log.path) as conn:
        _drop(conn, "audit_no_update")
        conn.execute("UPDATE audit SET body = replace(body, '\"OK\"', '\"DENIED\"') WHERE seq = 1")
    result = log.verify()
    assert (result.broken, result.entries, result.head) == (1, 0, GENESIS)
    assert result.reason == "its content does not match its hash"


def test_changed_last_body_is_detected(log: AuditLog, five: list[AuditEntry]) -> None:
    with raw(log.path) as conn:
        _drop(conn, "audit_no_update")
        conn.execute("UPDATE audit SET body = replace(body, '2024/117', '2024/118') WHERE seq = 5")
    result = log.verify()
    assert (result.broken, result.entries, result.head) == (5, 4, five[3].hash)


def test_changed_hash_is_detected(log: AuditLog, five: list[AuditEntry]) -> None:
    with raw(log.path) as conn:
        _drop(conn, "audit_no_update")
        conn.execute("UPDATE audit SET hash = ? WHERE seq = 2", ("f" * 64,))
    result = log.verify()
    assert (result.broken, result.entries, result.head) == (2, 1, five[0].hash)
    assert result.reason == "its content does not match its hash"


def test_deleted_middle_entry_is_detected(log: AuditLog, five: list[AuditEntry]) -> None:
    with raw(log.path) as conn:
        _drop(conn, "audit_no_delete")
        conn.execute("DELETE FROM audit WHERE seq = 3")
        assert conn.total_changes == 1
    result = log.verify()
    assert result.ok is False
    # ``broken`` is the entry found where the missing one should be; the reason names the gap
    assert result.broken == 4
    assert result.reason == "entry 3 is missing (found 4 next)"
    assert (result.entries, result.head) == (2, five[1].hash)


def test_deleted_first_entry_is_detected(log: AuditLog, five: list[AuditEntry]) -> None:
    with raw(log.path) as conn:
        _drop(conn, "audit_no_delete")
        conn.execute("DELETE FROM audit WHERE seq = 1")
    result = log.verify()
    assert (result.broken, result.entries, result.head) == (2, 0, GENESIS)
    assert result.reason == "entry 1 is missing (found 2 next)"


def test_renumbered_entries_after_a_deletion_are_detected(
    log: AuditLog, five: list[AuditEntry]
) -> None:
    """Closing the gap by renumbering the entries after it still breaks the chain."""
    with raw(log.path) as conn:
        _drop(conn, "audit_no_delete", "audit_no_update")
        conn.execute("DELETE FROM audit WHERE seq = 3")
        for seq in (4, 5):
            conn.execute("UPDATE audit SET seq = ? WHERE seq = ?", (seq - 1, seq))
    result = log.verify()
    assert (result.broken, result.entries, result.head) == (3, 2, five[1].hash)
    assert result.reason == "does not chain to the previous entry (removed or reordered)"


def test_cutting_the_tail_leaves_a_valid_shorter_chain(
    log: AuditLog, five: list[AuditEntry]
) -> None:
    """Documented: only a head recorded elsewhere shows that entries were cut off the end."""
    recorded_head = log.verify().head
    with raw(log.path) as conn:
        _drop(conn, "audit_no_delete")
        conn.execute("DELETE FROM audit WHERE seq >= 4")
    result = log.verify()
    assert (result.ok, result.entries, result.head) == (True, 3, five[2].hash)
    assert result.head != recorded_head


def test_swapped_entries_are_detected(log: AuditLog, five: list[AuditEntry]) -> None:
    with raw(log.path) as conn:
        _drop(conn, "audit_no_update")
        conn.execute("UPDATE audit SET seq = -2 WHERE seq = 2")
        conn.execute("UPDATE audit SET seq = 2 WHERE seq = 3")
        conn.execute("UPDATE audit SET seq = 3 WHERE seq = -2")
    assert [e.principal for e in log.entries()] == [
        "user-1",
        "user-3",
        "user-2",
        "user-4",
        "user-5",
    ]
    result = log.verify()
    assert result.ok is False
    assert result.broken == 2
    assert result.reason == "does not chain to the previous entry (removed or reordered)"
    assert (result.entries, result.head) == (1, five[0].hash)


def test_swapped_contents_are_detected(log: AuditLog, five: list[AuditEntry]) -> None:
    """Reordering by moving bodies, links and hashes between rows, keeping the seqs."""
    with raw(log.path) as conn:
        _drop(conn, "audit_no_update")
        rows = {
            seq: conn.execute(
                "SELECT principal, body, prev, hash FROM audit WHERE seq = ?", (seq,)
            ).fetchone()
            for seq in (4, 5)
        }
        for seq, other in ((4, 5), (5, 4)):
            conn.execute(
                "UPDATE audit SET principal = ?, body = ?, prev = ?, hash = ? WHERE seq = ?",
                (*rows[other], seq),
            )
    result = log.verify()
    assert (result.broken, result.entries, result.head) == (4, 3, five[2].hash)
    assert result.reason == "does not chain to the previous entry (removed or reordered)"


def _rewrite(conn: sqlite3.Connection, seq: int, old: str, new: str) -> str:
    """Edit an entry's body and give it the hash its new body calls for; return that hash."""
    prev, body = conn.execute("SELECT prev, body FROM audit WHERE seq = ?", (seq,)).fetchone()
    assert old in body
    body = body.replace(old, new)
    digest = chain_hash(prev, body)
    # a careful forger also brings the filterable copy of the principal in line
    principal = json.loads(body).get("principal")
    conn.execute(
        "UPDATE audit SET body = ?, hash = ?, principal = ? WHERE seq = ?",
        (body, digest, principal, seq),
    )
    return digest


def test_edited_entry_with_a_recomputed_hash_breaks_the_next(
    log: AuditLog, five: list[AuditEntry]
) -> None:
    with raw(log.path) as conn:
        _drop(conn, "audit_no_update")
        forged = _rewrite(conn, 3, '"user-3"', '"user-9"')
    assert forged != five[2].hash
    result = log.verify()
    assert result.ok is False
    # entry 3 holds up on its own; entry 4 no longer chains to it
    assert result.broken == 4
    assert result.reason == "does not chain to the previous entry (removed or reordered)"
    assert (result.entries, result.head) == (3, forged)


def test_rewritten_history_changes_the_head(log: AuditLog, five: list[AuditEntry]) -> None:
    """Editing the last entry, or re-chaining everything after an edit, verifies; only the
    head differs from the one recorded before (what operators keep elsewhere)."""
    recorded_head = log.verify().head
    with raw(log.path) as conn:
        _drop(conn, "audit_no_update")
        forged = _rewrite(conn, 5, '"user-5"', '"user-0"')
    result = log.verify()
    assert (result.ok, result.entries, result.head) == (True, 5, forged)
    assert result.head != recorded_head

    with raw(log.path) as conn:
        prev = _rewrite(conn, 2, '"user-2"', '"user-0"')
        for seq in (3, 4, 5):
            body = conn.execute("SELECT body FROM audit WHERE seq = ?", (seq,)).fetchone()[0]
            digest = chain_hash(prev, body)
            conn.execute("UPDATE audit SET prev = ?, hash = ? WHERE seq = ?", (prev, digest, seq))
            prev = digest
    result = log.verify()
    assert (result.ok, result.entries, result.head) == (True, 5, prev)
    assert prev not in {recorded_head, forged}


def test_body_claiming_another_seq_is_detected(log: AuditLog, five: list[AuditEntry]) -> None:
    with raw(log.path) as conn:
        _drop(conn, "audit_no_update")
        _rewrite(conn, 3, '"seq":3', '"seq":30')
    result = log.verify()
    assert (result.broken, result.entries, result.head) == (3, 2, five[1].hash)
    assert result.reason == "its content does not match its hash"


def test_body_that_is_not_json_is_detected(log: AuditLog, five: list[AuditEntry]) -> None:
    with raw(log.path) as conn:
        _drop(conn, "audit_no_update")
        prev = conn.execute("SELECT prev FROM audit WHERE seq = 2").fetchone()[0]
        conn.execute(
            "UPDATE audit SET body = 'not json', hash = ? WHERE seq = 2",
            (chain_hash(prev, "not json"),),
        )
    result = log.verify()
    assert (result.broken, result.entries, result.head) == (2, 1, five[0].hash)
    assert result.reason == "its content does not match its hash"


def test_forged_entry_appended_directly_is_detected(log: AuditLog, five: list[AuditEntry]) -> None:
    """INSERT is allowed (it is how entries are written); a forged one does not chain."""
    body = json.dumps({"seq": 6, "principal": "ghost"}, sort_keys=True)
    with raw(log.path) as conn:
        conn.execute(
            "INSERT INTO audit VALUES (6, '2025-01-01T00:00:00Z', 0, 'ghost', 'expand', ?, ?, ?)",
            (body, GENESIS, chain_hash(GENESIS, body)),
        )
    result = log.verify()
    assert (result.broken, result.entries, result.head) == (6, 5, five[-1].hash)
    assert result.reason == "does not chain to the previous entry (removed or reordered)"


def test_update_and_delete_are_refused(log: AuditLog, five: list[AuditEntry]) -> None:
    with raw(log.path) as conn:
        with pytest.raises(sqlite3.IntegrityError, match="the audit log is append-only"):
            conn.execute("UPDATE audit SET body = 'x' WHERE seq = 2")
        with pytest.raises(sqlite3.IntegrityError, match="the audit log is append-only"):
            conn.execute("UPDATE audit SET principal = 'someone-else'")
        with pytest.raises(sqlite3.IntegrityError, match="the audit log is append-only"):
            conn.execute("DELETE FROM audit WHERE seq = 5")
        with pytest.raises(sqlite3.IntegrityError, match="the audit log is append-only"):
            conn.execute("DELETE FROM audit")
        assert conn.execute("SELECT count(*) FROM audit").fetchone() == (5,)
    assert issubclass(sqlite3.IntegrityError, sqlite3.DatabaseError)
    assert log.entries() == five
    result = log.verify()
    assert (result.ok, result.entries, result.head) == (True, 5, five[-1].hash)


def test_reopening_restores_dropped_triggers(log_path: Path) -> None:
    with AuditLog(log_path) as log:
        record(log)
    with raw(log_path) as conn:
        _drop(conn, "audit_no_update", "audit_no_delete")
    with AuditLog(log_path), raw(log_path) as conn:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM audit")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE audit SET body = ''")


# -- concurrency ----------------------------------------------------------------------------------


def _assert_complete_chain(path: Path, expected: dict[str, int]) -> None:
    with AuditLog(path, create=False) as log:
        result = log.verify()
        total = sum(expected.values())
        assert (result.ok, result.entries, result.reason) == (True, total, None)
        entries = log.entries(limit=total + 10)
        assert seqs(entries) == list(range(1, total + 1))
        assert result.head == entries[-1].hash
        for principal, count in expected.items():
            assert len(log.entries(principal=principal, limit=total)) == count


def test_threads_appending_to_one_log(log: AuditLog) -> None:
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            barrier.wait()
            for _ in range(50):
                record(log, principal=f"thread-{n}")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    _assert_complete_chain(log.path, {f"thread-{n}": 50 for n in range(4)})


def test_two_logs_on_one_file_interleaved(log_path: Path) -> None:
    """Two AuditLog objects, as two processes would have: each chains to the other's entries."""
    with AuditLog(log_path) as first, AuditLog(log_path) as second:
        written = []
        for n in range(20):
            written.append(record(first if n % 2 == 0 else second, principal=f"log-{n % 2}"))
        assert seqs(written) == list(range(1, 21))
        for before, after in itertools.pairwise(written):
            assert after.prev == before.hash
        assert first.verify() == second.verify()

        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def work(log: AuditLog, name: str) -> None:
            try:
                barrier.wait()
                for _ in range(50):
                    record(log, principal=name)
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [
            threading.Thread(target=work, args=(first, "log-0")),
            threading.Thread(target=work, args=(second, "log-1")),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
    _assert_complete_chain(log_path, {"log-0": 60, "log-1": 60})


CHILD = textwrap.dedent(
    """
    import sys
    from graphsvc.policy.audit import AuditLog

    with AuditLog(sys.argv[1]) as log:
        print("ready", flush=True)
        sys.stdin.readline()
        for n in range(50):
            log.append(
                principal="child",
                agency="BE-PJF",
                auth="api-key:child",
                operations=[{"name": "search", "arguments": {"n": n}}],
                justification="from another process",
            )
    print("done", flush=True)
    """
)


def test_another_process_appending_at_the_same_time(log_path: Path) -> None:
    with AuditLog(log_path) as log:
        child = subprocess.Popen(
            [PYTHON, "-c", CHILD, str(log_path)],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert child.stdout is not None and child.stdin is not None
            assert child.stdout.readline().strip() == "ready"
            child.stdin.write("go\n")
            child.stdin.flush()
            for _ in range(50):
                record(log, principal="parent")
            out, err = child.communicate(timeout=120)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        assert child.returncode == 0, err
        assert out.strip() == "done"
    _assert_complete_chain(log_path, {"parent": 50, "child": 50})


def test_an_entry_cannot_be_hidden_by_editing_its_filterable_columns(
    log: AuditLog, five: list[AuditEntry]
) -> None:
    with raw(log.path) as conn:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(
                "INSERT OR REPLACE INTO audit SELECT seq, at, 0, 'nobody', 'ping', body, prev,"
                " hash FROM audit WHERE seq = 3"
            )
        _drop(conn, "audit_no_update")
        conn.execute("UPDATE audit SET principal = 'nobody' WHERE seq = 3")
    assert [e.seq for e in log.entries(principal="user-3")] == []
    result = log.verify()
    assert (result.broken, result.entries) == (3, 2)
    assert result.reason == "its indexed columns differ from its hashed content"
