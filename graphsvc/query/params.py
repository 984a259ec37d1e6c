"""Query parameters: their declared types, and the values a run passes, checked before anything
executes.

A query declares ``param name: type [= default]`` (types: ``string``, ``integer``,
``number``, ``boolean``, ``date``, ``datetime``, and ``list of`` any of them). A run passes
values as JSON (GraphQL) or as text (``--param name=value`` on the command line, read by the
declared type). A required parameter that is missing, a value of the wrong type and a
parameter the query does not declare are refused, naming the parameter.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphsvc.errors import InvalidQuery
from graphsvc.model.properties import parse_datetime
from graphsvc.model.text import did_you_mean, one_of
from graphsvc.query import ast
from graphsvc.query.parser import located

TYPES = ("string", "integer", "number", "boolean", "date", "datetime")
MAX_LIST = 1_000


@dataclass(frozen=True)
class Parameter:
    """A declared parameter. ``default`` is already of the declared type."""

    name: str
    type: str
    list: bool = False
    default: Any = None
    required: bool = True

    @property
    def type_name(self) -> str:
        return f"list of {self.type}" if self.list else self.type

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type_name,
            "required": self.required,
            "default": self.default,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Parameter:
        type_name = str(data["type"])
        is_list = type_name.startswith("list of ")
        return cls(
            name=str(data["name"]),
            type=type_name.removeprefix("list of "),
            list=is_list,
            default=data.get("default"),
            required=bool(data.get("required", data.get("default") is None)),
        )


def declared(query: ast.Query, text: str) -> list[Parameter]:
    """The parameters ``query`` declares, their defaults checked against their types."""
    out = []
    for d in query.declarations:
        if d.type.value not in TYPES:
            raise located(
                text,
                d.type.line,
                d.type.column,
                f"unknown parameter type {d.type.value}; expected {one_of(TYPES)}"
                + did_you_mean(d.type.value, TYPES),
            )
        default = None
        if d.default is not None:
            raw = literal(d.default, text)
            try:
                default = coerce(d.type.value, d.list, raw)
            except ValueError as exc:
                raise located(
                    text, d.default.line, d.default.column, f"default of ${d.name}: {exc}"
                ) from None
        out.append(
            Parameter(
                name=d.name,
                type=d.type.value,
                list=d.list,
                default=default,
                required=d.default is None,
            )
        )
    return out


def literal(value: ast.Value, text: str) -> Any:
    """The Python value of a literal (parameters are not allowed here)."""
    if isinstance(value, ast.Param):
        raise located(text, value.line, value.column, "a default cannot be a parameter")
    if isinstance(value, ast.ListValue):
        return [literal(item, text) for item in value.items]
    return value.value


def coerce(type_: str, is_list: bool, value: Any) -> Any:
    """``value`` (from JSON) as a value of the declared type; ``ValueError`` saying why not."""
    if is_list:
        if not isinstance(value, list):
            raise ValueError(f"expected a list of {type_}, got {_kind(value)}")
        if len(value) > MAX_LIST:
            raise ValueError(f"at most {MAX_LIST:,} items, got {len(value):,}")
        return [coerce(type_, False, item) for item in value]
    if type_ == "string":
        if not isinstance(value, str):
            raise ValueError(f"expected a string, got {_kind(value)}")
        return value
    if type_ == "integer":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"expected an integer, got {_kind(value)}")
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(f"expected an integer, got {value}")
        return int(value)
    if type_ == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"expected a number, got {_kind(value)}")
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("expected a finite number")
        return value
    if type_ == "boolean":
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {_kind(value)}")
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO {type_}, got {_kind(value)}")
    canonical = parse_datetime(value)
    if type_ == "datetime" and "T" not in canonical:
        raise ValueError(f"expected an ISO date-time (YYYY-MM-DDTHH:MM:SSZ), got {value!r}")
    if type_ == "date" and "T" in canonical:
        raise ValueError(f"expected an ISO date (YYYY-MM-DD), got {value!r}")
    return canonical


def from_text(type_: str | None, is_list: bool, raw: str) -> Any:
    """A value typed on the command line, read by its declared type (``None``: guessed)."""
    if type_ is None:
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    if is_list:
        stripped = raw.strip()
        if stripped.startswith("["):
            try:
                items = json.loads(stripped)
            except ValueError:
                raise ValueError(f"{raw!r} is not a JSON list") from None
            return coerce(type_, True, items)
        return [from_text(type_, False, part.strip()) for part in raw.split(",") if part.strip()]
    text = raw.strip()
    if type_ == "integer":
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"expected an integer, got {raw!r}") from None
    if type_ == "number":
        try:
            return coerce(
                "number", False, float(text) if "." in text or "e" in text.lower() else int(text)
            )
        except ValueError:
            raise ValueError(f"expected a number, got {raw!r}") from None
    if type_ == "boolean":
        lowered = text.lower()
        if lowered in ("true", "yes", "1"):
            return True
        if lowered in ("false", "no", "0"):
            return False
        raise ValueError(f"expected true or false, got {raw!r}")
    return coerce(type_, False, raw if type_ == "string" else text)


def bind(
    query: ast.Query,
    text: str,
    given: Mapping[str, Any] | None,
    *,
    declared_only: bool = False,
) -> dict[str, Any]:
    """The value of every parameter the pipeline uses, from ``given`` and the defaults.

    A query that declares parameters (and every saved query: ``declared_only``) accepts only
    those; an ad-hoc query without declarations takes its parameters as given.
    """
    given = dict(given or {})
    params = declared(query, text)
    by_name = {p.name: p for p in params}
    strict = declared_only or bool(params)
    values: dict[str, Any] = {}
    for name, value in given.items():
        spec = by_name.get(name)
        if spec is None:
            if strict:
                known = ", ".join(f"${p}" for p in by_name) or "none"
                raise InvalidQuery(
                    f"unknown parameter ${name}; the query declares {known}"
                    + did_you_mean(name, by_name),
                    field=f"params.{name}",
                )
            values[name] = _untyped(name, value)
            continue
        try:
            values[name] = coerce(spec.type, spec.list, value)
        except ValueError as exc:
            raise InvalidQuery(
                f"${name} ({spec.type_name}): {exc}", field=f"params.{name}"
            ) from None
    for spec in params:
        if spec.name not in values:
            if spec.required:
                raise InvalidQuery(
                    f"${spec.name} ({spec.type_name}) is required", field=f"params.{spec.name}"
                )
            values[spec.name] = spec.default
    for used in query.parameters_used():
        if used.name not in values:
            hint = "declare it with `param`" if strict else "pass it"
            raise located(
                text,
                used.line,
                used.column,
                f"parameter ${used.name} is not given: {hint}" + did_you_mean(used.name, values),
            )
    return values


def _untyped(name: str, value: Any) -> Any:
    if isinstance(value, list):
        if len(value) > MAX_LIST:
            raise InvalidQuery(f"${name}: at most {MAX_LIST:,} items", field=f"params.{name}")
        if any(isinstance(v, list | dict) for v in value):
            raise InvalidQuery(f"${name}: a list of plain values only", field=f"params.{name}")
        return value
    if isinstance(value, dict) or value is None:
        raise InvalidQuery(
            f"${name}: expected a string, number, boolean or list, got {_kind(value)}",
            field=f"params.{name}",
        )
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}" if len(value) < 40 else "a string"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"
