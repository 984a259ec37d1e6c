"""The audit log: who consulted what, when and why; append-only and tamper-evident.

The EU Law Enforcement Directive (2016/680, art. 25) asks that every consultation of police
data be logged with its date, time, justification and the identity of who consulted it. Each
entry records when, who (principal, agency, how they authenticated), the operations and their
arguments, the justification the client gave, the ids of every entity and link returned, and
the outcome.

The log is a SQLite file of its own (the graph store can be rebuilt from its sources; the log
cannot). Entries form a hash chain: each carries the SHA-256 of its predecessor's hash and its
own canonical JSON body, so changing, removing or reordering any entry breaks the chain from
that entry on, and ``verify`` names the first broken one. Triggers refuse UPDATE, DELETE and
INSERT OR REPLACE, so that no ordinary use can change an entry. The columns the filters read
(time, principal, operation names) are copies of the hashed body, and ``verify`` checks them
too: an entry cannot be hidden from ``audit show`` by editing them. Cutting entries off the
end leaves a valid shorter chain: operators who need to detect that record the head hash
``verify`` prints somewhere else (a ticket, a notary service, a WORM store).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graphsvc.errors import StoreError

GENESIS = "0" * 64

_DDL = """
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    at_epoch REAL NOT NULL,
    principal TEXT NOT NULL,
    operations TEXT NOT NULL,
    body TEXT NOT NULL,
    prev TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_principal ON audit (principal, seq);
