"""The attribute columns of nodes and edges, shared by every tabular format.

GEXF, GraphML, the Gephi CSV pair and Cytoscape JSON carry the same attributes under the same
names, typed the same way, so an analyst moving between tools finds the same columns:

- nodes: ``type``, the handling of the records behind the entity (``classification`` = the
  highest, ``handlingCodes``, ``releasableTo``, ``caveats``, ``originators``, ``sources``),
  ``community``, ``rank`` and one column per centrality measure when the answer computed
  them, then the entity's properties (several values joined by ``"; "``);
- edges: ``type``, ``directed``, ``weight`` (grading weight x confidence, the strength of the
  evidence), provenance (``provSource``, ``provRecord``, ``provMethod``, ``confidence``,
  ``observedAt``, ``ingestedAt``, ``document``), grading (``grading`` as ``B2``,
  ``gradeSource``, ``gradeInformation``), handling (``classification``, ``releasableTo``,
  ``caveats``, ``handlingCode``, ``originator``, ``retainUntil``), ``start``/``end`` (the link's
  time span), ``candidate`` and ``score`` for hidden-link candidates, then the link's
  properties. A property whose name is taken by one of these columns is ``prop_<name>``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, Literal, NamedTuple

from graphsvc.export.graph import Candidate, ExportGraph, ExportNode
from graphsvc.model.graph import Link
from graphsvc.model.records import Handling
from graphsvc.model.schema import PropertySpec, Schema

Kind = Literal["string", "integer", "double", "boolean"]
Value = str | int | float | bool
SEPARATOR = "; "

CANDIDATE_TYPE = "HIDDEN_LINK_CANDIDATE"


@dataclass(frozen=True)
class Column:
    key: str
    kind: Kind
    description: str = ""


NODE_COLUMNS = (
    Column("type", "string", "entity type"),
    Column("classification", "string", "highest classification of the records behind it"),
    Column("handlingCodes", "string", "handling codes of the records behind it"),
    Column("releasableTo", "string", "releasability markings of the records behind it"),
    Column("caveats", "string", "caveats of the records behind it"),
    Column("originators", "string", "originating agencies of the records behind it"),
    Column("sources", "string", "sources asserting it"),
)
EDGE_COLUMNS = (
    Column("type", "string", "link type"),
    Column("directed", "boolean"),
    Column("weight", "double", "grading weight x confidence"),
    Column("provSource", "string", "provenance: source"),
    Column("provRecord", "string", "provenance: record in the source"),
    Column("provMethod", "string", "provenance: structured, extracted, inferred or analyst"),
    Column("confidence", "double", "provenance: confidence"),
    Column("observedAt", "string", "provenance: when observed"),
    Column("ingestedAt", "string", "provenance: when ingested"),
    Column("document", "string", "provenance: document extracted from"),
    Column("grading", "string", "source reliability and information assessment"),
    Column("gradeSource", "string", "source reliability"),
    Column("gradeInformation", "string", "information assessment"),
    Column("classification", "string"),
    Column("releasableTo", "string"),
    Column("caveats", "string"),
    Column("handlingCode", "string"),
    Column("originator", "string"),
    Column("retainUntil", "string"),
    Column("start", "string", "start of the link's time span"),
    Column("end", "string", "end of the link's time span"),
    Column("candidate", "boolean", "a hidden-link candidate (a score, not a record)"),
    Column("score", "double", "hidden-link candidate score"),
)
# names the tools read specially (Gephi's CSV columns, cytoscape.js's compound-node ``parent``)
RESERVED = {"id", "label", "source", "target", "weight", "type", "directed", "parent"}


class Edge(NamedTuple):
    """One edge of a file: a link, or a hidden-link candidate, with its column values."""

    id: str
    source: str
    target: str
    label: str  # the link type, or CANDIDATE_TYPE
    directed: bool
    values: dict[str, Value]


class Attributes:
    """The columns of one export graph and the value of each for each element."""

    def __init__(self, graph: ExportGraph, schema: Schema) -> None:
        self.schema = schema
        self.graph = graph
        nodes = list(NODE_COLUMNS)
        if any(n.community is not None for n in graph.nodes):
            nodes.append(Column("community", "integer", "community the entity belongs to"))
        if any(n.rank is not None for n in graph.nodes):
            nodes.append(Column("rank", "integer", "centrality rank (1 = most central)"))
        taken = {c.key.lower() for c in nodes}
        self.measure_keys = {
            m: f"score_{m}" if m.lower() in taken else m for m in _measures(graph.nodes)
        }
        nodes += [Column(k, "double", f"centrality: {m}") for m, k in self.measure_keys.items()]
        self.node_props = _property_columns(
            (n.entity.type for n in graph.nodes), schema.entities, {c.key for c in nodes}
        )
        # two records may give a single-valued property two values: a typed column would
        # keep one of them, so such a column is text and keeps both ("48.85; 50.63")
        several = {p for n in graph.nodes for p, v in n.entity.properties.items() if len(v) > 1}
        self.node_props = [
            (prop, replace(col, kind="string") if prop in several else col)
            for prop, col in self.node_props
        ]
        nodes += [column for _, column in self.node_props]
        self.node_columns: tuple[Column, ...] = tuple(nodes)
        edges = list(EDGE_COLUMNS)
        self.edge_props = _property_columns(
            (link.type for link in graph.links), schema.links, {c.key for c in edges}
        )
        edges += [column for _, column in self.edge_props]
        self.edge_columns: tuple[Column, ...] = tuple(edges)

    # -- nodes ---------------------------------------------------------------------------------

    def node(self, node: ExportNode) -> dict[str, Value]:
        """The node's values by column key (columns without a value are absent)."""
        entity = node.entity
        handlings = [r.handling for r in entity.records] or self._link_handlings(entity.id)
        out: dict[str, Value] = {"type": entity.type}
        out.update(self._handling_summary(handlings))
        if entity.sources:
            out["sources"] = SEPARATOR.join(entity.sources)
        if node.community is not None:
            out["community"] = node.community
        if node.rank is not None:
            out["rank"] = node.rank
        for measure, value in node.scores.items():
            out[self.measure_keys[measure]] = float(value)
        properties = entity.properties
        for name, column in self.node_props:
            values = properties.get(name)
            if values:
                out[column.key] = _cell(values, column.kind)
        return out

    def _link_handlings(self, entity_id: str) -> list[Handling]:
        """An entity no visible entity record asserts is known through its links: those of the
        graph, else those outside it that vouch for it."""
        found = self._touching.get(entity_id) or list(self.graph.outside.get(entity_id, ()))
        return found

    @cached_property
    def _touching(self) -> dict[str, list[Handling]]:
        """The handlings of the graph's links touching each entity."""
        index: dict[str, list[Handling]] = {}
        for link in self.graph.links:
            for end in (link.source_id, link.target_id):
                index.setdefault(end, []).append(link.handling)
        return index

    def _handling_summary(self, handlings: list[Handling]) -> dict[str, Value]:
        levels = self.schema.policy.levels
        known = [h.classification for h in handlings if h.classification in levels]
        out: dict[str, Value] = {}
        if known:
            out["classification"] = max(known, key=levels.index)
        for key, values in (
            ("handlingCodes", {h.code for h in handlings}),
            ("releasableTo", {x for h in handlings for x in h.releasable_to}),
            ("caveats", {x for h in handlings for x in h.caveats}),
            ("originators", {h.originator for h in handlings}),
        ):
            if values:
                out[key] = SEPARATOR.join(sorted(values))
        return out

    # -- edges ---------------------------------------------------------------------------------

    def link(self, link: Link) -> dict[str, Value]:
        p, g, h = link.provenance, link.grading, link.handling
        out: dict[str, Value] = {
            "type": link.type,
            "directed": link.directed,
            "weight": self.weight(link),
            "provSource": p.source,
            "provRecord": p.record,
            "provMethod": p.method,
            "confidence": float(p.confidence),
            "ingestedAt": p.ingested_at,
            "grading": f"{g.source}{g.information}",
            "gradeSource": g.source,
            "gradeInformation": g.information,
            "classification": h.classification,
            "handlingCode": h.code,
            "originator": h.originator,
            "candidate": False,
        }
        optional: dict[str, Any] = {
            "observedAt": p.observed_at,
            "document": p.document,
            "releasableTo": SEPARATOR.join(h.releasable_to),
            "caveats": SEPARATOR.join(h.caveats),
            "retainUntil": h.retain_until,
        }
        out.update({k: v for k, v in optional.items() if v})
        start, end = self.span(link)
        if start:
            out["start"] = start
        if end:
            out["end"] = end
        for name, column in self.edge_props:
            value = link.properties.get(name)
            if value is not None and value != []:
                out[column.key] = _cell(value if isinstance(value, list) else [value], column.kind)
        return out

    def edges(self) -> list[Edge]:
        """Every edge of the file: the links, then the hidden-link candidates."""
        out = [
            Edge(x.id, x.source_id, x.target_id, x.type, x.directed, self.link(x))
            for x in self.graph.links
        ]
        out += [
            Edge(c.id, c.source_id, c.target_id, CANDIDATE_TYPE, False, self.candidate(c))
            for c in self.graph.candidates
        ]
        return out

    def default_directed(self) -> bool:
        """Whether most edges are directed (formats with a default edge direction)."""
        directed = sum(1 for link in self.graph.links if link.directed)
        return directed * 2 >= len(self.graph.links) + len(self.graph.candidates)

    def candidate(self, pair: Candidate) -> dict[str, Value]:
        return {
            "type": CANDIDATE_TYPE,
            "directed": False,
            "weight": float(pair.score),
            "candidate": True,
            "score": float(pair.score),
            "provMethod": "inferred",
        }

    def weight(self, link: Link) -> float:
        policy = self.schema.policy
        source = policy.source_grades.get(link.grading.source)
        info = policy.information_grades.get(link.grading.information)
        grade = (source.weight if source else 0.0) * (info.weight if info else 0.0)
        return round(grade * float(link.provenance.confidence), 6)

    def span(self, link: Link) -> tuple[str | None, str | None]:
        """When the link held: its type's time property (``since`` with ``until``, or an
        instant), else when it was observed."""
        ltype = self.schema.links.get(link.type)
        prop = ltype.time_property if ltype else None
        if prop is not None:
            start = link.properties.get(prop)
            if isinstance(start, str):
                end = link.properties.get("until") if prop == "since" else start
                return start, end if isinstance(end, str) else None
        observed = link.provenance.observed_at
        return (observed, observed) if observed else (None, None)


