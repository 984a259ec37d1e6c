"""Reproducible evaluation of the analytics on networks with known answers.

``links``: hide a fraction of the links of the predicted layer, score the hidden pairs against
the pairs that were never linked, and report each method's AUC (the probability that a hidden
pair outscores a never-linked one, ties counting half: Lü & Zhou (2011), *Link prediction in
complex networks: a survey*, Physica A 390(6):1150, doi:10.1016/j.physa.2010.11.027) and its
precision among the top ``k`` unlinked pairs (``k`` = the number hidden by default), averaged
over repeats. Links of other layers stay as evidence, so a meetings layer can help predict a
phone layer.

``communities``: run every algorithm and compare its partition with known labels (entities
without a label are left out) by normalised mutual information (Danon et al. (2005),
doi:10.1088/1742-5468/2005/09/P09008) and the adjusted Rand index (Hubert & Arabie (1985),
doi:10.1007/BF01908075).

Edge files are edge lists (``a b [weight]``, separated by tabs, commas or spaces, an optional
header) or square adjacency matrices in CSV whose header row lists the node ids (CAVIAR).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from graphsvc.analytics.communities import STOCHASTIC, Algorithm, detect
from graphsvc.analytics.hidden_links import Method, Scorer
from graphsvc.analytics.network import FloatArray, Network
from graphsvc.errors import InvalidInput
from graphsvc.store.view import IntArray

MAX_NODES = 20_000  # every unlinked pair is scored: n^2 / 2 of them


@dataclass(frozen=True)
class Layer:
    name: str
    pairs: list[tuple[str, str, float]]  # (a, b, weight) as read; direction ignored


def read_edges(path: Path, name: str | None = None) -> Layer:
    """An edge list or an adjacency matrix; ``InvalidInput`` naming the file and line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read: {exc}", file=str(path)) from None
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not lines:
        raise InvalidInput("no edges", file=str(path))
    rows = (
        list(csv.reader(lines)) if "," in lines[0] else [re.split(r"\s+", s.strip()) for s in lines]
    )
    header = [c.strip() for c in rows[0]]
    layer = name or path.stem
    if len(header) == len(rows) and len(rows) > 2:  # "players",id1,id2... then one row per id
        return Layer(layer, _matrix(path, header[1:], rows[1:]))
    pairs = []
    start = 0 if _number(header[1] if len(header) > 1 else "") else 1
    for number, row in enumerate(rows[start:], start=start + 1):
        if len(row) not in (2, 3):
            raise InvalidInput(
                f"expected 'a b' or 'a b weight', got {len(row)} fields",
                file=str(path),
                line=number,
            )
        weight = 1.0
        if len(row) == 3:
            if not _number(row[2]):
                raise InvalidInput(
                    f"weight {row[2]!r} is not a number", file=str(path), line=number
                )
            weight = float(row[2])
        a, b = row[0].strip().strip('"'), row[1].strip().strip('"')
        if a != b:
            pairs.append((a, b, weight))
    if not pairs:
        raise InvalidInput("no edges between two different nodes", file=str(path))
    return Layer(layer, pairs)


