"""The handling banner every export carries: what it contains, who made it, when and why.

The banner states the highest classification of any record in the export, the releasability
markings present (their union, and the countries or agencies to which every element is
releasable: their intersection), the caveats (their union: a reader must hold them all), the
handling codes present with their meaning, the originators, who exported it (principal and
agency), when, why (the justification) and for what purpose, and what the purpose withheld
(counts, never which). Each format puts it where its readers look: an XML comment and the
GEXF ``meta`` or GraphML graph data, a ``HANDLING.txt`` in the CSV zip, the Cytoscape
``data``, the first entity of the FtM file and the ANX chart summary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphsvc.export.graph import ExportGraph
from graphsvc.export.purpose import Purpose, Withheld
from graphsvc.model.schema import Schema

UNRESTRICTED = "no restriction (every cleared user)"


@dataclass(frozen=True)
class AnalysisBasis:
    """What analysis values in an export (community, centrality, hidden-link candidates) were
    computed on: the caller's visible links, of which the file may hold only a few. The
    marking covers them: its classification and codes are at least theirs, its caveats
    include every caveat the exporter holds (the analysis may rest on records carrying
    them)."""

    classification: str
    codes: tuple[str, ...]
    caveats: tuple[str, ...]
    links: int


@dataclass(frozen=True)
class Banner:
    export_id: str
    format: str
    title: str
    classification: str
    releasable_to: tuple[str, ...]  # union of the markings present
    releasable_to_all: tuple[str, ...] | None  # intersection; None: no element restricts it
    caveats: tuple[str, ...]
    codes: tuple[tuple[str, str], ...]  # (code, meaning)
    originators: tuple[str, ...]
    exported_by: str
    agency: str
    exported_at: str
    justification: str | None
    purpose: Purpose
    entities: int
    links: int
    candidates: int
    truncated: bool
    withheld: str  # Withheld.describe()
    withheld_elements: int
    analysis: str | None = None  # what analysis values were computed on, when present

    @property
    def marking(self) -> str:
        """The one-line marking: ``CONFIDENTIAL // REL FR, BE // FIU // H1 H2``."""
        parts = [self.classification]
        if self.releasable_to_all is not None:
            parts.append("REL " + (", ".join(self.releasable_to_all) or "ORIGINATORS ONLY"))
        if self.caveats:
            parts.append(" ".join(self.caveats))
        if self.codes:
            parts.append(" ".join(code for code, _ in self.codes))
        return " // ".join(parts)

    def lines(self) -> list[str]:
        """The banner as text lines (no trailing newlines)."""
        if self.releasable_to_all is None:
            releasable = UNRESTRICTED
        else:
            everyone = ", ".join(self.releasable_to_all) or "none (the originators only)"
            releasable = f"{', '.join(self.releasable_to)} (markings present); "
            releasable += f"every element releasable to: {everyone}"
        out = [
            f"HANDLING: {self.marking}",
            f"Highest classification: {self.classification}",
            f"Releasable to: {releasable}",
            f"Caveats: {', '.join(self.caveats) or 'none'}",
            "Handling codes: "
            + (" ".join(f"{code}: {meaning}" for code, meaning in self.codes) or "none"),
            f"Originators: {', '.join(self.originators) or 'none'}",
            f"Exported by: {self.exported_by} ({self.agency}) at {self.exported_at}",
            f"Justification: {self.justification or 'none given'}",
            f"Purpose: {self.purpose.value}",
            f"Contents: {self.title}: {self.entities} entities, {self.links} links"
            + (f", {self.candidates} hidden-link candidates" if self.candidates else "")
            + (" (truncated by the limits)" if self.truncated else ""),
            f"Withheld: {self.withheld}",
            *([f"Analysis: {self.analysis}"] if self.analysis else []),
            f"Export: {self.export_id} ({self.format}), graphsvc",
        ]
        return out

    def text(self) -> str:
        return "\n".join(self.lines()) + "\n"

    def to_dict(self) -> dict[str, Any]:
        return {
            "exportId": self.export_id,
            "format": self.format,
            "marking": self.marking,
            "classification": self.classification,
            "releasableTo": list(self.releasable_to),
            "releasableToAll": (
                None if self.releasable_to_all is None else list(self.releasable_to_all)
            ),
            "caveats": list(self.caveats),
            "handlingCodes": [{"code": c, "meaning": m} for c, m in self.codes],
            "originators": list(self.originators),
            "exportedBy": self.exported_by,
            "agency": self.agency,
            "exportedAt": self.exported_at,
            "justification": self.justification,
            "purpose": self.purpose.value,
            "title": self.title,
            "entities": self.entities,
            "links": self.links,
            "candidates": self.candidates,
            "truncated": self.truncated,
            "withheld": self.withheld,
            "withheldElements": self.withheld_elements,
            "analysis": self.analysis,
        }


def banner_for(
    graph: ExportGraph,
    withheld: Withheld,
    schema: Schema,
    *,
    export_id: str,
    format: str,
    exported_by: str,
    agency: str,
    exported_at: str,
    justification: str | None,
    basis: AnalysisBasis | None = None,
) -> Banner:
    """The banner of ``graph`` (already restricted for the purpose of ``withheld``); with
    ``basis`` when the graph carries analysis values."""
    handlings = graph.handlings
    policy = schema.policy
    levels = [h.classification for h in handlings if h.classification in policy.levels]
    analysis = None
    if basis is not None:
        levels.append(basis.classification)
        analysis = (
            f"community, centrality and candidate values were computed on the "
            f"{basis.links:,} links the exporter sees (up to {basis.classification}, codes "
            f"{', '.join(basis.codes) or 'none'}); the marking covers them"
        )
    highest = max(levels, key=policy.levels.index) if levels else policy.levels[0]
    markings = [set(h.releasable_to) for h in handlings if h.releasable_to]
    union = sorted(set().union(*markings)) if markings else []
    everyone = sorted(set.intersection(*markings)) if markings else None
    codes = sorted({h.code for h in handlings} | set(basis.codes if basis else ()))
    return Banner(
        export_id=export_id,
        format=format,
        title=graph.title,
        classification=highest,
        releasable_to=tuple(union),
        releasable_to_all=None if everyone is None else tuple(everyone),
        caveats=tuple(
            sorted({c for h in handlings for c in h.caveats} | set(basis.caveats if basis else ()))
        ),
        codes=tuple(
            (c, policy.codes[c].meaning if c in policy.codes else "not in the policy")
            for c in codes
        ),
        originators=tuple(sorted({h.originator for h in handlings})),
        exported_by=exported_by,
        agency=agency,
        exported_at=exported_at,
        justification=justification,
        purpose=withheld.purpose,
        entities=len(graph.nodes),
        links=len(graph.links),
        candidates=len(graph.candidates),
        truncated=graph.truncated,
        withheld=withheld.describe(schema),
        withheld_elements=withheld.elements,
        analysis=analysis,
    )
