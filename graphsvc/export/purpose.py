"""What an export may hold given why it is made: the handling codes' restrictions.

A handling code (``schema/handling.yaml``) lists the uses that need the originator's
permission: ``dissemination`` (passing the information on) and ``judicial`` (using it as
evidence). An export is made for one ``Purpose``:

- ``internal`` (the default): for the caller's own work; everything the caller sees;
- ``dissemination``: to be passed on; records whose code restricts dissemination are left out
  unless the caller's agency is their originator;
- ``judicial``: to be produced in court; records whose code restricts judicial use are left
  out unless the caller's agency is their originator.

The rule applies record by record: a link is kept or withheld whole; an entity keeps the
values its usable records assert (its label is recomputed from them) and is withheld when no
usable record asserts it and no kept link touches it. Links only travel with both their ends.
Under a restricting purpose, values computed by analysis (community, centrality, hidden-link
candidates) are left out: they were computed over data that may include what is withheld.
``Withheld`` counts what was left out and why, never which.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace

from graphsvc.export.graph import ExportGraph, ExportNode
from graphsvc.model.exchange import Purpose
from graphsvc.model.graph import Entity, label_of
from graphsvc.model.records import Handling
from graphsvc.model.schema import Schema

__all__ = ["Purpose", "Withheld", "restrict", "usable"]


@dataclass(frozen=True)
class Withheld:
    """How much a purpose left out of an export, and the codes that required it."""

    purpose: Purpose
    entities: int = 0
    links: int = 0
    values: int = 0  # distinct property values of kept entities no usable record asserts
    records: int = 0  # entity records left out (of kept and withheld entities)
    analysis: bool = False  # community/centrality/candidates dropped
    codes: tuple[str, ...] = ()

    @property
    def any(self) -> bool:
        return bool(self.entities or self.links or self.values or self.records or self.analysis)

    @property
    def elements(self) -> int:
        return self.entities + self.links

    def describe(self, schema: Schema) -> str:
        """One sentence for the banner: counts and the rule, never the elements."""
        if self.purpose is Purpose.INTERNAL:
            return "nothing withheld (internal use)"
        parts = []
        if self.entities:
            parts.append(_count(self.entities, "entity", "entities"))
        if self.links:
            parts.append(_count(self.links, "link", "links"))
        if self.values:
            parts.append(_count(self.values, "property value", "property values"))
        if self.records:
            parts.append(_count(self.records, "entity record", "entity records"))
        use = "onward dissemination" if self.purpose is Purpose.DISSEMINATION else "judicial use"
        if not parts:
            text = f"nothing withheld: no record forbids {use} by the caller's agency"
        elif self.codes:
            text = (
                f"{_join(parts)} withheld: their handling code ({', '.join(self.codes)}) "
                f"forbids {use} without the originator's permission"
            )
        else:
            text = f"{_join(parts)} withheld: no record that may be used for {use} asserts them"
        if self.analysis:
            text += "; analysis values (communities, centrality, hidden-link candidates) left "
            text += "out, as they were computed on the caller's whole visible data"
        return text


def usable(handling: Handling, purpose: Purpose, agency: str, schema: Schema) -> bool:
    """Whether a record with ``handling`` may go into an export made for ``purpose`` by a
    member of ``agency``. Fails closed on a code the policy no longer lists."""
    if purpose is Purpose.INTERNAL or handling.originator == agency:
        return True
    code = schema.policy.codes.get(handling.code)
    return code is not None and purpose.value not in code.restricts


def restrict(
    graph: ExportGraph,
    purpose: Purpose,
    agency: str,
    schema: Schema,
) -> tuple[ExportGraph, Withheld]:
    """``graph`` without what ``purpose`` forbids, and the count of what was left out.

    An entity no usable entity record asserts and no kept link of the graph touches is kept
    when a usable visible link outside the graph asserts it (``graph.outside``: a
    ``find Phone`` export holds phones known only through their links)."""
    if purpose is Purpose.INTERNAL:
        return graph, Withheld(purpose)
    codes: set[str] = set()

    def ok(handling: Handling) -> bool:
        if usable(handling, purpose, agency, schema):
            return True
        codes.add(handling.code)
        return False

    links = [link for link in graph.links if ok(link.handling)]
    touched = {x for link in links for x in (link.source_id, link.target_id)}
    nodes: list[ExportNode] = []
    outside: dict[str, tuple[Handling, ...]] = {}
    withheld_entities = withheld_values = withheld_records = 0
    for node in graph.nodes:
        entity, values, records = _usable_part(node.entity, ok, schema)
        withheld_records += records
        keep = bool(entity.records) or entity.id in touched
        if not keep and entity.id in graph.outside:
            found = graph.outside[entity.id]
            allowed = tuple(h for h in found if usable(h, purpose, agency, schema))
            if allowed:
                keep = True
                outside[entity.id] = allowed
            else:
                codes.update(h.code for h in found)
        if not keep:
            withheld_entities += 1
            continue
        withheld_values += values
        nodes.append(ExportNode(entity))  # analysis values are dropped (see the module doc)
    kept_ids = {n.entity.id for n in nodes}
    kept_links = [x for x in links if x.source_id in kept_ids and x.target_id in kept_ids]
    analysis = graph.analysed
    withheld = Withheld(
        purpose,
        entities=withheld_entities,
        links=len(graph.links) - len(kept_links),
        values=withheld_values,
        records=withheld_records,
        analysis=analysis,
        codes=tuple(sorted(codes)),
    )
    title = graph.title
    if any(x not in kept_ids for x in graph.named):  # the title must not name what is withheld
        title = graph.plain_title or "export"
    restricted = replace(
        graph.with_parts(nodes, kept_links, ()), measures=(), title=title, outside=outside
    )
    return restricted, withheld


def _usable_part(
    entity: Entity, ok: Callable[[Handling], bool], schema: Schema
) -> tuple[Entity, int, int]:
    """The entity with only the records ``ok`` accepts and the values they assert; how many
    distinct values only the others asserted, and how many records were left out."""
    records = tuple(r for r in entity.records if ok(r.handling))
    if len(records) == len(entity.records):
        return entity, 0, 0
    kept = {(r.provenance.source, r.provenance.record) for r in records}
    statements = tuple(s for s in entity.statements if s.derived or (s.source, s.record) in kept)
    etype = schema.entities.get(entity.type)
    label = label_of(entity.id, etype.label if etype else None, statements)
    part = replace(entity, statements=statements, records=records, label=label)
    still = {(s.property, json.dumps(s.value)) for s in statements}
    lost = {(s.property, json.dumps(s.value)) for s in entity.statements} - still
    return part, len(lost), len(entity.records) - len(records)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