CREATE INDEX IF NOT EXISTS audit_at ON audit (at_epoch);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_replace BEFORE INSERT ON audit
WHEN EXISTS (SELECT 1 FROM audit WHERE seq = NEW.seq)
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One consultation."""

    seq: int
    at: str
    principal: str
    agency: str
    auth: str
    operations: tuple[Mapping[str, Any], ...]
    justification: str | None
    entities: tuple[str, ...]
    links: tuple[str, ...]
    outcome: str
    client: str | None
    prev: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "principal": self.principal,
            "agency": self.agency,
            "auth": self.auth,
            "operations": [dict(op) for op in self.operations],
            "justification": self.justification,
            "entities": list(self.entities),
            "links": list(self.links),
            "outcome": self.outcome,
            "client": self.client,
            "prev": self.prev,
            "hash": self.hash,
        }


@dataclass(frozen=True, slots=True)
class Verification:
    """The result of checking the chain: ``broken`` is the seq of the first bad entry."""

    entries: int
    head: str
    broken: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken is None


class AuditLog:
    """An append-only, hash-chained log in one SQLite file. Thread- and process-safe."""

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        self.path = Path(path)
        if not create and not self.path.exists():
            raise StoreError("no audit log here", file=str(self.path))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30
            )
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.executescript(_DDL)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the audit log: {exc}", file=str(self.path)) from None
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def ping(self) -> None:
        """Raise ``StoreError`` unless the log can be read now."""
        try:
            with self._lock:
                self._conn.execute("SELECT seq FROM audit ORDER BY seq DESC LIMIT 1").fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"the audit log cannot be read: {exc}", file=str(self.path)) from None

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------------------

    def append(
        self,
        *,
        principal: str,
        agency: str,
        auth: str,
        operations: Sequence[Mapping[str, Any]],
        justification: str | None,
        entities: Iterable[str] = (),
        links: Iterable[str] = (),
        outcome: str = "OK",
        client: str | None = None,
    ) -> AuditEntry:
        """Write one entry, chained to the last; durable when this returns."""
        at = datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    last = self._conn.execute(
                        "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"
                    ).fetchone()
                    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
                    body = {
                        "seq": seq,
                        "at": at,
                        "principal": principal,
                        "agency": agency,
                        "auth": auth,
                        "operations": [dict(op) for op in operations],
                        "justification": justification,
                        "entities": sorted(set(entities)),
                        "links": sorted(set(links)),
                        "outcome": outcome,
                        "client": client,
                    }
                    text = _canonical(body)
                    digest = chain_hash(prev, text)
                    self._conn.execute(
                        "INSERT INTO audit (seq, body, prev, hash, at, at_epoch, principal,"
                        " operations) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (seq, text, prev, digest, *_columns(body)),
                    )
                    self._conn.execute("COMMIT")
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise StoreError(
                    f"cannot write the audit log: {exc}", file=str(self.path)
                ) from None
        return _entry(body, prev, digest)

    # -- reading ---------------------------------------------------------------------------------

    def entries(
        self,
        *,
        principal: str | None = None,
        operation: str | None = None,
        since: float | None = None,
        until: float | None = None,
        after: int = 0,
        limit: int = 100,
    ) -> list[AuditEntry]:
        """Entries in order, after the seq ``after``; times are epoch seconds, inclusive."""
        sql = "SELECT body, prev, hash FROM audit WHERE seq > ?"  # filters: exact, case-sensitive
        params: list[Any] = [after]
        if principal is not None:
            sql += " AND principal = ?"
            params.append(principal)
        if operation is not None:
            sql += " AND instr(',' || operations || ',', ',' || ? || ',') > 0"
            params.append(operation)
        if since is not None:
            sql += " AND at_epoch >= ?"
            params.append(since)
        if until is not None:
            sql += " AND at_epoch <= ?"
            params.append(until)
        sql += " ORDER BY seq LIMIT ?"
        params.append(limit)
        with self._lock:
            rows = self._conn.execute(sql, params).fetchall()
        return [_entry(json.loads(body), prev, digest) for body, prev, digest in rows]

    def verify(self) -> Verification:
        """Walk the chain from the start; stop at the first entry that does not hold."""
        count, prev, expected_seq = 0, GENESIS, 1
        for seq, body, stored_prev, digest, columns in self._rows():
            if seq != expected_seq:
                return Verification(
                    count, prev, seq, f"entry {expected_seq} is missing (found {seq} next)"
                )
            if stored_prev != prev:
                return Verification(
                    count, prev, seq, "does not chain to the previous entry (removed or reordered)"
                )
            try:
                recorded: dict[str, Any] = json.loads(body)
            except ValueError:
                recorded = {}
            if recorded.get("seq") != seq or chain_hash(prev, body) != digest:
                return Verification(count, prev, seq, "its content does not match its hash")
            if columns != _columns(recorded):
                return Verification(
                    count, prev, seq, "its indexed columns differ from its hashed content"
                )
            count, prev, expected_seq = count + 1, digest, seq + 1
        return Verification(count, prev)

    def _rows(self) -> Iterator[tuple[int, str, str, str, tuple[Any, ...]]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT seq, body, prev, hash, at, at_epoch, principal, operations"
                " FROM audit ORDER BY seq"
            )
            while batch := rows.fetchmany(1000):
                for seq, body, prev, digest, *columns in batch:
                    yield seq, body, prev, digest, tuple(columns)


def through(second: int | None) -> float | None:
    """An inclusive ``until`` for ``entries`` that covers all of a whole second (entries are
    timed to the microsecond; a user's upper bound is at best to the second)."""
    return None if second is None else second + 0.999999


def chain_hash(prev: str, body: str) -> str:
    return hashlib.sha256((prev + "\n" + body).encode("utf-8")).hexdigest()


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _columns(body: Mapping[str, Any]) -> tuple[Any, ...]:
    """What the filterable columns hold for an entry's body: at, at_epoch, principal, names."""
    at = str(body.get("at", ""))
    try:
        epoch = datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp()
    except ValueError:
        epoch = None
    names = ",".join(sorted({str(op.get("name")) for op in body.get("operations", [])}))
    return (at, epoch, body.get("principal"), names)


def _entry(body: Mapping[str, Any], prev: str, digest: str) -> AuditEntry:
    return AuditEntry(
        seq=body["seq"],
        at=body["at"],
        principal=body["principal"],
        agency=body["agency"],
        auth=body["auth"],
        operations=tuple(body["operations"]),
        justification=body["justification"],
        entities=tuple(body["entities"]),
        links=tuple(body["links"]),
        outcome=body["outcome"],
        client=body["client"],
        prev=prev,
        hash=digest,
    )
