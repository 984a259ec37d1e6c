"""Selectors in free text: found with exact spans and normalised exactly as structured
ingestion normalises them, checksums deciding what is an IBAN or a wallet, context deciding
what is a plate, a BIC or a document number, and overlaps resolved for the stronger kind."""

from __future__ import annotations

import hashlib
import itertools

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphsvc.ingest.documents.mentions import SELECTOR_KINDS, Mention
from graphsvc.ingest.documents.selectors import SELECTOR_EXTRACTOR, find_selectors
from graphsvc.model.selectors import NORMALIZERS, normalize_phone
from tests.model.test_selectors import (
    EIP55_VECTORS,
    GENESIS,
    SEGWIT_VECTORS,
    base58check,
    corrupt,
    eip55,
    segwit_address,
)

IBAN_FR = "FR76 3000 6000 0112 3456 7890 189"
IBAN_FR_BAD = "FR76 3000 6000 0112 3456 7890 188"  # last digit changed: checksum fails
IBAN_BE = "BE68 5390 0754 7034"
IBAN_RO = "RO49 AAAA 1B31 0075 9384 0000"


def found(text: str, region: str | None = "FR") -> list[Mention]:
    """``find_selectors``, with what every answer must hold checked on the way."""
    mentions = find_selectors(text, region)
    for m in mentions:
        assert text[m.start : m.end] == m.text, m
        assert m.kind in SELECTOR_KINDS and m.extractor == SELECTOR_EXTRACTOR
        assert 0 < m.confidence <= 1
        assert m.value == NORMALIZERS[m.kind](m.text, region if m.kind == "phone" else None)
    assert [m.start for m in mentions] == sorted(m.start for m in mentions)
    for left, right in itertools.pairwise(mentions):
        assert left.end <= right.start, (left, right)
    return mentions


def pairs(text: str, region: str | None = "FR") -> list[tuple[str, str]]:
    return [(m.kind, m.text) for m in found(text, region)]


def one(text: str, kind: str, region: str | None = "FR") -> Mention:
    (mention,) = [m for m in found(text, region) if m.kind == kind]
    return mention


# -- phones ---------------------------------------------------------------------------------------

REPORT_FR = (
    "Le 12 mars 2024, M. Ion POPESCU, joignable au 06 12 34 56 78, a déclaré que son frère "
    "utilisait aussi le +33 6 12 34 56 78 et parfois le 0033 6 52 17 83 40. Le standard de "
    "la société répond au 01 42 68 53 00."
)


def test_a_french_report_gives_the_phone_of_the_call_records() -> None:
    csv_value = normalize_phone("06.12.34.56.78", "FR")  # as a CDR CSV writes it
    phones = [m for m in found(REPORT_FR) if m.kind == "phone"]
    assert [(m.text, m.value) for m in phones] == [
        ("06 12 34 56 78", csv_value),
        ("+33 6 12 34 56 78", csv_value),
        ("0033 6 52 17 83 40", "+33652178340"),
        ("01 42 68 53 00", "+33142685300"),
    ]
    assert csv_value == "+33612345678"
    assert all(m.confidence == 0.99 and m.detail is None for m in phones)


def test_national_numbers_are_read_in_the_sources_region() -> None:
    text = "Appel du 0470 12 34 56 vers le +40 721 234 567."
    assert [m.value for m in found(text, "BE")] == ["+32470123456", "+40721234567"]
    assert [m.value for m in found(text, "be")] == ["+32470123456", "+40721234567"]
    # without a region only international numbers can be read
    assert [m.value for m in found(text, None)] == ["+40721234567"]


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("mobile 07700 900461, e-mail liam@example.co.uk", "GB"),
        ("qu'il joint au +44 7700 900461.", "FR"),
        ("Tél. : 07700 900187", "GB"),
    ],
)
def test_a_number_outside_the_listed_ranges_after_a_phone_word(text: str, region: str) -> None:
    # the UK's 07700 900xxx range is reserved for fiction: phonenumbers calls it invalid
    phone = one(text, "phone", region)
    assert phone.value.startswith("+447700900") and phone.confidence == 0.85


