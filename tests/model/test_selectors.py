"""Selector normalisation: one canonical form per phone, mailbox, account and vehicle, so the
same selector written differently by two sources becomes one node."""

from __future__ import annotations

import hashlib

import pytest
from Crypto.Hash import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from graphsvc.model.selectors import (
    NORMALIZERS,
    crypto_currency,
    looks_like,
    normalize_bic,
    normalize_crypto,
    normalize_email,
    normalize_iban,
    normalize_iddoc,
    normalize_ip,
    normalize_phone,
    normalize_plate,
)

# -- address encoders (the other direction from the normaliser's decoders; used by the text
# extraction tests too) ----------------------------------------------------------------------------

BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def base58check(version: int, payload: bytes) -> str:
    """A base58check string: version byte, payload, first 4 bytes of double SHA-256."""
    data = bytes([version]) + payload
    data += hashlib.sha256(hashlib.sha256(data).digest()).digest()[:4]
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, digit = divmod(number, 58)
        out = BASE58[digit] + out
    return "1" * (len(data) - len(data.lstrip(b"\x00"))) + out


def _polymod(values: list[int]) -> int:
    generator = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            check ^= generator[i] if (top >> i) & 1 else 0
    return check


def segwit_address(hrp: str, version: int, program: bytes, *, bech32m: bool | None = None) -> str:
    """A segwit address (BIP-173 encoding; bech32m for versions above 0 unless told)."""
    words, accumulator, bits = [version], 0, 0
    for byte in program:
        accumulator = (accumulator << 8) | byte
        bits += 8
        while bits >= 5:
            bits -= 5
            words.append((accumulator >> bits) & 31)
    if bits:
        words.append((accumulator << (5 - bits)) & 31)
    const = 0x2BC830A3 if (version > 0 if bech32m is None else bech32m) else 1
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    polymod = _polymod(expanded + words + [0] * 6) ^ const
    words += [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH32[w] for w in words)


def eip55(hex40: str) -> str:
    """An Ethereum address with its EIP-55 mixed-case checksum."""
    lower = hex40.lower()
    digest = keccak.new(digest_bits=256, data=lower.encode()).hexdigest()
    return "0x" + "".join(
        c.upper() if int(d, 16) >= 8 else c for c, d in zip(lower, digest[:40], strict=True)
    )


def corrupt(address: str, index: int) -> str:
    """The address with one character replaced by the next of its own alphabet (base58,
    bech32 in the address's case, or hex after ``0x``): still well-formed, checksum broken."""
    if address[:2] == "0x":
        alphabet = "0123456789abcdefABCDEF"
    elif address.lower().startswith(("bc1", "ltc1")):
        alphabet = BECH32.upper() if address.isupper() else BECH32
    else:
        alphabet = BASE58
    char = address[index]
    return (
        address[:index]
        + alphabet[(alphabet.index(char) + 1) % len(alphabet)]
        + address[index + 1 :]
    )


# -- phone numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        # French national formats, read with FR as the default region
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("0612345678", "FR", "+33612345678"),
        ("06.12.34.56.78", "FR", "+33612345678"),
        ("06-12-34-56-78", "FR", "+33612345678"),
        ("01 42 68 53 00", "FR", "+33142685300"),
        ("  06 12 34 56 78  ", "FR", "+33612345678"),
        ("06 12 34 56 78", "fr", "+33612345678"),
        # Belgian national formats
        ("0470 12 34 56", "BE", "+32470123456"),
        ("02 123 45 67", "BE", "+3221234567"),
        ("0470/12.34.56", "BE", "+32470123456"),
        # Romanian national formats
        ("0721 234 567", "RO", "+40721234567"),
        ("0721-234-567", "RO", "+40721234567"),
        ("021 312 3456", "RO", "+40213123456"),
        # international "00" prefixes, dialled from the default region
        ("0033 6 12 34 56 78", "FR", "+33612345678"),
        ("0033 6 12 34 56 78", "BE", "+33612345678"),
        ("0032 470 12 34 56", "FR", "+32470123456"),
        ("0040 721 234 567", "RO", "+40721234567"),
        ("0040721234567", "BE", "+40721234567"),
        # "+" numbers ignore the default region, and need none
        ("+33 6 12 34 56 78", None, "+33612345678"),
        ("+33 6 12 34 56 78", "RO", "+33612345678"),
        ("+33 (0)6 12 34 56 78", "BE", "+33612345678"),
        ("+32 470 12 34 56", None, "+32470123456"),
        ("+40 721 234 567", "FR", "+40721234567"),
        ("+33612345678", None, "+33612345678"),
    ],
)
def test_phone_numbers_become_e164(raw: str, region: str | None, expected: str) -> None:
    assert normalize_phone(raw, region) == expected


