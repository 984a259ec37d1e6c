"""Copying an embedded store into another store (Neo4j, or another embedded file), verified.

``migrate`` reads the source file unscoped (``StoreDump``: one unit per entity record and per
link, with every field the writer stored) and writes it through the target's
``GraphStore.write`` in batches, so the target checks each unit as it checks ingestion and
refuses what conflicts with what it already holds; every refusal is reported with its reason,
none is dropped silently. Saved queries follow, version by version, with their deletions, and
then the entity-resolution corrections (merges, splits, undos) with their redirects, so that
re-ingesting into the target respects them too (the copied records and links already carry
what the corrections moved).
Writes are idempotent and saved-query versions the target already has are skipped, so running
a migration again resumes or confirms it and changes nothing.

At the end the counts of both stores (``totals()``: entities, links, records, by type, source,
classification and handling code), the saved queries and the corrections are compared; the
report lists every difference, and a migration is *verified* when there is none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from itertools import groupby
from typing import Protocol, runtime_checkable

from graphsvc.errors import InvalidInput
from graphsvc.model.graph import StoreStats
from graphsvc.model.records import EntityAssertion
from graphsvc.store.embedded import EmbeddedStore
from graphsvc.store.embedded.dump import StoreDump
from graphsvc.store.protocol import GraphStore, SavedQueryRow, Unit
from graphsvc.store.resolution import ResolutionRow

DEFAULT_BATCH = 5000
REFUSALS_KEPT = 1000


@runtime_checkable
class SchemaOwner(Protocol):
    """A store whose database needs constraints and indexes before it is written (Neo4j)."""

    def init_schema(self) -> list[str]: ...


@dataclass(frozen=True)
class RefusedUnit:
    """A unit of the source the target would not store, and why."""

    what: str
    field: str | None
    reason: str

    def __str__(self) -> str:
        where = f" ({self.field})" if self.field else ""
        return f"{self.what}{where}: {self.reason}"


@dataclass
class MigrationReport:
    """What a migration did and what its verification found."""

    total: int = 0  # units in the source
    units: int = 0  # units read and offered to the target so far
    refused: int = 0
    refusals: list[RefusedUnit] = field(default_factory=list)  # the first REFUSALS_KEPT
    schema_ensured: list[str] = field(default_factory=list)
    saved_versions: int = 0  # saved-query versions copied (not those already there)
    saved_deletions: int = 0  # saved-query deletions copied
    resolutions: int = 0  # corrections copied (not those already there)
    unasserted: dict[str, int] = field(default_factory=dict)  # entities no unit carries
    differences: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return self.units - self.refused

    @property
    def verified(self) -> bool:
        """Both stores hold the same counts and the same saved queries."""
        return not self.differences

    @property
    def complete(self) -> bool:
        """Verified, and no unit refused."""
        return self.verified and self.refused == 0


Progress = Callable[[MigrationReport], None]


def migrate(
    source: EmbeddedStore,
    target: GraphStore,
    *,
    batch_size: int = DEFAULT_BATCH,
    progress: Progress | None = None,
) -> MigrationReport:
    """Copy every entity record, link, saved query and correction of ``source`` into
    ``target``, then compare the two. ``progress`` is called with the report so far once
    before the first write (``units`` 0, ``total`` known) and after every batch."""
    if batch_size < 1:
        raise InvalidInput("must be at least 1", field="--batch-size")
    if isinstance(target, EmbeddedStore) and target.path.resolve() == source.path.resolve():
        raise InvalidInput(f"{source.path} is both the source and the target", field="--to")
    report = MigrationReport()
    if isinstance(target, SchemaOwner):
        report.schema_ensured = target.init_schema()
    with StoreDump(source.path) as dump:
        report.total = dump.count()
        report.unasserted = dump.unasserted_entities()
        if progress is not None:
            progress(report)  # the start: nothing written yet, the total known
        batch: list[Unit] = []
        for unit in dump.units():
            batch.append(unit)
            if len(batch) >= batch_size:
                _write(target, batch, report, progress)
                batch = []
        if batch:
            _write(target, batch, report, progress)
    source_rows = source.saved_query_rows()
    copy_saved_queries(source_rows, target, report)
    corrections = source.resolution_rows()
    for row in corrections:  # oldest first: the target numbers them in the same order
        report.resolutions += target.import_resolution(row)
    report.differences = (
        compare_totals(expected(source.totals(), report.unasserted), target.totals())
        + compare_saved_queries(source_rows, target.saved_query_rows())
        + compare_resolutions(corrections, target.resolution_rows())
    )
    return report


def compare_resolutions(
    source_rows: Sequence[ResolutionRow], target_rows: Sequence[ResolutionRow]
) -> list[str]:
    """Every correction of the source the target does not hold identically (its number in
    each store aside)."""
    held = {row.id: replace(row, seq=0) for row in target_rows}
    differences = []
    for row in source_rows:
        there = held.get(row.id)
        if there is None:
            differences.append(f"correction {row.id} ({row.kind}) missing")
        elif there != replace(row, seq=0):
            differences.append(f"correction {row.id} ({row.kind}) differs")
    return differences


def _write(
    target: GraphStore, batch: Sequence[Unit], report: MigrationReport, progress: Progress | None
) -> None:
    for rejection in target.write(batch):
        report.refused += 1
        if len(report.refusals) < REFUSALS_KEPT:
            report.refusals.append(
                RefusedUnit(describe(batch[rejection.index]), rejection.field, rejection.reason)
            )
    report.units += len(batch)
    if progress is not None:
        progress(report)


def describe(unit: Unit) -> str:
    """A unit as people find it in the source: its record or link id."""
    parts = []
    for a in unit:
        if isinstance(a, EntityAssertion):
            p = a.provenance
            parts.append(f"entity record {p.source}/{p.record} of {a.entity_id}")
        else:
            parts.append(f"link {a.id}")
    return ", ".join(parts)


# -- saved queries -----------------------------------------------------------------------------


def _key(row: SavedQueryRow) -> tuple[str, str]:
    return row.owner, row.name


def _by_query(rows: Iterable[SavedQueryRow]) -> dict[tuple[str, str], list[SavedQueryRow]]:
    ordered = sorted(rows, key=lambda r: (r.owner, r.name, r.version))
    return {key: list(versions) for key, versions in groupby(ordered, key=_key)}


def copy_saved_queries(
    source_rows: Sequence[SavedQueryRow], target: GraphStore, report: MigrationReport
) -> None:
    """Append the versions the target lacks, then its deletion where the source has one.

    A query whose versions in the target differ from the source's is left as it is: the
    comparison reports it.
    """
    held = _by_query(target.saved_query_rows())
    for key, versions in _by_query(source_rows).items():
        there = held.get(key, [])
        top = there[-1].version if there else 0
        mine = {r.version: replace(r, deleted_at=None) for r in versions}
        if any(mine.get(r.version) != replace(r, deleted_at=None) for r in there):
            continue
        deleted_there = there[-1].deleted_at if there else None
        for row in versions:
            if row.version > top:
                target.append_saved_query(replace(row, deleted_at=None))
                report.saved_versions += 1
                deleted_there = None  # appending a version undoes a deletion
        deleted_at = versions[-1].deleted_at
        if deleted_at is not None and deleted_there != deleted_at:
            target.mark_saved_query_deleted(key[0], key[1], deleted_at)
            report.saved_deletions += 1


def compare_saved_queries(
    source_rows: Sequence[SavedQueryRow], target_rows: Sequence[SavedQueryRow]
) -> list[str]:
    """Every saved query of the source whose versions or deletion the target does not hold
    identically (queries only the target has are not the source's business)."""
    theirs = _by_query(target_rows)
    differences = []
    for key, versions in _by_query(source_rows).items():
        there = theirs.get(key, [])
        if there == versions:
            continue
        name = f"{key[0]}/{key[1]}"
        mine = {r.version: r for r in versions}
        held = {r.version: r for r in there}
        missing = sorted(set(mine) - set(held))
        extra = sorted(set(held) - set(mine))
        changed = sorted(
            v
            for v in set(mine) & set(held)
            if replace(mine[v], deleted_at=None) != replace(held[v], deleted_at=None)
        )
        if missing:
            differences.append(f"saved query {name}: versions {_list(missing)} missing")
        if extra:
            differences.append(f"saved query {name}: versions {_list(extra)} only in the target")
        if changed:
            differences.append(f"saved query {name}: versions {_list(changed)} differ")
        mine_deleted = versions[-1].deleted_at
        held_deleted = there[-1].deleted_at if there else None
        if there and mine_deleted != held_deleted:
            differences.append(
                f"saved query {name}: deleted at {mine_deleted or 'never'} in the source, "
                f"{held_deleted or 'never'} in the target"
            )
    return differences


def _list(versions: list[int]) -> str:
    return ", ".join(str(v) for v in versions)


# -- counts ----------------------------------------------------------------------------------------


def expected(totals: StoreStats, unasserted: dict[str, int]) -> StoreStats:
    """The source's counts less the entities no unit carries (they cannot be copied)."""
    if not unasserted:
        return totals
    by_type = {
        name: count - unasserted.get(name, 0)
        for name, count in totals.entities_by_type.items()
        if count - unasserted.get(name, 0) > 0
    }
    return replace(
        totals, entities=totals.entities - sum(unasserted.values()), entities_by_type=by_type
    )


def compare_totals(source: StoreStats, target: StoreStats) -> list[str]:
    """One line per count that differs: ``links by type CALLED: source 40, target 39``."""
    differences = []
    for title, mine, theirs in (
        ("entities", source.entities, target.entities),
        ("links", source.links, target.links),
        ("entity records", source.records, target.records),
    ):
        if mine != theirs:
            differences.append(f"{title}: source {mine}, target {theirs}")
    for title, mine_by, theirs_by in (
        ("entities by type", source.entities_by_type, target.entities_by_type),
        ("links by type", source.links_by_type, target.links_by_type),
        ("links by source", source.links_by_source, target.links_by_source),
        ("links by classification", source.links_by_classification, target.links_by_classification),
        ("links by handling code", source.links_by_code, target.links_by_code),
    ):
        for key in sorted(set(mine_by) | set(theirs_by)):
            mine, theirs = mine_by.get(key, 0), theirs_by.get(key, 0)
            if mine != theirs:
                differences.append(f"{title} {key}: source {mine}, target {theirs}")
    return differences