@pytest.mark.parametrize(
    "text",
    [
        "UK company number 14587236 registered in 2021",  # "number" is no phone word
        "it has been called 37 times since August 2024",  # a year after a phone word
        "Procédure 07700 900461 classée",
        "07700 900461",
    ],
)
def test_a_number_outside_the_listed_ranges_alone_is_no_phone(text: str) -> None:
    assert [m for m in found(text, "GB") if m.kind == "phone"] == []


def test_a_phone_written_with_non_breaking_spaces_keeps_its_exact_span() -> None:
    text = "tél.\u00a0: 06\u00a012\u00a034\u00a056\u00a078."
    phone = one(text, "phone")
    assert phone.text == "06\u00a012\u00a034\u00a056\u00a078"
    assert phone.value == "+33612345678"


# -- e-mail addresses -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("Écrire à Ivan.Petrov@Example.COM.", "Ivan.Petrov@Example.COM"),
        ("(contact : jean-luc.marchand+ocrteh@interieur.gouv.fr), merci", None),
        ("mailto:ivan@example.org;", "ivan@example.org"),
        ("«ion.popescu@yahoo.ro»", "ion.popescu@yahoo.ro"),
        ("adresse: ana_maria99@mail.example.co.uk!", "ana_maria99@mail.example.co.uk"),
    ],
)
def test_email_addresses_stop_before_trailing_punctuation(text: str, written: str | None) -> None:
    email = one(text, "email")
    assert email.text == (written or "jean-luc.marchand+ocrteh@interieur.gouv.fr")
    assert email.value == email.text.lower()
    assert email.confidence == 0.95


def test_an_email_address_wins_over_the_phone_number_in_it() -> None:
    text = "Il écrit depuis 0612345678@sms.example.fr chaque soir."
    assert pairs(text) == [("email", "0612345678@sms.example.fr")]


def test_things_that_are_not_email_addresses() -> None:
    assert pairs("ivan@example, @ivan, ivan@, a@b.c, user@localhost") == []


# -- IBANs and BICs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "value"),
    [
        (IBAN_FR, "FR7630006000011234567890189"),
        ("FR7630006000011234567890189", "FR7630006000011234567890189"),
        (IBAN_BE, "BE68539007547034"),
        (IBAN_RO, "RO49AAAA1B31007593840000"),
        ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000"),
    ],
)
def test_an_iban_span_covers_exactly_the_written_iban(written: str, value: str) -> None:
    text = f"Virement depuis le compte {written} le 12/03/2024."
    iban = one(text, "iban")
    assert (iban.text, iban.value, iban.confidence) == (written, value, 0.99)
    assert iban.start == text.index(written)
    assert pairs(text) == [("iban", written)]  # nothing inside it: no phone, no plate


def test_an_iban_followed_by_capitals_keeps_only_the_iban() -> None:
    text = f"IBAN {IBAN_FR} BNP PARIBAS AGENCE 75"
    assert pairs(text) == [("iban", IBAN_FR)]


def test_an_iban_with_a_wrong_checksum_is_no_iban_and_nothing_else() -> None:
    assert pairs(f"Compte {IBAN_FR_BAD} ouvert en 2019.") == []
    assert pairs("Compte FR7630006000011234567890188.") == []


def test_a_bic_is_read_after_bic_or_swift_or_next_to_an_iban() -> None:
    assert one("code BIC : BNPAFRPP", "bic").value == "BNPAFRPP"
    assert one("SWIFT GEBABEBBXXX.", "bic").value == "GEBABEBBXXX"
    assert one("BIC/SWIFT: bnpa frpp; BNPAFRPP", "bic").text == "BNPAFRPP"
    assert pairs(f"{IBAN_FR} / BNPAFRPP") == [("iban", IBAN_FR), ("bic", "BNPAFRPP")]
    assert pairs(f"BNPAFRPP, {IBAN_BE}") == [("bic", "BNPAFRPP"), ("iban", IBAN_BE)]


def test_a_capitalised_word_is_no_bic_without_its_context() -> None:
    assert pairs("Les ENQUETES et les DOSSIERS de BNPAFRPP restent ouverts.") == []
    assert pairs("BIC inconnu, puis bien plus loin dans le texte: BNPAFRPP") == []
    assert pairs("BIC BNPAZZPP") == []  # no country ZZ


