"""The seed case: it loads cleanly, uses every handling level and code, and tells its story —
each principal sees a different part of it, and sources join through shared selectors."""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

import pytest

from graphsvc.policy import Principals, Scope
from graphsvc.store.protocol import GraphStore
from tests.conftest import REPO, SEED


@pytest.fixture(scope="module")
def seeded(seed_store: GraphStore) -> GraphStore:
    """The seed case of the module's backend, loaded by ``tests.conftest.load_seed``, which
    checks that it loads cleanly: nothing rejected or skipped, more than 3000 records."""
    return seed_store


@pytest.fixture(scope="module")
def principals(seeded: GraphStore) -> Principals:
    return Principals.load(SEED / "principals.yaml", seeded.schema.policy)


def scope(principals: Principals, seeded: GraphStore, principal: str) -> Scope:
    return Scope.of(principals.get(principal), seeded.schema.policy)


def test_size_and_every_level_and_code_used(seeded: GraphStore) -> None:
    stats = seeded.totals()
    assert 300 <= stats.entities <= 1000 and 2000 <= stats.links <= 6000
    assert set(stats.links_by_classification) == set(seeded.schema.policy.levels)
    assert set(stats.links_by_code) == set(seeded.schema.policy.codes)
    assert len(stats.links_by_source) >= 5


def test_the_demo_principals_each_see_a_different_part(
    seeded: GraphStore, principals: Principals
) -> None:
    assert {p.id for p in principals} >= {"fr-analyst", "be-analyst", "fr-supervisor", "auditor"}
    assert principals.get("fr-supervisor").clearance == "SECRET"
    assert "auditor" in principals.get("auditor").roles
    seen = {p.id: seeded.stats(Scope.of(p, seeded.schema.policy)).links for p in principals}
    assert len(set(seen.values())) == len(seen)
    assert seen["fr-supervisor"] == max(seen.values())


def test_human_source_reporting_only_for_the_cleared(
    seeded: GraphStore, principals: Principals
) -> None:
    for link_id in ("ocrteh:HUMINT-0001", "ocrteh:HUMINT-0002"):
        secret = seeded.get_link(scope(principals, seeded, "fr-supervisor"), link_id)
        assert secret is not None
        assert secret.handling.caveats == ("HUMINT",)
        assert secret.handling.originator == "FR-OCRTEH"
        # the analyst of the same office lacks the clearance and the caveat
        assert seeded.get_link(scope(principals, seeded, "fr-analyst"), link_id) is None


def test_a_phone_written_two_ways_by_two_countries_is_one_node(
    seeded: GraphStore, principals: Principals
) -> None:
    broker = "phone:+33652178340"
    fr = scope(principals, seeded, "fr-analyst")
    sources = {link.provenance.source for link in seeded.entity_links(fr, broker, limit=10_000)}
    assert {"cdr-fr", "be-pjf"} <= sources
    be = scope(principals, seeded, "be-analyst")
    be_sources = {link.provenance.source for link in seeded.entity_links(be, broker, limit=10_000)}
    assert "be-pjf" in be_sources and "cdr-fr" not in be_sources
    leader_to_broker = seeded.paths(fr, "ocrteh:PER-0001", "pjf:P-00001", max_hops=4)
    assert leader_to_broker and any(
        broker in [n.id for n in path.nodes] for path in leader_to_broker
    )


def test_an_expired_partner_record_is_seen_only_by_its_originator(
    seeded: GraphStore, principals: Principals
) -> None:
    check = "pjf:EVT-0004"
    assert seeded.get_entity(scope(principals, seeded, "be-analyst"), check) is not None
    assert seeded.get_entity(scope(principals, seeded, "fr-supervisor"), check) is None


def test_the_generator_reproduces_the_seed(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(REPO / "bench" / "casegen.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    generated = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert generated
    for relative in generated:
        assert filecmp.cmp(tmp_path / relative, SEED / relative, shallow=False), relative