def _matrix(path: Path, ids: list[str], rows: list[list[str]]) -> list[tuple[str, str, float]]:
    ids = [i.strip('"') for i in ids]
    pairs = []
    for number, row in enumerate(rows, start=2):
        if len(row) != len(ids) + 1:
            raise InvalidInput(
                f"expected {len(ids) + 1} cells, got {len(row)}", file=str(path), line=number
            )
        source = row[0].strip('"')
        for target, cell in zip(ids, row[1:], strict=True):
            if not _number(cell):
                raise InvalidInput(f"cell {cell!r} is not a number", file=str(path), line=number)
            if float(cell) and source != target:
                pairs.append((source, target, float(cell)))
    return pairs


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def network_from(layers: Sequence[Layer]) -> Network:
    """One network over the union of the layers (each a link type named after it)."""
    ids = np.asarray(sorted({x for layer in layers for a, b, _ in layer.pairs for x in (a, b)}))
    ids = ids.astype(object)
    index = {name: i for i, name in enumerate(ids.tolist())}
    src, dst, types, weights = [], [], [], []
    for t, layer in enumerate(layers):
        for a, b, w in layer.pairs:
            src.append(index[a])
            dst.append(index[b])
            types.append(t)
            weights.append(w)
    count = len(src)
    return Network.collapse(
        ids=ids,
        link_src=np.asarray(src, dtype=np.int64),
        link_dst=np.asarray(dst, dtype=np.int64),
        link_type=np.asarray(types, dtype=np.int64),
        link_weight=np.ones(count),
        link_grade=np.ones(count),
        type_names=tuple(layer.name for layer in layers),
        identifier=np.zeros(ids.size, dtype=bool),
    )


# -- link prediction -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkScore:
    method: Method
    auc: tuple[float, float]  # mean, standard deviation over repeats
    precision: tuple[float, float]


def evaluate_links(
    network: Network,
    target: frozenset[str] | None,
    methods: Sequence[Method] = tuple(Method),
    *,
    hide: float = 0.1,
    repeats: int = 50,
    seed: int = 0,
    k: int | None = None,
) -> tuple[list[LinkScore], int, int]:
    """Each method's AUC and precision@k; also how many pairs were hidden per repeat and how
    many never-linked pairs they competed with."""
    if not 0 < hide < 1:
        raise InvalidInput(f"must be between 0 and 1, got {hide}", field="hide")
    if repeats < 1:
        raise InvalidInput(f"must be at least 1, got {repeats}", field="repeats")
    if network.n > MAX_NODES:
        raise InvalidInput(
            f"{network.n:,} entities; evaluation scores every pair (at most {MAX_NODES:,})",
            field="edges",
        )
    full = Scorer.of(network, target)
    targets = np.flatnonzero(full.target)
    hidden_count = max(1, round(hide * targets.size))
    if targets.size < 2:
        raise InvalidInput("the predicted layer needs at least two linked pairs", field="edges")
    n = network.n
    low, high = np.triu_indices(n, k=1)
    linked = np.zeros(low.size, dtype=bool)
    pair = network.pair_index(low, high)
    linked[pair >= 0] = full.target[pair[pair >= 0]]
    never = ~linked
    rng = np.random.default_rng(seed)
    aucs: dict[Method, list[float]] = {m: [] for m in methods}
    precisions: dict[Method, list[float]] = {m: [] for m in methods}
    for _ in range(repeats):
        hidden = rng.choice(targets, size=hidden_count, replace=False)
        train = _without(network, hidden, target)
        scorer = Scorer.of(train, target)
        hidden_low, hidden_high = network.src[hidden], network.dst[hidden]
        test_low = np.concatenate([hidden_low, low[never]])
        test_high = np.concatenate([hidden_high, high[never]])
        truth = np.zeros(test_low.size, dtype=bool)
        truth[: hidden.size] = True
        tiebreak = rng.random(test_low.size)
        for method in methods:
            scores = scorer.score(method, test_low, test_high)
            aucs[method].append(_auc(scores[truth], scores[~truth]))
            top = np.lexsort((tiebreak, -scores))[: k or hidden.size]
            precisions[method].append(float(truth[top].mean()))
    out = [
        LinkScore(
            method=m,
            auc=(float(np.mean(aucs[m])), float(np.std(aucs[m]))),
            precision=(float(np.mean(precisions[m])), float(np.std(precisions[m]))),
        )
        for m in methods
    ]
    return out, hidden_count, int(never.sum())