def _measures(nodes: Iterable[ExportNode]) -> list[str]:
    seen: dict[str, None] = {}
    for node in nodes:
        for measure in node.scores:
            seen.setdefault(measure, None)
    return list(seen)


def _property_columns(
    types: Iterable[str], catalogue: Mapping[str, Any], taken: set[str]
) -> list[tuple[str, Column]]:
    """One column per property of the types present, typed when every type agrees."""
    specs: dict[str, list[PropertySpec]] = {}
    for name in dict.fromkeys(types):
        owner = catalogue.get(name)
        if owner is None:
            continue
        for prop, spec in owner.properties.items():
            specs.setdefault(prop, []).append(spec)
    out: list[tuple[str, Column]] = []
    for prop, found in specs.items():
        kinds = {_kind(s) for s in found}
        kind: Kind = kinds.pop() if len(kinds) == 1 else "string"
        clash = prop.lower() in RESERVED or prop.lower() in {t.lower() for t in taken}
        key = f"prop_{prop}" if clash else prop
        out.append((prop, Column(key, kind, f"property {prop}")))
    return out


def _kind(spec: PropertySpec) -> Kind:
    if spec.multiple:
        return "string"
    if spec.type == "integer":
        return "integer"
    if spec.type == "number":
        return "double"
    if spec.type == "boolean":
        return "boolean"
    return "string"


def _cell(values: list[Any], kind: Kind) -> Value:
    if kind == "integer":
        return int(values[0])
    if kind == "double":
        return float(values[0])
    if kind == "boolean":
        return bool(values[0])
    return SEPARATOR.join(str(v) for v in values)


def text(value: Value) -> str:
    """A value as XML/CSV text: booleans as ``true``/``false``, numbers in full."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)
