"""FollowTheMoney entities, one JSON object per line (for Aleph, OpenSanctions tooling, ``ftm``).

The mapping between graphsvc types and FtM schemata, the id encoding and the marking are
data in ``graphsvc/ingest/ftm.py`` (the reader of these files uses the same tables; see its
docstring for the full table). In short:

- the first line is the handling banner, an FtM ``Note`` named ``Handling banner`` with the
  banner text in ``description`` and its fields as JSON in ``summary``; its id is
  ``graphsvc-banner-<export id>``, which the reader recognises and skips;
- each entity is one fragment per visible record asserting it (the same id on several
  lines, as FtM tools expect of fragments they merge), with ``publisher`` = the record's
  source and, in ``summary``, its marking: a human marking and a JSON of provenance, grading,
  handling and the values FtM has no property for. An entity only links assert is one
  fragment marked so;
- each link is one FtM interval entity (Ownership, Payment, Call, UnknownLink...) carrying
  its own marking;
- ids FtM refuses (``ocrteh:PER-0001``, ``phone:+33612345678``) are written
  ``gsid-<escaped id>`` (``gsid-ocrteh-3aPER-2d0001``) and decoded on import;
- values are written the way FtM keeps them when it cleans them: country codes in lower case,
  date-times without the ``Z`` (FtM would cut a ``...T14:20:39Z`` to the minute; a naive time
  reads back as UTC), phone numbers only where FtM's validation accepts them (the phone node
  keeps its number in its id either way; a call between numbers FtM refuses is an
  UnknownLink).

Hidden-link candidates are analysis, not records: they have no provenance or handling and
are left out. So are communities, ranks and centrality scores, which FtM has no place for.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

import phonenumbers

from graphsvc.export.banner import Banner
from graphsvc.export.graph import ExportGraph
from graphsvc.export.xmltext import clean
from graphsvc.ingest.ftm import (
    BANNER_MARKING,
    ENTITY_FORMS,
    FTM_VALUES,
    LINK_FORMS,
    LINKS_ONLY,
    VALUE_ENDS,
    EntityForm,
    LinkForm,
    banner_id,
    encode_id,
    fallback_form,
    marking_text,
)
from graphsvc.model.graph import Entity, Link, RecordRef, Statement
from graphsvc.model.properties import JSONScalar
from graphsvc.model.schema import PropertySpec, Schema

FtmEntity = dict[str, Any]


def write(graph: ExportGraph, banner: Banner, schema: Schema) -> bytes:
    writer = _Writer(graph, schema)
    lines = [banner_entity(banner)]
    for node in graph.nodes:
        lines.extend(writer.entity(node.entity))
    lines.extend(writer.link(link) for link in graph.links)
    text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    # json.dumps escapes control characters; clean() drops what is left that UTF-8 or the
    # other formats cannot carry (lone surrogates, U+FFFE, U+FFFF)
    return clean(text).encode("utf-8")


def banner_entity(banner: Banner) -> FtmEntity:
    return {
        "id": banner_id(banner.export_id),
        "schema": "Note",
        "properties": {
            "name": ["Handling banner"],
            "description": ["\n".join(banner.lines())],
            "summary": [
                f"{banner.marking} — {BANNER_MARKING}"
                + json.dumps(banner.to_dict(), ensure_ascii=False, sort_keys=True)
            ],
            "publisher": ["graphsvc"],
        },
    }


class _Writer:
    def __init__(self, graph: ExportGraph, schema: Schema) -> None:
        self.schema = schema
        self.ids: dict[str, tuple[str, bool]] = {
            n.entity.id: encode_id(n.entity.id) for n in graph.nodes
        }
        self.kinds = {n.entity.id: _kind(n.entity) for n in graph.nodes}
        self._taken = {ftm_id for ftm_id, _ in self.ids.values()}

    # -- entities -------------------------------------------------------------------------------

    def entity(self, entity: Entity) -> list[FtmEntity]:
        ftm_id, hashed = self.ids[entity.id]
        derived: list[Statement] = []
        by_record: dict[tuple[str | None, str | None], list[Statement]] = {}
        for s in entity.statements:
            (derived if s.derived else by_record.setdefault((s.source, s.record), [])).append(s)
        out: list[FtmEntity] = []
        for record in entity.records:
            p = record.provenance
            own = by_record.get((p.source, p.record), [])
            out.append(self._fragment(entity, ftm_id, hashed, derived + own, record))
        if not out:
            out.append(self._fragment(entity, ftm_id, hashed, derived, None))
        return out

    def _fragment(
        self,
        entity: Entity,
        ftm_id: str,
        hashed: bool,
        statements: list[Statement],
        record: RecordRef | None,
    ) -> FtmEntity:
        etype = self.schema.entities[entity.type]
        values: dict[str, list[JSONScalar]] = {}
        for statement in statements:
            bucket = values.setdefault(statement.property, [])
            if statement.value not in bucket:
                bucket.append(statement.value)
        form = _entity_form(entity.type, values)
        properties: dict[str, list[str]] = {}
        extra: dict[str, list[JSONScalar]] = {}
        for name, found in values.items():
            if name in form.implies:
                continue
            _put(properties, extra, name, found, form.properties.get(name), etype.properties)
        selector = etype.selector
        if selector is not None:
            # the value that identifies a selector is its id's: FtM readers get it on every
            # fragment, and it is never "extra" (the id carries it back)
            extra.pop(selector.property, None)
            value = entity.id.partition(":")[2]
            for ftm_prop, ours in form.copies.items():
                if ours == selector.property:
                    _add(properties, ftm_prop, value)
        for ftm_prop, value in form.fixed.items():
            _add(properties, ftm_prop, value)
        if form.keyword:
            _add(properties, "keywords", form.keyword)
        payload: dict[str, Any]
        if record is None:
            payload = {"assertedBy": LINKS_ONLY}
        else:
            payload = _record_payload(record)
            _add(properties, "publisher", record.provenance.source)
        if extra:
            payload["properties"] = _plain(extra, etype.properties)
        if hashed:
            payload["id"] = entity.id
        _add(properties, "summary", marking_text(payload))
        return {"id": ftm_id, "schema": form.schema, "properties": properties}

    # -- links ----------------------------------------------------------------------------------

    def link(self, link: Link) -> FtmEntity:
        ltype = self.schema.links[link.type]
        ftm_id, hashed = encode_id(link.id)
        if ftm_id in self._taken:  # an entity has the same id: FtM has one namespace
            ftm_id, hashed = encode_id(link.id, salt="link")
        form = self._link_form(link)
        properties: dict[str, list[str]] = {}
        for end, mapping in ((link.source_id, form.source), (link.target_id, form.target)):
            prop = mapping.get(self.kinds[end]) or mapping["*"]
            if prop in VALUE_ENDS:
                _add(properties, prop, end.partition(":")[2])
            else:
                _add(properties, prop, self.ids[end][0])
        extra: dict[str, list[JSONScalar]] = {}
        role: str | None = None
        for name, value in link.properties.items():
            found = value if isinstance(value, list) else [value]
            target = form.properties.get(name)
            if form.role_names_type and target == "role":
                role = "; ".join(str(v) for v in found)
                continue
            _put(properties, extra, name, found, target, ltype.properties)
        if form.role_names_type:
            _add(properties, "role", f"{link.type}: {role}" if role else link.type)
        for ftm_prop, fixed in form.fixed.items():
            _add(properties, ftm_prop, fixed)
        payload = _record_payload(link)
        if extra:
            payload["properties"] = _plain(extra, ltype.properties)
        if hashed:
            payload["id"] = link.id
        _add(properties, "publisher", link.provenance.source)
        _add(properties, "summary", marking_text(payload))
        return {"id": ftm_id, "schema": form.schema, "properties": properties}

    def _link_form(self, link: Link) -> LinkForm:
        """The first form of the link's type its two ends fit, else the UnknownLink."""
        for form in LINK_FORMS:
            if form.type != link.type or not form.write:
                continue
            if self._fits(form.source, link.source_id) and self._fits(form.target, link.target_id):
                return form
        return fallback_form(self.schema.links[link.type])

    def _fits(self, mapping: Mapping[str, str], end: str) -> bool:
        prop = mapping.get(self.kinds[end]) or mapping.get("*")
        if prop is None:
            return False
        return prop not in VALUE_ENDS or _ftm_phone(end.partition(":")[2])


