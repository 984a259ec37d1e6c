"""The schema as data: entity types, link types and the handling policy, loaded from YAML.

``schema/entities.yaml`` and ``schema/links.yaml`` declare the types; ``schema/handling.yaml``
the classification levels, grading scales, handling codes and caveats. Deployments edit these
files; nothing in the code names a particular type or level. ``Schema.load`` validates the
files and names the file and key of every mistake.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from graphsvc.errors import InvalidInput, InvalidSchema
from graphsvc.model.properties import COERCERS, PROPERTY_TYPES, JSONScalar
from graphsvc.model.selectors import NORMALIZERS
from graphsvc.model.text import did_you_mean, one_of


@dataclass(frozen=True)
class PropertySpec:
    """One typed property of an entity or link type."""

    name: str
    type: str
    multiple: bool = False
    values: tuple[str, ...] | None = None

    def coerce(self, raw: Any, region: str | None = None) -> list[JSONScalar]:
        """Canonical values of ``raw`` (a list only when the property is ``multiple``)."""
        items = raw if isinstance(raw, list) else [raw]
        if isinstance(raw, list) and not self.multiple and len(raw) != 1:
            raise ValueError(f"takes one value, got a list of {len(raw)}")
        coerce = COERCERS[self.type]
        out: list[JSONScalar] = []
        for item in items:
            value = coerce(item, region)
            if self.values is not None and value not in self.values:
                raise ValueError(f"{item!r} is not one of {one_of(self.values)}")
            if value not in out:
                out.append(value)
        return out


@dataclass(frozen=True)
class SelectorSpec:
    """How a selector entity type is identified by its normalised value."""

    kind: str
    property: str
    prefix: str

    def entity_id(self, normalized: str) -> str:
        return f"{self.prefix}:{normalized}"


@dataclass(frozen=True)
class EntityType:
    name: str
    properties: Mapping[str, PropertySpec]
    label: str | None = None
    selector: SelectorSpec | None = None
    identifier: bool = False
    """Something people share that says they are connected when they do (a phone, an account,
    an address): selectors always are; other types say so with ``identifier: true``. Hidden-link
    scoring weighs a shared identifier above an ordinary common neighbour."""

    @cached_property
    def name_properties(self) -> tuple[str, ...]:
        """Properties of type ``name``: the ones name search indexes."""
        return tuple(p.name for p in self.properties.values() if p.type == "name")


@dataclass(frozen=True)
class LinkType:
    name: str
    directed: bool
    from_types: tuple[str, ...]
    to_types: tuple[str, ...]
    properties: Mapping[str, PropertySpec]
    time_property: str | None = None

    def end_types(self, end: str) -> tuple[str, ...]:
        return self.from_types if end == "from" else self.to_types


@dataclass(frozen=True)
class Grade:
    label: str
    weight: float


@dataclass(frozen=True)
class HandlingCode:
    code: str
    meaning: str
    restricts: frozenset[str]


@dataclass(frozen=True)
class HandlingPolicy:
    """Classification levels (ordered), grading scales, handling codes and known caveats."""

    levels: tuple[str, ...]
    grading_name: str
    source_grades: Mapping[str, Grade]
    information_grades: Mapping[str, Grade]
    codes: Mapping[str, HandlingCode]
    caveats: Mapping[str, str]

    def rank(self, level: str) -> int:
        """Position of ``level`` in the order (0 = lowest)."""
        try:
            return self.levels.index(level)
        except ValueError:
            raise InvalidInput(
                f"unknown classification {level!r}; expected {one_of(self.levels)}"
                + did_you_mean(level, self.levels)
            ) from None


RESTRICTION_KINDS = frozenset({"dissemination", "judicial"})


@dataclass(frozen=True)
class Schema:
    """Everything ``schema/`` declares."""

    entities: Mapping[str, EntityType]
    links: Mapping[str, LinkType]
    policy: HandlingPolicy
    directory: Path | None = field(default=None, compare=False)

    @classmethod
    def load(cls, directory: str | os.PathLike[str] | None = None) -> Schema:
        """Load and validate ``entities.yaml``, ``links.yaml`` and ``handling.yaml``."""
        root = Path(directory) if directory is not None else default_schema_dir()
        entities = _load_entities(root / "entities.yaml")
        links = _load_links(root / "links.yaml", entities)
        policy = _load_policy(root / "handling.yaml")
        return cls(entities=entities, links=links, policy=policy, directory=root)

    def entity_type(self, name: str) -> EntityType:
        try:
            return self.entities[name]
        except KeyError:
            raise InvalidInput(
                f"unknown entity type {name!r}" + did_you_mean(name, self.entities)
            ) from None

    def link_type(self, name: str) -> LinkType:
        try:
            return self.links[name]
        except KeyError:
            raise InvalidInput(
                f"unknown link type {name!r}" + did_you_mean(name, self.links)
            ) from None

    @cached_property
    def identifier_types(self) -> frozenset[str]:
        """Entity types whose sharing says two entities are connected (``identifier``)."""
        return frozenset(t.name for t in self.entities.values() if t.identifier)

    def numeric_link_properties(self, types: frozenset[str] | None = None) -> list[str]:
        """The integer and number properties of link ``types`` (all types when ``None``), sorted:
        what a ``SUM`` weighting may add up."""
        return sorted(
            {
                name
                for t in self.links.values()
                if types is None or t.name in types
                for name, spec in t.properties.items()
                if spec.type in ("integer", "number")
            }
        )

    @cached_property
    def selector_types(self) -> tuple[EntityType, ...]:
        return tuple(t for t in self.entities.values() if t.selector is not None)

    @cached_property
    def selector_prefixes(self) -> Mapping[str, EntityType]:
        return {t.selector.prefix: t for t in self.selector_types if t.selector}


def default_schema_dir() -> Path:
    """``$GRAPHSVC_SCHEMA``, else the copy shipped in the wheel, else the checkout's ``schema/``."""
    configured = os.environ.get("GRAPHSVC_SCHEMA")
    if configured:
        return Path(configured)
    packaged = Path(__file__).resolve().parent.parent / "_defaults" / "schema"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent.parent / "schema"


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except FileNotFoundError:
        raise InvalidSchema("file not found", file=str(path)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InvalidSchema(
            f"not valid YAML: {getattr(exc, 'problem', exc)}",
            file=str(path),
            line=mark.line + 1 if mark is not None else None,
        ) from None
    if not isinstance(data, dict):
        raise InvalidSchema("expected a mapping at the top level", file=str(path))
    return data


def _mapping(value: Any, path: Path, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidSchema("expected a mapping", file=str(path), field=key)
    return value


def _known_keys(spec: dict[str, Any], known: set[str], path: Path, where: str) -> None:
    unknown = sorted(set(spec) - known)
    if unknown:
        raise InvalidSchema(
            f"unknown key {unknown[0]!r}; expected some of {sorted(known)}"
            + did_you_mean(unknown[0], known),
            file=str(path),
            field=where,
        )


def _properties(raw: Any, path: Path, key: str) -> dict[str, PropertySpec]:
    specs: dict[str, PropertySpec] = {}
    for name, spec in _mapping(raw or {}, path, key).items():
        where = f"{key}.{name}"
        spec = _mapping(spec, path, where)
        _known_keys(spec, {"type", "multiple", "values", "description"}, path, where)
        kind = spec.get("type")
        if kind not in PROPERTY_TYPES:
            raise InvalidSchema(
                f"type {kind!r} is not one of {one_of(sorted(PROPERTY_TYPES))}",
                file=str(path),
                field=where,
            )
        values = spec.get("values")
        if values is not None and not (
            isinstance(values, list) and all(isinstance(v, str) for v in values)
        ):
            raise InvalidSchema("values must be a list of strings", file=str(path), field=where)
        specs[name] = PropertySpec(
            name=name,
            type=kind,
            multiple=bool(spec.get("multiple", False)),
            values=tuple(values) if values is not None else None,
        )
    return specs


def _load_entities(path: Path) -> dict[str, EntityType]:
    raw = _mapping(_read_yaml(path).get("entities"), path, "entities")
    types: dict[str, EntityType] = {}
    prefixes: set[str] = set()
    for name, spec in raw.items():
        where = f"entities.{name}"
        spec = _mapping(spec, path, where)
        _known_keys(
            spec, {"label", "selector", "identifier", "properties", "description"}, path, where
        )
        shared = spec.get("identifier", False)
        if not isinstance(shared, bool):
            raise InvalidSchema("identifier must be true or false", file=str(path), field=where)
        props = _properties(spec.get("properties"), path, f"{where}.properties")
        label = spec.get("label")
        if label is not None and label not in props:
            raise InvalidSchema(f"label {label!r} is not a property", file=str(path), field=where)
        selector = None
        if "selector" in spec:
            sel = _mapping(spec["selector"], path, f"{where}.selector")
            _known_keys(sel, {"kind", "property", "prefix"}, path, f"{where}.selector")
            kind, prop, prefix = sel.get("kind"), sel.get("property"), sel.get("prefix")
            if kind not in NORMALIZERS:
                raise InvalidSchema(
                    f"selector kind {kind!r} is not one of {one_of(sorted(NORMALIZERS))}",
                    file=str(path),
                    field=f"{where}.selector",
                )
            if prop not in props or props[prop].type != kind:
                raise InvalidSchema(
                    f"selector property {prop!r} must be a property of type {kind}",
                    file=str(path),
                    field=f"{where}.selector",
                )
            if not isinstance(prefix, str) or not prefix.isidentifier() or prefix in prefixes:
                raise InvalidSchema(
                    "selector prefix must be a unique identifier",
                    file=str(path),
                    field=f"{where}.selector",
                )
            prefixes.add(prefix)
            selector = SelectorSpec(kind=kind, property=prop, prefix=prefix)
        types[name] = EntityType(
            name=name,
            properties=props,
            label=label,
            selector=selector,
            identifier=shared or selector is not None,
        )
    if not types:
        raise InvalidSchema("no entity types declared", file=str(path))
    return types


def _type_list(
    value: Any, entities: Mapping[str, EntityType], path: Path, key: str
) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise InvalidSchema("expected a non-empty list of entity types", file=str(path), field=key)
    for item in value:
        if item not in entities:
            raise InvalidSchema(
                f"unknown entity type {item!r}" + did_you_mean(str(item), entities),
                file=str(path),
                field=key,
            )
    return tuple(value)


def _load_links(path: Path, entities: Mapping[str, EntityType]) -> dict[str, LinkType]:
    raw = _mapping(_read_yaml(path).get("links"), path, "links")
    types: dict[str, LinkType] = {}
    for name, spec in raw.items():
        where = f"links.{name}"
        spec = _mapping(spec, path, where)
        _known_keys(
            spec, {"directed", "from", "to", "time", "properties", "description"}, path, where
        )
        props = _properties(spec.get("properties"), path, f"{where}.properties")
        time_property = spec.get("time")
        if time_property is not None and (
            time_property not in props or props[time_property].type not in ("date", "datetime")
        ):
            raise InvalidSchema(
                f"time {time_property!r} must name a date or datetime property",
                file=str(path),
                field=where,
            )
        if not isinstance(spec.get("directed"), bool):
            raise InvalidSchema("directed must be true or false", file=str(path), field=where)
        types[name] = LinkType(
            name=name,
            directed=spec["directed"],
            from_types=_type_list(spec.get("from"), entities, path, f"{where}.from"),
            to_types=_type_list(spec.get("to"), entities, path, f"{where}.to"),
            properties=props,
            time_property=time_property,
        )
    if not types:
        raise InvalidSchema("no link types declared", file=str(path))
    return types


def _grades(raw: Any, path: Path, key: str) -> dict[str, Grade]:
    grades: dict[str, Grade] = {}
    for code, spec in _mapping(raw, path, key).items():
        spec = _mapping(spec, path, f"{key}.{code}")
        weight = spec.get("weight")
        if not isinstance(weight, int | float) or not 0 <= weight <= 1:
            raise InvalidSchema(
                "weight must be within [0, 1]", file=str(path), field=f"{key}.{code}"
            )
        grades[str(code)] = Grade(label=str(spec.get("label", code)), weight=float(weight))
    if not grades:
        raise InvalidSchema("empty grading scale", file=str(path), field=key)
    return grades


def _load_policy(path: Path) -> HandlingPolicy:
    data = _read_yaml(path)
    levels = _mapping(data.get("classification"), path, "classification").get("levels")
    if not isinstance(levels, list) or not levels or len(set(levels)) != len(levels):
        raise InvalidSchema(
            "levels must be a non-empty list of distinct names",
            file=str(path),
            field="classification.levels",
        )
    grading = _mapping(data.get("grading"), path, "grading")
    codes: dict[str, HandlingCode] = {}
    for code, spec in _mapping(data.get("handling_codes"), path, "handling_codes").items():
        where = f"handling_codes.{code}"
        spec = _mapping(spec, path, where)
        restricts = spec.get("restricts", [])
        if not isinstance(restricts, list) or not set(restricts) <= RESTRICTION_KINDS:
            raise InvalidSchema(
                f"restricts must list some of {one_of(sorted(RESTRICTION_KINDS))}",
                file=str(path),
                field=where,
            )
        codes[str(code)] = HandlingCode(
            code=str(code), meaning=str(spec.get("meaning", "")), restricts=frozenset(restricts)
        )
    if not codes:
        raise InvalidSchema("no handling codes declared", file=str(path), field="handling_codes")
    caveats = data.get("caveats") or {}
    if isinstance(caveats, list):
        caveats = {str(c): "" for c in caveats}
    caveats = _mapping(caveats, path, "caveats")
    return HandlingPolicy(
        levels=tuple(str(level) for level in levels),
        grading_name=str(grading.get("name", "grading")),
        source_grades=_grades(grading.get("source"), path, "grading.source"),
        information_grades=_grades(grading.get("information"), path, "grading.information"),
        codes=codes,
        caveats={str(k): str(v or "") for k, v in caveats.items()},
    )
