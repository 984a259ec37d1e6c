"""GEXF 1.3 read back by independent readers: networkx (which Gephi's format is tested
against) and lxml, attribute by attribute, with the banner, spells and awkward text."""

from __future__ import annotations

import io
from dataclasses import replace

import networkx as nx
import pytest
from lxml import etree

from graphsvc.export import gexf
from graphsvc.export.attributes import Attributes, text
from graphsvc.export.graph import Candidate, ExportGraph, ExportNode, graph_of
from graphsvc.export.purpose import Purpose
from graphsvc.model.schema import Schema
from tests.export.conftest import LEADER, Made, Maker

NS = {"g": "http://gexf.net/1.3"}


@pytest.fixture(scope="module")
def made(make_export: Maker) -> Made:
    return make_export("fr-analyst", hops=2)


def _directed_only(graph: ExportGraph) -> ExportGraph:
    return graph.with_parts(graph.nodes, [x for x in graph.links if x.directed], ())


def test_networkx_reads_every_node_and_edge_with_its_attributes(made: Made, schema: Schema) -> None:
    graph = _directed_only(made.graph)
    assert graph.links, "the seed expand has directed links"
    read = nx.read_gexf(io.BytesIO(gexf.write(graph, made.banner, schema)))
    table = Attributes(graph, schema)
    assert set(read.nodes) == {n.entity.id for n in graph.nodes}
    for node in graph.nodes:
        data = read.nodes[node.entity.id]
        assert data["label"] == node.entity.label
        expected = table.node(node)
        assert {k: data[k] for k in expected} == expected
    by_id = {data["id"]: data for _, _, data in read.edges(data=True)}
    assert set(by_id) == {link.id for link in graph.links}
    for link in graph.links:
        data = by_id[link.id]
        expected = table.link(link)
        got = {k: data[k] for k in expected if k not in ("start", "end")}
        assert got == {k: v for k, v in expected.items() if k not in ("start", "end")}
        assert data["weight"] == pytest.approx(table.weight(link))
        assert data["label"] == link.type
        start, end = table.span(link)
        if start is not None:  # networkx reads an open end back as the text "None"
            assert data["spells"] == [(start, end or "None")]
    edges = {(u, v) for u, v, _ in read.edges(data=True)}
    assert edges == {(x.source_id, x.target_id) for x in graph.links}


def test_the_attributes_are_declared_once_with_their_types(made: Made, schema: Schema) -> None:
    root = etree.fromstring(gexf.write(made.graph, made.banner, schema))
    table = Attributes(made.graph, schema)
    for klass, columns in (("node", table.node_columns), ("edge", table.edge_columns)):
        declared = root.findall(f"g:graph/g:attributes[@class='{klass}']/g:attribute", NS)
        assert [(a.get("title"), a.get("type")) for a in declared] == [
            (c.key, c.kind) for c in columns
        ]
        assert len({a.get("id") for a in declared}) == len(declared)


def test_mixed_directions_say_their_own_edge_type(made: Made, schema: Schema) -> None:
    graph = made.graph
    undirected = {x.id for x in graph.links if not x.directed}
    assert undirected and len(undirected) < len(graph.links), "the seed mixes both kinds"
    root = etree.fromstring(gexf.write(graph, made.banner, schema))
    assert root.find("g:graph", NS).get("defaultedgetype") == "directed"
    for edge in root.iterfind("g:graph/g:edges/g:edge", NS):
        want = "undirected" if edge.get("id") in undirected else None
        assert edge.get("type") == want
        assert edge.get("kind") == edge.get("label")


def test_the_banner_is_in_the_meta_and_a_comment(made: Made, schema: Schema) -> None:
    data = gexf.write(made.graph, made.banner, schema)
    root = etree.fromstring(data)
    assert root.get("version") == "1.3"
    meta = root.find("g:meta", NS)
    assert meta.findtext("g:keywords", namespaces=NS) == made.banner.marking
    assert meta.findtext("g:description", namespaces=NS) == made.banner.text()
    assert meta.get("lastmodifieddate") == "2026-11-23"
    comment = data.decode().split("<!--", 1)[1].split("-->", 1)[0]
    for line in made.banner.lines():
        assert line in comment
    assert "fr-analyst (FR-OCRTEH)" in comment
    assert "Opération Lys Noir, PV 2024/118" in comment