def _kind(entity: Entity) -> str:
    """What an end is for the link forms: its type, or ``Company`` for an Organization some
    visible record says is a company (FtM merges its fragments into a Company)."""
    if entity.type == "Organization" and any(
        s.property == "kind" and s.value == "company" for s in entity.statements
    ):
        return "Company"
    return entity.type


def _entity_form(etype: str, values: Mapping[str, list[JSONScalar]]) -> EntityForm:
    for form in ENTITY_FORMS:
        if (
            form.type == etype
            and form.write
            and all(values.get(k) == [v] for k, v in form.implies.items())
        ):
            return form
    raise ValueError(f"no FtM form for entity type {etype}")  # tests hold every type has one


def _record_payload(record: RecordRef | Link) -> dict[str, Any]:
    provenance = record.provenance.to_dict()
    provenance.pop("ingestedAt", None)  # loading the file is a new ingestion
    payload: dict[str, Any] = {"provenance": provenance, "handling": record.handling.to_dict()}
    if record.grading is not None:
        payload["grading"] = record.grading.to_dict()
    return payload


def _put(
    properties: dict[str, list[str]],
    extra: dict[str, list[JSONScalar]],
    name: str,
    values: list[Any],
    target: str | None,
    specs: Mapping[str, PropertySpec],
) -> None:
    """Write our values to the FtM property ``target``, or keep them for the marking where FtM
    has no property for them or would not keep them as they are."""
    spec = specs.get(name)
    for value in values:
        text = _ftm_value(value, spec, target)
        if text is None:
            extra.setdefault(name, []).append(value)
        else:
            assert target is not None
            _add(properties, target, text)


