"""Cytoscape JSON: what Cytoscape desktop imports as ``.cyjs`` and cytoscape.js reads.

``elements.nodes`` and ``elements.edges`` are lists of ``{"data": {...}}`` in the order of the
answer (cytoscape.js takes the whole document with ``cy.json(doc)`` or ``doc.elements`` with
``cy.add``). A node's data is its ``id``, ``label`` (the entity label) and the node columns of
``attributes.py``; an edge's data is its ``id`` (the link id), ``source``, ``target``,
``label`` (the link type) and the edge columns. Values keep their JSON types (numbers,
booleans); a column without a value is left out. Hidden-link candidates are edges of type
``HIDDEN_LINK_CANDIDATE``. Every edge says ``directed`` (Cytoscape desktop imports every
edge of this format as directed; a style can draw arrows from the column). The banner goes
into the top-level ``data`` (Cytoscape's network table): the banner's fields, ``name`` (what
was exported) and ``banner`` (the full text); absent values are left out rather than written
as ``null``, which Cytoscape desktop would show as the text "null".
Characters XML and most tools cannot carry (control characters, lone surrogates) are dropped.
"""

from __future__ import annotations

import json
import math
from typing import Any

from graphsvc.export.attributes import Attributes, Value
from graphsvc.export.banner import Banner
from graphsvc.export.graph import ExportGraph
from graphsvc.export.xmltext import clean
from graphsvc.model.schema import Schema


def write(graph: ExportGraph, banner: Banner, schema: Schema) -> bytes:
    table = Attributes(graph, schema)
    nodes = [
        {"data": {"id": n.entity.id, "label": n.entity.label, **_data(table.node(n))}}
        for n in graph.nodes
    ]
    edges = [
        {
            "data": {
                "id": e.id,
                "source": e.source,
                "target": e.target,
                "label": e.label,
                **_data(e.values),
            }
        }
        for e in table.edges()
    ]
    about = {"name": graph.title, **banner.to_dict(), "banner": banner.text()}
    document = {
        "format_version": "1.0",
        "generated_by": "graphsvc",
        "target_cytoscapejs_version": "~3.0",
        "data": {key: value for key, value in about.items() if value is not None},
        "elements": {"nodes": nodes, "edges": edges},
    }
    return (json.dumps(_clean(document), ensure_ascii=False) + "\n").encode("utf-8")


def _data(values: dict[str, Value]) -> dict[str, Value | None]:
    """The values as JSON: a double that is not a number is ``null`` (JSON has no NaN)."""
    return {
        key: None if isinstance(value, float) and not math.isfinite(value) else value
        for key, value in values.items()
    }


def _clean(value: Any) -> Any:
    """``value`` with every string (keys too) stripped of what a JSON reader may reject."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value
