"""Property value types: how a raw value from a source becomes its canonical, JSON-ready form.

Each schema property has one of these types. ``coerce`` accepts what sources realistically
send (numbers as strings, dates as date objects, ``+33 6 ..`` phone numbers) and returns the
canonical value, or raises ``ValueError`` with a sentence saying what was expected.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import phonenumbers

from graphsvc.model.selectors import NORMALIZERS
from graphsvc.model.text import collapse_spaces

JSONScalar = str | int | float | bool

COUNTRIES: frozenset[str] = frozenset(phonenumbers.SUPPORTED_REGIONS) | {"XK", "EU"}
_PARTIAL_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)
_TRUE = {"true", "yes", "y", "1", "oui", "ja"}
_FALSE = {"false", "no", "n", "0", "non", "nein"}


def _string(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"expected a string, got {type(value).__name__}")
    text = collapse_spaces(str(value))
    if not text:
        raise ValueError("expected a non-empty string")
    return text


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {type(value).__name__}")
    text = value.strip()
    if not text:
        raise ValueError("expected non-empty text")
    return text


def parse_date(value: Any) -> str:
    """A calendar date as ``YYYY-MM-DD``; partial dates ``YYYY`` and ``YYYY-MM`` are kept."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO date YYYY-MM-DD, got {type(value).__name__}")
    text = value.strip()
    if _PARTIAL_DATE.match(text):
        try:
            date.fromisoformat(text if len(text) == 10 else (text + "-01-01")[:10])
        except ValueError:
            raise ValueError(f"{value!r} is not a calendar date") from None
        return text
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO date (expected YYYY-MM-DD)") from None


def parse_datetime(value: Any) -> str:
    """An instant as ``YYYY-MM-DDTHH:MM:SSZ`` in UTC; naive times are read as UTC.

    A bare date stays a date (``YYYY-MM-DD``): a source that only knows the day should not be
    made to look more precise than it is.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return value.isoformat()
    elif isinstance(value, str):
        text = value.strip()
        if _PARTIAL_DATE.match(text):
            return parse_date(text)
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                f"{value!r} is not an ISO date-time (expected YYYY-MM-DDTHH:MM:SSZ)"
            ) from None
    else:
        raise ValueError(f"expected an ISO date-time, got {type(value).__name__}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{value!r} falls outside the calendar once converted to UTC") from None
    return utc.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def epoch_seconds(value: str) -> int:
    """Seconds since 1970 for a canonical date or date-time (partial dates at their start)."""
    if "T" in value:
        return int(datetime.fromisoformat(value).timestamp())  # canonical values end in Z
    padded = value if len(value) == 10 else (value + "-01-01")[:10]
    return int(datetime.fromisoformat(padded).replace(tzinfo=UTC).timestamp())


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("expected an integer, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip().replace("\u202f", "").replace(" ", "")
        if re.fullmatch(r"[+-]?\d+", text):
            return int(text)
    raise ValueError(f"{value!r} is not an integer")


def _number(value: Any) -> float | int:
    if isinstance(value, bool):
        raise ValueError("expected a number, got a boolean")
    if isinstance(value, int | float):
        number: float | int = value
    elif isinstance(value, str):
        text = value.strip().replace("\u202f", "").replace(" ", "")
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{value!r} is not a number (use a dot for decimals)") from None
    else:
        raise ValueError(f"expected a number, got {type(value).__name__}")
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"{value!r} is not a finite number")
    if isinstance(number, float) and number.is_integer() and abs(number) < 2**53:
        return int(number)
    return number


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise ValueError(f"{value!r} is not a boolean (true/false)")


def _country(value: Any) -> str:
    text = _string(value).upper()
    if text not in COUNTRIES:
        raise ValueError(f"{value!r} is not an ISO 3166 alpha-2 country code")
    return text


def _currency(value: Any) -> str:
    text = _string(value).upper()
    if not _CURRENCY.match(text):
        raise ValueError(f"{value!r} is not an ISO 4217 currency code (three letters)")
    return text


def _url(value: Any) -> str:
    text = _string(value)
    if not _URL.match(text):
        raise ValueError(f"{value!r} is not an http(s) URL")
    return text


Coercer = Callable[[Any, str | None], JSONScalar]


def _selector(kind: str) -> Coercer:
    normalize = NORMALIZERS[kind]

    def coerce(value: Any, region: str | None) -> JSONScalar:
        if isinstance(value, int) and not isinstance(value, bool) and kind == "phone":
            value = str(value)
        if not isinstance(value, str):
            raise ValueError(f"expected a {kind} as a string, got {type(value).__name__}")
        return normalize(value, region)

    return coerce


def _plain(function: Callable[[Any], JSONScalar]) -> Coercer:
    return lambda value, region: function(value)


COERCERS: dict[str, Coercer] = {
    "string": _plain(_string),
    "text": _plain(_text),
    "name": _plain(_string),
    "date": _plain(parse_date),
    "datetime": _plain(parse_datetime),
    "integer": _plain(_integer),
    "number": _plain(_number),
    "boolean": _plain(_boolean),
    "country": _plain(_country),
    "currency": _plain(_currency),
    "url": _plain(_url),
    **{kind: _selector(kind) for kind in NORMALIZERS},
}

PROPERTY_TYPES = frozenset(COERCERS)
