"""Analytics benchmarks: network build, communities, centrality and hidden links on a generated
case, in one principal's scope.

Each scenario runs our code (``graphsvc/analytics``, called the way ``graphsvc/api/analytics.py``
calls it) and, in the same run on the same data, a baseline doing the same work with the raw
library (python-igraph, networkx), and prints the figures, the ratio and the target. Nothing
here asserts a timing: these machines are shared and noisy.

    python bench/bench_analytics.py                 # a million links
    python bench/bench_analytics.py --links 200000
    python bench/bench_analytics.py --quick         # a small case, to check the benchmark runs

The case and its store are shared with ``bench/bench_core.py`` in ``bench/out/``: an existing
``store-<links>.db`` is reused (delete it to ingest again). The printed lines are also written
to ``<out>/analytics-results.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import platform
import sqlite3
import statistics
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import igraph
import networkx as nx
import numpy as np
import scipy
import scipy.sparse  # graphsvc imports it on first use: a one-off cost, not timed here

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_core import REPO, duration, generate, line, percentiles, rss_mib, timed

from graphsvc.analytics import centrality, communities, hidden_links
from graphsvc.analytics.network import Network, Selection, network_of, seeded
from graphsvc.ingest import Ingestor, SourceRegistry
from graphsvc.model.schema import Schema
from graphsvc.policy import Principals, Scope
from graphsvc.store.embedded import EmbeddedStore
from graphsvc.store.protocol import OPEN
from graphsvc.store.view import ScopedView

PRINCIPAL = "fr-supervisor"
WHOLE = Selection(link_filter=OPEN)  # the whole visible graph, COUNT weighting
LEIDEN_SEED = 1
TOP_CENTRAL = 100
TOP_HIDDEN = 20
BETWEENNESS_SOURCES = 500
Targets = list[tuple[str, str, bool]]


class Tee:
    """Standard output that also keeps what was written, for the results file."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    @property
    def text(self) -> str:
        return "".join(self.parts)


def run(function: Callable[[], Any]) -> tuple[float, Any]:
    """``timed``, after collecting garbage so one run does not pay for the previous one's."""
    gc.collect()
    return timed(function)


def spread(samples: list[float]) -> str:
    """p50 and p99 with enough runs for a p99, else p50 and the slowest."""
    if len(samples) >= 100:
        return percentiles(samples)
    return (
        f"p50 {statistics.median(samples) * 1000:8.2f} ms  max {max(samples) * 1000:8.2f} ms"
        f" ({len(samples)} runs)"
    )


def check(
    targets: Targets, name: str, value: float, limit: float, *, at_least: bool = False
) -> str:
    """Record whether ``value`` meets the target; the text for the line's note."""
    met = value >= limit if at_least else value <= limit
    wanted = f"{'>=' if at_least else '<='} {limit:g}x"
    targets.append((name, f"{value:.2f}x (target {wanted})", met))
    return f"target {wanted}: {'met' if met else 'MISSED'}"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(r.split(":", 1)[1].strip() for r in info if r.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.0f} GiB"
    except (ValueError, OSError, AttributeError):
        pass
    return (
        f"{cpu} ({os.cpu_count()} CPUs{memory}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, igraph {igraph.__version__}, "
        f"networkx {nx.__version__}, scipy {scipy.__version__}, numpy {np.__version__}, "
        f"sqlite {sqlite3.sqlite_version}"
    )


# -- the case ------------------------------------------------------------------------------------


def ensure_store(case: Path, db: Path, schema: Schema) -> None:
    """Ingest the case unless its store exists (``bench_core`` leaves one in the same place).
    A new store is written under another name and renamed when complete, so an interrupted
    ingestion is never taken for a whole one."""
    if db.exists():
        print(f"  reusing the store {db} (delete it to ingest again)")
        return
    partial = db.with_name(db.name + ".partial")
    suffixes = ("", "-wal", "-shm")
    for suffix in suffixes:
        Path(f"{partial}{suffix}").unlink(missing_ok=True)
    with EmbeddedStore(partial, schema) as store:
        ingestor = Ingestor(store, SourceRegistry())
        elapsed, report = timed(
            lambda: (ingestor.ingest_path(case / "manifest.yaml"), ingestor.finish())[1]
        )
    for suffix in suffixes:
        if Path(f"{partial}{suffix}").exists():
            Path(f"{partial}{suffix}").rename(f"{db}{suffix}")
    print(f"  ingested {report.accepted} records in {elapsed:.1f} s, rejected {report.rejected}")


