"""Cytoscape JSON, read back with json.loads and compared value by value (and type by type)
with what the export graph says (``Attributes`` of the graph, the entities' labels, the links'
ids and ends) and with the banner, never with the writer's own output."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from typing import Any

import pytest

from graphsvc.export import cytoscape
from graphsvc.export.attributes import CANDIDATE_TYPE, Attributes
from graphsvc.export.banner import Banner
from graphsvc.export.graph import Candidate, ExportGraph, ExportNode, graph_of
from graphsvc.export.purpose import Purpose
from graphsvc.model.schema import Schema
from tests.export.conftest import Made, Maker

AWKWARD = "Lăzărescu <&>\"' a\nb\r\nc\x01 d -- e, f; ș"


def same(actual: dict[str, Any], expected: dict[str, Any], where: str) -> None:
    """Equal values of equal JSON types (``1 == 1.0 == True`` in Python; not here)."""
    assert actual == expected, where
    for name, value in expected.items():
        assert type(actual[name]) is type(value), f"{where}: {name} {actual[name]!r}"


def banner_data(banner: Banner, title: str) -> dict[str, Any]:
    """What the network ``data`` should hold: the banner's fields, name and text, no nulls."""
    fields = {k: v for k, v in banner.to_dict().items() if v is not None}
    return {"name": title, **fields, "banner": banner.text()}


@pytest.fixture(scope="module")
def made(make_export: Maker) -> Made:
    return make_export(fmt="cytoscape")


@pytest.fixture(scope="module")
def written(made: Made, schema: Schema) -> bytes:
    return cytoscape.write(made.graph, made.banner, schema)


@pytest.fixture(scope="module")
def doc(written: bytes) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(written.decode("utf-8"))
    return loaded


def test_document_shape(doc: dict[str, Any]) -> None:
    assert list(doc) == [
        "format_version",
        "generated_by",
        "target_cytoscapejs_version",
        "data",
        "elements",
    ]
    assert doc["format_version"] == "1.0"
    assert doc["generated_by"] == "graphsvc"
    assert doc["target_cytoscapejs_version"] == "~3.0"
    assert list(doc["elements"]) == ["nodes", "edges"]
    for element in doc["elements"]["nodes"] + doc["elements"]["edges"]:
        assert list(element) == ["data"]


def test_banner_in_network_data(doc: dict[str, Any], made: Made) -> None:
    banner = made.banner
    same(doc["data"], banner_data(banner, made.graph.title), "network data")
    assert doc["data"]["marking"] == banner.marking
    assert doc["data"]["justification"] == "Opération Lys Noir, PV 2024/118"
    assert doc["data"]["exportedBy"] == "fr-analyst"
    assert doc["data"]["purpose"] == "internal"


def test_nodes_value_by_value(doc: dict[str, Any], made: Made, schema: Schema) -> None:
    table = Attributes(made.graph, schema)
    nodes = doc["elements"]["nodes"]
    assert [n["data"]["id"] for n in nodes] == made.graph.entity_ids
    for element, node in zip(nodes, made.graph.nodes, strict=True):
        expected = {"id": node.entity.id, "label": node.entity.label, **table.node(node)}
        same(element["data"], expected, node.entity.id)


def test_edges_value_by_value(doc: dict[str, Any], made: Made, schema: Schema) -> None:
    table = Attributes(made.graph, schema)
    edges = doc["elements"]["edges"]
    assert [e["data"]["id"] for e in edges] == made.graph.link_ids
    for element, link in zip(edges, made.graph.links, strict=True):
        expected = {
            "id": link.id,
            "source": link.source_id,
            "target": link.target_id,
            "label": link.type,
            **table.link(link),
        }
        same(element["data"], expected, link.id)
    directions = {e["data"]["directed"] for e in edges}
    assert directions == {True, False}  # the seed mixes; booleans stay booleans
    assert any(isinstance(e["data"].get("durationSeconds"), int) for e in edges)
    assert all(isinstance(e["data"]["weight"], float) for e in edges)


