"""The ``where`` conditions of a query: which fields entities and links have, what each
comparison means, and how a condition is evaluated over many entities or links at once.

Fields the view holds as arrays (an entity's id, type and degree; a link's type, ends, date,
confidence) are compared without reading anything from the store. The others (properties,
provenance, grading, handling) are read for the candidates only, after the cheap parts of a
conjunction have narrowed them.

Semantics, the same on every backend:

- a property may hold several values: a comparison holds when one of them satisfies it, and
  ``!=`` holds when none equals the value (so ``not name = "x"`` and ``name != "x"`` agree);
  a missing property satisfies only ``!=``;
- ``~`` is a fuzzy match: the value's words each appear in the text, ignoring case and
  accents, as a substring or within one typo (two for words of eight letters or more);
- a date compared with a date-time covers its whole day (``date <= 2024-03-01`` includes the
  evening of March 1st), as time-window arguments of the API do;
- classifications compare in the policy's order (``classification <= RESTRICTED``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt
from rapidfuzz.distance import Levenshtein

from graphsvc.model.properties import COERCERS, epoch_seconds, parse_datetime
from graphsvc.model.text import fold, tokens
from graphsvc.store.protocol import time_bound

BoolArray = npt.NDArray[np.bool_]
Kind = Literal["string", "number", "instant", "boolean", "level", "symbol"]
Operator = Literal["=", "!=", "<", "<=", ">", ">=", "~", "in"]
ORDERED: frozenset[str] = frozenset({"<", "<=", ">", ">="})


@dataclass(frozen=True)
class Field:
    """Something a condition can test. ``column`` names an array the rows hold for every
    candidate; otherwise ``read`` takes the values from a materialised entity or link."""

    name: str
    kind: Kind
    column: str | None = None
    read: Callable[[Any], list[Any]] | None = None
    coerce: Callable[[Any], Any] | None = None  # a property's own normalisation of a value

    @property
    def cheap(self) -> bool:
        return self.column is not None


class Rows(Protocol):
    """The candidates a condition is evaluated over."""

    @property
    def size(self) -> int: ...

    def array(self, column: str) -> npt.NDArray[Any]: ...

    def values(self, read: Callable[[Any], list[Any]]) -> list[list[Any]]: ...

    def narrowed(self, keep: BoolArray) -> Rows: ...


# -- compiled conditions -------------------------------------------------------------------------


class Condition:
    cheap: bool

    def evaluate(self, rows: Rows) -> BoolArray:
        raise NotImplementedError


@dataclass
class Comparison(Condition):
    field: Field
    operator: Operator
    value: Any  # a bound value: scalar, or a list for `in`
    levels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.cheap = self.field.cheap
        self._test = _test(self.field.kind, self.operator, self.value, self.levels)

    def evaluate(self, rows: Rows) -> BoolArray:
        if rows.size == 0:
            return np.zeros(0, dtype=bool)
        negate = self.operator == "!="
        if self.field.column is not None:
            column = rows.array(self.field.column)
            fast = _vectorised(self.field.kind, self.operator, self.value, column)
            if fast is not None:
                return fast
            hits = np.fromiter((self._test(v) for v in column.tolist()), bool, rows.size)
            return ~hits if negate else hits
        assert self.field.read is not None
        values = rows.values(self.field.read)
        hits = np.fromiter((any(self._test(v) for v in vs) for vs in values), bool, rows.size)
        return ~hits if negate else hits


@dataclass
class AllOf(Condition):
    items: list[Condition]

    def __post_init__(self) -> None:
        self.cheap = all(i.cheap for i in self.items)
        # the cheap tests first: they narrow the candidates the others must read
        self.items = sorted(self.items, key=lambda i: not i.cheap)

    def evaluate(self, rows: Rows) -> BoolArray:
        result = np.ones(rows.size, dtype=bool)
        current, where = rows, np.arange(rows.size)
        for item in self.items:
            hit = item.evaluate(current)
            result[where[~hit]] = False
            if not hit.all():
                current, where = current.narrowed(hit), where[hit]
            if where.size == 0:
                break
        return result


@dataclass
class AnyOf(Condition):
    items: list[Condition]

    def __post_init__(self) -> None:
        self.cheap = all(i.cheap for i in self.items)

    def evaluate(self, rows: Rows) -> BoolArray:
        result = np.zeros(rows.size, dtype=bool)
        for item in self.items:
            open_ = ~result
            if not open_.any():
                break
            result[np.flatnonzero(open_)[item.evaluate(rows.narrowed(open_))]] = True
        return result


@dataclass
class NoneOf(Condition):
    item: Condition

    def __post_init__(self) -> None:
        self.cheap = self.item.cheap

    def evaluate(self, rows: Rows) -> BoolArray:
        return ~self.item.evaluate(rows)


# -- one comparison ------------------------------------------------------------------------------


def instant_range(value: Any) -> tuple[float, float]:
    """The first and last second of a date, date-time (one second) or epoch number."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value), float(value)
    canonical = parse_datetime(value)
    start = float(epoch_seconds(canonical))
    end = time_bound(canonical, "value", end=True)
    return start, float(end if end is not None else start)


