"""Selector normalisation: one canonical form per phone, mailbox, account and vehicle, so the
same selector written differently by two sources becomes one node."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphsvc.model.selectors import (
    NORMALIZERS,
    looks_like,
    normalize_bic,
    normalize_email,
    normalize_iban,
    normalize_phone,
    normalize_plate,
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


def test_every_selector_kind_has_a_normaliser() -> None:
    assert set(NORMALIZERS) == {"phone", "email", "iban", "bic", "plate"}
    for kind, normalize in NORMALIZERS.items():
        with pytest.raises(ValueError):
            normalize("!!", None)
        assert kind in ("phone", "email", "iban", "bic", "plate")