def test_edges_reference_existing_nodes(doc: dict[str, Any]) -> None:
    ids = {n["data"]["id"] for n in doc["elements"]["nodes"]}
    assert len(ids) == len(doc["elements"]["nodes"])
    edge_ids = [e["data"]["id"] for e in doc["elements"]["edges"]]
    assert len(set(edge_ids)) == len(edge_ids)
    for edge in doc["elements"]["edges"]:
        assert edge["data"]["source"] in ids and edge["data"]["target"] in ids


def test_utf8_not_escaped_and_deterministic(written: bytes, made: Made, schema: Schema) -> None:
    assert "Lăzărescu".encode() in written or "Ștefan".encode() in written
    assert b"\\u0" not in written
    assert cytoscape.write(made.graph, made.banner, schema) == written


def test_dissemination_export(make_export: Maker, schema: Schema) -> None:
    internal = make_export("be-analyst", ids=("pjf:P-00001",))
    made = make_export("be-analyst", ids=("pjf:P-00001",), purpose=Purpose.DISSEMINATION)
    withheld = set(internal.graph.link_ids) - set(made.graph.link_ids)
    assert withheld
    doc = json.loads(cytoscape.write(made.graph, made.banner, schema))
    assert not withheld & {e["data"]["id"] for e in doc["elements"]["edges"]}
    assert doc["data"]["purpose"] == "dissemination"
    assert doc["data"]["withheldElements"] == made.withheld.elements > 0
    assert f"{len(withheld)} link" in doc["data"]["withheld"]


def test_no_nulls_in_network_data(made: Made, schema: Schema) -> None:
    banner = replace(made.banner, justification=None, releasable_to_all=None)
    doc = json.loads(cytoscape.write(made.graph, banner, schema))
    assert "justification" not in doc["data"] and "releasableToAll" not in doc["data"]
    assert None not in doc["data"].values()


# -- hand-built graphs ---------------------------------------------------------------------------


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
        id=source.entity.id + ' <&>"\\',
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
    written = cytoscape.write(awkward, banner, schema)
    doc = json.loads(written.decode("utf-8"))
    clean = AWKWARD.replace("\x01", "")
    a = awkward.nodes[0].entity
    node = doc["elements"]["nodes"][0]["data"]
    assert (node["id"], node["label"], node["name"]) == (a.id, clean, clean)
    edge = doc["elements"]["edges"][0]["data"]
    assert (edge["source"], edge["place"]) == (a.id, clean)
    assert doc["data"]["name"] == doc["data"]["title"] == doc["data"]["justification"] == clean
    assert "Lăzărescu".encode() in written


def test_analysis_values_and_candidates(awkward: ExportGraph, made: Made, schema: Schema) -> None:
    table = Attributes(awkward, schema)
    doc = json.loads(cytoscape.write(awkward, made.banner, schema))
    node = doc["elements"]["nodes"][0]["data"]
    same(
        {k: node[k] for k in ("community", "rank", "pagerank")},
        {"community": 3, "rank": 1, "pagerank": 0.25},
        "analysis",
    )
    assert "community" not in doc["elements"]["nodes"][1]["data"]
    (pair,) = awkward.candidates
    edge = doc["elements"]["edges"][-1]["data"]
    expected = {
        "id": pair.id,
        "source": pair.source_id,
        "target": pair.target_id,
        "label": CANDIDATE_TYPE,
        **table.candidate(pair),
    }
    same(edge, expected, pair.id)


def test_not_a_number_is_null(awkward: ExportGraph, made: Made, schema: Schema) -> None:
    node = replace(awkward.nodes[0], scores={"pagerank": math.nan})
    graph = awkward.with_parts([node, *awkward.nodes[1:]], awkward.links, awkward.candidates)
    written = cytoscape.write(graph, made.banner, schema)
    assert b"NaN" not in written  # not JSON
    assert json.loads(written)["elements"]["nodes"][0]["data"]["pagerank"] is None


def test_empty_graph(made: Made, schema: Schema) -> None:
    empty = made.graph.with_parts((), (), ())
    doc = json.loads(cytoscape.write(empty, made.banner, schema))
    assert doc["elements"] == {"nodes": [], "edges": []}
    assert doc["data"]["marking"] == made.banner.marking
