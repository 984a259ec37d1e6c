"""The Gephi CSV zip, read back with zipfile and csv.DictReader and compared cell by cell with
what the export graph says (``Attributes`` of the graph, the entities' labels, the links' ids,
ends and direction), never with the writer's own output."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest

from graphsvc.export import csvzip
from graphsvc.export.attributes import CANDIDATE_TYPE, Attributes, Kind
from graphsvc.export.graph import Candidate, ExportGraph, ExportNode, graph_of
from graphsvc.export.purpose import Purpose
from graphsvc.model.schema import Schema
from tests.export.conftest import LEADER, Made, Maker

AWKWARD = "Lăzărescu <&>\"' a\nb\r\nc\x01 d -- e, f; ș"
NODE_HEAD = ["Id", "Label"]
EDGE_HEAD = ["Source", "Target", "Type", "Id", "Label", "Weight"]
IN_HEAD = {"type", "directed", "weight"}  # edge columns Gephi's own columns already hold


def _bool(s: str) -> bool:
    return {"true": True, "false": False}[s]


PARSE: dict[Kind, Callable[[str], Any]] = {
    "string": str,
    "integer": int,
    "double": float,
    "boolean": _bool,
}


@dataclass
class Read:
    archive: zipfile.ZipFile
    handling: str
    node_head: list[str]
    nodes: list[dict[str, str]]
    edge_head: list[str]
    edges: list[dict[str, str]]


def read(data: bytes) -> Read:
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None

    def table(name: str) -> tuple[list[str], list[dict[str, str]]]:
        raw = archive.read(name)
        assert not raw.startswith(b"\xef\xbb\xbf"), "Gephi 0.9.2 reads a BOM into the header"
        reader = csv.DictReader(io.StringIO(raw.decode("utf-8"), newline=""))
        rows = list(reader)
        assert reader.fieldnames is not None
        return list(reader.fieldnames), rows

    node_head, nodes = table("nodes.csv")
    edge_head, edges = table("edges.csv")
    handling = archive.read("HANDLING.txt").decode("utf-8")
    return Read(archive, handling, node_head, nodes, edge_head, edges)


def typed(row: dict[str, str], kinds: dict[str, Kind]) -> dict[str, Any]:
    """The non-empty cells of ``row`` among ``kinds``, parsed by column kind."""
    return {k: PARSE[kinds[k]](v) for k, v in row.items() if k in kinds and v != ""}


def same(actual: dict[str, Any], expected: dict[str, Any], where: str) -> None:
    assert actual == expected, where
    for name, value in expected.items():
        assert type(actual[name]) is type(value), f"{where}: {name} {actual[name]!r}"


@pytest.fixture(scope="module")
def made(make_export: Maker) -> Made:
    return make_export(fmt="csv")


@pytest.fixture(scope="module")
def written(made: Made, schema: Schema) -> bytes:
    return csvzip.write(made.graph, made.banner, schema)


# -- layout ---------------------------------------------------------------------------------------


def test_zip_layout_and_banner(written: bytes, made: Made) -> None:
    r = read(written)
    assert r.archive.namelist() == ["HANDLING.txt", "nodes.csv", "edges.csv"]
    for info in r.archive.infolist():
        assert info.compress_type == zipfile.ZIP_DEFLATED
        assert info.date_time == (2026, 11, 23, 10, 0, 0)  # the export time, every run
    assert r.handling == made.banner.text()
    assert r.archive.comment.decode("utf-8") == made.banner.marking
    assert "Purpose: internal" in r.handling


def test_deterministic(written: bytes, made: Made, schema: Schema) -> None:
    assert csvzip.write(made.graph, made.banner, schema) == written


def test_header_rows(written: bytes, made: Made, schema: Schema) -> None:
    table = Attributes(made.graph, schema)
    r = read(written)
    assert r.node_head == NODE_HEAD + [c.key for c in table.node_columns]
    assert r.edge_head == EDGE_HEAD + [c.key for c in table.edge_columns if c.key not in IN_HEAD]
    assert "durationSeconds" in r.edge_head and "name" in r.node_head


def test_one_row_per_node(written: bytes, made: Made, schema: Schema) -> None:
    table = Attributes(made.graph, schema)
    kinds = {c.key: c.kind for c in table.node_columns}
    r = read(written)
    assert [row["Id"] for row in r.nodes] == made.graph.entity_ids
    for row, node in zip(r.nodes, made.graph.nodes, strict=True):
        assert row["Label"] == node.entity.label
        same(typed(row, kinds), table.node(node), node.entity.id)


def test_one_row_per_link(written: bytes, made: Made, schema: Schema) -> None:
    table = Attributes(made.graph, schema)
    kinds = {c.key: c.kind for c in table.edge_columns if c.key not in IN_HEAD}
    r = read(written)
    assert [row["Id"] for row in r.edges] == made.graph.link_ids
    assert {row["Type"] for row in r.edges} == {"Directed", "Undirected"}  # the seed mixes
    for row, link in zip(r.edges, made.graph.links, strict=True):
        expected = table.link(link)
        assert (row["Source"], row["Target"]) == (link.source_id, link.target_id)
        assert row["Type"] == ("Directed" if link.directed else "Undirected")
        assert row["Label"] == link.type == expected.pop("type")
        assert float(row["Weight"]) == expected.pop("weight")
        assert expected.pop("directed") is link.directed
        same(typed(row, kinds), expected, link.id)


def test_edges_reference_nodes(written: bytes) -> None:
    r = read(written)
    ids = {row["Id"] for row in r.nodes}
    assert {row["Source"] for row in r.edges} | {row["Target"] for row in r.edges} <= ids


# -- purposes -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("principal", "ids"),
    [
        ("be-analyst", ("pjf:P-00001",)),
        ("ro-analyst", ("diicot:P-00001",)),
        ("fr-analyst", (LEADER,)),
    ],
)
def test_dissemination_withholds(
    make_export: Maker, schema: Schema, principal: str, ids: tuple[str, ...]
) -> None:
    internal = make_export(principal, ids=ids)
    made = make_export(principal, ids=ids, purpose=Purpose.DISSEMINATION, fmt="csv")
    links = set(internal.graph.link_ids) - set(made.graph.link_ids)
    entities = set(internal.graph.entity_ids) - set(made.graph.entity_ids)
    assert links, "the case should withhold something for this principal"
    r = read(csvzip.write(made.graph, made.banner, schema))
    assert not links & {row["Id"] for row in r.edges}
    assert not entities & {row["Id"] for row in r.nodes}
    assert [row["Id"] for row in r.edges] == made.graph.link_ids
    withheld = made.banner.withheld
    assert f"{len(links)} link" in withheld
    if entities:
        assert f"{len(entities)} entit" in withheld
    assert "dissemination" in withheld
    assert r.handling == made.banner.text()
    assert f"Withheld: {withheld}\n" in r.handling
    assert "Purpose: dissemination" in r.handling
    assert r.archive.comment.decode("utf-8") == made.banner.marking


# -- hand-built graphs ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def awkward(made: Made) -> ExportGraph:
    """Two persons of the seed export with awkward text (label, property value, id), a MET
    link between them with an awkward place, analysis values and a candidate pair."""
    g = made.graph
    met = next(link for link in g.links if link.type == "MET")
    source, target = g.node(met.source_id), g.node(met.target_id)
    assert source is not None and target is not None
    a = replace(
        source.entity,
        id=source.entity.id + ' ,"x"',
        label=AWKWARD,
        statements=tuple(
            replace(s, value=AWKWARD) if s.property == "name" else s
            for s in source.entity.statements
        ),
    )
    b = target.entity
    link = replace(met, source_id=a.id, properties={**met.properties, "place": AWKWARD})
    return graph_of(
        AWKWARD,
        [a, b],
        [link],
        annotate={a.id: ExportNode(a, community=3, scores={"pagerank": 0.25}, rank=1)},
        candidates=[Candidate(b.id, a.id, 0.75)],
        measures=("pagerank",),
    )


def test_awkward_text_survives(awkward: ExportGraph, made: Made, schema: Schema) -> None:
    banner = replace(made.banner, title=AWKWARD, justification=AWKWARD)
    r = read(csvzip.write(awkward, banner, schema))
    clean = AWKWARD.replace("\x01", "")
    a = awkward.nodes[0].entity
    assert r.nodes[0]["Id"] == a.id
    assert r.nodes[0]["Label"] == clean
    assert r.nodes[0]["name"] == clean
    assert r.edges[0]["place"] == clean and r.edges[0]["Source"] == a.id
    assert f"Justification: {clean}\n" in r.handling
    assert "\x01" not in r.handling


def test_analysis_values_and_candidates(awkward: ExportGraph, made: Made, schema: Schema) -> None:
    table = Attributes(awkward, schema)
    r = read(csvzip.write(awkward, made.banner, schema))
    assert r.node_head[-3:] == [c.key for c in table.node_columns][-3:]
    assert {"community", "rank", "pagerank"} <= set(r.node_head)
    row = r.nodes[0]
    assert (int(row["community"]), int(row["rank"]), float(row["pagerank"])) == (3, 1, 0.25)
    assert r.nodes[1]["community"] == r.nodes[1]["pagerank"] == ""
    (pair,) = awkward.candidates
    edge = r.edges[-1]
    assert (edge["Id"], edge["Source"], edge["Target"]) == (pair.id, pair.source_id, pair.target_id)
    assert (edge["Type"], edge["Label"], float(edge["Weight"])) == (
        "Undirected",
        CANDIDATE_TYPE,
        0.75,
    )
    expected = table.candidate(pair)
    kinds = {c.key: c.kind for c in table.edge_columns if c.key not in IN_HEAD}
    same(typed(edge, kinds), {k: v for k, v in expected.items() if k not in IN_HEAD}, pair.id)


def test_empty_graph(made: Made, schema: Schema) -> None:
    empty = made.graph.with_parts((), (), ())
    r = read(csvzip.write(empty, made.banner, schema))
    assert r.nodes == r.edges == []
    assert r.node_head[:2] == NODE_HEAD and r.edge_head[:6] == EDGE_HEAD