def fresh(view: ScopedView) -> ScopedView:
    """The same view with nothing derived yet (no memo, no id ranks): what the first analysis
    after a change of data or scope starts from."""
    return dataclasses.replace(view)


def baseline_graph(view: ScopedView) -> Any:
    """What the raw library does for a network: the links as an undirected multigraph,
    collapsed into weighted pairs (COUNT weighting) and without self-loops."""
    g = igraph.Graph(
        n=view.n, edges=np.column_stack([view.edge_src, view.edge_dst]), directed=False
    )
    g.es["weight"] = np.ones(view.m)
    g.simplify(combine_edges="sum")
    return g


# -- scenarios -----------------------------------------------------------------------------------


def detail(text: str) -> None:
    """A scenario's second line: spreads, sizes and whether ours and the baseline agree."""
    print(f"    {text}")


def yes(flag: bool) -> str:
    return "yes" if flag else "NO"


def bench_build(view: ScopedView, identifiers: frozenset[str], repeats: int) -> None:
    ours, ours_graph, base = [], [], []
    network: Network | None = None
    g: Any = None
    for _ in range(repeats):
        elapsed, network = run(lambda: network_of(fresh(view), WHOLE, identifiers))
        ours.append(elapsed)
        elapsed, _ = run(lambda: network_of(fresh(view), WHOLE, identifiers).graph)
        ours_graph.append(elapsed)
        elapsed, g = run(lambda: baseline_graph(view))
        base.append(elapsed)
    assert network is not None
    line("network build (cold)", statistics.median(ours), statistics.median(base))
    # the baseline keeps the view's entities with no link (ours leaves them out)
    linked = int(np.count_nonzero(np.asarray(g.degree()) > 0))
    detail(
        f"{network.n:,} entities, {network.m:,} pairs from {network.link_count:,} links, the "
        f"baseline's too: {yes(linked == network.n and g.ecount() == network.m)}; "
        f"ours {spread(ours)}; baseline {spread(base)}"
    )
    line(
        "network build + its igraph graph (cold)",
        statistics.median(ours_graph),
        statistics.median(base),
    )
    detail(f"ours {spread(ours_graph)}")


def bench_communities(
    view: ScopedView, network: Network, identifiers: frozenset[str], repeats: int, targets: Targets
) -> None:
    leiden = communities.Algorithm.LEIDEN
    g = network.graph

    def ours() -> communities.Partition:
        return communities.detect(network, leiden, seed=LEIDEN_SEED)

    def base() -> Any:
        with seeded(LEIDEN_SEED):
            return g.community_leiden(objective_function="modularity", weights="weight")

    partition, clustering = ours(), base()  # warm-up: cached degrees, allocator
    ours_times, base_times = [], []
    for _ in range(repeats):
        ours_times.append(run(ours)[0])
        base_times.append(run(base)[0])
    theirs = communities._canonical(np.asarray(clustering.membership, dtype=np.int64))
    name = "communities LEIDEN (warm)"
    ours_p50, base_p50 = statistics.median(ours_times), statistics.median(base_times)
    line(name, ours_p50, base_p50, note=check(targets, name, ours_p50 / base_p50, 1.3))
    detail(
        f"ours {spread(ours_times)}; baseline {spread(base_times)}; {partition.count:,} "
        f"communities, modularity {partition.modularity:.4f}, the baseline's partition: "
        f"{yes(np.array_equal(partition.membership, theirs))}"
    )

    def ours_cold() -> communities.Partition:
        cold = network_of(fresh(view), WHOLE, identifiers)
        return communities.detect(cold, leiden, seed=LEIDEN_SEED)

    def base_cold() -> Any:
        cold = baseline_graph(view)
        with seeded(LEIDEN_SEED):
            return cold.community_leiden(objective_function="modularity", weights="weight")

    ours_time, _ = run(ours_cold)
    base_time, _ = run(base_cold)
    line("communities LEIDEN (cold, with the build)", ours_time, base_time, note="one run")


def bench_pagerank(network: Network, repeats: int, targets: Targets) -> None:
    g = network.graph

    def ours() -> centrality.Ranking:
        return centrality.rank(network, centrality.Measure.PAGERANK, TOP_CENTRAL)

    def base() -> Any:
        scores = np.asarray(g.pagerank(weights="weight"), dtype=np.float64)
        return np.argsort(-scores, kind="stable")[:TOP_CENTRAL]

    ranking, top = ours(), base()  # warm-up
    ours_times, base_times = [], []
    for _ in range(repeats):
        ours_times.append(run(ours)[0])
        base_times.append(run(base)[0])
    name = f"PageRank top {TOP_CENTRAL}"
    ours_p50, base_p50 = statistics.median(ours_times), statistics.median(base_times)
    line(name, ours_p50, base_p50, note=check(targets, name, ours_p50 / base_p50, 1.3))
    detail(
        f"ours {spread(ours_times)}; baseline {spread(base_times)}; the baseline's top "
        f"{TOP_CENTRAL}: {yes(set(ranking.top.tolist()) == set(top.tolist()))}"
    )


