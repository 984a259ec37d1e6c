"""Normalisation of selectors: the values that identify a phone, mailbox, account or vehicle.

The same selector written differently by two sources must become one node, so each kind has
one canonical form: phone numbers in E.164 (``phonenumbers``, with the source's country as the
default region), e-mail addresses lower-cased, IBANs compacted and checksum-validated
(``schwifty``), vehicle plates upper-cased without separators. Every normaliser raises
``ValueError`` with a sentence saying what was expected. A phone number whose trunk prefix
would stay inside the international form (a national number with a digit missing, ``+33 0
...``) is refused: it would otherwise become a separate, bogus node.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import phonenumbers
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

_PHONE_CHARS = re.compile(r"^\+?[0-9 ().\-/]{4,30}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")
_PLATE_SEPARATORS = re.compile(r"[\s\-.·_/]+")
_PLATE = re.compile(r"^[A-Z0-9]{2,12}$")


@lru_cache(maxsize=262_144)
def normalize_phone(raw: str, region: str | None = None) -> str:
    """Return ``raw`` as an E.164 number, reading national numbers in ``region``."""
    text = raw.strip()
    if not _PHONE_CHARS.match(text):
        raise ValueError(f"{raw!r} is not a phone number (digits, an optional +, separators)")
    try:
        number = phonenumbers.parse(text, region.upper() if region else None)
    except phonenumbers.NumberParseException as exc:
        hint = "" if region or text.startswith("+") else " (no default region: give +<country>)"
        raise ValueError(f"{raw!r} is not a phone number: {exc._msg}{hint}") from None
    # A number the numbering plan lists is fine; one it does not list (sub-ranges allocated
    # after the metadata, test ranges) is kept when it has a possible length, except when a
    # trunk prefix "0" would stay inside the international number.
    if not phonenumbers.is_valid_number(number) and (
        not phonenumbers.is_possible_number(number)
        or (number.italian_leading_zero and not _leading_zero_is_national(number))
    ):
        where = f" in region {region.upper()}" if region and not text.startswith("+") else ""
        raise ValueError(f"{raw!r} is not a valid phone number{where}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _leading_zero_is_national(number: phonenumbers.PhoneNumber) -> bool:
    """Countries (Italy, San Marino, the Vatican) whose numbers really begin with 0."""
    return number.country_code in (39, 378, 379)


def normalize_email(raw: str, region: str | None = None) -> str:
    """Return the address lower-cased, after checking it has a local part and a domain."""
    text = raw.strip().removeprefix("mailto:").lower()
    if not _EMAIL.match(text):
        raise ValueError(f"{raw!r} is not an e-mail address (expected local@domain.tld)")
    return text


@lru_cache(maxsize=262_144)
def normalize_iban(raw: str, region: str | None = None) -> str:
    """Return the IBAN compacted and upper-cased, after validating country format and checksum."""
    try:
        return str(IBAN(raw.strip()).compact)
    except SchwiftyException as exc:
        raise ValueError(f"{raw!r} is not a valid IBAN: {exc}") from None


@lru_cache(maxsize=65_536)
def normalize_bic(raw: str, region: str | None = None) -> str:
    """Return the BIC upper-cased, after validating its structure and country."""
    try:
        return str(BIC(raw.strip()).compact)
    except SchwiftyException as exc:
        raise ValueError(f"{raw!r} is not a valid BIC: {exc}") from None


def normalize_plate(raw: str, region: str | None = None) -> str:
    """Return the plate upper-cased with spaces, dashes and dots removed."""
    text = _PLATE_SEPARATORS.sub("", raw.strip().upper())
    if not _PLATE.match(text):
        raise ValueError(f"{raw!r} is not a vehicle plate (2-12 letters and digits)")
    return text


NORMALIZERS: dict[str, Callable[[str, str | None], str]] = {
    "phone": normalize_phone,
    "email": normalize_email,
    "iban": normalize_iban,
    "bic": normalize_bic,
    "plate": normalize_plate,
}


def looks_like(kind: str, raw: str) -> bool:
    """Cheap test of whether a bare string is meant as a selector of ``kind``.

    Used to read a link end given as a plain string: ``+33 6 12..`` is a phone, ``a@b.fr`` an
    e-mail address, a string with a valid IBAN checksum an account. Plates are too ambiguous
    to guess and are only read as plates where the schema leaves no other choice.
    """
    text = raw.strip()
    if kind == "phone":
        return bool(_PHONE_CHARS.match(text)) and sum(c.isdigit() for c in text) >= 6
    if kind == "email":
        return "@" in text
    if kind == "iban":
        try:
            normalize_iban(text)
        except ValueError:
            return False
        return True
    return False