def test_the_default_region_decides_how_a_national_number_is_read() -> None:
    assert normalize_phone("0470 12 34 56", "BE") == "+32470123456"
    assert normalize_phone("0721 234 567", "RO") == "+40721234567"
    assert normalize_phone("0612345678", "FR") != normalize_phone("0612345678", "BE")


@pytest.mark.parametrize("raw", ["06 12 34 56 78", "0033612345678"])
def test_a_national_number_without_default_region_is_rejected_with_a_hint(raw: str) -> None:
    with pytest.raises(ValueError) as caught:
        normalize_phone(raw, None)
    message = str(caught.value)
    assert repr(raw) in message
    assert "+<country>" in message


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        ("", "FR"),
        ("   ", "FR"),
        ("call me", "FR"),
        ("06 12 34 56 7x", "FR"),
        ("12", "FR"),
        ("+33 6 12", None),  # too short
        ("06 12 34 56 7", "FR"),  # one digit short
        ("06 12 34 56 78 90 12", "FR"),  # too long
        ("+33 6 12 34 56 78 9", None),
        ("+999 123 456 789", None),  # no such country code
        ("+40 721 234 5678", None),  # Romanian mobile with a digit too many
        ("0470 12 34", "BE"),
        ("+33 0 12 34 56 78", None),  # French numbers never start with 0 after +33
        ("+1 000 000 0000", None),  # not a number of the North American plan
    ],
)
def test_invalid_phone_numbers_are_rejected_with_a_clear_message(
    raw: str, region: str | None
) -> None:
    with pytest.raises(ValueError) as caught:
        normalize_phone(raw, region)
    message = str(caught.value)
    assert repr(raw) in message, message
    assert "phone number" in message, message


@settings(max_examples=150, deadline=None)
@given(
    digits=st.text(alphabet="0123456789", min_size=6, max_size=6),
    separator=st.sampled_from(["", " ", ".", "-", "/"]),
    prefix=st.sampled_from(["0", "+33 ", "+33", "0033 ", "0033"]),
    region=st.sampled_from(["FR", "BE", "RO", None]),
)
def test_every_writing_of_one_french_mobile_is_the_same_number(
    digits: str, separator: str, prefix: str, region: str | None
) -> None:
    national = "612" + digits  # 6 12 xx xx xx: a valid French mobile
    if prefix == "0" and region != "FR":
        return  # a national French number only reads as French with FR as the region
    if prefix.startswith("00") and region is None:
        return  # "00" is an international prefix only from some region
    pairs = [national[i : i + 2] for i in range(1, len(national), 2)]
    written = prefix + national[0] + separator + separator.join(pairs)
    assert normalize_phone(written, region) == "+33" + national


def test_normalising_a_normalised_number_changes_nothing() -> None:
    for raw, region in [("06 12 34 56 78", "FR"), ("0470 12 34 56", "BE"), ("0721234567", "RO")]:
        once = normalize_phone(raw, region)
        for other in ("FR", "BE", "RO", None):
            assert normalize_phone(once, other) == once


