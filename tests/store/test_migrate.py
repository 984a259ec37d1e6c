"""Migrating an embedded store into another: everything every principal sees is the same in
both, saved queries come along, running it again changes nothing, and what the target
refuses is reported with its reason."""

# Embedded-only: the source of a migration is an embedded store file, and each test holds two.

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from graphsvc.cli import main
from graphsvc.errors import InvalidInput
from graphsvc.model.records import EntityAssertion, LinkAssertion
from graphsvc.model.schema import Schema
from graphsvc.policy import Principals, Scope
from graphsvc.store.embedded import EmbeddedStore
from graphsvc.store.embedded.dump import StoreDump
from graphsvc.store.migrate import MigrationReport, migrate
from graphsvc.store.protocol import Rejection, SavedQueryRow, Unit
from tests.conftest import OPEN_HANDLING, entity, link, load

# Fields the seed does not exercise: text extraction (document, span, extractor), an analyst's
# note, an entity record without grading, and handling with caveats, releasability, retention.
EXTRACTED = {
    "source": "reports-fr",
    "record": "pv-2024-118#3",
    "method": "extracted",
    "document": "pv-2024-118",
    "span": [120, 164],
    "extractor": "ner-fr-2.1",
    "observedAt": "2024-05-02",
    "confidence": 0.7,
    "ingestedAt": "2025-01-01T00:00:00Z",
}
ASSESSED = {
    "source": "analysts",
    "record": "assessment-9",
    "method": "analyst",
    "note": "same car seen at both addresses on three nights",
    "confidence": 0.6,
    "ingestedAt": "2025-01-01T00:00:00Z",
}
GUARDED = {
    "classification": "SECRET",
    "releasableTo": ["FR", "BE-PJF"],
    "caveats": ["HUMINT"],
    "code": "H2",
    "originator": "FR-OCRTEH",
    "retainUntil": "2031-12-31",
}


def saved(owner: str, name: str, version: int, body: str) -> SavedQueryRow:
    return SavedQueryRow(
        owner=owner,
        name=name,
        version=version,
        description=f"{name} v{version}",
        parameters='[{"name":"name","type":"string","default":"Petrov"}]',
        body=body,
        agency="FR-OCRTEH",
        sharing="agency",
        created_at="2025-01-01T00:00:00Z",
        updated_at=f"2025-01-0{version}T00:00:00Z",
    )


def person(entity_id: str) -> dict[str, str]:
    return {"id": entity_id, "type": "Person"}


def data_version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()[0])


def all_ids(path: Path, table: str) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [str(r[0]) for r in conn.execute(f"SELECT id FROM {table} ORDER BY id")]


def copy_of(store: EmbeddedStore, path: Path) -> Path:
    """A copy of a store file, through SQLite's backup (the source is in WAL mode)."""
    with sqlite3.connect(store.path) as src, sqlite3.connect(path) as dst:
        src.backup(dst)
    return path


def first_of_type(path: Path, type_name: str, count: int) -> list[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT e.id FROM entities e JOIN types t ON t.tid = e.tid WHERE t.name = ?"
            " ORDER BY e.id LIMIT ?",
            (type_name, count),
        )
        return [str(r[0]) for r in rows]


@dataclass
class Migrated:
    source: EmbeddedStore
    target: EmbeddedStore
    report: MigrationReport


@pytest.fixture(scope="module")
def source_path(
    tmp_path_factory: pytest.TempPathFactory, embedded_seed_store: EmbeddedStore, schema: Schema
) -> Path:
    """The seed case, plus records with every optional field, plus saved queries: versions,
    a deletion, and a query saved again after its deletion."""
    path = copy_of(embedded_seed_store, tmp_path_factory.mktemp("source") / "graph.db")
    a, b = first_of_type(path, "Person", 2)
    with EmbeddedStore(path, schema, create=False) as store:
        records = [
            link("x-1", person(a), person(b)) | {"provenance": EXTRACTED},
            link("x-2", person(a), person(b), "RELATED_TO")
            | {"provenance": ASSESSED, "handling": GUARDED},
            entity(a, name="Ivan P.") | {"provenance": EXTRACTED, "handling": GUARDED},
            entity(b, nationality=["RO"]) | {"provenance": ASSESSED},
        ]
        report = load(store, records)
        assert report.rejected == 0, report.problems
        owner = "fr-analyst"
        store.append_saved_query(saved(owner, "callers", 1, "find Person | expand 1 via CALLED"))
        store.append_saved_query(saved(owner, "callers", 2, "find Person | expand 2 via CALLED"))
        store.append_saved_query(saved(owner, "old", 1, "find Organization"))
        store.mark_saved_query_deleted(owner, "old", "2025-02-01T00:00:00Z")
        store.append_saved_query(saved("supervisor", "back", 1, "find Phone"))
        store.mark_saved_query_deleted("supervisor", "back", "2025-02-02T00:00:00Z")
        store.append_saved_query(saved("supervisor", "back", 2, "find Phone | limit 5"))
    return path