def bench_hidden(network: Network, entities: int, targets: Targets) -> None:
    build_time, scorer = run(lambda: hidden_links.Scorer.of(network))

    def nx_graph() -> nx.Graph:
        graph = nx.Graph()
        graph.add_nodes_from(range(network.n))
        graph.add_edges_from(zip(network.src.tolist(), network.dst.tolist(), strict=True))
        return graph

    graph_time, graph = run(nx_graph)
    line("hidden links: Scorer build (once per view)", build_time, graph_time)
    detail("baseline: the networkx Graph of the same pairs (its set-up, not timed below)")

    eligible = np.flatnonzero(network.degree >= 2)
    rng = np.random.default_rng(7)
    chosen = rng.choice(eligible, size=min(entities, eligible.size), replace=False).tolist()
    resource = hidden_links.Method.RESOURCE_ALLOCATION
    ours_times, base_times, sizes = [], [], []
    agree = 0
    runs: list[tuple[Any, Callable[[], Any]]] = []
    for vertex in chosen:
        seeds = np.asarray([vertex], dtype=np.int64)
        elapsed, found = run(
            lambda s=seeds: hidden_links.predict(scorer, (resource,), s, top=TOP_HIDDEN)
        )
        ours_times.append(elapsed)
        u, v = scorer.candidates(seeds)
        sizes.append(int(u.size))
        pairs = list(zip(u.tolist(), v.tolist(), strict=True))

        def base(pairs: list[tuple[int, int]] = pairs) -> list[tuple[int, int, float]]:
            scored = (s for s in nx.resource_allocation_index(graph, pairs) if s[2] > 0)
            return sorted(scored, key=lambda s: (-s[2], s[0], s[1]))[:TOP_HIDDEN]

        elapsed, top = run(base)
        base_times.append(elapsed)
        runs.append((seeds, base))
        agree += bool(
            len(top) == found.u.size
            and np.allclose([s[2] for s in top], found.scores[:, 0])
            and {(a, b) for a, b, _ in top}
            == set(zip(found.u.tolist(), found.v.tolist(), strict=True))
        )
    ours_p50, base_p50 = statistics.median(ours_times), statistics.median(base_times)
    name = f"hidden links for one entity, top {TOP_HIDDEN}"
    verdict = check(targets, f"{name}, baseline/ours", base_p50 / ours_p50, 10, at_least=True)
    line(name, ours_p50, base_p50, note=f"baseline/ours {base_p50 / ours_p50:.2f}x, {verdict}")
    ordered = sorted(ours_times)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    targets.append((f"{name}, ours p99", f"{duration(p99).strip()} (target < 1 s)", p99 < 1))
    detail(
        f"RESOURCE_ALLOCATION, {len(chosen)} entities of degree >= 2 (Scorer reused): ours "
        f"{spread(ours_times)}; networkx on the same candidate pairs {spread(base_times)}"
    )
    detail(
        f"candidate pairs p50 {statistics.median(sizes):,.0f}, max {max(sizes):,}; the "
        f"baseline's top {TOP_HIDDEN}: {agree}/{len(chosen)}; baseline/ours over all "
        f"{len(chosen)} together {sum(base_times) / sum(ours_times):.2f}x"
    )
    # the same without collecting garbage before each call, which leaves the caches warm
    warm_ours, warm_base = [], []
    for seeds, base in runs:
        warm_ours.append(
            timed(lambda s=seeds: hidden_links.predict(scorer, (resource,), s, top=TOP_HIDDEN))[0]
        )
        warm_base.append(timed(base)[0])
    warm_p50, warm_base_p50 = statistics.median(warm_ours), statistics.median(warm_base)
    detail(
        f"warm caches (no gc.collect before each call): ours {spread(warm_ours)}; networkx "
        f"{spread(warm_base)}; baseline/ours {warm_base_p50 / warm_p50:.2f}x"
    )

    combined = hidden_links.Method.COMBINED
    scored, explained, total = [], [], []
    for vertex in chosen:
        seeds = np.asarray([vertex], dtype=np.int64)
        gc.collect()
        predict_time, found = timed(
            lambda s=seeds: hidden_links.predict(scorer, (combined,), s, top=TOP_HIDDEN)
        )
        explain_time, _ = timed(
            lambda f=found: [
                hidden_links.explain(scorer, u, v)
                for u, v in zip(f.u.tolist(), f.v.tolist(), strict=True)
            ]
        )
        scored.append(predict_time)
        explained.append(explain_time)
        total.append(predict_time + explain_time)
    line("hidden links COMBINED + explain, one entity", statistics.median(total), None)
    detail(
        f"the same entities: {spread(total)}; of which predict p50 "
        f"{statistics.median(scored) * 1000:.2f} ms, explain (each pair kept) p50 "
        f"{statistics.median(explained) * 1000:.2f} ms"
    )