def test_a_bic_shaped_name_far_from_an_iban_is_no_bic() -> None:
    # a regression: the text between an IBAN and a word after it used to be read backwards
    # (empty), so any eight capitals after an IBAN anywhere were "next to" it
    text = f"Le compte {IBAN_RO} reçoit les fonds. Le réseau est dirigé par COJOCARU Loredana."
    assert pairs(text) == [("iban", IBAN_RO)]
    text = f"COJOCARU Loredana a ouvert, bien plus tard, le compte {IBAN_RO}."
    assert pairs(text) == [("iban", IBAN_RO)]


# -- IP addresses ---------------------------------------------------------------------------------


def test_ip_addresses_in_a_log_extract() -> None:
    text = (
        "Connexions depuis 192.168.10.12, 2001:DB8:0:0:0:0:0:1 et fe80::1ff:fe23:4567:890a. "
        "Serveur 203.0.113.7:443, préfixe 2001:db8:: puis ::1."
    )
    assert [(m.text, m.value) for m in found(text)] == [
        ("192.168.10.12", "192.168.10.12"),
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
        ("fe80::1ff:fe23:4567:890a", "fe80::1ff:fe23:4567:890a"),
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8::", "2001:db8::"),
        ("::1", "::1"),
    ]
    assert {m.confidence for m in found(text)} == {0.95}


@pytest.mark.parametrize(
    "text",
    [
        "la version 1.2.3.4.5 du logiciel",
        "release v1.2.3.4 and version 10.0.0.1",
        "OID 1.3.6.1.4.1.311",
        "octets 010.001.001.001 (ambigus)",
        "adresse 256.1.1.1",
        "à 10:45:30 puis 14:30",
        "MAC 00:1A:2B:3C:4D:5E",
        "le 12.03.2024",
    ],
)
def test_things_that_are_not_ip_addresses(text: str) -> None:
    assert [m for m in found(text) if m.kind == "ip"] == []


def test_an_ip_address_is_not_read_as_a_phone() -> None:
    assert pairs("depuis l'adresse 10.112.134.156 hier") == [("ip", "10.112.134.156")]


# -- cryptocurrency addresses ---------------------------------------------------------------------

WALLET_HASH = hashlib.sha256(b"wallet of the report").digest()


def _wallets() -> list[tuple[str, str, str]]:
    """(address as written, canonical value, currency): published and generated addresses."""
    eth = eip55(WALLET_HASH.hex()[:40])
    return [
        (GENESIS, GENESIS, "BTC"),
        (base58check(0x05, WALLET_HASH[:20]), base58check(0x05, WALLET_HASH[:20]), "BTC"),
        (SEGWIT_VECTORS[0], SEGWIT_VECTORS[0].lower(), "BTC"),
        (segwit_address("bc", 1, WALLET_HASH), segwit_address("bc", 1, WALLET_HASH), "BTC"),
        (base58check(0x30, WALLET_HASH[:20]), base58check(0x30, WALLET_HASH[:20]), "LTC"),
        (segwit_address("ltc", 0, WALLET_HASH[:20]), segwit_address("ltc", 0, WALLET_HASH[:20]),
         "LTC"),
        (base58check(0x41, WALLET_HASH[:20]), base58check(0x41, WALLET_HASH[:20]), "TRX"),
        (eth, eth.lower(), "ETH"),
    ]  # fmt: skip


