"""Gephi's spreadsheet import: ``nodes.csv`` and ``edges.csv`` in a zip, with ``HANDLING.txt``.

The CSV files are what Gephi's "Import spreadsheet" reads: UTF-8 without a byte-order mark
(Gephi 0.9.2 takes a BOM for part of the first column's name and then finds no ``Id`` or
``Source``), comma separated, a header row, minimal quoting. ``nodes.csv`` has ``Id``,
``Label`` (the entity label), then the node columns of ``attributes.py``; ``edges.csv`` has
``Source``, ``Target``, ``Type`` (``Directed`` or ``Undirected``), ``Id`` (the link id, so
parallel links stay apart), ``Label`` (the link type), ``Weight``, then the other edge columns
(``type``, ``directed`` and ``weight`` are already there under Gephi's names). Dates are ISO
text; booleans ``true``/``false``. Hidden-link candidates are undirected edges of type
``HIDDEN_LINK_CANDIDATE``. The banner goes into ``HANDLING.txt`` (first in the zip) and its
marking into the zip comment; the CSV files carry none, as Gephi needs the header first.
The zip is deterministic: entries dated the export time, deflated, fixed permissions.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime

from graphsvc.export.attributes import Attributes, Value, text
from graphsvc.export.banner import Banner
from graphsvc.export.graph import ExportGraph
from graphsvc.export.xmltext import clean
from graphsvc.model.schema import Schema

NODE_HEAD = ("Id", "Label")
EDGE_HEAD = ("Source", "Target", "Type", "Id", "Label", "Weight")
EMITTED = {"type", "directed", "weight"}  # edge columns that are in EDGE_HEAD already
ZipTime = tuple[int, int, int, int, int, int]
EPOCH: ZipTime = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry


def write(graph: ExportGraph, banner: Banner, schema: Schema) -> bytes:
    table = Attributes(graph, schema)
    node_keys = [c.key for c in table.node_columns]
    nodes = [NODE_HEAD + tuple(node_keys)]
    for node in graph.nodes:
        values = table.node(node)
        nodes.append(
            (node.entity.id, node.entity.label, *(_cell(values.get(k)) for k in node_keys))
        )
    edge_keys = [c.key for c in table.edge_columns if c.key not in EMITTED]
    edges = [EDGE_HEAD + tuple(edge_keys)]
    for edge_id, source, target, label, _, values in table.edges():
        kind = "Directed" if values["directed"] else "Undirected"
        rest = (_cell(values.get(k)) for k in edge_keys)
        edges.append((source, target, kind, edge_id, label, _cell(values["weight"]), *rest))
    when = _zip_time(banner.exported_at)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        _add(archive, "HANDLING.txt", clean(banner.text()), when)
        _add(archive, "nodes.csv", _csv(nodes), when)
        _add(archive, "edges.csv", _csv(edges), when)
        archive.comment = clean(banner.marking).encode("utf-8")[:65535]
    return buffer.getvalue()


def _cell(value: Value | None) -> str:
    return "" if value is None else text(value)


def _csv(rows: list[tuple[str, ...]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL)
    writer.writerows(rows)
    # once over the whole text: the characters clean() drops never change the quoting
    return clean(out.getvalue())


def _add(archive: zipfile.ZipFile, name: str, data: str, when: ZipTime) -> None:
    info = zipfile.ZipInfo(name, date_time=when)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix, whatever system writes it
    info.external_attr = 0o644 << 16
    archive.writestr(info, data.encode("utf-8"))


def _zip_time(stamp: str) -> ZipTime:
    """The export time as a zip entry time (UTC), else the zip epoch."""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return EPOCH
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    if moment.year < 1980 or moment.year > 2107:
        return EPOCH
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