def bench_betweenness(network: Network, repeats: int) -> None:
    g = network.graph
    k = min(BETWEENNESS_SOURCES, network.n)
    # the sources graphsvc draws with seed 0 (centrality._betweenness)
    sources = np.sort(np.random.default_rng(0).choice(network.n, size=k, replace=False)).tolist()

    def ours() -> centrality.Ranking:
        return centrality.rank(
            network, centrality.Measure.BETWEENNESS, TOP_CENTRAL, samples=k, seed=0
        )

    def base() -> Any:
        return np.asarray(g.betweenness(directed=False, sources=sources), dtype=np.float64)

    ours_times, base_times = [], []
    ranking = scores = None
    for _ in range(repeats):
        elapsed, ranking = run(ours)
        ours_times.append(elapsed)
        elapsed, scores = run(base)
        base_times.append(elapsed)
    assert ranking is not None and scores is not None
    scale = network.n / k if k < network.n else 1.0
    line(
        f"betweenness sampled ({k} sources)",
        statistics.median(ours_times),
        statistics.median(base_times),
        note="for information",
    )
    detail(
        f"ours {spread(ours_times)}; baseline {spread(base_times)}; the baseline's scores: "
        f"{yes(bool(np.allclose(ranking.scores, scores * scale)))}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--links", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="a small case (CI checks it runs)")
    parser.add_argument("--repeats", type=int, default=101, help="runs of each warm scenario")
    parser.add_argument("--entities", type=int, default=50, help="entities for hidden links")
    parser.add_argument("--out", default=str(REPO / "bench" / "out"))
    args = parser.parse_args()
    links = 20_000 if args.quick else args.links
    repeats = 11 if args.quick else args.repeats
    cold_repeats = 3 if args.quick else 5
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tee = Tee(sys.stdout)
    sys.stdout = tee
    try:
        schema = Schema.load(REPO / "schema")
        print(f"graphsvc analytics benchmark — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
        print(f"machine: {machine()}")
        case = generate(links, out)
        db = out / f"store-{links}.db"
        print(f"case: {case}")
        ensure_store(case, db, schema)
        principals = Principals.load(case / "principals.yaml", schema.policy)
        scope = Scope.of(principals.get(PRINCIPAL), schema.policy)
        identifiers = frozenset(t.name for t in schema.entities.values() if t.identifier)
        targets: Targets = []
        with EmbeddedStore(db, schema, create=False) as store:
            index_time, _ = timed(store._sync)
            view_time, view = timed(lambda: store.view(scope))
            print(
                f"scope of {PRINCIPAL}: {view.n:,} entities, {view.m:,} links (index load "
                f"{duration(index_time).strip()}, scoped view {duration(view_time).strip()});"
                f" {repeats} runs of each warm scenario"
            )
            bench_build(view, identifiers, cold_repeats)
            network = network_of(view, WHOLE, identifiers)  # memoised: the warm network
            bench_communities(view, network, identifiers, repeats, targets)
            bench_pagerank(network, repeats, targets)
            bench_hidden(network, args.entities, targets)
            bench_betweenness(network, 3 if args.quick else 5)
        print(f"  peak RSS of this process: {rss_mib():,.0f} MiB")
        print("targets:")
        for name, figure, met in targets:
            print(f"  {'met   ' if met else 'MISSED'}  {name}: {figure}")
    finally:
        sys.stdout = tee.stream
    results = out / "analytics-results.md"
    results.write_text(
        f"# graphsvc analytics benchmark ({links:,} links)\n\n```\n{tee.text}```\n",
        encoding="utf-8",
    )
    print(f"results written to {results}")


if __name__ == "__main__":
    main()
