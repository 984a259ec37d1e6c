"""Export benchmarks: the GEXF, GraphML and Gephi CSV writers and the export service, on a
subgraph of about 10,000 visible links of a generated case, in one principal's scope.

Each writer scenario runs our writer (``graphsvc/export``) and, in the same run on the same
export graph, a baseline writing the same nodes, edges and attribute values with the raw
library (networkx's ``write_gexf`` and ``write_graphml``, the ``csv`` module and ``zipfile``),
and prints the figures, the ratio (ours / baseline) and the target. Our figure always includes
computing the attribute values (``attributes.py``), as our writers do; the baseline's holds the
writing only, on a graph (or rows) built beforehand from those same values, unless the line
says otherwise. Nothing here asserts a timing: these machines are shared and noisy.

    python bench/bench_export.py                 # a million links
    python bench/bench_export.py --links 200000
    python bench/bench_export.py --quick         # a small case, to check the benchmark runs

The case and its store are shared with the other benchmarks in ``bench/out/``: an existing
``store-<links>.db`` is reused (delete it to ingest again). The printed lines are also written
to ``<out>/export-results.md``.
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import sys
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import networkx as nx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_analytics import (
    PRINCIPAL,
    Targets,
    Tee,
    check,
    detail,
    ensure_store,
    machine,
    run,
    spread,
    yes,
)
from bench_core import REPO, duration, generate, line, rss_mib, timed

from graphsvc.export import csvzip, gexf, graphml
from graphsvc.export.attributes import Attributes, Value, text
from graphsvc.export.banner import Banner, banner_for
from graphsvc.export.graph import ExportGraph
from graphsvc.export.purpose import Purpose, Withheld, restrict
from graphsvc.export.select import Collected, ExpandSelection, ExportLimits, collect
from graphsvc.export.service import export
from graphsvc.model.schema import Schema
from graphsvc.policy import Principals, Scope
from graphsvc.store.embedded import EmbeddedStore

SEED = 7
MAX_SEEDS = 50
JUSTIFICATION = "benchmark"
STAMP = "2026-11-23T10:00:00Z"
# networkx's GEXF writer takes these keys of an element's data for XML attributes of the
# element, not for attribute values: the baseline gives it the element's id, label, weight,
# edge type and time span under them, and each of our columns so named under another name
GEXF_SPECIAL = {"id", "label", "weight", "type", "start", "end", "pid", "viz", "spells", "parents"}
GRAPHML_SPECIAL = {"label"}


# -- the subgraph --------------------------------------------------------------------------------


def pick(
    store: EmbeddedStore, scope: Scope, want: int, limits: ExportLimits
) -> tuple[ExpandSelection, Collected]:
    """A 2-hop expand from random seeds (seeded), adding seeds until it holds ``want`` links
    (it keeps the first ``want`` by id when the neighbourhood holds more)."""
    view = store.view(scope)
    order = np.random.default_rng(SEED).permutation(view.n)[:MAX_SEEDS]
    seeds: list[str] = []
    selection: ExpandSelection | None = None
    collected: Collected | None = None
    for vertex in order.tolist():
        seeds.append(str(view.vertex_ids[vertex]))
        selection = ExpandSelection(
            ids=tuple(seeds), hops=2, max_nodes=max(want // 2, 100), max_links=want
        )
        collected = collect(store, scope, selection, limits)
        if len(collected.graph.links) >= want:
            break
    assert selection is not None and collected is not None
    return selection, collected


def banner_of(graph: ExportGraph, withheld: Withheld, schema: Schema, scope: Scope) -> Banner:
    return banner_for(
        graph,
        withheld,
        schema,
        export_id="exp-bench",
        format="gexf",
        exported_by=scope.principal.id,
        agency=scope.principal.agency,
        exported_at=STAMP,
        justification=JUSTIFICATION,
    )


def values_of(
    graph: ExportGraph, schema: Schema
) -> tuple[list[dict[str, Value]], list[dict[str, Value]]]:
    """What our writers compute before writing: every node's and every link's values."""
    table = Attributes(graph, schema)
    return [table.node(n) for n in graph.nodes], [table.link(x) for x in graph.links]


# -- the baselines -------------------------------------------------------------------------------


def renamed(values: dict[str, Value], special: set[str]) -> dict[str, Value]:
    return {(f"col_{k}" if k in special else k): v for k, v in values.items()}


def nx_graph(
    graph: ExportGraph,
    nodes: list[dict[str, Value]],
    links: list[dict[str, Value]],
    *,
    for_gexf: bool,
) -> nx.MultiDiGraph:
    """The export graph as networkx holds it: the same nodes, edges (one per link, keyed by
    the link id) and attribute values, each column under its name (``col_<name>`` for the
    names the writer reads specially), and the element's label, weight, edge type and time
    span under the names the writer reads for them."""
    special = GEXF_SPECIAL if for_gexf else GRAPHML_SPECIAL
    g = nx.MultiDiGraph()
    for node, values in zip(graph.nodes, nodes, strict=True):
        g.add_node(node.entity.id, label=node.entity.label, **renamed(values, special))
    for link, values in zip(graph.links, links, strict=True):
        data: dict[str, Any] = {"label": link.type}
        if for_gexf:  # the GEXF writer takes the id from the data, not the key
            data["id"] = link.id
            data["weight"] = values["weight"]
            data["type"] = "directed" if link.directed else "undirected"
            data.update((k, values[k]) for k in ("start", "end") if k in values)
        data.update(renamed(values, special))
        g.add_edge(link.source_id, link.target_id, key=link.id, **data)
    return g


def nx_gexf(g: nx.MultiDiGraph) -> bytes:
    buffer = io.BytesIO()
    nx.write_gexf(g, buffer, version="1.3")
    return buffer.getvalue()


def nx_graphml(g: nx.MultiDiGraph) -> bytes:
    buffer = io.BytesIO()
    nx.write_graphml(g, buffer)
    return buffer.getvalue()


def csv_rows(graph: ExportGraph, schema: Schema) -> tuple[list[list[str]], list[list[str]]]:
    """The rows of nodes.csv and edges.csv as text, from the same values."""
    table = Attributes(graph, schema)
    node_keys = [c.key for c in table.node_columns]
    edge_keys = [c.key for c in table.edge_columns if c.key not in csvzip.EMITTED]
    nodes = [list(csvzip.NODE_HEAD) + node_keys]
    for node in graph.nodes:
        values = table.node(node)
        cells = [text(values[k]) if k in values else "" for k in node_keys]
        nodes.append([node.entity.id, node.entity.label, *cells])
    edges = [list(csvzip.EDGE_HEAD) + edge_keys]
    for link in graph.links:
        values = table.link(link)
        kind = "Directed" if link.directed else "Undirected"
        cells = [text(values[k]) if k in values else "" for k in edge_keys]
        weight = text(values["weight"])
        edges.append([link.source_id, link.target_id, kind, link.id, link.type, weight, *cells])
    return nodes, edges


def csv_zip(banner_text: str, nodes: list[list[str]], edges: list[list[str]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("HANDLING.txt", banner_text)
        for name, rows in (("nodes.csv", nodes), ("edges.csv", edges)):
            out = io.StringIO()
            csv.writer(out).writerows(rows)
            archive.writestr(name, out.getvalue())
    return buffer.getvalue()


# -- checks: the same elements on both sides -----------------------------------------------------


def xml_counts(content: bytes, value_tag: str) -> tuple[int, int, int, set[str], set[str]]:
    """Nodes, edges, attribute values, node ids and edge ids of a GEXF or GraphML file."""
    nodes = edges = values = 0
    node_ids: set[str] = set()
    edge_ids: set[str] = set()
    for _, element in ElementTree.iterparse(io.BytesIO(content)):
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "node":
            nodes += 1
            node_ids.add(element.get("id", ""))
        elif tag == "edge":
            edges += 1
            edge_ids.add(element.get("id", ""))
        elif tag == value_tag:
            values += 1
    return nodes, edges, values, node_ids, edge_ids


def same_xml(graph: ExportGraph, ours: bytes, theirs: bytes, value_tag: str) -> str:
    a, b = xml_counts(ours, value_tag), xml_counts(theirs, value_tag)
    ids = a[3] == b[3] == set(graph.entity_ids) and a[4] == b[4] == set(graph.link_ids)
    return (
        f"ours {a[0]:,} nodes, {a[1]:,} edges, {a[2]:,} <{value_tag}>, {len(ours) / 2**20:.1f} "
        f"MiB; networkx {b[0]:,} nodes, {b[1]:,} edges, {b[2]:,} <{value_tag}>, "
        f"{len(theirs) / 2**20:.1f} MiB; same nodes and edges (ids): "
        f"{yes(a[0] == b[0] == len(graph.nodes) and a[1] == b[1] == len(graph.links) and ids)}"
    )


def zip_rows(content: bytes) -> tuple[int, int]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        counts = [
            sum(1 for _ in csv.reader(io.StringIO(archive.read(name).decode("utf-8")))) - 1
            for name in ("nodes.csv", "edges.csv")
        ]
    return counts[0], counts[1]


# -- scenarios -----------------------------------------------------------------------------------


def compare(
    ours: Callable[[], Any], base: Callable[[], Any], repeats: int
) -> tuple[list[float], list[float]]:
    """``repeats`` runs of each, alternating, after a warm-up run of each."""
    ours(), base()
    ours_times, base_times = [], []
    for _ in range(repeats):
        ours_times.append(run(ours)[0])
        base_times.append(run(base)[0])
    return ours_times, base_times


def bench_attributes(graph: ExportGraph, schema: Schema, repeats: int) -> float:
    values_of(graph, schema)
    times = [run(lambda: values_of(graph, schema))[0] for _ in range(repeats)]
    line("attribute values (part of every writer)", statistics.median(times), None)
    detail(f"Attributes(graph, schema), .node() and .link() of every element: {spread(times)}")
    return statistics.median(times)


def bench_gexf(
    graph: ExportGraph,
    banner: Banner,
    schema: Schema,
    repeats: int,
    attributes: float,
    targets: Targets,
) -> None:
    nodes, links = values_of(graph, schema)
    g = nx_graph(graph, nodes, links, for_gexf=True)
    ours_out, theirs_out = gexf.write(graph, banner, schema), nx_gexf(g)
    detail(f"GEXF: {same_xml(graph, ours_out, theirs_out, 'attvalue')}")
    detail(
        "  (networkx adds a networkx_key value to each edge; ours also repeats type, weight, "
        "start and end as values: both carry every column)"
    )
    ours, base = compare(lambda: gexf.write(graph, banner, schema), lambda: nx_gexf(g), repeats)
    name = "GEXF writer vs nx.write_gexf"
    ours_p50, base_p50 = statistics.median(ours), statistics.median(base)
    line(name, ours_p50, base_p50, note=check(targets, name, ours_p50 / base_p50, 1))
    detail(
        f"ours = gexf.write (attribute values + XML text): {spread(ours)}; baseline = "
        f"nx.write_gexf of a prebuilt MultiDiGraph into a BytesIO: {spread(base)}"
    )
    detail(
        f"of ours, attribute values p50 {attributes * 1000:.2f} ms, so XML text about "
        f"{(ours_p50 - attributes) * 1000:.2f} ms ({(ours_p50 - attributes) / base_p50:.2f}x "
        "the baseline)"
    )

    def built() -> bytes:
        values = values_of(graph, schema)
        return nx_gexf(nx_graph(graph, *values, for_gexf=True))

    _, whole = compare(lambda: None, built, max(3, repeats // 5))
    line(
        "GEXF writer vs values + nx graph + write",
        ours_p50,
        statistics.median(whole),
        note="baseline also computes the values and builds its graph",
    )
    detail(f"baseline {spread(whole)}")


def bench_graphml(graph: ExportGraph, banner: Banner, schema: Schema, repeats: int) -> None:
    nodes, links = values_of(graph, schema)
    g = nx_graph(graph, nodes, links, for_gexf=False)
    ours_out, theirs_out = graphml.write(graph, banner, schema), nx_graphml(g)
    detail(f"GraphML: {same_xml(graph, ours_out, theirs_out, 'data')}")
    detail("  (ours also holds the banner as graph <data>: both carry every column and label)")
    ours, base = compare(
        lambda: graphml.write(graph, banner, schema), lambda: nx_graphml(g), repeats
    )
    line(
        "GraphML writer vs nx.write_graphml",
        statistics.median(ours),
        statistics.median(base),
        note="for information",
    )
    detail(
        f"ours = graphml.write (attribute values + XML text): {spread(ours)}; baseline = "
        f"nx.write_graphml (lxml) of a prebuilt MultiDiGraph into a BytesIO: {spread(base)}"
    )


def bench_csv(graph: ExportGraph, banner: Banner, schema: Schema, repeats: int) -> None:
    nodes, edges = csv_rows(graph, schema)
    banner_text = banner.text()
    ours_out, theirs_out = csvzip.write(graph, banner, schema), csv_zip(banner_text, nodes, edges)
    a, b = zip_rows(ours_out), zip_rows(theirs_out)
    detail(
        f"CSV zip: ours {a[0]:,} node rows, {a[1]:,} edge rows, {len(ours_out) / 2**20:.1f} MiB; "
        f"baseline {b[0]:,} node rows, {b[1]:,} edge rows, {len(theirs_out) / 2**20:.1f} MiB; "
        f"same counts: {yes(a == b == (len(graph.nodes), len(graph.links)))}"
    )
    ours, base = compare(
        lambda: csvzip.write(graph, banner, schema),
        lambda: csv_zip(banner_text, nodes, edges),
        repeats,
    )
    line(
        "CSV zip writer vs csv + zipfile",
        statistics.median(ours),
        statistics.median(base),
        note="for information",
    )
    detail(
        f"ours = csvzip.write (attribute values + rows + zip): {spread(ours)}; baseline = "
        f"csv.writer + zipfile (deflated) of the same rows as text, built beforehand: "
        f"{spread(base)}"
    )


def bench_service(
    store: EmbeddedStore,
    scope: Scope,
    selection: ExpandSelection,
    graph: ExportGraph,
    limits: ExportLimits,
    repeats: int,
) -> None:
    schema = store.schema

    def ours(purpose: Purpose) -> Any:
        return export(
            store,
            scope,
            selection,
            "gexf",
            purpose,
            justification=JUSTIFICATION,
            limits=limits,
        )

    def base() -> bytes:
        read = collect(store, scope, selection, limits).graph
        return nx_gexf(nx_graph(read, *values_of(read, schema), for_gexf=True))

    made = ours(Purpose.INTERNAL)
    agree = made.link_ids == tuple(graph.link_ids) and made.entity_ids == tuple(graph.entity_ids)
    detail(
        f"export service: {len(made.entity_ids):,} entities, {len(made.link_ids):,} links, "
        f"{made.size / 2**20:.1f} MiB, the benchmarked graph's: {yes(agree)}"
    )
    internal, baseline = compare(lambda: ours(Purpose.INTERNAL), base, repeats)
    line(
        "export service, GEXF (internal)",
        statistics.median(internal),
        statistics.median(baseline),
        note="baseline: the same read + values + nx graph + write_gexf",
    )
    reads = [run(lambda: collect(store, scope, selection, limits))[0] for _ in range(repeats)]
    detail(
        f"ours {spread(internal)}; baseline {spread(baseline)}; of which the store read "
        f"(expand + export graph) {spread(reads)}"
    )

    kept, withheld = restrict(graph, Purpose.DISSEMINATION, scope.principal.agency, schema)
    detail(
        f"dissemination: {len(kept.nodes):,} entities and {len(kept.links):,} links kept; "
        f"withheld: {withheld.describe(schema)}"
    )
    restricted, internal = compare(
        lambda: ours(Purpose.DISSEMINATION), lambda: ours(Purpose.INTERNAL), repeats
    )
    line(
        "export service, GEXF (dissemination)",
        statistics.median(restricted),
        statistics.median(internal),
        note="baseline: the same export for internal use",
    )
    agency = scope.principal.agency
    restricting = [
        run(lambda: restrict(graph, Purpose.DISSEMINATION, agency, schema))[0]
        for _ in range(repeats)
    ]
    bannering = [run(lambda: banner_of(kept, withheld, schema, scope))[0] for _ in range(repeats)]
    detail(
        f"ours {spread(restricted)}; internal {spread(internal)}; of which restrict "
        f"{spread(restricting)}, banner {spread(bannering)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--links", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="a small case (CI checks it runs)")
    parser.add_argument("--subgraph", type=int, default=10_000, help="links of the subgraph")
    parser.add_argument(
        "--repeats",
        type=int,
        default=101,
        help="runs of each writer scenario (a quarter for the service)",
    )
    parser.add_argument("--out", default=str(REPO / "bench" / "out"))
    args = parser.parse_args()
    links = 20_000 if args.quick else args.links
    want = 2_000 if args.quick else args.subgraph
    repeats = 5 if args.quick else args.repeats
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tee = Tee(sys.stdout)
    sys.stdout = tee
    try:
        schema = Schema.load(REPO / "schema")
        print(f"graphsvc export benchmark — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
        print(f"machine: {machine()}")
        case = generate(links, out)
        db = out / f"store-{links}.db"
        print(f"case: {case}")
        ensure_store(case, db, schema)
        principals = Principals.load(case / "principals.yaml", schema.policy)
        scope = Scope.of(principals.get(PRINCIPAL), schema.policy)
        limits = ExportLimits()
        targets: Targets = []
        with EmbeddedStore(db, schema, create=False) as store:
            elapsed, (selection, collected) = timed(lambda: pick(store, scope, want, limits))
            graph = collected.graph
            print(
                f"subgraph for {PRINCIPAL}: 2-hop expand of {len(selection.ids)} seed(s), "
                f"{len(graph.nodes):,} entities, {len(graph.links):,} links"
                f"{' (truncated by max_links)' if graph.truncated else ''}; chosen in "
                f"{duration(elapsed).strip()}; {repeats} runs of each writer scenario, "
                f"{max(3, repeats // 4)} of each service scenario"
            )
            banner = banner_of(graph, Withheld(Purpose.INTERNAL), schema, scope)
            attributes = bench_attributes(graph, schema, repeats)
            bench_gexf(graph, banner, schema, repeats, attributes, targets)
            bench_graphml(graph, banner, schema, repeats)
            bench_csv(graph, banner, schema, repeats)
            bench_service(store, scope, selection, graph, limits, max(3, repeats // 4))
        print(f"  peak RSS of this process: {rss_mib():,.0f} MiB")
        print("targets:")
        for name, figure, met in targets:
            print(f"  {'met   ' if met else 'MISSED'}  {name}: {figure}")
    finally:
        sys.stdout = tee.stream
    results = out / "export-results.md"
    results.write_text(
        f"# graphsvc export benchmark ({links:,} links)\n\n```\n{tee.text}```\n",
        encoding="utf-8",
    )
    print(f"results written to {results}")


if __name__ == "__main__":
    main()
