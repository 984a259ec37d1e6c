"""Settings: which store, where the principals, schema and sources are, from flags or environment.

Every setting has a flag on the ``graphsvc`` command and an environment variable; the flag
wins. Defaults suit a checkout of the repository: the embedded store in ``data/graph.db``, its
audit log beside it (``data/graph-audit.db``) and the demo principals in
``seed/principals.yaml``. ``GRAPHSVC_BACKEND=neo4j`` (or ``--backend neo4j``) puts the graph in
Neo4j instead, reached with ``NEO4J_URI``, ``NEO4J_USER``, ``NEO4J_PASSWORD`` and
``NEO4J_DATABASE`` (environment only: a password on a command line is visible to every user of
the machine). The API's own settings (limits, JWT, justification) are in
``graphsvc/api/config.py``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from graphsvc.errors import InvalidConfig

DEFAULT_STORE = "data/graph.db"
DEFAULT_PRINCIPALS = "seed/principals.yaml"
BACKENDS = ("embedded", "neo4j")
DEFAULT_NEO4J_AUDIT = "data/neo4j-audit.db"
NEO4J_SCHEMES = ("neo4j://", "neo4j+s://", "neo4j+ssc://", "bolt://", "bolt+s://", "bolt+ssc://")


@dataclass(frozen=True)
class Neo4jSettings:
    """Where the Neo4j store is and how to sign in (``NEO4J_*``)."""

    uri: str
    user: str
    password: str = field(repr=False)
    database: str

    @property
    def name(self) -> str:
        """The database as people should read it: its address and name, never the password."""
        return f"{self.uri} (database {self.database})"

    @classmethod
    def from_env(cls, uri: str | None = None) -> Neo4jSettings:
        """From ``NEO4J_URI`` (or ``uri``), ``NEO4J_USER`` (default ``neo4j``),
        ``NEO4J_PASSWORD`` and ``NEO4J_DATABASE`` (default ``neo4j``)."""
        uri = uri or os.environ.get("NEO4J_URI")
        if not uri:
            raise InvalidConfig(
                "the neo4j backend needs NEO4J_URI (e.g. neo4j://localhost:7687)", field="NEO4J_URI"
            )
        if not uri.startswith(NEO4J_SCHEMES):
            raise InvalidConfig(
                f"{uri!r} is not a Neo4j address: expected {', '.join(NEO4J_SCHEMES)}",
                field="NEO4J_URI",
            )
        return cls(
            uri=uri,
            user=os.environ.get("NEO4J_USER") or "neo4j",
            password=os.environ.get("NEO4J_PASSWORD") or "",
            database=os.environ.get("NEO4J_DATABASE") or "neo4j",
        )


@dataclass(frozen=True)
class Settings:
    store: Path
    principals: Path
    schema: Path | None
    sources: Path | None
    audit: Path
    backend: str = "embedded"
    neo4j: Neo4jSettings | None = None

    @property
    def store_name(self) -> str:
        """The store as people should read it: the file, or the Neo4j address and database."""
        if self.neo4j is not None:
            return self.neo4j.name
        if self.backend == "neo4j":
            return "neo4j (NEO4J_URI not set)"
        return str(self.store)

    @classmethod
    def from_env(
        cls,
        *,
        store: str | None = None,
        principals: str | None = None,
        schema: str | None = None,
        sources: str | None = None,
        audit: str | None = None,
        backend: str | None = None,
    ) -> Settings:
        def pick(flag: str | None, variable: str, default: str | None) -> Path | None:
            value = flag or os.environ.get(variable) or default
            return Path(value) if value else None

        store_path = pick(store, "GRAPHSVC_STORE", DEFAULT_STORE) or Path(DEFAULT_STORE)
        chosen = backend or os.environ.get("GRAPHSVC_BACKEND") or "embedded"
        if chosen not in BACKENDS:
            raise InvalidConfig(
                f"unknown backend {chosen!r}: expected one of {', '.join(BACKENDS)}",
                field="GRAPHSVC_BACKEND",
            )
        # NEO4J_URI is needed only by commands that open the store (not principals, audit)
        neo4j = Neo4jSettings.from_env() if chosen == "neo4j" and _neo4j_uri() else None
        default_log = Path(DEFAULT_NEO4J_AUDIT) if chosen == "neo4j" else default_audit(store_path)
        return cls(
            store=store_path,
            principals=pick(principals, "GRAPHSVC_PRINCIPALS", DEFAULT_PRINCIPALS)
            or Path(DEFAULT_PRINCIPALS),
            schema=pick(schema, "GRAPHSVC_SCHEMA", None),
            sources=pick(sources, "GRAPHSVC_SOURCES", None),
            audit=pick(audit, "GRAPHSVC_AUDIT", None) or default_log,
            backend=chosen,
            neo4j=neo4j,
        )


def _neo4j_uri() -> str | None:
    return os.environ.get("NEO4J_URI") or None


def default_audit(store: Path) -> Path:
    """A store's audit log: a file of its own beside it (``graph.db`` -> ``graph-audit.db``)."""
    return store.with_name(f"{store.stem}-audit.db")