def test_dated_links_make_a_dynamic_graph_for_the_timeline(made: Made, schema: Schema) -> None:
    root = etree.fromstring(gexf.write(made.graph, made.banner, schema))
    element = root.find("g:graph", NS)
    assert (element.get("mode"), element.get("timeformat")) == ("dynamic", "date")
    table = Attributes(made.graph, schema)
    spells = {
        e.get("id"): [(s.get("start"), s.get("end")) for s in e.iterfind("g:spells/g:spell", NS)]
        for e in element.iterfind("g:edges/g:edge", NS)
    }
    dated = 0
    for link in made.graph.links:
        start, end = table.span(link)
        assert spells[link.id] == ([] if start is None else [(start, end)])
        dated += start is not None
    assert dated > 0


def test_analysis_values_and_candidates_are_exported(made: Made, schema: Schema) -> None:
    first, second = made.graph.nodes[0], made.graph.nodes[1]
    annotate = {
        first.entity.id: ExportNode(first.entity, community=3, scores={"pagerank": 0.25}, rank=1)
    }
    graph = graph_of(
        "annotated",
        [first.entity, second.entity],
        [],
        annotate=annotate,
        candidates=[Candidate(first.entity.id, second.entity.id, 0.42)],
    )
    read = nx.read_gexf(io.BytesIO(gexf.write(graph, made.banner, schema)))
    assert read.nodes[first.entity.id]["community"] == 3
    assert read.nodes[first.entity.id]["pagerank"] == 0.25
    assert read.nodes[first.entity.id]["rank"] == 1
    assert "community" not in read.nodes[second.entity.id]
    (edge,) = read.edges(data=True)
    assert edge[2]["candidate"] is True
    assert edge[2]["score"] == 0.42
    assert edge[2]["label"] == "HIDDEN_LINK_CANDIDATE"


def test_awkward_text_survives(made: Made, schema: Schema) -> None:
    node = next(n for n in made.graph.nodes if n.entity.id == LEADER)
    awkward = "Lăzărescu <&> \"quoted\" 'single'\nsecond line\x01 -- end"
    entity = replace(node.entity, label=awkward, id='odd id <&>"')
    link = next(x for x in made.graph.links if x.source_id == LEADER or x.target_id == LEADER)
    other = link.target_id if link.source_id == LEADER else link.source_id
    other_node = next(n for n in made.graph.nodes if n.entity.id == other)
    odd = replace(
        link,
        id="link <&>",
        source_id=entity.id,
        target_id=other,
        properties={**link.properties, "reference": "a\x0bb <c>"},
    )
    graph = graph_of("awkward -- title", [entity, other_node.entity], [odd])
    banner = replace(made.banner, justification="PV -- 12 <x>", title="awkward -- title")
    data = gexf.write(graph, banner, schema)
    read = nx.read_gexf(io.BytesIO(data))
    assert read.nodes[entity.id]["label"] == awkward.replace("\x01", "")
    (edge,) = read.edges(data=True)
    assert edge[2]["id"] == "link <&>"
    comment = data.decode().split("<!--", 1)[1].split("-->", 1)[0]
    assert "--" not in comment.replace("<!--", "")


def test_dissemination_leaves_withheld_links_out(make_export: Maker, schema: Schema) -> None:
    internal = make_export("fr-analyst", hops=2)
    shared = make_export("fr-analyst", hops=2, purpose=Purpose.DISSEMINATION)
    assert shared.withheld.links > 0, "RO-DIICOT's H2 links reach the leader"
    root = etree.fromstring(gexf.write(shared.graph, shared.banner, schema))
    ids = {e.get("id") for e in root.iterfind("g:graph/g:edges/g:edge", NS)}
    withheld = {x.id for x in internal.graph.links} - {x.id for x in shared.graph.links}
    assert withheld and not (ids & withheld)
    assert f"{shared.withheld.links} link" in root.findtext("g:meta/g:description", namespaces=NS)


def test_values_are_rendered_for_xml() -> None:
    assert text(True) == "true"
    assert text(0.1) == "0.1"
    assert text(12) == "12"