def _instant(value: Any) -> float | None:
    """Epoch seconds of a stored date or date-time (a date at its start); None if unreadable."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return None if isinstance(value, float) and math.isnan(value) else float(value)
    try:
        return float(epoch_seconds(parse_datetime(value)))
    except (ValueError, TypeError):
        return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return None if isinstance(value, float) and math.isnan(value) else float(value)


def fuzzy(needle: str) -> Callable[[Any], bool]:
    """``text ~ needle``: each word of the needle is in the text, as a substring or within
    a typo or two of one of its words; case and accents ignored."""
    folded = fold(needle)
    words = tokens(needle)

    def test(value: Any) -> bool:
        if not isinstance(value, str):
            value = str(value)
        text = fold(value)
        if folded in text:
            return True
        if not words:
            return False
        candidates = tokens(value)
        for word in words:
            allowed = 0 if len(word) < 4 else (1 if len(word) < 8 else 2)
            if word in text:
                continue
            if allowed == 0 or not any(
                Levenshtein.distance(word, c, score_cutoff=allowed) <= allowed for c in candidates
            ):
                return False
        return True

    return test


def _compare(operator: str, left: Any, right: Any) -> bool:
    try:
        if operator == "<":
            return bool(left < right)
        if operator == "<=":
            return bool(left <= right)
        if operator == ">":
            return bool(left > right)
        if operator == ">=":
            return bool(left >= right)
    except TypeError:
        return False
    return bool(left == right)


def _test(kind: Kind, operator: str, value: Any, levels: Sequence[str]) -> Callable[[Any], bool]:
    """A test of one stored value. ``!=`` is tested as ``=`` and negated by the caller."""
    if operator == "in":
        members = [_test(kind, "=", v, levels) for v in value]
        return lambda x: any(t(x) for t in members)
    if operator == "~":
        return fuzzy(str(value))
    op = "=" if operator == "!=" else operator
    if kind == "number":
        target = float(value)
        return lambda x: (n := _number(x)) is not None and _compare_number(op, n, target, target)
    if kind == "instant":
        low, high = instant_range(value)
        return lambda x: (t := _instant(x)) is not None and _compare_number(op, t, low, high)
    if kind == "level":
        rank = list(levels).index(value)
        return lambda x: x in levels and _compare(op, list(levels).index(x), rank)
    if kind == "boolean":
        return lambda x: isinstance(x, bool) and _compare(op, x, value)
    return lambda x: _compare(op, x, value)


def _compare_number(operator: str, x: float, low: float, high: float) -> bool:
    """``x`` against the range ``[low, high]`` (a single number has ``low == high``)."""
    if operator == "=":
        return low <= x <= high
    if operator == "<":
        return x < low
    if operator == "<=":
        return x <= high
    if operator == ">":
        return x > high
    return x >= low


def _vectorised(
    kind: Kind, operator: str, value: Any, column: npt.NDArray[Any]
) -> BoolArray | None:
    """Numeric comparisons over a whole array column at once (NaN never matches)."""
    if kind not in ("number", "instant") or operator in ("~", "in"):
        return None
    data = column.astype(np.float64)
    if kind == "number":
        low = high = float(value)
    else:
        low, high = instant_range(value)
    with np.errstate(invalid="ignore"):
        if operator in ("=", "!="):
            hit = (data >= low) & (data <= high)
            return ~hit if operator == "!=" else hit
        if operator == "<":
            return data < low
        if operator == "<=":
            return data <= high
        if operator == ">":
            return data > high
        return data >= low


def property_coercer(kind: str) -> Callable[[Any], Any]:
    """The schema's normalisation of a value compared with a property of type ``kind``
    (phone numbers, IBANs, countries... read the way ingestion stores them)."""
    coerce = COERCERS[kind]
    return lambda value: coerce(value, None)