# -- e-mail addresses -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ivan.petrov@example.com", "ivan.petrov@example.com"),
        ("Ivan.Petrov@Example.COM", "ivan.petrov@example.com"),
        ("  IVAN@EXAMPLE.FR  ", "ivan@example.fr"),
        ("mailto:Ivan@Example.org", "ivan@example.org"),
        ("ion.popescu+ro@mail.example.ro", "ion.popescu+ro@mail.example.ro"),
    ],
)
def test_email_addresses_are_lower_cased(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected
    assert normalize_email(raw, "FR") == expected


@pytest.mark.parametrize(
    "raw", ["", "ivan", "ivan@", "@example.com", "ivan@example", "iv an@example.com", "a@@b.fr"]
)
def test_malformed_email_addresses_are_rejected(raw: str) -> None:
    with pytest.raises(ValueError) as caught:
        normalize_email(raw)
    assert "e-mail" in str(caught.value)
    assert repr(raw) in str(caught.value)


# -- IBANs ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("FR76 3000 6000 0112 3456 7890 189", "FR7630006000011234567890189"),
        ("fr7630006000011234567890189", "FR7630006000011234567890189"),
        ("  FR7630006000011234567890189 ", "FR7630006000011234567890189"),
        ("BE68 5390 0754 7034", "BE68539007547034"),
        ("RO49 AAAA 1B31 0075 9384 0000", "RO49AAAA1B31007593840000"),
        ("de89 3704 0044 0532 0130 00", "DE89370400440532013000"),
    ],
)
def test_ibans_are_compacted_and_upper_cased(raw: str, expected: str) -> None:
    assert normalize_iban(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "FR7630006000011234567890188",  # last digit changed: checksum fails
        "FR7730006000011234567890189",  # check digits changed
        "BE68539007547035",
        "RO49AAAA1B31007593840001",
        "DE89370400440532013001",
    ],
)
def test_an_iban_with_a_wrong_checksum_is_rejected(raw: str) -> None:
    with pytest.raises(ValueError) as caught:
        normalize_iban(raw)
    message = str(caught.value)
    assert "IBAN" in message
    assert "checksum" in message.lower()


@pytest.mark.parametrize(
    "raw", ["", "FR76", "FR763000600001123456789018", "ZZ7630006000011234567890189", "not an iban"]
)
def test_malformed_ibans_are_rejected(raw: str) -> None:
    with pytest.raises(ValueError, match="IBAN"):
        normalize_iban(raw)


def test_bics_are_compacted_and_checked() -> None:
    assert normalize_bic("bnpa fr pp") == "BNPAFRPP"
    assert normalize_bic("GEBABEBB") == "GEBABEBB"
    for bad in ("BNP", "BNPAZZPP", "12345678"):
        with pytest.raises(ValueError, match="BIC"):
            normalize_bic(bad)


# -- vehicle plates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ab-123-cd", "AB123CD"),
        ("AB 123 CD", "AB123CD"),
        ("ab.123.cd", "AB123CD"),
        ("  AB123CD ", "AB123CD"),
        ("B-AB 1234", "BAB1234"),
        ("1-abc-234", "1ABC234"),
        ("b 123 xyz", "B123XYZ"),
        ("AB_123/CD", "AB123CD"),
    ],
)
def test_plates_are_upper_cased_without_separators(raw: str, expected: str) -> None:
    assert normalize_plate(raw) == expected


@pytest.mark.parametrize("raw", ["", " - ", "A", "AB!123", "AB123CD1234567890"])
def test_malformed_plates_are_rejected(raw: str) -> None:
    with pytest.raises(ValueError, match="plate"):
        normalize_plate(raw)


# -- IP addresses ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("192.0.2.7", "192.0.2.7"),
        (" 203.0.113.254\n", "203.0.113.254"),
        ("0.0.0.0", "0.0.0.0"),
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
        ("2001:0db8:0000:0000:0000:ff00:0042:8329", "2001:db8::ff00:42:8329"),
        ("::1", "::1"),
        ("::FFFF:192.0.2.1", "::ffff:c000:201"),
    ],
)
def test_ip_addresses_are_written_as_ipaddress_writes_them(raw: str, expected: str) -> None:
    assert normalize_ip(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "192.0.2", "192.0.2.256", "010.0.0.1", "1.2.3.4.5", "2001:db8::1::2", "example.org"],
)
def test_malformed_ip_addresses_are_rejected(raw: str) -> None:
    with pytest.raises(ValueError, match="not an IP address") as caught:
        normalize_ip(raw)
    assert repr(raw) in str(caught.value)


