"""CSV mappings: how the columns of a tabular source become entities, links and their fields.

A mapping is YAML, in the spirit of FollowTheMoney mappings::

    source: {name: cdr-fr, country: FR, handling: {...}, grading: {...}}
    csv: {delimiter: ";"}
    timezone: Europe/Paris          # naive date-times in this file are local to it
    record: "{call_id}"             # the row's id in its source (default: digest of the row)
    entities:
      caller: {type: Phone, id: "{caller}"}
      callee: {type: Phone, id: "{callee}"}
    links:
      - type: CALLED
        from: caller
        to: callee
        properties:
          date: {column: start, format: "%d/%m/%Y %H:%M:%S"}
          durationSeconds: "{duration}"

Values are written as a literal (``H2``), a template naming columns (``"{first} {last}"``) or
an object (``{column, template, format, split, map, default}``). ``when: {column, equals | in |
not_in}`` reads an entity or link only from matching rows (one CDR file with calls and texts);
``csv: {decimal: ","}`` reads ``1 234,56`` as a number. A row becomes one unit: its
entity records and links are stored together or not at all. The whole mapping is checked
against the schema when loaded, and its columns against the file's header before any row is
read, so a mistake is reported once, where it is written.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from graphsvc.errors import InvalidInput, InvalidMapping
from graphsvc.ingest.sources import SourceConfig, SourceRegistry, parse_source
from graphsvc.model.records import GradingIn, HandlingIn, ProvenanceIn
from graphsvc.model.schema import PropertySpec, Schema
from graphsvc.model.text import collapse_spaces, did_you_mean, one_of

_OVERRIDABLE = {
    "provenance": set(ProvenanceIn.model_fields) - {"source", "record"},
    "grading": set(GradingIn.model_fields),
    "handling": set(HandlingIn.model_fields),
}
_LIST_FIELDS = {"releasableTo", "caveats"}
CSV_OPTIONS = ("delimiter", "quotechar", "encoding", "decimal")


@dataclass(frozen=True)
class ValueSpec:
    """One value of a row: a literal, a column or a template, then optional transformations."""

    literal: Any = None
    template: str | None = None
    columns: tuple[str, ...] = ()
    format: str | None = None
    split: str | None = None
    mapping: dict[str, Any] | None = None
    default: Any = None

    def evaluate(self, row: dict[str, str], *, strict: bool = False) -> Any:
        """The value for ``row``, or None when absent.

        A template is absent when all its columns are empty, or, when ``strict`` (ids), when
        any of them is.
        """
        if self.template is None:
            return self.literal
        values = {c: row.get(c, "").strip() for c in self.columns}
        empty = [c for c, v in values.items() if not v]
        if (strict and empty) or (self.columns and len(empty) == len(self.columns)):
            text = ""
        elif self.columns and self.template == "{" + self.columns[0] + "}":
            text = values[self.columns[0]]  # one column as it is: text keeps its line breaks
        else:
            text = collapse_spaces(self.template.format_map(values))
        if not text:
            return self.default
        if self.mapping is not None:
            text = self.mapping.get(text, text)
            if text is None or text == "":
                return self.default
        if not isinstance(text, str):
            return text
        items: list[str] = [s.strip() for s in text.split(self.split)] if self.split else [text]
        items = [s for s in items if s]
        if self.format is not None:
            items = [_strptime(s, self.format) for s in items]
        if self.split:
            return items
        return items[0] if items else self.default


_TIME_DIRECTIVES = re.compile(r"%[HIMSfpXcTRzZ]")


def _strptime(text: str, fmt: str) -> str:
    """ISO text of ``text`` read with ``fmt``: a date when the format has no time of day."""
    try:
        moment = datetime.strptime(text, fmt)
    except ValueError:
        raise InvalidInput(f"{text!r} does not match the date format {fmt!r}") from None
    if not _TIME_DIRECTIVES.search(fmt):
        return moment.date().isoformat()
    return moment.isoformat()


def _template_columns(template: str, file: str, where: str) -> tuple[str, ...]:
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise InvalidMapping(f"bad template {template!r}: {exc}", file=file, field=where) from None
    columns = []
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name or spec or conversion:
            raise InvalidMapping(
                f"bad template {template!r}: write {{column}} with a column name",
                file=file,
                field=where,
            )
        columns.append(name)
    return tuple(dict.fromkeys(columns))


def parse_value(raw: Any, file: str, where: str) -> ValueSpec:
    if isinstance(raw, str):
        if "{" in raw or "}" in raw:
            return ValueSpec(template=raw, columns=_template_columns(raw, file, where))
        return ValueSpec(literal=raw)
    if isinstance(raw, bool | int | float) or raw is None:
        return ValueSpec(literal=raw)
    if isinstance(raw, list):
        return ValueSpec(literal=list(raw))
    if isinstance(raw, dict):
        unknown = set(raw) - {"column", "template", "format", "split", "map", "default"}
        if unknown:
            raise InvalidMapping(
                f"unknown keys {sorted(unknown)}; a value takes column, template, format, "
                "split, map, default",
                file=file,
                field=where,
            )
        if ("column" in raw) == ("template" in raw):
            raise InvalidMapping(
                "give exactly one of 'column' or 'template'", file=file, field=where
            )
        template = "{" + str(raw["column"]) + "}" if "column" in raw else str(raw["template"])
        mapping = raw.get("map")
        if mapping is not None and not isinstance(mapping, dict):
            raise InvalidMapping(
                "'map' must be a mapping of value -> value", file=file, field=where
            )
        return ValueSpec(
            template=template,
            columns=_template_columns(template, file, where),
            format=raw.get("format"),
            split=raw.get("split"),
            mapping={str(k): v for k, v in mapping.items()} if mapping else None,
            default=raw.get("default"),
        )
    raise InvalidMapping(f"unsupported value {raw!r}", file=file, field=where)


@dataclass(frozen=True)
class Overrides:
    """Per-row provenance, grading or handling fields."""

    fields: dict[str, dict[str, ValueSpec]] = field(default_factory=dict)

    def apply(self, record: dict[str, Any], row: dict[str, str], decimal: str = ".") -> None:
        for part, values in self.fields.items():
            target = record.setdefault(part, {})
            for name, spec in values.items():
                value = spec.evaluate(row)
                if value is None:
                    continue
                if name == "confidence" and decimal == "," and spec.template is not None:
                    try:
                        value = _number_text(value)
                    except InvalidInput as exc:
                        raise InvalidInput(exc.message, field=f"{part}.{name}") from None
                if name in _LIST_FIELDS and isinstance(value, str):
                    value = [v.strip() for v in value.split(",") if v.strip()]
                target[name] = value

    def columns(self) -> set[str]:
        return {
            c for values in self.fields.values() for spec in values.values() for c in spec.columns
        }


def _overrides(spec: dict[str, Any], file: str, where: str) -> Overrides:
    fields: dict[str, dict[str, ValueSpec]] = {}
    for part, allowed in _OVERRIDABLE.items():
        raw = spec.get(part)
        if raw is None:
            continue
        if not isinstance(raw, dict):
            raise InvalidMapping(
                "expected a mapping of field -> value", file=file, field=f"{where}.{part}"
            )
        for name in raw:
            if name not in allowed:
                raise InvalidMapping(
                    f"unknown field {name!r}; expected {one_of(sorted(allowed))}"
                    + did_you_mean(name, allowed),
                    file=file,
                    field=f"{where}.{part}",
                )
        fields[part] = {
            name: parse_value(v, file, f"{where}.{part}.{name}") for name, v in raw.items()
        }
    return Overrides(fields)


@dataclass(frozen=True)
class Condition:
    """``when: {column: kind, equals: sms}`` (or ``in: [...]``, ``not_in: [...]``): the entity
    or link is only read from rows whose column matches."""

    column: str
    accepted: frozenset[str] | None = None
    refused: frozenset[str] = frozenset()

    def holds(self, row: dict[str, str]) -> bool:
        value = row.get(self.column, "").strip()
        if self.accepted is not None and value not in self.accepted:
            return False
        return value not in self.refused


def _condition(raw: Any, file: str, where: str) -> Condition | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or "column" not in raw or len(set(raw) - {"column"}) != 1:
        raise InvalidMapping(
            "when takes a column and one of equals, in, not_in", file=file, field=where
        )
    test = (set(raw) - {"column"}).pop()
    if test not in ("equals", "in", "not_in"):
        raise InvalidMapping(
            f"unknown test {test!r}; expected equals, in or not_in", file=file, field=where
        )
    values = raw[test] if isinstance(raw[test], list) else [raw[test]]
    if test != "equals" and not isinstance(raw[test], list):
        raise InvalidMapping(f"'{test}' takes a list of values", file=file, field=where)
    for value in values:
        if not isinstance(value, str):
            raise InvalidMapping(
                f"{value!r} is not text; quote it as the CSV writes it (YAML reads 01 as a "
                "number and yes as a boolean)",
                file=file,
                field=where,
            )
    texts = frozenset(values)
    if test == "not_in":
        return Condition(column=str(raw["column"]), refused=texts)
    return Condition(column=str(raw["column"]), accepted=texts)


@dataclass(frozen=True)
class EntityMapping:
    name: str
    type: str
    id: ValueSpec
    properties: dict[str, ValueSpec]
    property_types: dict[str, str]
    optional: bool
    overrides: Overrides
    selector_property: str | None
    when: Condition | None = None

    @property
    def where(self) -> str:
        return f"entities.{self.name}"


@dataclass(frozen=True)
class LinkMapping:
    where: str
    type: str
    id: ValueSpec | None
    default_id: str
    source: str
    target: str
    properties: dict[str, ValueSpec]
    property_types: dict[str, str]
    overrides: Overrides
    when: Condition | None = None


def _compile_source(spec: Any, schema: Schema, registry: SourceRegistry, file: str) -> SourceConfig:
    if not isinstance(spec, str):
        return parse_source(spec, schema, file, "source")
    source = registry.get(spec)
    if source is None:
        raise InvalidMapping(
            f"source {spec!r} is not defined in the sources file"
            + did_you_mean(spec, registry.sources),
            file=file,
            field="source",
        )
    return source


def _timezone(name: Any, file: str) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidMapping(f"unknown time zone {name!r}", file=file, field="timezone") from None


def _item(spec: Any, allowed: set[str], file: str, where: str) -> dict[str, Any]:
    if not isinstance(spec, dict):
        raise InvalidMapping("expected a mapping", file=file, field=where)
    bad = set(spec) - allowed - {"type", "id", "properties", "when", *_OVERRIDABLE}
    if bad:
        raise InvalidMapping(f"unknown keys {sorted(bad)}", file=file, field=where)
    return spec


def _compile_entity(name: str, spec: Any, schema: Schema, file: str) -> EntityMapping:
    where = f"entities.{name}"
    spec = _item(spec, {"optional"}, file, where)
    type_name = str(spec.get("type"))
    etype = schema.entities.get(type_name)
    if etype is None:
        raise InvalidMapping(
            f"unknown entity type {type_name!r}" + did_you_mean(type_name, schema.entities),
            file=file,
            field=f"{where}.type",
        )
    if "id" not in spec:
        raise InvalidMapping("missing: the entity's id (or selector value)", file=file, field=where)
    return EntityMapping(
        name=name,
        type=type_name,
        id=parse_value(spec["id"], file, f"{where}.id"),
        properties=_properties(spec.get("properties"), etype.properties, type_name, file, where),
        property_types={p: ps.type for p, ps in etype.properties.items()},
        optional=bool(spec.get("optional", False)),
        overrides=_overrides(spec, file, where),
        selector_property=etype.selector.property if etype.selector else None,
        when=_condition(spec.get("when"), file, f"{where}.when"),
    )


def _compile_link(
    index: int, spec: Any, schema: Schema, entities: dict[str, EntityMapping], file: str
) -> LinkMapping:
    where = f"links[{index}]"
    spec = _item(spec, {"from", "to"}, file, where)
    type_name = str(spec.get("type"))
    ltype = schema.links.get(type_name)
    if ltype is None:
        raise InvalidMapping(
            f"unknown link type {type_name!r}" + did_you_mean(type_name, schema.links),
            file=file,
            field=f"{where}.type",
        )
    ends = []
    for end in ("from", "to"):
        ref = spec.get(end)
        if ref not in entities:
            raise InvalidMapping(
                f"{ref!r} is not one of the entities of this mapping ({one_of(sorted(entities))})",
                file=file,
                field=f"{where}.{end}",
            )
        if entities[ref].type not in ltype.end_types(end):
            raise InvalidMapping(
                f"{type_name} does not allow a {entities[ref].type} at '{end}'; "
                f"expected {one_of(ltype.end_types(end))}",
                file=file,
                field=f"{where}.{end}",
            )
        ends.append(str(ref))
    return LinkMapping(
        where=where,
        type=type_name,
        id=parse_value(spec["id"], file, f"{where}.id") if "id" in spec else None,
        default_id=f"{type_name}:{ends[0]}-{ends[1]}",
        source=ends[0],
        target=ends[1],
        properties=_properties(spec.get("properties"), ltype.properties, type_name, file, where),
        property_types={p: ps.type for p, ps in ltype.properties.items()},
        overrides=_overrides(spec, file, where),
        when=_condition(spec.get("when"), file, f"{where}.when"),
    )


@dataclass
class Mapping:
    """A compiled CSV mapping."""

    file: str
    source: SourceConfig
    entities: dict[str, EntityMapping]
    links: list[LinkMapping]
    record: ValueSpec | None
    overrides: Overrides
    delimiter: str = ","
    quotechar: str = '"'
    encoding: str = "utf-8"
    decimal: str = "."
    timezone: ZoneInfo | None = None

    @classmethod
    def load(cls, path: str | Path, schema: Schema, registry: SourceRegistry) -> Mapping:
        file = str(path)
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InvalidMapping("mapping file not found", file=file) from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise InvalidMapping(
                f"not valid YAML: {getattr(exc, 'problem', exc)}",
                file=file,
                line=mark.line + 1 if mark is not None else None,
            ) from None
        if not isinstance(data, dict):
            raise InvalidMapping("expected a mapping at the top level", file=file)
        return cls.compile(data, schema, registry, file)

    @classmethod
    def compile(
        cls, data: dict[str, Any], schema: Schema, registry: SourceRegistry, file: str
    ) -> Mapping:
        known = {"source", "csv", "timezone", "record", "entities", "links", *_OVERRIDABLE}
        unknown = set(data) - known
        if unknown:
            raise InvalidMapping(
                f"unknown keys {sorted(unknown)}; expected some of {sorted(known)}", file=file
            )
        csv_options = data.get("csv") or {}
        if not isinstance(csv_options, dict) or set(csv_options) - set(CSV_OPTIONS):
            raise InvalidMapping(
                "csv takes delimiter, quotechar, encoding and decimal", file=file, field="csv"
            )
        raw_entities = data.get("entities") or {}
        if not isinstance(raw_entities, dict) or not raw_entities:
            raise InvalidMapping(
                "expected a mapping of name -> entity", file=file, field="entities"
            )
        entities = {
            name: _compile_entity(str(name), spec, schema, file)
            for name, spec in raw_entities.items()
        }
        raw_links = data.get("links") or []
        if not isinstance(raw_links, list):
            raise InvalidMapping("expected a list of links", file=file, field="links")
        links = [
            _compile_link(index, spec, schema, entities, file)
            for index, spec in enumerate(raw_links)
        ]
        unnamed = [lm.default_id for lm in links if lm.id is None]
        if len(unnamed) != len(set(unnamed)):
            raise InvalidMapping(
                "two links of the same type between the same entities need explicit ids",
                file=file,
                field="links",
            )
        return cls(
            file=file,
            source=_compile_source(data.get("source"), schema, registry, file),
            entities=entities,
            links=links,
            record=parse_value(data["record"], file, "record") if "record" in data else None,
            overrides=_overrides(data, file, "(top level)"),
            delimiter=str(csv_options.get("delimiter", ",")),
            quotechar=str(csv_options.get("quotechar", '"')),
            encoding=str(csv_options.get("encoding", "utf-8")),
            decimal=_decimal(csv_options.get("decimal", "."), file),
            timezone=_timezone(data.get("timezone"), file),
        )

    # -- rows ------------------------------------------------------------------------------------

    def columns(self) -> dict[str, set[str]]:
        """Each column the mapping reads, with where it is read."""
        used: dict[str, set[str]] = {}

        def note(spec: ValueSpec | None, where: str) -> None:
            for column in spec.columns if spec else ():
                used.setdefault(column, set()).add(where)

        note(self.record, "record")
        for column in self.overrides.columns():
            used.setdefault(column, set()).add("(top level)")
        items: list[EntityMapping | LinkMapping] = [*self.entities.values(), *self.links]
        for item in items:
            if item.when is not None:
                used.setdefault(item.when.column, set()).add(f"{item.where}.when")
            note(item.id, f"{item.where}.id")
            for prop, spec in item.properties.items():
                note(spec, f"{item.where}.properties.{prop}")
            for column in item.overrides.columns():
                used.setdefault(column, set()).add(item.where)
        return used

    def check_header(self, header: list[str], data_file: str) -> None:
        present = set(header)
        for column, places in sorted(self.columns().items()):
            if column not in present:
                raise InvalidMapping(
                    f"{sorted(places)[0]} reads column {column!r}, which {data_file} does not have"
                    + did_you_mean(column, header)
                    + f" (columns: {', '.join(header)})",
                    file=self.file,
                )

    def rows_to_records(self, row: dict[str, str], default_record: str) -> list[dict[str, Any]]:
        """The native records one row asserts (raises ``InvalidInput`` naming the field)."""
        record_id = default_record
        if self.record is not None:
            value = _evaluate(self.record, row, "record", strict=True)
            if value in (None, ""):
                raise InvalidInput(
                    f"empty: reads {_describe(self.record)}, the row's id in its source",
                    field="record",
                )
            record_id = str(value)
        base_provenance = {"source": self.source.name, "record": record_id}

        present: dict[str, tuple[str, Any, dict[str, Any]]] = {}
        for name, em in self.entities.items():
            if em.when is not None and not em.when.holds(row):
                continue
            value = _evaluate(em.id, row, f"{em.where}.id", strict=True)
            if value in (None, ""):
                if em.optional:
                    continue
                raise InvalidInput(
                    f"empty: reads {_describe(em.id)}; "
                    "mark the entity optional if it may be absent",
                    field=f"{em.where}.id",
                )
            props = self._properties(em, row)
            present[name] = (em.type, str(value), props)

        read_links = [
            lm
            for lm in self.links
            if (lm.when is None or lm.when.holds(row))
            and lm.source in present
            and lm.target in present
        ]
        used_as_end = {lm.source for lm in read_links} | {lm.target for lm in read_links}
        records: list[dict[str, Any]] = []
        for name, (etype, value, props) in present.items():
            em = self.entities[name]
            if not props and name in used_as_end:
                continue  # asserted by the links of this row that end on it
            if em.selector_property and em.selector_property not in props:
                props = {**props, em.selector_property: value}
            record: dict[str, Any] = {
                "kind": "entity",
                "type": etype,
                "properties": props,
                "provenance": dict(base_provenance),
            }
            if not em.selector_property:
                record["id"] = value
            self.overrides.apply(record, row, self.decimal)
            em.overrides.apply(record, row, self.decimal)
            records.append(record)

        for lm in read_links:
            link_id = _evaluate(lm.id, row, f"{lm.where}.id", strict=True) if lm.id else None
            record = {
                "kind": "link",
                "id": str(link_id)
                if link_id
                else f"{self.source.name}:{record_id}:{lm.default_id}",
                "type": lm.type,
                "from": self._end(present[lm.source], lm.source),
                "to": self._end(present[lm.target], lm.target),
                "properties": self._properties(lm, row),
                "provenance": dict(base_provenance),
            }
            self.overrides.apply(record, row, self.decimal)
            lm.overrides.apply(record, row, self.decimal)
            records.append(record)
        return records

    def _end(self, entity: tuple[str, Any, dict[str, Any]], name: str) -> dict[str, Any]:
        etype, value, _ = entity
        if self.entities[name].selector_property:
            return {"type": etype, "value": value}
        return {"type": etype, "id": value}

    def _properties(self, item: EntityMapping | LinkMapping, row: dict[str, str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        where = item.where
        for prop, spec in item.properties.items():
            value = _evaluate(spec, row, f"{where}.properties.{prop}")
            if value is None or value == [] or value == "":
                continue
            kind = item.property_types.get(prop)
            if self.timezone is not None and kind == "datetime":
                value = _localize(value, self.timezone)
            elif self.decimal == "," and kind in ("number", "integer"):
                try:
                    value = _number_text(value)
                except InvalidInput as exc:
                    raise InvalidInput(exc.message, field=f"{where}.properties.{prop}") from None
            out[prop] = value
        return out


def _decimal(value: Any, file: str) -> str:
    if value not in (".", ","):
        raise InvalidMapping("decimal is '.' or ','", file=file, field="csv.decimal")
    return str(value)


_COMMA_NUMBER = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$")


def _number_text(value: Any) -> Any:
    """``1 234,56`` or ``1.234,56`` -> ``1234.56``, for files that write decimal commas.

    A dot is only a thousands separator between groups of three digits; ``50.4363`` in a
    decimal-comma file is an error, never silently 504363.
    """
    if isinstance(value, list):
        return [_number_text(v) for v in value]
    if not isinstance(value, str):
        return value
    text = value.strip().replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
    if not _COMMA_NUMBER.match(text):
        raise InvalidInput(f"{value!r} is not a number written with a decimal comma (1 234,56)")
    return text.replace(".", "").replace(",", ".")


def _properties(raw: Any, specs: Any, owner: str, file: str, where: str) -> dict[str, ValueSpec]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InvalidMapping(
            "expected a mapping of property -> value", file=file, field=f"{where}.properties"
        )
    out = {}
    for prop, value in raw.items():
        if prop not in specs:
            raise InvalidMapping(
                f"{owner} has no property {prop!r}" + did_you_mean(prop, specs),
                file=file,
                field=f"{where}.properties",
            )
        spec: PropertySpec = specs[prop]
        out[prop] = parse_value(value, file, f"{where}.properties.{prop}")
        if out[prop].split and not spec.multiple:
            raise InvalidMapping(
                f"{owner}.{prop} takes one value; 'split' needs a multiple property",
                file=file,
                field=f"{where}.properties.{prop}",
            )
    return out


def _evaluate(spec: ValueSpec, row: dict[str, str], where: str, *, strict: bool = False) -> Any:
    try:
        return spec.evaluate(row, strict=strict)
    except InvalidInput as exc:
        raise InvalidInput(f"{exc.message} (reads {_describe(spec)})", field=where) from None


def _describe(spec: ValueSpec) -> str:
    if len(spec.columns) == 1:
        return f"column {spec.columns[0]!r}"
    if spec.columns:
        return "columns " + ", ".join(repr(c) for c in spec.columns)
    return "a literal"


def _localize(value: Any, zone: ZoneInfo) -> Any:
    """Attach the mapping's time zone to naive ISO date-times (dates stay dates)."""
    if isinstance(value, list):
        return [_localize(v, zone) for v in value]
    if not isinstance(value, str) or ("T" not in value and " " not in value):
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value  # left for the schema's check to report
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.isoformat()