@pytest.mark.parametrize(("written", "value", "currency"), _wallets())
def test_wallets_are_found_when_their_checksum_holds(
    written: str, value: str, currency: str
) -> None:
    text = f"Les fonds ont transité par le portefeuille {written}, puis ont été retirés."
    wallet = one(text, "crypto")
    assert (wallet.text, wallet.value, wallet.detail, wallet.confidence) == (
        written,
        value,
        currency,
        0.99,
    )
    for index in (5, len(written) // 2, len(written) - 2):
        broken = text.replace(written, corrupt(written, index))
        assert [m for m in found(broken) if m.kind == "crypto"] == [], index


@pytest.mark.parametrize("address", EIP55_VECTORS)
def test_eip55_vectors_in_text(address: str) -> None:
    wallet = one(f"wallet: {address}.", "crypto")
    assert (wallet.text, wallet.value, wallet.detail) == (address, address.lower(), "ETH")
    checked = address[2:] not in (address[2:].lower(), address[2:].upper())
    assert wallet.confidence == (0.99 if checked else 0.95)  # one case: no checksum to hold


def test_an_ethereum_address_with_a_broken_mixed_case_is_refused() -> None:
    address = EIP55_VECTORS[4]
    letter = next(i for i, c in enumerate(address) if i > 1 and c.isalpha())
    flipped = address[:letter] + address[letter].swapcase() + address[letter + 1 :]
    assert pairs(f"wallet {flipped} used") == []


# -- vehicle plates -------------------------------------------------------------------------------

# (as written, value, strict: found without a context word)
PLATES = [
    ("AB-123-CD", "AB123CD", True),  # FR SIV
    ("AB 123 CD", "AB123CD", False),  # FR SIV with spaces, IT
    ("1234 AB 75", "1234AB75", False),  # FR FNI
    ("1-ABC-234", "1ABC234", True),  # BE
    ("B-AB 1234", "BAB1234", True),  # DE
    ("M AB 123", "MAB123", False),  # DE without its dash
    ("12-ABC-3", "12ABC3", True),  # NL sidecode 7
    ("AB-123-C", "AB123C", True),  # NL sidecode 9
    ("GB-12-34", "GB1234", True),  # NL sidecode 1
    ("1234 BCD", "1234BCD", False),  # ES
    ("IS 12 ABC", "IS12ABC", False),  # RO county
    ("B 123 ABC", "B123ABC", False),  # RO Bucharest
    ("B-123-ABC", "B123ABC", True),  # RO with dashes
    ("AB12 CDE", "AB12CDE", False),  # UK
    ("1 KJT 482", "1KJT482", False),  # BE as often written, with spaces
    ("1KJT482", "1KJT482", False),  # BE compact
    ("WA 12345", "WA12345", False),  # PL
]
CONTEXTS = [
    "Le véhicule immatriculé {} a été contrôlé.",
    "Une Renault Clio grise, plaque {}, stationnait devant.",
    "The vehicle registration {} was flagged.",
    "Autoturismul cu număr de înmatriculare {} a fost oprit.",
    "De auto met nummerplaat {} reed weg.",
    "{} (BMW série 3) vu à 22h.",
]


@pytest.mark.parametrize(("written", "value", "strict"), PLATES)
@pytest.mark.parametrize("context", CONTEXTS)
def test_plates_with_a_context_word(written: str, value: str, strict: bool, context: str) -> None:
    text = context.format(written)
    plate = one(text, "plate")
    assert (plate.text, plate.value, plate.confidence) == (written, value, 0.9)


@pytest.mark.parametrize(("written", "value", "strict"), PLATES)
def test_plates_without_context_only_in_strict_formats(
    written: str, value: str, strict: bool
) -> None:
    text = f"Le témoin a noté {written} sur son carnet, à côté de son nom."
    plates = [m for m in found(text) if m.kind == "plate"]
    if strict:
        assert [(m.text, m.value, m.confidence) for m in plates] == [(written, value, 0.7)]
    else:
        assert plates == []


@pytest.mark.parametrize(
    "text",
    [
        "Le véhicule a coûté 1500 CHF et 2500 EUR.",  # currencies are no Spanish plates
        "voiture achetée le 12 MAI 24 à Lyon",  # a date in capitals is no FNI plate
        "véhicule: devis AB123CD4 refusé",  # glued to a longer token
        "plaque AB-123-CD-75 (département)",  # runs on
        "la plaque lAB-123-CD",
    ],
)
def test_things_near_a_vehicle_that_are_not_plates(text: str) -> None:
    assert [m for m in found(text) if m.kind == "plate"] == []


# -- identity documents ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "written", "kind"),
    [
        ("titulaire du passeport n° 12AB34567 délivré à Paris", "12AB34567", "passport"),
        ("passeport français n°12AB34567", "12AB34567", "passport"),
        ("Passport No. 123456789 (UK)", "123456789", "passport"),
        ("pașaport nr. 051234567", "051234567", "passport"),
        ("sa carte nationale d'identité numéro 123456789012", "123456789012", "id_card"),
        ("CNI n° X4RTBPFW4 expirée", "X4RTBPFW4", "id_card"),
        ("identity card number 592-1234567-89", "592-1234567-89", "id_card"),
        ("titre de séjour n° 7512345678 valable", "7512345678", "residence_permit"),
        ("residence permit: RP 1234567", "RP 1234567", "residence_permit"),
        ("permis de conduire n° 12AA34567 catégorie B", "12AA34567", "driving_licence"),
        ("driving licence MORGA753116SM9IJ", None, "driving_licence"),  # too long: none
        ("pièce d'identité : 12 AB 34567 PARIS", "12 AB 34567", "other"),
    ],
)
def test_document_numbers_after_a_document_word(text: str, written: str | None, kind: str) -> None:
    documents = [m for m in found(text) if m.kind == "iddoc"]
    if written is None:
        assert documents == []
        return
    (document,) = documents
    assert (document.text, document.detail, document.confidence) == (written, kind, 0.85)
    assert document.value == written.replace(" ", "").replace("-", "")


