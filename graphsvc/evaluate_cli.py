"""``graphsvc evaluate links|communities|extraction``: measured against known answers.

``links`` and ``communities`` read edge files (``graphsvc/analytics/evaluate.py`` says which
formats); ``extraction`` reads labelled documents (``graphsvc/ingest/documents/evaluate.py``).
Each prints a Markdown table, so the figures in the README can be reproduced with one command.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from graphsvc.analytics import evaluate
from graphsvc.analytics.communities import Algorithm
from graphsvc.analytics.hidden_links import Method
from graphsvc.analytics.network import Network
from graphsvc.errors import InvalidInput
from graphsvc.model.schema import Schema


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "evaluate", help="measure link prediction or community detection on known networks"
    )
    kinds = parser.add_subparsers(dest="kind", required=True, metavar="KIND")
    links = kinds.add_parser("links", help="hide links, score them: AUC and precision@k")
    _edges(links)
    links.add_argument(
        "--predict",
        action="append",
        metavar="LAYER",
        help="the layer(s) to hide links from (default: all); the others stay as evidence",
    )
    links.add_argument("--hide", type=float, default=0.1, help="fraction hidden (default 0.1)")
    links.add_argument("--repeats", type=int, default=50, help="repeats (default 50)")
    links.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    links.add_argument(
        "--k", type=int, help="precision among the top k (default: as many as hidden)"
    )
    links.add_argument(
        "--method",
        dest="methods",
        action="append",
        choices=[m.name for m in Method],
        help="a method (repeatable; default all)",
    )
    groups = kinds.add_parser("communities", help="compare partitions with known labels: NMI, ARI")
    _edges(groups)
    groups.add_argument("--labels", required=True, help="CSV with a header: entity id, label")
    groups.add_argument("--id-column", help="the column of entity ids (default the first)")
    groups.add_argument("--label-column", help="the column of labels (default the second)")
    groups.add_argument("--repeats", type=int, default=10, help="seeds per stochastic algorithm")
    groups.add_argument("--seed", type=int, default=0, help="first seed (default 0)")
    groups.add_argument(
        "--algorithm",
        dest="algorithms",
        action="append",
        choices=[a.name for a in Algorithm],
        help="an algorithm (repeatable; default all)",
    )

    text = kinds.add_parser(
        "extraction",
        help="extract labelled documents: precision and recall per kind (selectors, names, "
        "dates, links)",
    )
    text.add_argument("labels", help="the labels file (seed/reports/labels.yaml)")
    text.add_argument(
        "--sources", help="the documents' sources (default: sources.yaml beside the labels)"
    )
    text.add_argument(
        "--details",
        action="store_true",
        help="also list, per document, the labelled values missed and the values found unlabelled",
    )


def _edges(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--edges",
        action="append",
        required=True,
        metavar="[LAYER=]FILE",
        help="an edge list or adjacency matrix; repeat for layers (named by file stem or LAYER=)",
    )


def run(args: argparse.Namespace, schema: Schema) -> int:
    if args.kind == "extraction":
        return _extraction(args, schema)
    layers = [_layer(spec) for spec in args.edges]
    network = evaluate.network_from(layers)
    names = [layer.name for layer in layers]
    if len(set(names)) != len(names):
        raise InvalidInput("two edge files give the same layer name; name them LAYER=FILE")
    print(
        f"network: {network.n} entities, {network.m} linked pairs, {network.link_count} links "
        f"in layers {', '.join(names)}"
    )
    if args.kind == "links":
        return _links(args, network, names)
    return _communities(args, network)


def _layer(spec: str) -> evaluate.Layer:
    name, _, path = spec.rpartition("=")
    return evaluate.read_edges(Path(path), name or None)


def _links(args: argparse.Namespace, network: Network, names: list[str]) -> int:
    target = None
    if args.predict:
        unknown = sorted(set(args.predict) - set(names))
        if unknown:
            raise InvalidInput(
                f"no layer {unknown[0]!r}; the layers are {', '.join(names)}", field="--predict"
            )
        target = frozenset(args.predict)
    methods = [Method[m] for m in args.methods] if args.methods else list(Method)
    scores, hidden, never = evaluate.evaluate_links(
        network, target, methods, hide=args.hide, repeats=args.repeats, seed=args.seed, k=args.k
    )
    layer = ", ".join(sorted(target)) if target else "all layers"
    print(
        f"predicting {layer}: {hidden} pairs hidden per repeat among {never} never-linked pairs, "
        f"{args.repeats} repeats, seed {args.seed}\n"
    )
    print(f"| method | AUC | precision@{args.k or hidden} |")
    print("|---|---|---|")
    for s in scores:
        print(
            f"| {s.method.name} | {s.auc[0]:.3f} ± {s.auc[1]:.3f} "
            f"| {s.precision[0]:.3f} ± {s.precision[1]:.3f} |"
        )
    return 0


def _communities(args: argparse.Namespace, network: Network) -> int:
    labels = evaluate.read_labels(Path(args.labels), args.id_column, args.label_column)
    algorithms = [Algorithm[a] for a in args.algorithms] if args.algorithms else list(Algorithm)
    scores, labelled = evaluate.evaluate_communities(
        network, labels, algorithms, repeats=args.repeats, seed=args.seed
    )
    print(
        f"{labelled} labelled entities in the network, {len(set(labels.values()))} labels; "
        f"stochastic algorithms over {args.repeats} seeds from {args.seed}\n"
    )
    print("| algorithm | NMI | ARI | communities | modularity |")
    print("|---|---|---|---|---|")
    for s in scores:
        print(
            f"| {s.algorithm.name} | {s.nmi[0]:.3f} ± {s.nmi[1]:.3f} "
            f"| {s.ari[0]:.3f} ± {s.ari[1]:.3f} | {s.communities:.1f} | {s.modularity:.3f} |"
        )
    return 0


def _extraction(args: argparse.Namespace, schema: Schema) -> int:
    from graphsvc.ingest.documents import evaluate as text
    from graphsvc.ingest.documents.mentions import NAME_KINDS, SELECTOR_KINDS

    labels = Path(args.labels)
    result = text.evaluate(labels, schema, Path(args.sources) if args.sources else None)
    documents = result.documents
    seconds = sum(d.seconds for d in documents)
    print(
        f"{len(documents)} labelled documents ({labels}); language detected right for "
        f"{result.languages_right} of {len(documents)}; {seconds:.1f} s to read and extract\n"
    )
    for line in text.table(result.scores):
        print(line)
    print("")
    for line in text.table(
        text.totals(result.scores, {"selectors": SELECTOR_KINDS, "names": NAME_KINDS})
    ):
        print(line)
    if args.details:
        for doc in documents:
            print(f"\n{doc.file} ({doc.detected or 'language undetermined'}, {doc.seconds:.2f} s)")
            for kind in result.scores:
                if kind in doc.missed:
                    print(f"  missed {kind}: {', '.join(doc.missed[kind])}")
                if kind in doc.spurious:
                    print(f"  not labelled {kind}: {', '.join(doc.spurious[kind])}")
    return 0
