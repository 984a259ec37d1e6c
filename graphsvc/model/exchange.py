"""The export formats and purposes by name.

They are named in more than one layer: the query language (``return as gexf for
dissemination``), the export writers and the API. The names live here, below all of them.
"""

from __future__ import annotations

from enum import StrEnum


class FormatName(StrEnum):
    GEXF = "gexf"
    GRAPHML = "graphml"
    CSV = "csv"
    CYTOSCAPE = "cytoscape"
    FTM = "ftm"
    ANX = "anx"


class Purpose(StrEnum):
    """Why an export is made (see ``graphsvc/export/purpose.py`` for what each withholds)."""

    INTERNAL = "internal"
    DISSEMINATION = "dissemination"
    JUDICIAL = "judicial"