@pytest.mark.parametrize(
    "text",
    [
        "dossier n° 24-00123 et PV n° 2024118",  # n° alone precedes many numbers
        "number 12345678 was called",
        "passeport perdu; le 12AB34567 est une autre affaire",  # not right after the word
        "son passeport ABCDEFGH",  # no digits
        "passport 123",  # too short
    ],
)
def test_numbers_without_a_document_word_before_them_are_not_documents(text: str) -> None:
    assert [m for m in found(text) if m.kind == "iddoc"] == []


def test_a_document_number_after_its_word_is_not_read_as_a_phone() -> None:
    assert pairs("carte d'identité n° 0612345678") == [("iddoc", "0612345678")]
    assert [k for k, _ in pairs("passeport perdu, tél 0612345678")] == ["phone"]


# -- no false positives, and overlaps -------------------------------------------------------------

ORDINARY_FR = (
    "Le 12 mars 2024 à 14h30, les enquêteurs de l'OCRTEH se sont présentés au 18 rue de la "
    "République, 93300 Aubervilliers (bureau 4B, 2e étage). La société LYS HOLDING SARL "
    "(SIRET 123 456 789 00012, SIREN 552 100 554, capital de 10 000 €, code NAF 4520A) "
    "a encaissé 1 500,00 EUR le 03/04/2024 puis 23 750 € TTC, soit 12,5 % du chiffre "
    "d'affaires de 2023. Rendez-vous fixé à 09:15 le 15.04.2024, salle 12, dossier n° "
    "2024/118, procès-verbal PV 24-00123, scellé n° 7. La TVA (20 %) s'élève à 300 EUR. "
    "Il a 35 ans, mesure 1,82 m et pèse 80 kg. Appel au 17 et au 112. Version 3.2.1 du "
    "logiciel. Contact : 01 42 68 53 00 ou ocrteh-permanence@interieur.gouv.fr."
)
ORDINARY_EN = (
    "On 12 March 2024 at 2:30 pm, officers from the Metropolitan Police attended 221B Baker "
    "Street, London NW1 6XE. The company (registration 09876543, VAT GB123456789) paid "
    "GBP 12,500.00 on 04/03/2024 and a further $3,200 in Q2 2023. Case reference 2024-118, "
    "exhibit JB/7, room 101. The meeting lasted 1 h 45 min; 3 out of 4 attendees were "
    "present. Call 999 in an emergency, or the desk on +44 20 7946 0958. Temperature "
    "21.5 C, 75% humidity, ISO 9001 certified."
)


def test_an_ordinary_french_paragraph_gives_exactly_its_selectors() -> None:
    assert [(m.kind, m.text, m.value) for m in found(ORDINARY_FR)] == [
        ("phone", "01 42 68 53 00", "+33142685300"),
        ("email", "ocrteh-permanence@interieur.gouv.fr", "ocrteh-permanence@interieur.gouv.fr"),
    ]


def test_an_ordinary_english_paragraph_gives_exactly_its_selectors() -> None:
    assert [(m.kind, m.text, m.value) for m in found(ORDINARY_EN, "GB")] == [
        ("phone", "+44 20 7946 0958", "+442079460958"),
    ]