@pytest.fixture(scope="module")
def migrated(
    tmp_path_factory: pytest.TempPathFactory, source_path: Path, schema: Schema
) -> Iterator[Migrated]:
    target_path = tmp_path_factory.mktemp("target") / "graph.db"
    with (
        EmbeddedStore(source_path, schema, create=False) as source,
        EmbeddedStore(target_path, schema) as target,
    ):
        report = migrate(source, target, batch_size=500)
        yield Migrated(source, target, report)


def test_the_report_says_everything_was_copied_and_verified(migrated: Migrated) -> None:
    report = migrated.report
    assert report.complete, report.differences
    assert report.refused == 0 and report.refusals == []
    assert report.units == report.total == report.accepted > 4000
    assert (report.saved_versions, report.saved_deletions) == (5, 1)
    assert report.unasserted == {}


def test_every_principal_sees_the_same_in_both_stores(
    migrated: Migrated, seed_principals: Principals, schema: Schema
) -> None:
    source, target = migrated.source, migrated.target
    entity_ids = all_ids(source.path, "entities")
    link_ids = all_ids(source.path, "links")
    assert all_ids(target.path, "entities") == entity_ids
    assert all_ids(target.path, "links") == link_ids
    for principal in seed_principals:
        scope = Scope.of(principal, schema.policy)
        assert source.stats(scope) == target.stats(scope), principal.id
        entities = source.get_entities(scope, entity_ids)
        assert entities, principal.id
        assert target.get_entities(scope, entity_ids) == entities, principal.id
        for entity_id in entity_ids:
            assert target.entity_links(scope, entity_id, limit=10_000) == source.entity_links(
                scope, entity_id, limit=10_000
            ), (principal.id, entity_id)
        for link_id in link_ids:
            assert target.get_link(scope, link_id) == source.get_link(scope, link_id), (
                principal.id,
                link_id,
            )


def test_optional_fields_survive_the_copy(migrated: Migrated, seed_principals: Principals) -> None:
    supervisor = Scope.of(seed_principals.get("fr-supervisor"), migrated.source.schema.policy)
    extracted = migrated.target.get_link(supervisor, "x-1")
    assessed = migrated.target.get_link(supervisor, "x-2")
    assert extracted is not None and assessed is not None
    assert extracted.provenance.span == (120, 164)
    assert extracted.provenance.extractor == "ner-fr-2.1"
    assert extracted.provenance.document == "pv-2024-118"
    assert extracted.provenance.observed_at == "2024-05-02"
    assert assessed.provenance.note == "same car seen at both addresses on three nights"
    assert assessed.handling.retain_until == "2031-12-31"
    assert assessed.handling.caveats == ("HUMINT",)
    assert assessed.directed is False


def test_the_dump_of_the_copy_is_the_dump_of_the_source(migrated: Migrated) -> None:
    with StoreDump(migrated.source.path) as mine, StoreDump(migrated.target.path) as theirs:
        units = list(mine.units())
        assert list(theirs.units()) == units
        assert mine.count() == len(units)
    kinds = {type(a) for unit in units for a in unit}
    assert kinds == {EntityAssertion, LinkAssertion}
    assert any(a.grading is None for u in units for a in u if isinstance(a, EntityAssertion))


def test_totals_and_saved_queries_are_equal(migrated: Migrated) -> None:
    assert migrated.target.totals() == migrated.source.totals()
    rows = migrated.target.saved_query_rows()
    assert rows == migrated.source.saved_query_rows()
    deleted = {(r.owner, r.name): r.deleted_at for r in rows}
    assert deleted == {
        ("fr-analyst", "callers"): None,
        ("fr-analyst", "old"): "2025-02-01T00:00:00Z",
        ("supervisor", "back"): None,
    }