def _ftm_value(value: Any, spec: PropertySpec | None, target: str | None) -> str | None:
    if target is None or spec is None or isinstance(value, bool):
        return None
    text = str(value)
    if spec.type == "country":
        return text.lower()
    if spec.type == "datetime" and "T" in text:
        return text.removesuffix("Z")
    if spec.type == "phone" and not _ftm_phone(text):
        return None
    allowed = FTM_VALUES.get(target)
    if allowed is not None and text not in allowed:
        return None
    return text


@functools.lru_cache(maxsize=65_536)  # the same numbers recur in every link touching them
def _ftm_phone(number: str) -> bool:
    """Whether FtM keeps this number (its phone type keeps only numbers valid in the
    numbering plan; graphsvc also accepts possible ones)."""
    try:
        return bool(phonenumbers.is_valid_number(phonenumbers.parse(number, None)))
    except phonenumbers.NumberParseException:
        return False


def _plain(extra: dict[str, list[JSONScalar]], specs: Mapping[str, PropertySpec]) -> dict[str, Any]:
    """The values as a native record gives them: a list only for a ``multiple`` property."""
    out: dict[str, Any] = {}
    for name, values in extra.items():
        spec = specs.get(name)
        out[name] = values if (spec is not None and spec.multiple) or len(values) > 1 else values[0]
    return out


def _add(properties: dict[str, list[str]], prop: str, value: str) -> None:
    bucket = properties.setdefault(prop, [])
    if value not in bucket:
        bucket.append(value)
