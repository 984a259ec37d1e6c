"""Neo4j backend benchmarks: ingestion, the projected view, expand, paths and search.

Runs only where a Neo4j 5 server is reachable (``NEO4J_URI``, ``NEO4J_USER``,
``NEO4J_PASSWORD``, ``NEO4J_DATABASE``); otherwise it says so and exits 0. It ERASES the
graphsvc data of that database first: on a database holding data it refuses unless
``GRAPHSVC_BENCH_NEO4J_ERASE=1``.

Each scenario runs our code and, in the same run on the same data, a baseline doing the same
work with the raw driver, and prints the figures and the ratio (ours / baseline):

- ingest: the whole generated case through ``graphsvc``'s ingestion into Neo4j, against the
  same link rows written by the raw driver with one ``UNWIND ... MERGE`` per batch of the same
  size (into separate labels, removed afterwards);
- the scoped view: projecting the visible graph out of Neo4j and building the view, against
  fetching the same columns with the raw driver;
- expand (2 hops), paths (max 6 hops) and name search, p50/p99 over random entities.

    NEO4J_URI=neo4j://localhost:7687 NEO4J_PASSWORD=... python bench/bench_neo4j.py --links 200000
    python bench/bench_neo4j.py --quick
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_core import generate, line, percentiles, rss_mib, timed  # noqa: E402

from graphsvc.config import Neo4jSettings  # noqa: E402
from graphsvc.ingest import Ingestor, IngestReport, SourceRegistry  # noqa: E402
from graphsvc.model.schema import Schema  # noqa: E402
from graphsvc.policy import Principals, Scope  # noqa: E402

BATCH = 5000
BASELINE = """
UNWIND $rows AS row
MERGE (a:BenchEntity {id: row.src})
MERGE (b:BenchEntity {id: row.dst})
MERGE (a)-[r:BENCH_LINK {id: row.id}]->(b)
SET r += row.fields
"""
BASELINE_CLEAN = """
MATCH (n:BenchEntity) WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS n
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--links", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="a small case (checks it runs)")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out", help="case directory")
    args = parser.parse_args()
    if not os.environ.get("NEO4J_URI"):
        print("bench_neo4j: skipped: NEO4J_URI is not set (needs a Neo4j 5 server)")
        return 0
    links = 20_000 if args.quick else args.links
    samples = 20 if args.quick else args.samples
    from graphsvc.store.neo4j import Neo4jStore

    schema = Schema.load(REPO / "schema")
    case = generate(links, args.out)
    settings = Neo4jSettings.from_env()
    store = Neo4jStore(settings, schema)
    try:
        if not store.is_empty() and os.environ.get("GRAPHSVC_BENCH_NEO4J_ERASE") != "1":
            print(
                f"bench_neo4j: {store.name} holds data; this benchmark erases it: set "
                "GRAPHSVC_BENCH_NEO4J_ERASE=1 to allow",
                file=sys.stderr,
            )
            return 2
        store.erase_all()
        store.init_schema()
        print(f"Neo4j {store.name}, case of {links} links ({case})")
        bench_ingest(store, case)
        bench_reads(store, schema, case, samples)
    finally:
        store.close()
    print(f"peak RSS {rss_mib():,.0f} MiB")
    return 0


def bench_ingest(store: Any, case: Path) -> None:
    def ingest() -> IngestReport:
        ingestor = Ingestor(store, SourceRegistry())
        ingestor.ingest_path(case / "manifest.yaml")
        return ingestor.finish()

    elapsed, report = timed(ingest)
    totals = store.totals()
    print(
        f"  ingested {report.accepted} records ({totals.links} links, {totals.entities} "
        f"entities), rejected {report.rejected}"
    )

    def reingest() -> None:
        again = Ingestor(store, SourceRegistry())
        again.ingest_path(case / "manifest.yaml")
        again.finish()

    rerun, _ = timed(reingest)
    # baseline: the same link rows, written by the raw driver in batches of the same size
    driver = store._driver  # the benchmark reuses the store's connection pool
    database = store.settings.database
    with driver.session(database=database) as session:
        rows = [
            {"id": r["id"], "src": r["src"], "dst": r["dst"], "fields": dict(r["link"])}
            for r in session.run(
                "MATCH (a:Entity)-[r:LINK]->(b:Entity) "
                "RETURN a.id AS src, b.id AS dst, r.id AS id, properties(r) AS link"
            )
        ]
        session.run("CREATE INDEX bench_entity IF NOT EXISTS FOR (n:BenchEntity) ON (n.id)")
        began = time.perf_counter()
        for start in range(0, len(rows), BATCH):
            chunk = rows[start : start + BATCH]
            session.execute_write(lambda tx, chunk=chunk: tx.run(BASELINE, rows=chunk).consume())
        base = time.perf_counter() - began
        while session.run(BASELINE_CLEAN).single()["n"]:
            pass
        session.run("DROP INDEX bench_entity IF EXISTS")
    line(
        "ingest (whole case)",
        elapsed,
        base,
        note=f"{totals.links / elapsed:,.0f} links/s; raw driver {len(rows) / base:,.0f} links/s",
    )
    line("re-ingest the same case (no change)", rerun, None)


def seconds(function: Any, *args: Any, **kwargs: Any) -> float:
    began = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - began


def bench_reads(store: Any, schema: Schema, case: Path, samples: int) -> None:
    principals = Principals.load(case / "principals.yaml", schema.policy)
    principal = max(principals, key=lambda p: schema.policy.rank(p.clearance))
    scope = Scope.of(principal, schema.policy)
    elapsed, view = timed(lambda: store.view(scope))
    _, visible = store._visible(scope)
    with store._driver.session(database=store.settings.database) as session:
        projection = store._q["view_links"].text  # the store's own query, without the store
        base, _ = timed(lambda: list(session.run(projection, visible=visible)))
    line(f"scoped view, cold ({view.m:,} links)", elapsed, base)
    rng = random.Random(7)
    ids = view.vertex_ids.tolist()
    picks = [rng.choice(ids) for _ in range(samples)]
    expand = [seconds(store.expand, scope, [i], hops=2) for i in picks]
    print(f"  expand 2 hops, max 1,000 nodes / 5,000 links   {percentiles(expand)}")
    pairs = [(rng.choice(ids), rng.choice(ids)) for _ in range(samples)]
    paths = [seconds(store.paths, scope, a, b, max_hops=6, limit=1) for a, b in pairs]
    print(f"  shortest path, max 6 hops                      {percentiles(paths)}")
    names = [e.label for e in store.get_entities(scope, picks[:50]) if e.type == "Person"]
    search = [seconds(store.search, scope, n) for n in names or ["a"]]
    print(f"  name search, top 20                            {percentiles(search)}")


if __name__ == "__main__":
    raise SystemExit(main())
