"""GEXF 1.3 for Gephi.

Nodes and edges carry the typed attributes of ``attributes.py`` (declared once per class in
``<attributes>``); every link is its own edge (``id`` = the link id, ``kind`` = its type, so
Gephi keeps parallel links apart), with ``weight`` the strength of its evidence. A dated link
gets a spell (``start``/``end``: the instant of a call or transfer, or the ``since``..``until``
of an ownership), so Gephi's timeline filters the chart; the graph is then ``dynamic`` with
``timeformat="date"`` (ISO dates and date-times, which Gephi and networkx both read). Directed
and undirected links mix: the default edge type is that of most links and the others say theirs.
The banner goes into an XML comment at the top and into ``<meta>`` (``description``, and the
marking in ``keywords``).
"""

from __future__ import annotations

from graphsvc.export.attributes import Attributes, Column, Value, text
from graphsvc.export.banner import Banner
from graphsvc.export.graph import ExportGraph
from graphsvc.export.xmltext import DECLARATION, attr, comment, content
from graphsvc.model.schema import Schema

NAMESPACE = "http://gexf.net/1.3"


def write(graph: ExportGraph, banner: Banner, schema: Schema) -> bytes:
    table = Attributes(graph, schema)
    node_ids = {c.key: str(i) for i, c in enumerate(table.node_columns)}
    edge_ids = {c.key: str(i) for i, c in enumerate(table.edge_columns)}
    default_directed = table.default_directed()
    edges = table.edges()
    dynamic = any("start" in values for *_, values in edges)
    out = [DECLARATION, comment(banner.lines())]
    out.append(
        f'<gexf xmlns="{NAMESPACE}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xsi:schemaLocation="{NAMESPACE} {NAMESPACE}/gexf.xsd" version="1.3">\n'
    )
    out.append(f'  <meta lastmodifieddate="{attr(banner.exported_at[:10])}">\n')
    out.append("    <creator>graphsvc</creator>\n")
    out.append(f"    <keywords>{content(banner.marking)}</keywords>\n")
    out.append(f"    <description>{content(banner.text())}</description>\n")
    out.append("  </meta>\n")
    mode = ' mode="dynamic" timeformat="date" timerepresentation="interval"' if dynamic else ""
    edgetype = "directed" if default_directed else "undirected"
    out.append(f'  <graph defaultedgetype="{edgetype}" idtype="string"{mode}>\n')
    out.append(_declare("node", table.node_columns, node_ids))
    out.append(_declare("edge", table.edge_columns, edge_ids))
    out.append(f'    <nodes count="{len(graph.nodes)}">\n')
    for node in graph.nodes:
        entity = node.entity
        out.append(f'      <node id="{attr(entity.id)}" label="{attr(entity.label)}">\n')
        out.append(_values(table.node(node), node_ids))
        out.append("      </node>\n")
    out.append("    </nodes>\n")
    out.append(f'    <edges count="{len(edges)}">\n')
    for edge_id, source, target, kind, is_directed, values in edges:
        own = (
            ""
            if is_directed == default_directed
            else (' type="directed"' if is_directed else ' type="undirected"')
        )
        out.append(
            f'      <edge id="{attr(edge_id)}" source="{attr(source)}" '
            f'target="{attr(target)}" kind="{attr(kind)}" label="{attr(kind)}" '
            f'weight="{text(values["weight"])}"{own}>\n'
        )
        out.append(_values(values, edge_ids))
        start, end = values.get("start"), values.get("end")
        if start is not None:
            bounds = f' start="{attr(start)}"' + (f' end="{attr(end)}"' if end else "")
            out.append(f"        <spells>\n          <spell{bounds}/>\n        </spells>\n")
        out.append("      </edge>\n")
    out.append("    </edges>\n  </graph>\n</gexf>\n")
    return "".join(out).encode("utf-8")


def _declare(klass: str, columns: tuple[Column, ...], ids: dict[str, str]) -> str:
    lines = [f'    <attributes class="{klass}" mode="static">\n']
    for column in columns:
        lines.append(
            f'      <attribute id="{ids[column.key]}" title="{attr(column.key)}" '
            f'type="{column.kind}"/>\n'
        )
    lines.append("    </attributes>\n")
    return "".join(lines)


def _values(values: dict[str, Value], ids: dict[str, str]) -> str:
    lines = ["        <attvalues>\n"]
    for key, value in values.items():
        lines.append(f'          <attvalue for="{ids[key]}" value="{attr(text(value))}"/>\n')
    lines.append("        </attvalues>\n")
    return "".join(lines)
