"""Property value types: what each type accepts from a source, its canonical form, and what it
refuses (with a sentence saying what was expected)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from graphsvc.model.properties import (
    COERCERS,
    PROPERTY_TYPES,
    epoch_seconds,
    parse_date,
    parse_datetime,
)
from graphsvc.model.schema import PropertySpec

ACCEPTED: dict[str, list[tuple[Any, Any]]] = {
    "string": [
        ("Ivan Petrov", "Ivan Petrov"),
        ("  Ivan \t  Petrov  ", "Ivan Petrov"),
        ("Ştefan Ionescu", "Ştefan Ionescu"),
        (42, "42"),
        (4.5, "4.5"),
    ],
    "text": [
        ("  A note.  ", "A note."),
        ("line one\n\nline  two", "line one\n\nline  two"),  # text keeps its layout
    ],
    "name": [("  Élodie   Martin ", "Élodie Martin"), ("ACME  S.A.", "ACME S.A."), (7, "7")],
    "date": [
        ("1980-02-03", "1980-02-03"),
        (" 1980-02-03 ", "1980-02-03"),
        ("1980", "1980"),  # partial dates are kept as partial
        ("1980-02", "1980-02"),
        (date(1980, 2, 3), "1980-02-03"),
        (datetime(1980, 2, 3, 10, 30), "1980-02-03"),
        ("2024-01-02T10:00:00Z", "2024-01-02"),
        ("2024-02-29", "2024-02-29"),
    ],
    "datetime": [
        ("2024-01-02T10:00:00Z", "2024-01-02T10:00:00Z"),
        ("2024-01-02T10:00:00+00:00", "2024-01-02T10:00:00Z"),
        ("2024-01-02T11:00:00+01:00", "2024-01-02T10:00:00Z"),
        ("2024-07-02T12:00:00+02:00", "2024-07-02T10:00:00Z"),
        ("2024-01-02T05:00:00-05:00", "2024-01-02T10:00:00Z"),
        ("2024-01-01T01:30:00+03:00", "2023-12-31T22:30:00Z"),  # crosses the day and year
        ("2024-01-02T10:00:00", "2024-01-02T10:00:00Z"),  # naive: read as UTC
        ("2024-01-02 10:00:00", "2024-01-02T10:00:00Z"),
        ("2024-01-02T10:00:00.750Z", "2024-01-02T10:00:00Z"),
        ("2024-01-02", "2024-01-02"),  # a bare date stays a date
        ("2024-01", "2024-01"),
        ("2024", "2024"),
        (datetime(2024, 1, 2, 11, 0, tzinfo=timezone(timedelta(hours=1))), "2024-01-02T10:00:00Z"),
        (datetime(2024, 1, 2, 10, 0, tzinfo=ZoneInfo("Europe/Paris")), "2024-01-02T09:00:00Z"),
        (datetime(2024, 7, 2, 10, 0, tzinfo=ZoneInfo("Europe/Bucharest")), "2024-07-02T07:00:00Z"),
        (datetime(2024, 1, 2, 10, 0), "2024-01-02T10:00:00Z"),
        (date(2024, 1, 2), "2024-01-02"),
    ],
    "integer": [
        (120, 120),
        ("120", 120),
        (" 120 ", 120),
        ("+5", 5),
        ("-3", -3),
        ("1 200", 1200),
        ("1\u202f200", 1200),
        (120.0, 120),
        (0, 0),
    ],
    "number": [
        (1.5, 1.5),
        ("1.5", 1.5),
        ("-0.25", -0.25),
        ("1 234.5", 1234.5),
        ("3", 3),
        (2.0, 2),
        (7, 7),
        ("1e3", 1000),
    ],
    "boolean": [
        (True, True),
        (False, False),
        ("true", True),
        ("Yes", True),
        ("oui", True),
        ("ja", True),
        ("1", True),
        ("FALSE", False),
        ("no", False),
        ("non", False),
        ("nein", False),
        ("0", False),
        (1, True),
        (0, False),
    ],
    "country": [("FR", "FR"), ("fr", "FR"), (" be ", "BE"), ("RO", "RO"), ("XK", "XK")],
    "currency": [("EUR", "EUR"), ("eur", "EUR"), (" ron ", "RON")],
    "url": [
        ("https://example.org/a?b=c", "https://example.org/a?b=c"),
        ("HTTP://EXAMPLE.ORG", "HTTP://EXAMPLE.ORG"),
        ("  http://example.org  ", "http://example.org"),
    ],
    "phone": [
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0612345678", "+33612345678"),  # read in the default region (FR below)
        ("0033 6 12 34 56 78", "+33612345678"),
    ],
    "email": [("Ivan.Petrov@Example.COM", "ivan.petrov@example.com")],
    "iban": [("fr76 3000 6000 0112 3456 7890 189", "FR7630006000011234567890189")],
    "bic": [("bnpafrpp", "BNPAFRPP")],
    "plate": [("ab-123-cd", "AB123CD")],
    "ip": [(" 192.0.2.7 ", "192.0.2.7"), ("2001:DB8:0:0:0:0:0:1", "2001:db8::1")],
    "crypto": [
        (
            "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
        ),
        ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"),
    ],
    "iddoc": [("12ab 34567", "12AB34567")],
}

REJECTED: dict[str, list[Any]] = {
    "string": [None, True, [], {}, "", "   "],
    "text": [None, 42, [], "", "  \n "],
    "name": [None, False, ["Ivan"], "", " "],
    "date": [
        None,
        19800203,
        "",
        "03/02/1980",
        "1980-13",
        "1980-02-30",
        "1980-2-3",
        "yesterday",
    ],
    "datetime": [
        None,
        1704189600,
        "",
        "yesterday",
        "2024-01-02T25:00:00Z",
        "2024-13-02T10:00:00Z",
        "02/01/2024 10:00",
        "2024-02-30",
    ],
    "integer": [None, True, 1.5, "1.5", "12a", "", "1,200", "0x10", [1], "9" * 5000],
    "number": [None, True, "", "1,5", "abc", "nan", "inf", "-inf", float("nan"), float("inf"), [1]],
    "boolean": [None, "maybe", "", 2, -1, 0.5, []],
    "country": [None, "", "FRA", "France", "ZZ", "F", 33],
    "currency": [None, "", "EURO", "€", "E1R", "EU"],
    "url": [None, "", "example.org", "ftp://example.org", "http://", "javascript:alert(1)"],
    "phone": [None, True, 6.5, "", "call me", "+33 6 12", ["+33612345678"]],
    "email": [None, 5, "", "ivan", "ivan@example"],
    "iban": [None, 7, "", "FR7630006000011234567890188", "FR76"],
    "bic": [None, "", "BNP", "BNPAZZPP"],
    "plate": [None, 12, "", "-", "A"],
    "ip": [None, 3232235521, "", "192.0.2.256", "010.0.0.1", "example.org"],
    "crypto": [None, "", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", "0x123"],
    "iddoc": [None, 123456789, "", "ABCDEFGH", "12345", "12AB3456789XYZ"],
}


def test_the_cases_cover_every_property_type() -> None:
    assert set(ACCEPTED) == set(PROPERTY_TYPES)
    assert set(REJECTED) == set(PROPERTY_TYPES)
    assert set(COERCERS) == set(PROPERTY_TYPES)


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [(kind, raw, expected) for kind, cases in ACCEPTED.items() for raw, expected in cases],
)
def test_accepted_forms_become_canonical(kind: str, raw: Any, expected: Any) -> None:
    value = COERCERS[kind](raw, "FR")
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("kind", "raw"), [(kind, raw) for kind, cases in REJECTED.items() for raw in cases]
)
def test_rejected_forms_raise_value_error_with_a_sentence(kind: str, raw: Any) -> None:
    with pytest.raises(ValueError) as caught:
        COERCERS[kind](raw, "FR")
    message = str(caught.value)
    assert len(message) > 10, message


def test_canonical_values_are_stable() -> None:
    for kind, cases in ACCEPTED.items():
        for raw, expected in cases:
            assert COERCERS[kind](expected, "FR") == expected, (kind, raw)


def test_messages_say_what_was_expected() -> None:
    with pytest.raises(ValueError, match="ISO date"):
        parse_date("03/02/1980")
    with pytest.raises(ValueError, match="calendar date"):
        parse_date("1980-02-30")
    with pytest.raises(ValueError, match="date-time"):
        parse_datetime("tomorrow at noon")
    with pytest.raises(ValueError, match="dot for decimals"):
        COERCERS["number"]("1,5", None)
    with pytest.raises(ValueError, match="integer"):
        COERCERS["integer"]("12a", None)
    with pytest.raises(ValueError, match="country code"):
        COERCERS["country"]("France", None)
    with pytest.raises(ValueError, match="currency"):
        COERCERS["currency"]("EURO", None)
    with pytest.raises(ValueError, match="boolean"):
        COERCERS["boolean"]("maybe", None)


def test_phone_properties_use_the_default_region() -> None:
    coerce = COERCERS["phone"]
    assert coerce("0470 12 34 56", "BE") == "+32470123456"
    assert coerce("0721 234 567", "RO") == "+40721234567"
    with pytest.raises(ValueError):
        coerce("0470 12 34 56", None)


# -- date-times at the edges of the calendar ------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0005-01-01T00:00:00Z", "0005-01-01T00:00:00Z"),
        ("0999-12-31T23:59:59Z", "0999-12-31T23:59:59Z"),
        ("1000-06-15T12:00:00+02:00", "1000-06-15T10:00:00Z"),
        (datetime(900, 1, 1, tzinfo=UTC), "0900-01-01T00:00:00Z"),
    ],
)
def test_early_years_keep_four_digits(raw: Any, expected: str) -> None:
    value = parse_datetime(raw)
    assert value == expected
    assert epoch_seconds(value) == int(
        datetime.fromisoformat(expected.replace("Z", "+00:00")).timestamp()
    )


@pytest.mark.parametrize(
    "raw", ["0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00", "0001-01-01T00:00:00+14:00"]
)
def test_date_times_that_leave_the_calendar_in_utc_are_rejected(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_datetime(raw)


def test_epoch_seconds_of_canonical_values() -> None:
    assert epoch_seconds("1970-01-01T00:00:00Z") == 0
    assert epoch_seconds("2024-01-02T10:00:00Z") == 1704189600
    assert epoch_seconds("1970-01-02") == 86400
    assert epoch_seconds("1971") == 365 * 86400
    assert epoch_seconds("1970-02") == 31 * 86400
    assert epoch_seconds(parse_datetime("2024-01-02T11:00:00+01:00")) == 1704189600


# -- PropertySpec: multiple values and closed vocabularies ----------------------------------------


def test_a_multiple_property_takes_a_list_and_drops_duplicates_in_order() -> None:
    spec = PropertySpec(name="aliases", type="name", multiple=True)
    assert spec.coerce(["Vanya", " Ivan  P. ", "Vanya", "Ivan P."]) == ["Vanya", "Ivan P."]
    assert spec.coerce("Vanya") == ["Vanya"]


def test_a_multiple_property_checks_every_value() -> None:
    spec = PropertySpec(name="nationality", type="country", multiple=True)
    assert spec.coerce(["fr", "RO", "FR"]) == ["FR", "RO"]
    with pytest.raises(ValueError, match="country"):
        spec.coerce(["FR", "Narnia"])


def test_a_single_property_refuses_several_values() -> None:
    spec = PropertySpec(name="birthDate", type="date")
    assert spec.coerce(["1980-02-03"]) == ["1980-02-03"]
    with pytest.raises(ValueError, match="one value"):
        spec.coerce(["1980-02-03", "1981-01-01"])


def test_a_closed_vocabulary_names_the_allowed_values() -> None:
    spec = PropertySpec(name="gender", type="string", values=("female", "male", "other", "unknown"))
    assert spec.coerce("female") == ["female"]
    with pytest.raises(ValueError) as caught:
        spec.coerce("robot")
    message = str(caught.value)
    assert "'robot'" in message
    for option in ("female", "male", "other", "unknown"):
        assert option in message


def test_a_phone_property_is_normalised_with_the_region() -> None:
    spec = PropertySpec(name="number", type="phone")
    assert spec.coerce("06 12 34 56 78", "FR") == ["+33612345678"]
    several = PropertySpec(name="numbers", type="phone", multiple=True)
    assert several.coerce(["0033612345678", "+33 6 12 34 56 78"], "BE") == ["+33612345678"]