def test_running_it_again_changes_nothing(migrated: Migrated) -> None:
    before = data_version(migrated.target.path)
    totals = migrated.target.totals()
    again = migrate(migrated.source, migrated.target, batch_size=1000)
    assert again.complete, again.differences
    assert (again.saved_versions, again.saved_deletions, again.refused) == (0, 0, 0)
    assert data_version(migrated.target.path) == before
    assert migrated.target.totals() == totals


def test_a_unit_the_target_refuses_is_reported_and_fails_the_cli(
    tmp_path: Path, source_path: Path, schema: Schema, capsys: pytest.CaptureFixture[str]
) -> None:
    (someone,) = first_of_type(source_path, "Person", 1)
    target_path = tmp_path / "target.db"
    with EmbeddedStore(target_path, schema) as target:
        clash = load(target, [entity(someone, "Organization", name="Not a person")])
        assert clash.rejected == 0
        with EmbeddedStore(source_path, schema, create=False) as source:
            report = migrate(source, target)
    assert report.refused > 0 and not report.complete
    reasons = [str(r) for r in report.refusals]
    assert any(
        f"entity {someone!r} is a Organization; this record says Person" in r for r in reasons
    )
    assert any(line.startswith("entities by type Organization: ") for line in report.differences)

    code = main(["migrate", "--from", str(source_path), "--to", str(target_path)])
    out, err = capsys.readouterr()
    assert code == 1
    assert f"entity {someone!r} is a Organization" in err and "refused: " in err
    assert "\nNOT verified: " in out
    assert not any(line.startswith("verified") for line in out.splitlines())


def test_a_saved_query_that_differs_in_the_target_is_a_difference(
    tmp_path: Path, source_path: Path, schema: Schema
) -> None:
    with (
        EmbeddedStore(source_path, schema, create=False) as source,
        EmbeddedStore(tmp_path / "target.db", schema) as target,
    ):
        target.append_saved_query(saved("fr-analyst", "callers", 1, "find Person | limit 1"))
        report = migrate(source, target)
        assert report.refused == 0
        assert report.differences == [
            "saved query fr-analyst/callers: versions 2 missing",
            "saved query fr-analyst/callers: versions 1 differ",
        ]
        assert len(target.saved_query_rows(owner="fr-analyst", name="callers")) == 1


def test_entities_no_record_asserts_are_left_out_of_the_comparison(
    tmp_path: Path, schema: Schema
) -> None:
    with EmbeddedStore(tmp_path / "source.db", schema) as source:
        load(source, [link("l-1", person("p-1"), person("p-2"))])
        load(source, [link("l-1", person("p-1"), person("p-3"))])  # p-2: no record, no link
        with EmbeddedStore(tmp_path / "target.db", schema) as target:
            report = migrate(source, target)
            assert report.unasserted == {"Person": 1}
            assert report.complete, report.differences
            assert target.totals().entities == source.totals().entities - 1


def test_the_source_cannot_be_the_target(tmp_path: Path, schema: Schema) -> None:
    with EmbeddedStore(tmp_path / "graph.db", schema) as store:
        load(store, [entity("p-1", name="A", handling=OPEN_HANDLING)])
        with pytest.raises(InvalidInput, match="both the source and the target"):
            migrate(store, store)


class SchemaFirstStore(EmbeddedStore):
    """An embedded store that, like Neo4j, has a schema to apply; it notes what is called."""

    calls: list[str]

    def init_schema(self) -> list[str]:
        self.calls.append("init_schema")
        return ["entity_id", "link_id", "names"]

    def write(self, units: Sequence[Unit]) -> list[Rejection]:
        self.calls.append("write")
        return super().write(units)


def test_a_target_with_a_schema_gets_it_before_any_write(
    tmp_path: Path, source_path: Path, schema: Schema
) -> None:
    seen: list[tuple[int, int]] = []
    with (
        EmbeddedStore(source_path, schema, create=False) as source,
        SchemaFirstStore(tmp_path / "target.db", schema) as target,
    ):
        target.calls = []
        report = migrate(
            source, target, batch_size=2000, progress=lambda r: seen.append((r.units, r.total))
        )
    assert report.complete, report.differences
    assert report.schema_ensured == ["entity_id", "link_id", "names"]
    assert target.calls == ["init_schema", "write", "write", "write"]
    total = report.total
    assert seen == [(0, total), (2000, total), (4000, total), (total, total)]
