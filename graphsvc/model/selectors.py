"""Normalisation of selectors: the values that identify a phone, mailbox, account or vehicle.

The same selector written differently by two sources must become one node, so each kind has
one canonical form: phone numbers in E.164 (``phonenumbers``, with the source's country as the
default region), e-mail addresses lower-cased, IBANs compacted and checksum-validated
(``schwifty``), vehicle plates upper-cased without separators, IP addresses as Python's
``ipaddress`` writes them (IPv6 compressed, lower case), cryptocurrency addresses after their
checksum (base58check kept as written, bech32 and Ethereum lower-cased), identity-document
numbers upper-cased without spaces or dashes. Every normaliser raises ``ValueError`` with a
sentence saying what was expected. A phone number whose trunk prefix
would stay inside the international form (a national number with a digit missing, ``+33 0
...``) is refused: it would otherwise become a separate, bogus node.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Callable, Sequence
from functools import lru_cache

import phonenumbers
from Crypto.Hash import keccak
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

_PHONE_CHARS = re.compile(r"^\+?[0-9 ().\-/]{4,30}$")
_SPACES = re.compile(r"\s+")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")
_PLATE_SEPARATORS = re.compile(r"[\s\-.·_/]+")
_PLATE = re.compile(r"^[A-Z0-9]{2,12}$")
_IDDOC_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015]+")
_IDDOC = re.compile(r"^[A-Z0-9]{6,12}$")


@lru_cache(maxsize=262_144)
def normalize_phone(raw: str, region: str | None = None) -> str:
    """Return ``raw`` as an E.164 number, reading national numbers in ``region``.

    Any white space (no-break spaces of word processors and PDFs) separates like a space."""
    text = _SPACES.sub(" ", raw).strip()
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


def normalize_ip(raw: str, region: str | None = None) -> str:
    """Return an IPv4 or IPv6 address as ``ipaddress`` writes it (IPv6 compressed, lower case).

    Octets with leading zeros (``010.1.1.1``: octal or decimal?) are refused, as ``ipaddress``
    refuses them.
    """
    try:
        return str(ipaddress.ip_address(raw.strip()))
    except ValueError:
        raise ValueError(
            f"{raw!r} is not an IP address (expected IPv4 like 192.0.2.1 or IPv6 like 2001:db8::1)"
        ) from None


# -- cryptocurrency addresses --------------------------------------------------------------------

_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58_INDEX = {char: index for index, char in enumerate(_BASE58)}
# base58check version byte -> currency (P2PKH/P2SH; a Litecoin "3..." address is Bitcoin's)
_BASE58_VERSIONS = {0x00: "BTC", 0x05: "BTC", 0x30: "LTC", 0x32: "LTC", 0x41: "TRX"}
_BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_BECH32_CONST = 1
_BECH32M_CONST = 0x2BC830A3
_SEGWIT_HRPS = {"bc": "BTC", "ltc": "LTC"}
_ETHEREUM = re.compile(r"^0[xX][0-9a-fA-F]{40}$")


def _base58check(text: str) -> bytes | None:
    """The payload (version byte and data) of a base58check string, or None when the string is
    not base58 or its double-SHA-256 checksum does not match."""
    number = 0
    for char in text:
        digit = _BASE58_INDEX.get(char)
        if digit is None:
            return None
        number = number * 58 + digit
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    data = b"\x00" * (len(text) - len(text.lstrip("1"))) + body
    if len(data) < 5:
        return None
    payload, checksum = data[:-4], data[-4:]
    if hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] != checksum:
        return None
    return payload


def _bech32_polymod(values: Sequence[int]) -> int:
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for bit, generator in enumerate(_BECH32_GENERATOR):
            if (top >> bit) & 1:
                check ^= generator
    return check


def _convert_bits(data: Sequence[int], from_bits: int, to_bits: int) -> list[int] | None:
    """Regroup ``from_bits``-bit groups into ``to_bits``-bit ones, without padding (BIP-173)."""
    accumulator = bits = 0
    out: list[int] = []
    top = (1 << to_bits) - 1
    for value in data:
        accumulator = ((accumulator << from_bits) | value) & ((1 << (from_bits + to_bits - 1)) - 1)
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((accumulator >> bits) & top)
    if bits >= from_bits or (accumulator << (to_bits - bits)) & top:
        return None
    return out


def _segwit(text: str) -> tuple[str, str] | None:
    """``(address lower-cased, currency)`` of a valid segwit address (BIP-173 bech32 for
    witness version 0, BIP-350 bech32m for versions 1-16), else None. Reference algorithm."""
    if text.lower() != text and text.upper() != text:
        return None  # mixed case is refused by BIP-173
    address = text.lower()
    separator = address.rfind("1")
    if separator < 1 or separator + 7 > len(address) or len(address) > 90:
        return None
    hrp, rest = address[:separator], address[separator + 1 :]
    currency = _SEGWIT_HRPS.get(hrp)
    if currency is None or any(char not in _BECH32_CHARSET for char in rest):
        return None
    data = [_BECH32_CHARSET.index(char) for char in rest]
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    const = _bech32_polymod(expanded + data)
    if const not in (_BECH32_CONST, _BECH32M_CONST) or len(data) < 7:
        return None
    version, words = data[0], data[1:-6]
    program = _convert_bits(words, 5, 8)
    if version > 16 or program is None or not 2 <= len(program) <= 40:
        return None
    if version == 0 and len(program) not in (20, 32):
        return None
    if (version == 0) != (const == _BECH32_CONST):
        return None  # version 0 is bech32, later versions bech32m
    return address, currency


def _keccak256(data: bytes) -> bytes:
    digest: bytes = keccak.new(digest_bits=256, data=data).digest()
    return digest


def _ethereum(text: str) -> str | None:
    """The address lower-cased, or None when its mixed case breaks the EIP-55 checksum."""
    if not _ETHEREUM.match(text):
        return None
    digits = text[2:]
    lower = digits.lower()
    if digits != lower and digits != digits.upper():
        hashed = _keccak256(lower.encode("ascii")).hex()
        for char, nibble in zip(digits, hashed[:40], strict=True):
            if char.isalpha() and char.isupper() != (int(nibble, 16) >= 8):
                return None
    return "0x" + lower


@lru_cache(maxsize=65_536)
def _crypto(raw: str) -> tuple[str, str]:
    text = raw.strip()
    if text[:2] in ("0x", "0X"):
        value = _ethereum(text)
        if value is None:
            raise ValueError(
                f"{raw!r} is not an Ethereum address (0x and 40 hex digits; mixed case must "
                "match its EIP-55 checksum)"
            )
        return value, "ETH"
    if text.lower().startswith(tuple(hrp + "1" for hrp in _SEGWIT_HRPS)):
        segwit = _segwit(text)
        if segwit is None:
            raise ValueError(
                f"{raw!r} is not a valid segwit address (bc1.../ltc1... with a bech32 or "
                "bech32m checksum)"
            )
        return segwit
    if 25 <= len(text) <= 35:
        payload = _base58check(text)
        if payload is not None and len(payload) == 21 and payload[0] in _BASE58_VERSIONS:
            return text, _BASE58_VERSIONS[payload[0]]
    raise ValueError(
        f"{raw!r} is not a cryptocurrency address (expected a Bitcoin, Litecoin or Tron "
        "base58check address, a bc1/ltc1 segwit address or an Ethereum 0x address, with a "
        "valid checksum)"
    )


def normalize_crypto(raw: str, region: str | None = None) -> str:
    """Return a cryptocurrency address in canonical form, after checking its checksum.

    Bitcoin legacy (``1...``, ``3...``), Litecoin (``L...``, ``M...``) and Tron (``T...``)
    base58check addresses are kept as written (base58 is case-sensitive); Bitcoin and Litecoin
    segwit addresses (``bc1...``, ``ltc1...``: bech32 or bech32m) are lower-cased; Ethereum
    addresses (``0x`` and 40 hex digits) are lower-cased, after checking the EIP-55 checksum
    when written in mixed case (all-lower and all-upper addresses carry none).
    """
    return _crypto(raw)[0]


def crypto_currency(value: str) -> str:
    """``BTC``, ``ETH``, ``LTC`` or ``TRX``: the currency of a cryptocurrency address (raises
    ``ValueError`` as ``normalize_crypto`` does when it is not one)."""
    return _crypto(value)[1]


def normalize_iddoc(raw: str, region: str | None = None) -> str:
    """Return an identity-document number (passport, identity card...) upper-cased without
    spaces or dashes, after checking it is 6-12 letters and digits with at least two digits."""
    text = _IDDOC_SEPARATORS.sub("", raw.strip().upper())
    if not _IDDOC.match(text) or sum(c.isdigit() for c in text) < 2:
        raise ValueError(
            f"{raw!r} is not an identity-document number (6-12 letters and digits, at least "
            "two of them digits)"
        )
    return text


NORMALIZERS: dict[str, Callable[[str, str | None], str]] = {
    "phone": normalize_phone,
    "email": normalize_email,
    "iban": normalize_iban,
    "bic": normalize_bic,
    "plate": normalize_plate,
    "ip": normalize_ip,
    "crypto": normalize_crypto,
    "iddoc": normalize_iddoc,
}


def looks_like(kind: str, raw: str) -> bool:
    """Cheap test of whether a bare string is meant as a selector of ``kind``.

    Used to read a link end given as a plain string: ``+33 6 12..`` is a phone, ``a@b.fr`` an
    e-mail address, a string with a valid IBAN checksum an account. Plates are too ambiguous
    to guess and are only read as plates where the schema leaves no other choice; so are
    identity-document numbers. IP addresses and checksum-valid cryptocurrency addresses are
    unambiguous.
    """
    text = raw.strip()
    if kind == "phone":
        return bool(_PHONE_CHARS.match(text)) and sum(c.isdigit() for c in text) >= 6
    if kind == "email":
        return "@" in text
    if kind in ("iban", "ip", "crypto"):
        try:
            NORMALIZERS[kind](text, None)
        except ValueError:
            return False
        return True
    return False
