"""Core benchmarks: ingestion, scoped views, expand, paths and search on a generated case.

Each scenario runs our code and, in the same run on the same data, a baseline doing the same
work with the raw library, and prints the figures and the ratio (ours / baseline). Nothing
here asserts a timing: these machines are shared and noisy.

    python bench/bench_core.py                 # a million links
    python bench/bench_core.py --links 200000
    python bench/bench_core.py --quick         # a small case, to check the benchmark runs

The case comes from ``bench/casegen.py`` (the seed case's generator, scaled) and is kept in
``bench/out/`` between runs.
"""

from __future__ import annotations

import argparse
import gc
import platform
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import igraph
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from graphsvc.ingest import Ingestor, SourceRegistry  # noqa: E402
from graphsvc.model.schema import Schema  # noqa: E402
from graphsvc.policy import Principals, Scope  # noqa: E402
from graphsvc.store.embedded import EmbeddedStore  # noqa: E402


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {p50 * 1000:8.2f} ms  p99 {p99 * 1000:8.2f} ms"


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def duration(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:8.2f} s "
    return f"{seconds * 1000:8.2f} ms"


def line(name: str, ours: float, base: float | None, note: str = "") -> None:
    ratio = f"{ours / base:7.2f}x" if base else "       -"
    base_text = duration(base) if base is not None else " " * 11
    print(f"  {name:<42} ours {duration(ours)}   baseline {base_text}   ratio {ratio}  {note}")


def generate(links: int, out: Path) -> Path:
    case = out / f"case-{links}"
    if not (case / "manifest.yaml").exists():
        shutil.rmtree(case, ignore_errors=True)
        print(f"generating a case of {links} links into {case} ...", flush=True)
        elapsed, _ = timed(
            lambda: subprocess.run(
                [
                    sys.executable,
                    str(REPO / "bench" / "casegen.py"),
                    "--out",
                    str(case),
                    "--links",
                    str(links),
                ],
                check=True,
            )
        )
        print(f"  generated in {elapsed:.1f} s")
    return case


def bench_ingest(case: Path, db: Path, schema: Schema) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    with EmbeddedStore(db, schema) as store:
        ingestor = Ingestor(store, SourceRegistry())
        elapsed, report = timed(
            lambda: (ingestor.ingest_path(case / "manifest.yaml"), ingestor.finish())[1]
        )
        stats = store.totals()
    print(
        f"  ingested {report.accepted} records ({stats.links} links, {stats.entities} entities,"
        f" {stats.records} entity records), rejected {report.rejected}"
    )
    # baseline: the same link rows, executemany into a bare table without indexes
    with sqlite3.connect(db) as source:
        rows = source.execute("SELECT * FROM links").fetchall()
        columns = len(rows[0]) if rows else 0
    bare = db.with_name("bare.db")
    bare.unlink(missing_ok=True)
    with sqlite3.connect(bare) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"CREATE TABLE links ({', '.join(f'c{i}' for i in range(columns))})")
        insert = f"INSERT INTO links VALUES ({', '.join('?' * columns)})"
        began = time.perf_counter()
        conn.executemany(insert, rows)
        base = time.perf_counter() - began
    bare.unlink(missing_ok=True)
    del rows
    line(
        "ingest (whole case, records/s in note)",
        elapsed,
        base,
        note=f"{report.accepted / elapsed:,.0f} records/s",
    )
    rerun_start = time.perf_counter()
    with EmbeddedStore(db, schema) as store:
        ingestor = Ingestor(store, SourceRegistry())
        ingestor.ingest_path(case / "manifest.yaml")
        ingestor.finish()
    line("re-ingest the same case (no change)", time.perf_counter() - rerun_start, None)


def bench_reads(db: Path, schema: Schema, case: Path, samples: int) -> None:
    principals = Principals.load(case / "principals.yaml", schema.policy)
    scope = Scope.of(principals.get("fr-supervisor"), schema.policy)
    gc.collect()
    store = EmbeddedStore(db, schema, create=False)
    index_time, _ = timed(store._sync)
    view_time, view = timed(lambda: store.view(scope))
    edges = np.column_stack([view.edge_src, view.edge_dst])
    base_build, _ = timed(lambda: igraph.Graph(n=view.n, edges=edges, directed=True))
    line(
        "scoped view, cold (index load + cut)",
        index_time + view_time,
        base_build,
        note=f"{view.n:,} vertices, {view.m:,} edges",
    )
    line("scoped view from the loaded index", view_time, base_build)
    graph_time, graph = timed(lambda: view.graph)
    line("igraph graph of the view (for analytics)", graph_time, base_build)

    rng = random.Random(7)
    vertices = [rng.randrange(view.n) for _ in range(samples)]
    ids = [str(view.vertex_ids[v]) for v in vertices]
    ours, base = [], []
    for entity_id, vertex in zip(ids, vertices, strict=True):
        began = time.perf_counter()
        store.expand(scope, [entity_id], hops=2, max_nodes=1000, max_links=5000)
        ours.append(time.perf_counter() - began)
        began = time.perf_counter()
        graph.induced_subgraph(graph.neighborhood(vertex, order=2))
        base.append(time.perf_counter() - began)
    line(
        "expand 2 hops (store + materialise)",
        statistics.median(ours),
        statistics.median(base),
        note=percentiles(ours),
    )

    pairs = [(rng.randrange(view.n), rng.randrange(view.n)) for _ in range(samples)]
    ours, base = [], []
    found = 0
    for a, b in pairs:
        source, target = str(view.vertex_ids[a]), str(view.vertex_ids[b])
        began = time.perf_counter()
        found += bool(store.paths(scope, source, target, max_hops=6, limit=1))
        ours.append(time.perf_counter() - began)
        began = time.perf_counter()
        graph.get_shortest_paths(a, to=b, mode="all", output="epath")
        base.append(time.perf_counter() - began)
    line(
        "shortest path between random pairs",
        statistics.median(ours),
        statistics.median(base),
        note=f"{percentiles(ours)}, {found}/{len(pairs)} connected within 6",
    )

    names = [store.get_entity(scope, str(view.vertex_ids[v])) for v in vertices[:200]]
    queries = [e.label for e in names if e is not None and e.type in ("Person", "Organization")]
    ours = [timed(lambda q=q: store.search(scope, q, limit=20))[0] for q in queries]
    if ours:
        line("name search", statistics.median(ours), None, note=percentiles(ours))
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--links", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="a small case (CI checks it runs)")
    parser.add_argument("--samples", type=int, default=1000, help="queries per read scenario")
    parser.add_argument("--out", default=str(REPO / "bench" / "out"))
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message="Couldn't reach some vertices")
    links = 20_000 if args.quick else args.links
    samples = 50 if args.quick else args.samples
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    schema = Schema.load(REPO / "schema")
    print(
        f"graphsvc core benchmark — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — "
        f"{platform.processor() or platform.machine()}, {platform.python_version()}, "
        f"igraph {igraph.__version__}, sqlite {sqlite3.sqlite_version}"
    )
    case = generate(links, out)
    db = out / f"store-{links}.db"
    print(f"case: {case}")
    bench_ingest(case, db, schema)
    bench_reads(db, schema, case, samples)
    print(f"  peak RSS of this process: {rss_mib():,.0f} MiB")


if __name__ == "__main__":
    main()
