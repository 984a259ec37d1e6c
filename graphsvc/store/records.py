"""What every backend does the same way with stored records, whatever holds them.

- ``assemble_entity``: an entity from the visible records asserting it (statements in a fixed
  order, its label), so both stores answer with equal ``Entity`` objects;
- ``unit_problem``: why a unit of assertions cannot be stored (an entity with two types, a
  link id another source owns), checked before anything of the unit is written;
- ``name_values``: the names of an entity record that name search indexes;
- ``selector_candidates``: the entity ids a search text stands for when it is itself a
  selector (a phone number, an IBAN...);
- ``store_stats``: counts in the order every backend reports them;
- ``canonical_json``: JSON text equal exactly when the values are equal (change detection).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from graphsvc.model.graph import Entity, RecordRef, Statement, StoreStats, label_of
from graphsvc.model.properties import JSONScalar
from graphsvc.model.records import EntityAssertion, LinkAssertion
from graphsvc.model.schema import Schema
from graphsvc.model.selectors import NORMALIZERS
from graphsvc.policy.scope import Scope

NAMES_PER_RECORD = 256  # name values one entity record may carry in a name index

Assertions = Sequence[EntityAssertion | LinkAssertion]


def assemble_entity(
    schema: Schema,
    entity_id: str,
    type_name: str,
    records: list[tuple[RecordRef, dict[str, list[JSONScalar]]]],
) -> Entity:
    """Assemble an entity from its visible records: statements in a fixed order, a label."""
    etype = schema.entities.get(type_name)
    order = {name: i for i, name in enumerate(etype.properties)} if etype else {}
    records = sorted(records, key=lambda r: (r[0].provenance.source, r[0].provenance.record))
    statements: list[Statement] = []
    selector = etype.selector if etype else None
    if selector is not None:
        statements.append(
            Statement(
                property=selector.property,
                value=entity_id.partition(":")[2],
                source=None,
                record=None,
                derived=True,
            )
        )
    for ref, properties in records:
        for prop, values in properties.items():
            if selector is not None and prop == selector.property:
                continue
            for value in values:
                statements.append(
                    Statement(
                        property=prop,
                        value=value,
                        source=ref.provenance.source,
                        record=ref.provenance.record,
                        observed_at=ref.provenance.observed_at,
                    )
                )
    statements.sort(
        key=lambda s: (
            order.get(s.property, len(order)),
            s.property,
            not s.derived,
            json.dumps(s.value),
            s.source or "",
            s.record or "",
        )
    )
    return Entity(
        id=entity_id,
        type=type_name,
        label=label_of(entity_id, etype.label if etype else None, statements),
        statements=tuple(statements),
        records=tuple(ref for ref, _ in records),
    )


def unit_problem(
    unit: Assertions,
    stored_type: Callable[[str], str | None],
    link_source: Callable[[str], str | None],
) -> tuple[str | None, str] | None:
    """``(field, reason)`` when the unit cannot be stored, else None.

    ``stored_type`` gives the type an entity id already has in the store (or in the units
    accepted before this one), ``link_source`` the source that owns a link id.
    """
    asserted: dict[str, str] = {}
    for a in unit:
        ends = (
            [(a.entity_id, a.type, "id")]
            if isinstance(a, EntityAssertion)
            else [(a.src.id, a.src.type, "from"), (a.dst.id, a.dst.type, "to")]
        )
        for entity_id, type_name, field in ends:
            existing = asserted.get(entity_id)
            if existing is None:
                existing = stored_type(entity_id)
            if existing is not None and existing != type_name:
                return field, f"entity {entity_id!r} is a {existing}; this record says {type_name}"
            asserted[entity_id] = type_name
        if isinstance(a, LinkAssertion):
            owner = link_source(a.id)
            if owner is not None and owner != a.provenance.source:
                return "id", (
                    f"link id {a.id!r} already belongs to source {owner!r}; "
                    "link ids are unique across sources"
                )
    return None


def name_values(schema: Schema, a: EntityAssertion) -> list[str]:
    """The values of the record's name properties, as name search indexes them."""
    return [
        str(value)
        for prop in schema.entities[a.type].name_properties
        for value in a.properties.get(prop, [])
    ][:NAMES_PER_RECORD]


def selector_candidates(
    schema: Schema, scope: Scope, text: str, types: Sequence[str] | None
) -> dict[str, str]:
    """Entity id -> normalised value, for each selector type ``text`` is a valid value of."""
    candidates: dict[str, str] = {}
    for etype in schema.selector_types:
        if types is not None and etype.name not in types:
            continue
        assert etype.selector is not None
        try:
            value = NORMALIZERS[etype.selector.kind](text, scope.principal.country)
        except ValueError:
            continue
        candidates[etype.selector.entity_id(value)] = value
    return candidates


def store_stats(
    levels: Sequence[str],
    *,
    entities: int,
    links: int,
    records: int,
    entities_by_type: Mapping[str, int],
    links_by_type: Mapping[str, int],
    links_by_source: Mapping[str, int],
    links_by_classification: Mapping[str, int],
    links_by_code: Mapping[str, int],
) -> StoreStats:
    """Counts with their tables sorted by name, classifications by the policy's ``levels``
    (those it no longer lists last)."""

    def by_level(item: tuple[str, int]) -> tuple[int, str]:
        return (levels.index(item[0]) if item[0] in levels else len(levels), item[0])

    return StoreStats(
        entities=entities,
        links=links,
        records=records,
        entities_by_type=dict(sorted(entities_by_type.items())),
        links_by_type=dict(sorted(links_by_type.items())),
        links_by_source=dict(sorted(links_by_source.items())),
        links_by_classification=dict(sorted(links_by_classification.items(), key=by_level)),
        links_by_code=dict(sorted(links_by_code.items())),
    )


def canonical_json(value: Any) -> str:
    """JSON text that is equal exactly when the values are equal (for change detection)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
