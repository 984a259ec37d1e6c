"""The Neo4j backend's Cypher: one named query per file in ``cypher/``, loaded once at start.

Queries take values only as ``$parameters``: nothing is ever formatted into their text.
``CypherQueries.fetch``/``execute`` refuse a call that does not supply exactly the parameters
the file uses (a missing one would silently compare with null; an extra one is a caller's
mistake), so a typo fails loudly in the first test that runs the query. The tests check the
same statically for every call site, without a server.

``schema.cypher`` is different: statements separated by ``;`` (constraints and indexes), run
one by one by ``graphsvc db init``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from graphsvc.errors import InvalidConfig

PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_COMMENT = re.compile(r"^\s*//.*$", re.MULTILINE)
_STRING = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_SCHEMA_NAME = re.compile(
    r"^CREATE\s+(?:FULLTEXT\s+|RANGE\s+|TEXT\s+|POINT\s+)?(?:CONSTRAINT|INDEX)\s+(\w+)",
    re.IGNORECASE,
)
SCHEMA_FILE = "schema.cypher"


class Transaction(Protocol):
    """What the queries need of a driver transaction (``neo4j.ManagedTransaction``)."""

    def run(self, query: Any, parameters: dict[str, Any] | None = None, **kwargs: Any) -> Any: ...


def default_cypher_dir() -> Path:
    """``$GRAPHSVC_CYPHER``, else the copy shipped in the wheel, else the checkout's
    ``cypher/``."""
    configured = os.environ.get("GRAPHSVC_CYPHER")
    if configured:
        return Path(configured)
    packaged = Path(__file__).resolve().parents[2] / "_defaults" / "cypher"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "cypher"


def strip_comments(text: str) -> str:
    """The query without its ``//`` comment lines."""
    return _COMMENT.sub("", text).strip()


def parameters_of(text: str) -> frozenset[str]:
    """The ``$parameters`` a query uses (outside string literals and comments)."""
    return frozenset(PARAMETER.findall(_STRING.sub("''", strip_comments(text))))


@dataclass(frozen=True)
class CypherQuery:
    name: str
    text: str
    parameters: frozenset[str]
    path: Path


class CypherQueries:
    """Every named query of a ``cypher/`` directory."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or default_cypher_dir()
        if not self.directory.is_dir():
            raise InvalidConfig(
                "the Cypher queries of the neo4j backend are missing", file=str(self.directory)
            )
        self.queries: dict[str, CypherQuery] = {}
        for path in sorted(self.directory.glob("*.cypher")):
            if path.name == SCHEMA_FILE:
                continue
            text = strip_comments(path.read_text(encoding="utf-8"))
            if not text:
                raise InvalidConfig("the query file is empty", file=str(path))
            self.queries[path.stem] = CypherQuery(path.stem, text, parameters_of(text), path)

    def __getitem__(self, name: str) -> CypherQuery:
        try:
            return self.queries[name]
        except KeyError:
            raise InvalidConfig(
                f"no Cypher query {name!r}", file=str(self.directory / f"{name}.cypher")
            ) from None

    def _checked(self, name: str, params: Mapping[str, Any]) -> CypherQuery:
        query = self[name]
        given = frozenset(params)
        if given != query.parameters:
            missing = ", ".join(sorted(query.parameters - given)) or "-"
            extra = ", ".join(sorted(given - query.parameters)) or "-"
            raise InvalidConfig(
                f"query {name!r} called with the wrong parameters (missing: {missing}; "
                f"not used by the query: {extra})",
                file=str(query.path),
            )
        return query

    def fetch(self, tx: Transaction, name: str, /, **params: Any) -> list[dict[str, Any]]:
        """Run the query ``name`` in ``tx``; its records as dictionaries."""
        query = self._checked(name, params)
        return [record.data() for record in tx.run(query.text, params)]

    def execute(self, tx: Transaction, name: str, /, **params: Any) -> Any:
        """Run the query ``name`` in ``tx`` for its effect; the result summary's counters."""
        query = self._checked(name, params)
        return tx.run(query.text, params).consume().counters

    def schema_statements(self) -> list[tuple[str, str]]:
        """``(name, statement)`` for each statement of ``schema.cypher``, in order."""
        path = self.directory / SCHEMA_FILE
        text = strip_comments(path.read_text(encoding="utf-8"))
        statements = []
        for statement in (s.strip() for s in text.split(";")):
            if not statement:
                continue
            if PARAMETER.search(_STRING.sub("''", statement)):
                raise InvalidConfig("schema statements take no parameters", file=str(path))
            match = _SCHEMA_NAME.match(statement)
            if match is None:
                raise InvalidConfig(
                    f"not a named CREATE CONSTRAINT/INDEX statement: {statement[:60]!r}",
                    file=str(path),
                )
            statements.append((match.group(1), statement))
        return statements
