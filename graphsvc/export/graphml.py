"""GraphML for yEd, Cytoscape, networkx and Gephi.

Nodes and edges carry the typed attributes of ``attributes.py``, each declared once as a
``<key>`` (``attr.name`` = the column, ``attr.type`` = ``string``, ``int`` (``long`` when a
value needs it), ``double`` or ``boolean``); nodes also get a ``label`` key (the entity's label)
and edges a ``label`` key (the link type), which Gephi and Cytoscape show as labels. Every link
is its own edge (``id`` = the link id), hidden-link candidates are undirected edges of type
``HIDDEN_LINK_CANDIDATE``. Directed and undirected links mix: ``edgedefault`` is that of most
links and the others say theirs with ``directed="true|false"``. Element order follows the
GraphML schema: every ``key``, then the ``graph`` with its ``data`` before its nodes and edges.
The banner goes into an XML comment at the top and into graph-level ``data`` (``handling`` =
the marking, ``banner`` = the full text, and who, when, why and for what purpose).
"""

from __future__ import annotations

import math

from graphsvc.export.attributes import Attributes, Column, Value, text
from graphsvc.export.banner import Banner
from graphsvc.export.graph import ExportGraph
from graphsvc.export.xmltext import DECLARATION, attr, comment, content
from graphsvc.model.schema import Schema

NAMESPACE = "http://graphml.graphdrawing.org/xmlns"
SCHEMA_LOCATION = f"{NAMESPACE}/1.0/graphml.xsd"
_TYPES = {"string": "string", "integer": "int", "double": "double", "boolean": "boolean"}
_INT32 = range(-(2**31), 2**31)


def write(graph: ExportGraph, banner: Banner, schema: Schema) -> bytes:
    table = Attributes(graph, schema)
    nodes = [(n.entity.id, n.entity.label, table.node(n)) for n in graph.nodes]
    edges = table.edges()
    default_directed = table.default_directed()
    about = _graph_data(banner)
    node_keys = _keys("n", table.node_columns, [values for *_, values in nodes])
    edge_keys = _keys("e", table.edge_columns, [values for *_, values in edges])

    out = [DECLARATION, comment(banner.lines())]
    out.append(
        f'<graphml xmlns="{NAMESPACE}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xsi:schemaLocation="{NAMESPACE} {SCHEMA_LOCATION}">\n'
    )
    for i, (name, _, description) in enumerate(about):
        out.append(_key(f"g{i}", "graph", name, "string", description))
    out.append(_key("n_label", "node", "label", "string", "entity label"))
    for key, (column, kind) in node_keys.items():
        out.append(_key(key, "node", column.key, kind, column.description))
    out.append(_key("e_label", "edge", "label", "string", "link type"))
    for key, (column, kind) in edge_keys.items():
        out.append(_key(key, "edge", column.key, kind, column.description))

    edgedefault = "directed" if default_directed else "undirected"
    out.append(f'  <graph id="G" edgedefault="{edgedefault}">\n')
    for i, (_, value, _) in enumerate(about):
        out.append(f'    <data key="g{i}">{content(value)}</data>\n')
    node_ids = {column.key: key for key, (column, _) in node_keys.items()}
    for entity_id, label, values in nodes:
        out.append(f'    <node id="{attr(entity_id)}">\n')
        out.append(f'      <data key="n_label">{content(label)}</data>\n')
        out.append(_values(values, node_ids))
        out.append("    </node>\n")
    edge_ids = {column.key: key for key, (column, _) in edge_keys.items()}
    for edge_id, source, target, label, is_directed, values in edges:
        own = "" if is_directed == default_directed else f' directed="{text(is_directed)}"'
        out.append(
            f'    <edge id="{attr(edge_id)}" source="{attr(source)}" '
            f'target="{attr(target)}"{own}>\n'
        )
        out.append(f'      <data key="e_label">{content(label)}</data>\n')
        out.append(_values(values, edge_ids))
        out.append("    </edge>\n")
    out.append("  </graph>\n</graphml>\n")
    return "".join(out).encode("utf-8")


def _graph_data(banner: Banner) -> list[tuple[str, str, str]]:
    """The banner as graph data: (name, value, description); nothing for an absent value."""
    rows = [
        ("title", banner.title, "what was exported"),
        ("handling", banner.marking, "handling marking of the whole export"),
        ("classification", banner.classification, "highest classification of any record"),
        ("exportedBy", banner.exported_by, "principal who made the export"),
        ("agency", banner.agency, "agency of the principal who made the export"),
        ("exportedAt", banner.exported_at, "when the export was made"),
        ("purpose", banner.purpose.value, "what the export is for"),
        ("justification", banner.justification or "", "why the export was made"),
        ("withheld", banner.withheld, "what the purpose left out (counts, never which)"),
        ("exportId", banner.export_id, "export identifier (audit log)"),
        ("banner", banner.text(), "the handling banner"),
    ]
    return [row for row in rows if row[1]]


def _keys(
    prefix: str, columns: tuple[Column, ...], rows: list[dict[str, Value]]
) -> dict[str, tuple[Column, str]]:
    """Key id -> (column, GraphML type); an integer column is ``long`` when a value needs it."""
    wide = {
        key
        for row in rows
        for key, value in row.items()
        if isinstance(value, int) and not isinstance(value, bool) and value not in _INT32
    }
    return {
        f"{prefix}{i}": (column, "long" if column.key in wide else _TYPES[column.kind])
        for i, column in enumerate(columns)
    }


def _key(key_id: str, domain: str, name: str, kind: str, description: str) -> str:
    head = f'  <key id="{key_id}" for="{domain}" attr.name="{attr(name)}" attr.type="{kind}"'
    if not description:
        return head + "/>\n"
    return f"{head}>\n    <desc>{content(description)}</desc>\n  </key>\n"


def _values(values: dict[str, Value], ids: dict[str, str]) -> str:
    return "".join(
        f'      <data key="{ids[key]}">{content(_text(value))}</data>\n'
        for key, value in values.items()
    )


def _text(value: Value) -> str:
    """GraphML text of a value; doubles a Java reader parses (``NaN``, ``Infinity``)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return text(value)
