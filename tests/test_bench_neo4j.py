"""The Neo4j benchmark: without a server it says why it did nothing; with one (NEO4J_URI, and
GRAPHSVC_BENCH_NEO4J_ERASE=1 for a database holding data) a quick case runs every scenario."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def _run(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "bench" / "bench_neo4j.py"), "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=1800,
        env=env,
    )


def test_without_a_server_it_says_it_skipped(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NEO4J_URI"}
    result = _run(tmp_path, env)
    assert result.returncode == 0, result.stderr
    assert "skipped: NEO4J_URI is not set" in result.stdout


@pytest.mark.slow
@pytest.mark.neo4j
@pytest.mark.skipif(not os.environ.get("NEO4J_URI"), reason="NEO4J_URI is not set")
def test_with_a_server_every_scenario_runs(tmp_path: Path) -> None:
    result = _run(tmp_path, dict(os.environ))
    assert result.returncode == 0, result.stderr
    for scenario in ("ingest", "scoped view", "expand 2 hops", "shortest path", "name search"):
        assert scenario in result.stdout
    assert "rejected 0" in result.stdout