def _without(network: Network, hidden: IntArray, target: frozenset[str] | None) -> Network:
    """The network with the target-layer links of the ``hidden`` pairs removed."""
    drop = np.zeros(network.m, dtype=bool)
    drop[hidden] = True
    codes = np.asarray(
        [i for i, t in enumerate(network.type_names) if target is None or t in target],
        dtype=np.int64,
    )
    remove = drop[network.link_pair] & np.isin(network.link_type, codes)
    keep = ~remove
    pairs = network.link_pair[keep]
    count = int(keep.sum())
    return Network.collapse(
        ids=network.ids,
        link_src=network.src[pairs],
        link_dst=network.dst[pairs],
        link_type=network.link_type[keep],
        link_weight=np.ones(count),
        link_grade=np.ones(count),
        type_names=network.type_names,
        identifier=network.identifier,
    )


def _auc(positive: FloatArray, negative: FloatArray) -> float:
    """P(a positive outscores a negative), ties counting half (Mann-Whitney U / n1 n2)."""
    if positive.size == 0 or negative.size == 0:
        return float("nan")
    values = np.concatenate([positive, negative])
    order = np.argsort(values, kind="stable")
    ranks = np.empty(values.size, dtype=np.float64)
    sorted_values = values[order]
    # average ranks over ties
    _, first, counts = np.unique(sorted_values, return_index=True, return_counts=True)
    average = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(average, counts)
    u = ranks[: positive.size].sum() - positive.size * (positive.size + 1) / 2.0
    return float(u / (positive.size * negative.size))


# -- communities ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommunityScore:
    algorithm: Algorithm
    nmi: tuple[float, float]
    ari: tuple[float, float]
    communities: float  # mean number found
    modularity: float


def read_labels(path: Path, id_column: str | None, label_column: str | None) -> dict[str, str]:
    """Entity id -> label from a CSV with a header; rows with an empty label are skipped."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InvalidInput(f"cannot read: {exc}", file=str(path)) from None
    if not rows:
        raise InvalidInput("no labels", file=str(path))
    columns = list(rows[0])
    id_column = id_column or columns[0]
    label_column = label_column or columns[1]
    for column, flag in ((id_column, "--id-column"), (label_column, "--label-column")):
        if column not in columns:
            raise InvalidInput(
                f"no column {column!r}; the columns are {', '.join(columns)}",
                file=str(path),
                field=flag,
            )
    return {
        row[id_column].strip(): row[label_column].strip()
        for row in rows
        if row[label_column] and row[label_column].strip()
    }


def evaluate_communities(
    network: Network,
    labels: dict[str, str],
    algorithms: Sequence[Algorithm] = tuple(Algorithm),
    *,
    repeats: int = 10,
    seed: int = 0,
) -> tuple[list[CommunityScore], int]:
    """Each algorithm's NMI and ARI against the labels, over the labelled entities; also how
    many labelled entities the network holds."""
    import igraph

    ids = network.ids.tolist()
    labelled = [i for i, entity in enumerate(ids) if entity in labels]
    if len(labelled) < 2:
        raise InvalidInput("fewer than two labelled entities are in the network", field="labels")
    names = sorted({labels[ids[i]] for i in labelled})
    truth = [names.index(labels[ids[i]]) for i in labelled]
    out = []
    for algorithm in algorithms:
        runs = repeats if algorithm in STOCHASTIC else 1
        nmi, ari, found, quality = [], [], [], []
        for r in range(runs):
            partition = detect(network, algorithm, seed=seed + r)
            mine = partition.membership[labelled].tolist()
            nmi.append(igraph.compare_communities(truth, mine, method="nmi"))
            ari.append(igraph.compare_communities(truth, mine, method="ari"))
            found.append(partition.count)
            quality.append(partition.modularity)
        out.append(
            CommunityScore(
                algorithm=algorithm,
                nmi=(float(np.mean(nmi)), float(np.std(nmi))),
                ari=(float(np.mean(ari)), float(np.std(ari))),
                communities=float(np.mean(found)),
                modularity=float(np.mean(quality)),
            )
        )
    return out, len(labelled)
