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
    values: int = 0  # property values of kept entities, asserted only by withheld records
    analysis: bool = False  # community/centrality/candidates dropped
    codes: tuple[str, ...] = ()

    @property
    def any(self) -> bool:
        return bool(self.entities or self.links or self.values or self.analysis)

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
        use = "onward dissemination" if self.purpose is Purpose.DISSEMINATION else "judicial use"
        if not parts:
            text = f"nothing withheld: no record restricts {use}"
        else:
            codes = ", ".join(self.codes)
            text = (
                f"{_join(parts)} withheld: their handling code ({codes}) forbids {use} "
                "without the originator's permission"
            )
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
    graph: ExportGraph, purpose: Purpose, agency: str, schema: Schema
) -> tuple[ExportGraph, Withheld]:
    """``graph`` without what ``purpose`` forbids, and the count of what was left out."""
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
    withheld_entities = withheld_values = 0
    for node in graph.nodes:
        entity, dropped = _usable_part(node.entity, ok, schema)
        if not entity.records and entity.id not in touched:
            withheld_entities += 1
            continue
        withheld_values += dropped
        nodes.append(ExportNode(entity))  # analysis values are dropped (see the module doc)
    kept_ids = {n.entity.id for n in nodes}
    kept_links = [x for x in links if x.source_id in kept_ids and x.target_id in kept_ids]
    analysis = bool(graph.candidates) or any(
        n.community is not None or n.scores or n.rank is not None for n in graph.nodes
    )
    withheld = Withheld(
        purpose,
        entities=withheld_entities,
        links=len(graph.links) - len(kept_links),
        values=withheld_values,
        analysis=analysis,
        codes=tuple(sorted(codes)),
    )
    restricted = replace(graph.with_parts(nodes, kept_links, ()), measures=())
    return restricted, withheld


def _usable_part(
    entity: Entity, ok: Callable[[Handling], bool], schema: Schema
) -> tuple[Entity, int]:
    """The entity with only the records ``ok`` accepts and the values they assert, and how
    many values were dropped."""
    records = tuple(r for r in entity.records if ok(r.handling))
    if len(records) == len(entity.records):
        return entity, 0
    kept = {(r.provenance.source, r.provenance.record) for r in records}
    statements = tuple(s for s in entity.statements if s.derived or (s.source, s.record) in kept)
    etype = schema.entities.get(entity.type)
    label = label_of(entity.id, etype.label if etype else None, statements)
    part = replace(entity, statements=statements, records=records, label=label)
    return part, len(entity.statements) - len(statements)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