# -- cryptocurrency addresses ---------------------------------------------------------------------

GENESIS = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"  # the Bitcoin genesis block's address
HASH160 = hashlib.sha256(b"graphsvc").digest()[:20]  # stands for a key or script hash
# BIP-173 and BIP-350 valid mainnet vectors
SEGWIT_VECTORS = [
    "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
    "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
    "BC1SW50QGDZ25J",
    "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs",
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
]
# EIP-55's own examples (all caps, all lower, and mixed case)
EIP55_VECTORS = [
    "0x52908400098527886E0F7030069857D2E4169EE7",
    "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77",
    "0x27b1fdb04752bbc536007a920d24acb045561c26",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
]


def test_the_genesis_address_is_bitcoin_kept_as_written() -> None:
    assert normalize_crypto(f"  {GENESIS} ") == GENESIS
    assert crypto_currency(GENESIS) == "BTC"
    assert base58check(0x00, bytes.fromhex("62e907b15cbf27d5425399ebf6f0fb50ebb88f18")) == GENESIS


@pytest.mark.parametrize(
    ("version", "currency", "first"),
    [(0x00, "BTC", "1"), (0x05, "BTC", "3"), (0x30, "LTC", "L"), (0x32, "LTC", "M"),
     (0x41, "TRX", "T")],
)  # fmt: skip
def test_base58check_addresses_by_version_byte(version: int, currency: str, first: str) -> None:
    address = base58check(version, HASH160)
    assert address[0] == first
    assert normalize_crypto(address) == address
    assert crypto_currency(address) == currency
    for index in (1, len(address) // 2, len(address) - 1):
        with pytest.raises(ValueError, match="cryptocurrency address"):
            normalize_crypto(corrupt(address, index))


def test_base58check_refuses_other_versions_lengths_and_case_changes() -> None:
    for bad in (
        base58check(0x6F, HASH160),  # Bitcoin testnet
        base58check(0x00, HASH160[:19]),  # a byte short
        GENESIS.lower(),
        GENESIS.replace("1", "l", 1),
    ):
        with pytest.raises(ValueError):
            normalize_crypto(bad)


@pytest.mark.parametrize("address", SEGWIT_VECTORS)
def test_segwit_vectors_are_bitcoin_lower_cased(address: str) -> None:
    assert normalize_crypto(address) == address.lower()
    assert crypto_currency(address) == "BTC"
    with pytest.raises(ValueError, match="segwit"):
        normalize_crypto(corrupt(address, len(address) - 3))


@pytest.mark.parametrize(
    "address",
    [
        # BIP-350 invalid vectors: the wrong checksum constant for the version, bad padding,
        # an empty program, a 1-byte program, a v0 program of 16 bytes
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
        "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",
        "bc1zw508d6qejxtdg4y5r3zarvaryvqyzf3du",
        "bc1gmk9yu",
        "bc1rw5uspcuh",
        "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",
        # mixed case, and a testnet address
        "bc1qW508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
        "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx",
    ],
)
def test_invalid_segwit_addresses_are_rejected(address: str) -> None:
    with pytest.raises(ValueError):
        normalize_crypto(address)


def test_segwit_versions_need_their_own_checksum_constant() -> None:
    program = hashlib.sha256(b"wallet").digest()
    assert normalize_crypto(segwit_address("bc", 0, program[:20])).startswith("bc1q")
    assert crypto_currency(segwit_address("ltc", 0, program)) == "LTC"
    assert crypto_currency(segwit_address("bc", 1, program)) == "BTC"
    for wrong in (
        segwit_address("bc", 0, program, bech32m=True),
        segwit_address("bc", 1, program, bech32m=False),
        segwit_address("bc", 0, program[:25]),  # v0 programs are 20 or 32 bytes
        segwit_address("xy", 0, program),  # not a currency we know
    ):
        with pytest.raises(ValueError):
            normalize_crypto(wrong)


@pytest.mark.parametrize("address", EIP55_VECTORS)
def test_eip55_vectors_are_ethereum_lower_cased(address: str) -> None:
    assert normalize_crypto(address) == address.lower()
    assert crypto_currency(address) == "ETH"
    if address[2:] not in (address[2:].lower(), address[2:].upper()):
        assert eip55(address[2:]) == address


def test_a_mixed_case_ethereum_address_must_match_its_checksum() -> None:
    good = eip55(hashlib.sha256(b"eth").hexdigest()[:40])
    assert normalize_crypto(good) == good.lower()
    letter = next(i for i, c in enumerate(good) if i > 1 and c.isalpha())
    flipped = good[:letter] + good[letter].swapcase() + good[letter + 1 :]
    with pytest.raises(ValueError, match="EIP-55"):
        normalize_crypto(flipped)
    assert normalize_crypto(flipped.lower()) == good.lower()  # no checksum to break
    for bad in ("0x" + "g" * 40, "0x1234", good + "0"):
        with pytest.raises(ValueError):
            normalize_crypto(bad)


@pytest.mark.parametrize("raw", ["", "bitcoin", "1A1z", "0x", "T" * 34, "L" * 34])
def test_malformed_crypto_addresses_are_rejected(raw: str) -> None:
    with pytest.raises(ValueError) as caught:
        normalize_crypto(raw)
    assert repr(raw) in str(caught.value)
    with pytest.raises(ValueError):
        crypto_currency(raw)


# -- identity documents ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12AB34567", "12AB34567"),
        ("12ab 34567", "12AB34567"),
        (" 12-AB-34567 ", "12AB34567"),
        ("05RO12", "05RO12"),
        ("X1234567Y", "X1234567Y"),
        ("123456789012", "123456789012"),
    ],
)
def test_identity_document_numbers_are_compacted_and_upper_cased(raw: str, expected: str) -> None:
    assert normalize_iddoc(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "12AB3", "1234567890123", "ABCDEFGH", "ABCDE1", "12.AB.345", "12AB_34567", "ÉÉ1234"]
)
def test_malformed_identity_document_numbers_are_rejected(raw: str) -> None:
    with pytest.raises(ValueError, match="identity-document number"):
        normalize_iddoc(raw)


