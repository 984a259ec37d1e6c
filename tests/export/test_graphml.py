"""GraphML export, read back by independent readers (lxml, networkx) and compared attribute
by attribute with what the export graph says (``Attributes`` of the graph, the entities' labels,
the links' ids and ends), never with the writer's own output."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from lxml import etree

from graphsvc.export import graphml
from graphsvc.export.attributes import CANDIDATE_TYPE, Attributes
from graphsvc.export.graph import Candidate, ExportGraph, ExportNode, graph_of
from graphsvc.export.purpose import Purpose
from graphsvc.model.schema import Schema
from tests.export.conftest import Made, Maker

NS = "http://graphml.graphdrawing.org/xmlns"
Q = f"{{{NS}}}"
AWKWARD = "Lăzărescu <&>\"' a\nb\r\nc\x01 d -- e, f; ș"
GRAPHML_TYPES = {"string", "int", "long", "float", "double", "boolean"}


def _bool(s: str) -> bool:
    return {"true": True, "false": False}[s]


CONVERT: dict[str, Callable[[str], Any]] = {
    "string": str,
    "int": int,
    "long": int,
    "float": float,
    "double": float,
    "boolean": _bool,
}


# -- an independent reader ------------------------------------------------------------------------


@dataclass
class Key:
    id: str
    domain: str
    name: str
    type: str


@dataclass
class Parsed:
    root: Any
    keys: dict[str, Key]
    edgedefault: str
    graph: dict[str, Any]
    nodes: dict[str, dict[str, Any]]  # node id -> values by attr.name
    edges: list[tuple[str, str, str, str | None, dict[str, Any]]]  # id, source, target, directed


def parse(data: bytes) -> Parsed:
    root = etree.fromstring(data, etree.XMLParser(no_network=True))
    assert root.tag == f"{Q}graphml"
    keys = {}
    for k in root.findall(f"{Q}key"):
        key = Key(k.get("id"), k.get("for"), k.get("attr.name"), k.get("attr.type"))
        assert key.id not in keys, f"duplicate key id {key.id}"
        assert key.type in GRAPHML_TYPES
        keys[key.id] = key
    (graph,) = root.findall(f"{Q}graph")

    def values(element: Any, domain: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for d in element.findall(f"{Q}data"):
            key = keys[d.get("key")]
            assert key.domain == domain, (key, element.tag)
            assert key.name not in out, f"{key.name} twice on one element"
            out[key.name] = CONVERT[key.type](d.text or "")
        return out

    nodes = {}
    for n in graph.findall(f"{Q}node"):
        assert n.get("id") not in nodes
        nodes[n.get("id")] = values(n, "node")
    edges = [
        (e.get("id"), e.get("source"), e.get("target"), e.get("directed"), values(e, "edge"))
        for e in graph.findall(f"{Q}edge")
    ]
    return Parsed(root, keys, graph.get("edgedefault"), values(graph, "graph"), nodes, edges)


def same(actual: dict[str, Any], expected: dict[str, Any], where: str) -> None:
    """Equal values of equal types (``1 == 1.0 == True`` in Python; not here)."""
    assert actual == expected, where
    for name, value in expected.items():
        assert type(actual[name]) is type(value), f"{where}: {name} {actual[name]!r}"


# -- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def made(make_export: Maker) -> Made:
    return make_export(fmt="graphml")


@pytest.fixture(scope="module")
def mixed(made: Made, schema: Schema) -> bytes:
    return graphml.write(made.graph, made.banner, schema)


@pytest.fixture(scope="module")
def one_way(made: Made) -> ExportGraph:
    """The seed export with its directed links only (networkx reads no mixed graphs)."""
    g = made.graph
    return g.with_parts(g.nodes, [link for link in g.links if link.directed], g.candidates)


@pytest.fixture(scope="module")
def awkward(made: Made) -> ExportGraph:
    return awkward_graph(made.graph)


def awkward_graph(g: ExportGraph) -> ExportGraph:
    """Two persons of the seed export with awkward text (label, property value, ids), a
    directed and an undirected link between them, analysis values and a candidate pair."""
    met = next(link for link in g.links if link.type == "MET")
    call = next(link for link in g.links if "durationSeconds" in link.properties)
    source, target = (g.node(x) for x in (met.source_id, met.target_id))
    assert source is not None and target is not None
    a = replace(
        source.entity,
        id=source.entity.id + " <&>\"'",
        label=AWKWARD,
        statements=tuple(
            replace(s, value=AWKWARD) if s.property == "name" else s
            for s in source.entity.statements
        ),
    )
    b = target.entity
    links = [
        replace(
            met, source_id=a.id, target_id=b.id, properties={**met.properties, "place": AWKWARD}
        ),
        replace(
            call,
            id=call.id + '&<>"',
            source_id=a.id,
            target_id=b.id,
            properties={**call.properties, "durationSeconds": 2**40},
        ),
    ]
    return graph_of(
        AWKWARD,
        [a, b],
        links,
        annotate={a.id: ExportNode(a, community=3, scores={"pagerank": 0.25}, rank=1)},
        candidates=[Candidate(b.id, a.id, 0.75, {"adamicAdar": 1.5})],
        measures=("pagerank",),
    )


# -- the seed export, attribute by attribute ------------------------------------------------------


def test_networkx_reads_every_node_and_link(
    one_way: ExportGraph, made: Made, schema: Schema
) -> None:
    table = Attributes(one_way, schema)
    read = nx.read_graphml(io.BytesIO(graphml.write(one_way, made.banner, schema)))
    assert read.is_directed() and read.is_multigraph()  # parallel calls stay apart
    assert list(read.nodes) == one_way.entity_ids
    for node in one_way.nodes:
        expected = {"label": node.entity.label, **table.node(node)}
        same(read.nodes[node.entity.id], expected, node.entity.id)
    edges = {key: (u, v, data) for u, v, key, data in read.edges(keys=True, data=True)}
    assert sorted(edges) == sorted(one_way.link_ids)  # networkx lists them by adjacency
    assert read.number_of_edges() == len(one_way.links)
    for link in one_way.links:
        u, v, data = edges[link.id]
        assert (u, v) == (link.source_id, link.target_id)
        same(data, {"label": link.type, **table.link(link)}, link.id)


def test_networkx_reads_the_banner(one_way: ExportGraph, made: Made, schema: Schema) -> None:
    banner = made.banner
    read = nx.read_graphml(io.BytesIO(graphml.write(one_way, banner, schema)))
    assert read.graph["handling"] == banner.marking
    assert read.graph["banner"] == banner.text()
    assert read.graph["exportedBy"] == "fr-analyst"
    assert read.graph["agency"] == banner.agency
    assert read.graph["exportedAt"] == "2026-11-23T10:00:00Z"
    assert read.graph["purpose"] == "internal"
    assert read.graph["justification"] == "Opération Lys Noir, PV 2024/118"
    assert read.graph["classification"] == banner.classification
    assert read.graph["title"] == one_way.title


def test_mixed_graph_read_with_lxml(mixed: bytes, made: Made, schema: Schema) -> None:
    g, table = made.graph, Attributes(made.graph, schema)
    parsed = parse(mixed)
    undirected = [link for link in g.links if not link.directed]
    assert undirected and len(undirected) < len(g.links) / 2  # the seed mixes, mostly directed
    assert parsed.edgedefault == "directed"
    assert list(parsed.nodes) == g.entity_ids
    for node in g.nodes:
        same(parsed.nodes[node.entity.id], {"label": node.entity.label, **table.node(node)}, "")
    assert [e[0] for e in parsed.edges] == g.link_ids
    for (edge_id, source, target, directed, values), link in zip(
        parsed.edges, g.links, strict=True
    ):
        assert (source, target) == (link.source_id, link.target_id)
        assert directed == (None if link.directed else "false"), edge_id
        same(values, {"label": link.type, **table.link(link)}, edge_id)


def test_keys_are_typed_from_the_columns(mixed: bytes, made: Made, schema: Schema) -> None:
    table = Attributes(made.graph, schema)
    kinds = {"string": "string", "integer": "int", "double": "double", "boolean": "boolean"}
    keys = parse(mixed).keys.values()
    declared = {(k.domain, k.name): k.type for k in keys}
    for domain, columns in (("node", table.node_columns), ("edge", table.edge_columns)):
        for column in columns:
            assert declared.pop((domain, column.key)) == kinds[column.kind], column
        assert declared.pop((domain, "label")) == "string"
    assert {domain for domain, _ in declared} == {"graph"}
    assert any(c.key == "durationSeconds" and c.kind == "integer" for c in table.edge_columns)


def test_element_order_follows_the_schema(mixed: bytes) -> None:
    root = parse(mixed).root
    tags = [etree.QName(child).localname for child in root]
    assert tags == ["key"] * (len(tags) - 1) + ["graph"]
    inside = [etree.QName(child).localname for child in root.find(f"{Q}graph")]
    first = min(i for i, tag in enumerate(inside) if tag != "data")
    assert set(inside[:first]) == {"data"} and "data" not in inside[first:]
    assert set(inside[first:]) == {"node", "edge"}
    # nodes before edges, and every key's content: desc? only
    assert inside[first:] == sorted(inside[first:], key=lambda tag: tag == "edge")
    for key in root.findall(f"{Q}key"):
        assert [etree.QName(c).localname for c in key] in ([], ["desc"])


def test_banner_comment_first(mixed: bytes, made: Made) -> None:
    document = etree.fromstring(mixed).getroottree()
    before = []
    node = document.getroot().getprevious()
    while node is not None:
        before.append(node)
        node = node.getprevious()
    (comment,) = before
    assert isinstance(comment, etree._Comment)
    assert [line.strip() for line in comment.text.strip().splitlines()] == made.banner.lines()
    assert mixed.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<!--\n  HANDLING: ')


def test_banner_graph_data(mixed: bytes, made: Made) -> None:
    data = parse(mixed).graph
    banner = made.banner
    assert data["handling"] == banner.marking
    assert data["banner"] == banner.text()
    assert (data["exportedBy"], data["exportedAt"]) == ("fr-analyst", "2026-11-23T10:00:00Z")
    assert (data["purpose"], data["justification"]) == ("internal", banner.justification)
    assert data["withheld"] == banner.withheld
    assert data["exportId"] == "exp-test"


def test_no_justification_no_data(made: Made, schema: Schema) -> None:
    banner = replace(made.banner, justification=None)
    parsed = parse(graphml.write(made.graph, banner, schema))
    assert "justification" not in parsed.graph
    assert "Justification: none given" in parsed.graph["banner"]


def test_dissemination_export_leaves_out_what_is_withheld(
    make_export: Maker, schema: Schema
) -> None:
    internal = make_export("ro-analyst", ids=("diicot:P-00001",))
    made = make_export("ro-analyst", ids=("diicot:P-00001",), purpose=Purpose.DISSEMINATION)
    withheld = set(internal.graph.link_ids) - set(made.graph.link_ids)
    assert withheld
    parsed = parse(graphml.write(made.graph, made.banner, schema))
    assert not withheld & {e[0] for e in parsed.edges}
    assert parsed.graph["purpose"] == "dissemination"
    assert f"{len(withheld)} link" in parsed.graph["withheld"]
    assert {e[1] for e in parsed.edges} | {e[2] for e in parsed.edges} <= set(parsed.nodes)


# -- hand-built graphs ----------------------------------------------------------------------------


def test_awkward_text_survives(awkward: ExportGraph, made: Made, schema: Schema) -> None:
    banner = replace(made.banner, title=AWKWARD, justification=AWKWARD + " --> <!-- -")
    data = graphml.write(awkward, banner, schema)
    assert "Lăzărescu".encode() in data  # raw UTF-8, not character references
    parsed = parse(data)
    clean = AWKWARD.replace("\x01", "")
    a = awkward.nodes[0].entity
    assert parsed.nodes[a.id]["label"] == clean
    assert parsed.nodes[a.id]["name"] == clean
    met = awkward.links[0]
    assert next(e for e in parsed.edges if e[0] == met.id)[4]["place"] == clean
    assert parsed.graph["title"] == clean
    assert parsed.graph["justification"] == clean + " --> <!-- -"
    table = Attributes(awkward, schema)
    for node in awkward.nodes:
        expected = {"label": node.entity.label, **table.node(node)}
        expected = {
            k: v.replace("\x01", "") if isinstance(v, str) else v for k, v in expected.items()
        }
        same(parsed.nodes[node.entity.id], expected, node.entity.id)


def test_awkward_graph_reads_in_networkx(awkward: ExportGraph, made: Made, schema: Schema) -> None:
    directed = awkward.with_parts(
        awkward.nodes, [link for link in awkward.links if link.directed], ()
    )
    written = io.BytesIO(graphml.write(directed, made.banner, schema))
    read = nx.read_graphml(written, force_multigraph=True)
    a = awkward.nodes[0].entity
    assert read.nodes[a.id]["label"] == AWKWARD.replace("\x01", "")
    ((u, v, key, data),) = read.edges(keys=True, data=True)
    assert (u, v, key) == (a.id, awkward.nodes[1].entity.id, directed.links[0].id)
    assert data["durationSeconds"] == 2**40


def test_analysis_values_and_candidates(awkward: ExportGraph, made: Made, schema: Schema) -> None:
    parsed = parse(graphml.write(awkward, made.banner, schema))
    table = Attributes(awkward, schema)
    declared = {(k.domain, k.name): k.type for k in parsed.keys.values()}
    assert declared[("node", "community")] == declared[("node", "rank")] == "int"
    assert declared[("node", "pagerank")] == "double"
    assert declared[("edge", "durationSeconds")] == "long"  # 2**40 does not fit an int
    a = awkward.nodes[0].entity.id
    assert (parsed.nodes[a]["community"], parsed.nodes[a]["rank"]) == (3, 1)
    assert parsed.nodes[a]["pagerank"] == 0.25
    (pair,) = awkward.candidates
    edge_id, source, target, directed, values = parsed.edges[-1]
    assert (edge_id, source, target) == (pair.id, pair.source_id, pair.target_id)
    # one undirected MET, one directed call, one undirected candidate: mostly undirected
    assert parsed.edgedefault == "undirected"
    assert directed is None
    same(values, {"label": CANDIDATE_TYPE, **table.candidate(pair)}, edge_id)
    directed_edges = [e for e in parsed.edges if e[3] == "true"]
    assert [e[0] for e in directed_edges] == [awkward.links[1].id]


def test_empty_graph(made: Made, schema: Schema) -> None:
    empty = made.graph.with_parts((), (), ())
    read = nx.read_graphml(io.BytesIO(graphml.write(empty, made.banner, schema)))
    assert read.number_of_nodes() == read.number_of_edges() == 0
    assert read.graph["handling"] == made.banner.marking


def test_deterministic(made: Made, mixed: bytes, schema: Schema) -> None:
    assert graphml.write(made.graph, made.banner, schema) == mixed


# -- the XML Schema, when a copy is at hand -------------------------------------------------------

NMTOKEN = re.compile(r"^[\w.\-:]+$")


def _xsd() -> Path | None:
    given = os.environ.get("GRAPHSVC_GRAPHML_XSD")
    return Path(given) if given and Path(given).is_file() else None


@pytest.mark.skipif(
    _xsd() is None,
    reason="no GraphML XSD on this machine (none found offline and none is downloaded); "
    "set GRAPHSVC_GRAPHML_XSD to a local graphml.xsd to run this",
)
def test_valid_against_the_graphml_schema(made: Made, schema: Schema) -> None:
    # the schema types ids as NMTOKEN: entity ids such as phone:+33... are not; tools do not
    # validate, so the writer keeps the real ids and this test keeps the elements whose ids are
    g = made.graph
    nodes = [n for n in g.nodes if NMTOKEN.match(n.entity.id)]
    kept = {n.entity.id for n in nodes}
    links = [
        link
        for link in g.links
        if NMTOKEN.match(link.id) and {link.source_id, link.target_id} <= kept
    ]
    assert links
    path = _xsd()
    assert path is not None
    xsd = etree.XMLSchema(etree.parse(str(path), etree.XMLParser(no_network=True)))
    document = etree.fromstring(graphml.write(g.with_parts(nodes, links, ()), made.banner, schema))
    xsd.assertValid(document)
