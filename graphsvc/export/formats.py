"""The export formats: name, file extension, media type and the writer of each.

A writer is ``write(graph, banner, schema) -> bytes``: it turns an export graph (already
restricted for its purpose) and its banner into the file, and reads nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import cast

from graphsvc.errors import InvalidInput
from graphsvc.export.banner import Banner
from graphsvc.export.graph import ExportGraph
from graphsvc.model.exchange import FormatName
from graphsvc.model.schema import Schema
from graphsvc.model.text import did_you_mean, one_of

Writer = Callable[[ExportGraph, Banner, Schema], bytes]


@dataclass(frozen=True)
class Format:
    name: FormatName
    extension: str
    media_type: str
    module: str
    description: str

    @property
    def write(self) -> Writer:
        return cast(Writer, import_module(self.module).write)


FORMATS: dict[FormatName, Format] = {
    f.name: f
    for f in (
        Format(
            FormatName.GEXF,
            ".gexf",
            "application/gexf+xml",
            "graphsvc.export.gexf",
            "GEXF 1.3 for Gephi: typed attributes, dated links as spells for the timeline",
        ),
        Format(
            FormatName.GRAPHML,
            ".graphml",
            "application/graphml+xml",
            "graphsvc.export.graphml",
            "GraphML for yEd, Cytoscape, networkx and Gephi, with typed <key> declarations",
        ),
        Format(
            FormatName.CSV,
            ".zip",
            "application/zip",
            "graphsvc.export.csvzip",
            "nodes.csv and edges.csv for Gephi's spreadsheet import, with HANDLING.txt, zipped",
        ),
        Format(
            FormatName.CYTOSCAPE,
            ".cyjs",
            "application/json",
            "graphsvc.export.cytoscape",
            "Cytoscape.js / Cytoscape desktop JSON (elements with data)",
        ),
        Format(
            FormatName.FTM,
            ".ftm.json",
            "application/x-ndjson",
            "graphsvc.export.ftm",
            "FollowTheMoney entities, one JSON object per line (Aleph, OpenSanctions)",
        ),
        Format(
            FormatName.ANX,
            ".anx",
            "application/xml",
            "graphsvc.export.anx",
            "i2 Analyst's Notebook exchange (ANX) XML chart",
        ),
    )
}


def format_named(name: str) -> Format:
    try:
        return FORMATS[FormatName(name.lower())]
    except ValueError:
        names = [f.value for f in FormatName]
        raise InvalidInput(
            f"unknown export format {name!r}; expected {one_of(names)}"
            + did_you_mean(name.lower(), names),
            field="format",
        ) from None
