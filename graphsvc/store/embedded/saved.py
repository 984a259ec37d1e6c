"""Saved queries in the embedded store: the SQL behind the ``GraphStore`` saved-query methods.

Versions live in ``saved_queries`` and deletions in ``saved_query_deletions`` (see ``ddl``).
Writes run in their own ``BEGIN IMMEDIATE`` transaction on the store's write connection (the
caller holds the store's write lock) and never touch ``meta``: saved queries are not graph
data, so saving one leaves the data version, and every cached view, alone.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from graphsvc.errors import StoreError
from graphsvc.store.protocol import SavedQueryRow

_SELECT = """
SELECT q.owner, q.name, q.version, q.description, q.parameters, q.body, q.agency, q.sharing,
       q.created_at, q.updated_at, d.deleted_at
FROM saved_queries q
LEFT JOIN saved_query_deletions d ON d.owner = q.owner AND d.name = q.name
"""

_INSERT = """
INSERT INTO saved_queries (owner, name, version, description, parameters, body, agency,
                           sharing, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""


class SavedQueryStore:
    """Reads and writes saved-query rows; reads on any connection, writes on the write one."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn  # the write connection

    @staticmethod
    def rows(
        conn: sqlite3.Connection, name: str | None = None, owner: str | None = None
    ) -> list[SavedQueryRow]:
        where, params = [], []
        for column, value in (("q.name", name), ("q.owner", owner)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY q.owner, q.name, q.version"
        return [SavedQueryRow(*row) for row in conn.execute(sql, params)]

    def append(self, row: SavedQueryRow) -> None:
        def append() -> None:
            found = self.conn.execute(
                "SELECT max(version) FROM saved_queries WHERE owner = ? AND name = ?",
                (row.owner, row.name),
            ).fetchone()[0]
            expected = (found or 0) + 1
            if row.version != expected:
                raise StoreError(
                    f"saved query {row.owner}/{row.name}: cannot store version {row.version}, "
                    f"the next version is {expected} (saved concurrently?)",
                    field="version",
                )
            self.conn.execute(_INSERT, _values(row))
            self.conn.execute(
                "DELETE FROM saved_query_deletions WHERE owner = ? AND name = ?",
                (row.owner, row.name),
            )

        self._transaction(append)

    def mark_deleted(self, owner: str, name: str, at: str) -> None:
        def mark() -> None:
            exists = self.conn.execute(
                "SELECT 1 FROM saved_queries WHERE owner = ? AND name = ? LIMIT 1", (owner, name)
            ).fetchone()
            if exists is None:
                raise StoreError(f"no saved query {owner}/{name} to delete", field="name")
            self.conn.execute(
                "INSERT INTO saved_query_deletions (owner, name, deleted_at) VALUES (?, ?, ?)"
                " ON CONFLICT (owner, name) DO UPDATE SET deleted_at = excluded.deleted_at",
                (owner, name, at),
            )

        self._transaction(mark)

    def _transaction(self, work: Callable[[], None]) -> None:
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreError(f"cannot start a write: {exc}") from None
        try:
            work()
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"saved query not written: {exc}") from None
            raise


def _values(row: SavedQueryRow) -> tuple[Any, ...]:
    return (
        row.owner,
        row.name,
        row.version,
        row.description,
        row.parameters,
        row.body,
        row.agency,
        row.sharing,
        row.created_at,
        row.updated_at,
    )
