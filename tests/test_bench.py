"""The benchmarks still run: a quick, small case through every scenario (timings not checked)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.mark.slow
def test_core_benchmark_runs_quick(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / "bench_core.py"), "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    for scenario in ("ingest", "scoped view", "expand 2 hops", "shortest path", "name search"):
        assert scenario in result.stdout
    assert "rejected 0" in result.stdout


@pytest.mark.slow
def test_analytics_benchmark_runs_quick(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "bench_analytics.py"),
            "--quick",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    for scenario in (
        "network build (cold)",
        "communities LEIDEN (warm)",
        "PageRank top 100",
        "hidden links for one entity, top 20",
        "hidden links COMBINED + explain",
        "betweenness sampled",
    ):
        assert scenario in result.stdout
    assert (tmp_path / "analytics-results.md").exists()


@pytest.mark.slow
def test_export_benchmark_runs_quick(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "bench_export.py"),
            "--quick",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    for scenario in (
        "GEXF writer vs nx.write_gexf",
        "GraphML writer vs nx.write_graphml",
        "CSV zip writer vs csv + zipfile",
        "export service, GEXF (internal)",
        "export service, GEXF (dissemination)",
    ):
        assert scenario in result.stdout
    assert "same nodes and edges (ids): NO" not in result.stdout
    assert "same counts: NO" not in result.stdout
    assert (tmp_path / "export-results.md").exists()
