"""What reads return: entities with the source of each value, links with provenance, subgraphs,
paths, search hits and store statistics. Every backend returns these same types; only data the
caller's scope allows ever goes into them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from graphsvc.model.properties import JSONScalar
from graphsvc.model.records import Grading, Handling, Provenance


@dataclass(frozen=True, slots=True)
class Statement:
    """One property value and the record that asserted it.

    ``derived`` is set for a selector's own value (a phone's number), which is the entity's
    identity and so is asserted by every record that asserts the entity.
    """

    property: str
    value: JSONScalar
    source: str | None
    record: str | None
    observed_at: str | None = None
    derived: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"property": self.property, "value": self.value}
        if self.derived:
            out["derived"] = "id"
        else:
            out.update(source=self.source, record=self.record, observedAt=self.observed_at)
        return out


@dataclass(frozen=True, slots=True)
class RecordRef:
    """A visible source record asserting an entity."""

    provenance: Provenance
    grading: Grading | None
    handling: Handling

    def to_dict(self) -> dict[str, Any]:
        return {
            "provenance": self.provenance.to_dict(),
            "grading": self.grading.to_dict() if self.grading else None,
            "handling": self.handling.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class Entity:
    id: str
    type: str
    label: str
    statements: tuple[Statement, ...]
    records: tuple[RecordRef, ...] = ()

    @property
    def properties(self) -> dict[str, list[JSONScalar]]:
        """Distinct visible values per property, in statement order."""
        out: dict[str, list[JSONScalar]] = {}
        for st in self.statements:
            values = out.setdefault(st.property, [])
            if st.value not in values:
                values.append(st.value)
        return out

    @property
    def sources(self) -> list[str]:
        return sorted({r.provenance.source for r in self.records})

    def to_dict(self, *, records: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "label": self.label,
            "properties": self.properties,
            "statements": [s.to_dict() for s in self.statements],
        }
        if records:
            out["records"] = [r.to_dict() for r in self.records]
        return out


def label_of(entity_id: str, label_property: str | None, statements: Iterable[Statement]) -> str:
    """The most asserted value of the label property (ties: the smallest), else the id."""
    if label_property:
        counts = Counter(str(s.value) for s in statements if s.property == label_property)
        if counts:
            return min(counts, key=lambda v: (-counts[v], v))
    return entity_id


@dataclass(frozen=True, slots=True)
class Link:
    id: str
    type: str
    source_id: str  # the "from" entity
    target_id: str  # the "to" entity
    directed: bool
    properties: dict[str, Any]
    provenance: Provenance
    grading: Grading
    handling: Handling

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "from": self.source_id,
            "to": self.target_id,
            "directed": self.directed,
            "properties": self.properties,
            "provenance": self.provenance.to_dict(),
            "grading": self.grading.to_dict(),
            "handling": self.handling.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class Subgraph:
    nodes: tuple[Entity, ...]
    links: tuple[Link, ...]
    truncated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "nodes": [n.to_dict() for n in self.nodes],
            "links": [link.to_dict() for link in self.links],
            "truncated": self.truncated,
        }


@dataclass(frozen=True, slots=True)
class Path:
    """A simple path: ``nodes[i]`` and ``nodes[i+1]`` are joined by the links of hop ``i``."""

    nodes: tuple[Entity, ...]
    hops: tuple[tuple[Link, ...], ...]

    @property
    def length(self) -> int:
        return len(self.hops)

    @property
    def links(self) -> tuple[Link, ...]:
        return tuple(link for hop in self.hops for link in hop)

    def to_dict(self) -> dict[str, Any]:
        return {
            "length": self.length,
            "nodes": [n.to_dict() for n in self.nodes],
            "links": [link.to_dict() for link in self.links],
        }


@dataclass(frozen=True, slots=True)
class SearchHit:
    entity: Entity
    score: float
    matched: str

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "matched": self.matched, "entity": self.entity.to_dict()}


@dataclass(frozen=True, slots=True)
class StoreStats:
    entities: int
    links: int
    records: int
    entities_by_type: dict[str, int] = field(default_factory=dict)
    links_by_type: dict[str, int] = field(default_factory=dict)
    links_by_source: dict[str, int] = field(default_factory=dict)
    links_by_classification: dict[str, int] = field(default_factory=dict)
    links_by_code: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "entities": self.entities,
            "links": self.links,
            "records": self.records,
            "entitiesByType": self.entities_by_type,
            "linksByType": self.links_by_type,
            "linksBySource": self.links_by_source,
            "linksByClassification": self.links_by_classification,
            "linksByCode": self.links_by_code,
        }
