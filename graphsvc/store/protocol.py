"""The ``GraphStore`` protocol: what every storage backend offers, shaped by analysts' work.

Writes come from ingestion and are unscoped (whoever holds the source files may load them).
Every read takes a ``Scope`` and returns only what that scope may see: backends apply the
visibility rule inside their queries, and analytics receive a ``ScopedView`` built for the
scope, never the raw graph.

Saved queries (analysts' named DSL queries) are kept by the store too, but unscoped: the store
keeps their versions and ``graphsvc.query.saved`` applies the sharing rules.

Entity-resolution corrections (merging entities, splitting one, undoing either: see
``graphsvc.store.resolution``) are writes made in a caller's scope: the caller must see every
entity and every record or link they name, and gets back only what they may see of the
correction. The store keeps each correction and the redirects that make its writes respect
it on re-ingestion; who may read or undo a correction (its author, supervisors, auditors) is
decided above the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from graphsvc.errors import InvalidInput
from graphsvc.model.graph import Entity, Link, Path, SearchHit, StoreStats, Subgraph
from graphsvc.model.properties import epoch_seconds, parse_datetime
from graphsvc.model.records import EntityAssertion, LinkAssertion
from graphsvc.model.schema import Schema
from graphsvc.policy.scope import Scope
from graphsvc.store.resolution import RecordRef, Resolution, ResolutionRow
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

    @classmethod
    def parse(
        cls,
        schema: Schema,
        types: Iterable[str] | None = None,
        since: str | None = None,
        until: str | None = None,
        min_confidence: float | None = None,
        names: tuple[str, str, str, str] = ("types", "since", "until", "min_confidence"),
    ) -> LinkFilter:
        """A filter from what a user typed, each problem named by its argument (``names``).

        Times are ISO dates or date-times; ``until`` given as a date (or a month, a year)
        includes all of it.
        """
        type_set = None
        if types is not None:
            type_set = frozenset(t.strip() for t in types if t.strip())
            for name in sorted(type_set):
                try:
                    schema.link_type(name)
                except InvalidInput as exc:
                    raise InvalidInput(exc.message, field=names[0]) from None
        if min_confidence is not None and not 0.0 <= min_confidence <= 1.0:
            raise InvalidInput(f"must be between 0 and 1, got {min_confidence}", field=names[3])
        return cls(
            types=type_set,
            since=time_bound(since, names[1]),
            until=time_bound(until, names[2], end=True),
            min_confidence=min_confidence,
        )

    @property
    def is_open(self) -> bool:
        return (
            self.types is None
            and self.since is None
            and self.until is None
            and self.min_confidence is None
        )


OPEN = LinkFilter()


def time_bound(value: Any, name: str, *, end: bool = False) -> int | None:
    """Epoch seconds of an ISO date or date-time a user typed, ``InvalidInput`` naming ``name``
    when it is not one. As an upper bound (``end``), a date, a month or a year is its last
    second."""
    if value is None:
        return None
    try:
        canonical = parse_datetime(value)
    except ValueError as exc:
        raise InvalidInput(str(exc), field=name) from None
    if not end or "T" in canonical:
        return epoch_seconds(canonical)
    # an upper bound given as a day, month or year includes all of it
    year, _, rest = canonical.partition("-")
    if not rest:
        return epoch_seconds(f"{int(year) + 1}") - 1
    month, _, day = rest.partition("-")
    if not day:
        following = f"{year}-{int(month) + 1:02d}" if month != "12" else f"{int(year) + 1}-01"
        return epoch_seconds(following) - 1
    return epoch_seconds(canonical) + 86_399


def at_least(**arguments: tuple[int, int]) -> None:
    """Raise ``InvalidInput`` naming the first argument below its minimum
    (``at_least(limit=(limit, 0))``)."""
    for name, (value, minimum) in arguments.items():
        if value < minimum:
            raise InvalidInput(f"must be at least {minimum}, got {value}", field=name)


@dataclass(frozen=True)
class Rejection:
    """A unit the store refused, by its index in the batch, and why."""

    index: int
    field: str | None
    reason: str


@dataclass(frozen=True)
class SavedQueryRow:
    """One stored version of a saved query, as the store keeps it.

    ``parameters`` is JSON text (an array of objects), kept as given: the store does not read
    it. Times are ISO-8601 UTC strings. ``deleted_at`` is when the query (``owner``, ``name``,
    every version) was deleted, ``None`` while it is not; it is read back from the store and
    ignored by ``append_saved_query``.
    """

    owner: str
    name: str
    version: int
    description: str
    parameters: str
    body: str
    agency: str
    sharing: str
    created_at: str
    updated_at: str
    deleted_at: str | None = None


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

    def entities_at(
        self, scope: Scope, view: ScopedView, vertices: Sequence[int]
    ) -> list[Entity | None]:
        """The entities at positions of ``view`` (built for ``scope``), in the order given;
        ``None`` where one stopped being visible since the view was built."""
        ...

    def links_at(self, scope: Scope, view: ScopedView, edges: Sequence[int]) -> list[Link | None]:
        """The links at edge positions of ``view``, in the order given (``None`` as above)."""
        ...

    def link_numbers(self, scope: Scope, view: ScopedView, prop: str) -> npt.NDArray[np.float64]:
        """The numeric property ``prop`` of every edge of ``view``, NaN where a link has none."""
        ...

    def stats(self, scope: Scope) -> StoreStats:
        """What the scope sees: entities, links and entity records, by type, source, level."""
        ...

    def totals(self) -> StoreStats:
        """The whole store, whatever its handling: for the operator who holds the store file
        (``graphsvc stats``), never for an API caller."""
        ...

    # -- saved queries (not scoped: the query layer applies the sharing rules) -----------------

    def saved_query_rows(
        self, name: str | None = None, owner: str | None = None
    ) -> list[SavedQueryRow]:
        """Every version of every saved query, deleted ones included (with ``deleted_at``);
        only those named ``name`` and/or owned by ``owner`` when given. Ordered by owner,
        name, version."""
        ...

    def append_saved_query(self, row: SavedQueryRow) -> None:
        """Store ``row`` as the next version of (``row.owner``, ``row.name``) and undo any
        deletion of that query, in one transaction.

        ``row.version`` must be exactly one more than the highest stored version (1 for a new
        query), checked inside the write transaction: when another writer got there first,
        nothing is written and ``StoreError`` names the conflict. The data version of the
        graph is not changed.
        """
        ...

    def mark_saved_query_deleted(self, owner: str, name: str, at: str) -> None:
        """Mark every version of (``owner``, ``name``) deleted at ``at`` (kept, not erased);
        ``StoreError`` when there is no such query. The data version is not changed."""
        ...

    # -- entity-resolution corrections (scoped writes; see graphsvc.store.resolution) ------------

    def merge_entities(
        self, scope: Scope, ids: Sequence[str], into: str | None, *, by: str, reason: str
    ) -> Resolution:
        """Merge the entities ``ids`` into ``into`` (default: the first): every entity record
        of the others, and every link end on them, is re-pointed to it, records of every
        handling included; their ids then redirect to ``into`` on every later write.

        The scope must see every entity named (``NotFound`` otherwise, as for one that does
        not exist); they must be of one type and not selectors (``InvalidInput``); ``Conflict``
        when two of them hold a record of the same source and record id. Raises the data
        version. Returns the correction as ``scope`` sees it.
        """
        ...

    def split_entity(
        self,
        scope: Scope,
        entity_id: str,
        records: Sequence[RecordRef],
        links: Sequence[str],
        new_id: str | None,
        *,
        by: str,
        reason: str,
    ) -> Resolution:
        """Move the entity records ``records`` of ``entity_id`` and the ends on it of the links
        ``links`` to a new entity of its type, ``new_id`` or one named after the moves. Every
        record and link named must be visible to the scope (``NotFound``), at least one of the
        records it sees must stay; ``new_id`` must not be an entity id already
        (``InvalidInput``). Later writes of the moved records and link ends go to the new
        entity."""
        ...

    def undo_resolution(
        self, scope: Scope, resolution_id: str, *, by: str, reason: str
    ) -> Resolution:
        """Put back everything correction ``resolution_id`` moved and drop its redirects, as a
        new ``undo`` correction. ``NotFound`` when the scope sees nothing of it; ``Conflict``
        when it was undone already or the graph no longer holds what it moved where it put it
        (nothing is changed then)."""
        ...

    def resolutions(
        self,
        scope: Scope,
        entity_id: str | None = None,
        by: str | None = None,
        limit: int = 100,
    ) -> list[Resolution]:
        """Corrections, newest first, as ``scope`` sees them (those it sees nothing of left
        out): only those naming ``entity_id`` and/or made by principal ``by`` when given."""
        ...

    def get_resolution(self, scope: Scope, resolution_id: str) -> Resolution | None:
        """One correction as ``scope`` sees it; None when it sees nothing of it."""
        ...

    def resolution_rows(self) -> list[ResolutionRow]:
        """Every correction, whatever its handling, oldest first: for the operator who holds
        the store (``graphsvc migrate``), never for an API caller."""
        ...

    def import_resolution(self, row: ResolutionRow) -> bool:
        """Keep a correction made in another store (``graphsvc migrate``), with its redirects
        when it is not undone, after the corrections already held; its moves are not applied
        (the copied records and links already carry them). False when its id is held
        already."""
        ...

    def ping(self) -> None:
        """Raise ``StoreError``/``BackendUnavailable`` unless the store can answer reads now."""
        ...

    def close(self) -> None: ...
