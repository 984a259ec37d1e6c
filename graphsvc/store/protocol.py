"""The ``GraphStore`` protocol: what every storage backend offers, shaped by analysts' work.

Writes come from ingestion and are unscoped (whoever holds the source files may load them).
Every read takes a ``Scope`` and returns only what that scope may see: backends apply the
visibility rule inside their queries, and analytics receive a ``ScopedView`` built for the
scope, never the raw graph.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from graphsvc.model.graph import Entity, Link, Path, SearchHit, StoreStats, Subgraph
from graphsvc.model.records import EntityAssertion, LinkAssertion
from graphsvc.model.schema import Schema
from graphsvc.policy.scope import Scope
from graphsvc.store.view import ScopedView

Assertion = EntityAssertion | LinkAssertion
Unit = Sequence[Assertion]
"""The assertions of one source record (a line or a row): stored all together or not at all."""


@dataclass(frozen=True)
class LinkFilter:
    """Which links a traversal may follow. ``None`` means no restriction on that field.

    ``since``/``until`` are epoch seconds, inclusive; a link with no date is outside every
    time window.
    """

    types: frozenset[str] | None = None
    since: int | None = None
    until: int | None = None
    min_confidence: float | None = None

    @property
    def is_open(self) -> bool:
        return (
            self.types is None
            and self.since is None
            and self.until is None
            and self.min_confidence is None
        )


OPEN = LinkFilter()


@dataclass(frozen=True)
class Rejection:
    """A unit the store refused, by its index in the batch, and why."""

    index: int
    field: str | None
    reason: str


@runtime_checkable
class GraphStore(Protocol):
    schema: Schema

    # -- writing (ingestion; unscoped) -----------------------------------------------------------

    def write(self, units: Sequence[Unit]) -> list[Rejection]:
        """Upsert the units in one transaction; return the units refused (type conflicts...).

        Idempotent: writing the same units again changes nothing.
        """
        ...

    # -- reading (scoped) ------------------------------------------------------------------------

    def get_entity(self, scope: Scope, entity_id: str) -> Entity | None: ...

    def get_entities(self, scope: Scope, entity_ids: Sequence[str]) -> list[Entity]: ...

    def get_link(self, scope: Scope, link_id: str) -> Link | None: ...

    def entity_links(
        self,
        scope: Scope,
        entity_id: str,
        link_filter: LinkFilter = OPEN,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Link]: ...

    def expand(
        self,
        scope: Scope,
        entity_ids: Sequence[str],
        hops: int = 1,
        link_filter: LinkFilter = OPEN,
        max_nodes: int = 1000,
        max_links: int = 5000,
    ) -> Subgraph: ...

    def paths(
        self,
        scope: Scope,
        source_id: str,
        target_id: str,
        max_hops: int = 4,
        link_filter: LinkFilter = OPEN,
        limit: int = 5,
        directed: bool = False,
    ) -> list[Path]: ...

    def subgraph(
        self,
        scope: Scope,
        entity_ids: Sequence[str],
        link_filter: LinkFilter = OPEN,
        max_links: int = 5000,
    ) -> Subgraph: ...

    def search(
        self,
        scope: Scope,
        text: str,
        types: Sequence[str] | None = None,
        limit: int = 20,
    ) -> list[SearchHit]: ...

    def view(self, scope: Scope) -> ScopedView: ...

    def stats(self, scope: Scope) -> StoreStats:
        """What the scope sees: entities, links and entity records, by type, source, level."""
        ...

    def totals(self) -> StoreStats:
        """The whole store, whatever its handling: for the operator who holds the store file
        (``graphsvc stats``), never for an API caller."""
        ...

    def close(self) -> None: ...