# -- guessing what a bare string is ---------------------------------------------------------------


def test_looks_like_reads_bare_strings_as_selectors() -> None:
    assert looks_like("phone", "+33 6 12 34 56 78")
    assert looks_like("phone", "06 12 34 56 78")
    assert not looks_like("phone", "p-17")
    assert not looks_like("phone", "12")
    assert looks_like("email", "ivan@example.com")
    assert not looks_like("email", "ivan")
    assert looks_like("iban", "FR76 3000 6000 0112 3456 7890 189")
    assert not looks_like("iban", "FR7630006000011234567890188")  # wrong checksum
    assert not looks_like("plate", "AB-123-CD")  # too ambiguous to guess
    assert looks_like("ip", "2001:db8::1")
    assert not looks_like("ip", "p-17")
    assert looks_like("crypto", GENESIS)
    assert not looks_like("crypto", GENESIS[:-1] + "b")  # wrong checksum
    assert not looks_like("iddoc", "12AB34567")  # too ambiguous to guess


def test_every_selector_kind_has_a_normaliser() -> None:
    kinds = ("phone", "email", "iban", "bic", "plate", "ip", "crypto", "iddoc")
    assert set(NORMALIZERS) == set(kinds)
    for kind, normalize in NORMALIZERS.items():
        with pytest.raises(ValueError):
            normalize("!!", None)
        assert kind in kinds