def test_a_paragraph_with_one_of_each_kind() -> None:
    eth = eip55(WALLET_HASH.hex()[:40])
    text = (
        f"M. POPESCU (tél. 06 12 34 56 78, ion.popescu@yahoo.ro) a viré 1 500 EUR depuis "
        f"{IBAN_FR} (BIC BNPAFRPP) vers le portefeuille {eth}. Connexion depuis 192.0.2.7. Il "
        f"conduisait une Dacia Logan immatriculée B 123 ABC et présentait le passeport "
        f"n° 051234567."
    )
    assert [(m.kind, m.value) for m in found(text)] == [
        ("phone", "+33612345678"),
        ("email", "ion.popescu@yahoo.ro"),
        ("iban", "FR7630006000011234567890189"),
        ("bic", "BNPAFRPP"),
        ("crypto", eth.lower()),
        ("ip", "192.0.2.7"),
        ("plate", "B123ABC"),
        ("iddoc", "051234567"),
    ]
    assert [m.detail for m in found(text) if m.detail] == ["ETH", "passport"]


def _phone_candidates(text: str) -> list[str]:
    matcher = phonenumbers.PhoneNumberMatcher(text, "FR", leniency=phonenumbers.Leniency.VALID)
    return [m.raw_string for m in matcher]


def test_overlapping_candidates_keep_the_stronger_kind() -> None:
    # phonenumbers sees a phone in each of these; the stronger kind takes the span
    email = "Il écrit depuis 0612345678@sms.example.fr chaque soir."
    document = "carte d'identité n° 0612345678"
    for text in (email, document):
        assert _phone_candidates(text) == ["0612345678"]
    assert pairs(email) == [("email", "0612345678@sms.example.fr")]
    assert pairs(document) == [("iddoc", "0612345678")]
    # an IBAN whose digits hold a French mobile number, next to a real phone and a plate
    iban = "FR76 3000 6000 0006 1234 5678 047"  # account 06123456780
    text = f"{iban}, tél. 06 12 34 56 78, véhicule AB-123-CD"
    assert pairs(text) == [("iban", iban), ("phone", "06 12 34 56 78"), ("plate", "AB-123-CD")]
    # two IBANs in one run of groups are two IBANs
    assert pairs(f"{IBAN_FR} {IBAN_RO}") == [("iban", IBAN_FR), ("iban", IBAN_RO)]


def test_the_empty_text_and_whitespace() -> None:
    assert found("") == []
    assert found(" \n\t ") == []


# -- property: spans always slice to the text ------------------------------------------------------

SELECTORS = [
    "06 12 34 56 78",
    "+33 6 12 34 56 78",
    "+32 470 12 34 56",
    IBAN_FR,
    IBAN_RO,
    "BNPAFRPP",
    "ivan.petrov@example.com",
    "192.0.2.7",
    "2001:db8::1",
    GENESIS,
    SEGWIT_VECTORS[1],
    EIP55_VECTORS[4],
    "AB-123-CD",
    "B-AB 1234",
    "1234 AB 75",
    "12AB34567",
    "immatriculée",
    "passeport n°",
    "BIC",
    "12/03/2024",
]
# checksum-validated selectors found whatever words surround them
SURE = {IBAN_FR: "iban", IBAN_RO: "iban", GENESIS: "crypto", EIP55_VECTORS[4]: "crypto"}


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(st.sampled_from(SELECTORS), st.text(max_size=12)),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from(["", " ", "\n", ", ", "\u00a0", "-", "."]),
    st.sampled_from(["FR", "BE", "RO", None]),
)
def test_every_span_slices_to_its_text(parts: list[str], glue: str, region: str | None) -> None:
    text = glue.join(parts)
    found(text, region)  # checks spans, order, overlaps and values


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(SELECTORS),
            st.text(alphabet="abcdefghijklmnopqrstuvwxyzéèàç ,.;:()'", max_size=15),
        ),
        min_size=1,
        max_size=10,
    )
)
def test_checksum_selectors_are_found_among_words(parts: list[str]) -> None:
    text = " ".join(parts)
    mentions = found(text)
    for part in parts:
        if part in SURE:
            assert any(m.kind == SURE[part] and m.text == part for m in mentions), part
