"""Selectors in free text: phone numbers, e-mail addresses, IBANs, BICs, IP addresses,
cryptocurrency addresses, vehicle plates and identity-document numbers, with exact spans.

Each value is normalised by the same ``NORMALIZERS`` structured ingestion uses, so the phone
in a report and the phone in the call records are one node. A candidate the normaliser refuses
is not a mention. What is found and how:

- **phones**: ``phonenumbers.PhoneNumberMatcher`` at ``Leniency.VALID``, national numbers read
  in the source's ``region`` (``+country`` numbers are found whatever the region; without a
  region only they are). It already leaves dates, amounts and long digit runs alone. A number
  of a possible length that the numbering plan does not list (a range allocated after the
  metadata, the UK's 07700 900xxx reserved for fiction) is taken at ``Leniency.POSSIBLE`` only
  after a word naming a phone within ``PHONE_BEFORE`` characters (tél, portable, mobile, phone,
  landline, WhatsApp, joint au...; not "numéro" or "number", which precede references too),
  written with at least ``PHONE_CONTEXT_DIGITS`` digits, with a lower confidence.
- **e-mail addresses**: ``local@domain.tld``; the span stops before trailing punctuation.
- **IBANs**: two letters, two digits, then letters and digits in groups separated by single
  spaces or written compact; the longest run of groups schwifty validates (country format and
  checksum) is kept, its span covering the inner spaces.
- **BICs**: 8 or 11 characters schwifty validates, accepted only after ``BIC``/``SWIFT``
  (within ``BIC_WINDOW`` characters before it) or right next to an IBAN found in the text
  (separated by at most a few spaces or punctuation): a bare upper-case word is too likely a
  word.
- **IP addresses**: IPv4 (not part of a longer dotted number such as ``1.2.3.4.5`` nor after
  ``v``/``version``) and IPv6, as ``ipaddress`` reads them (leading-zero octets refused).
- **cryptocurrency addresses**: Bitcoin, Litecoin and Tron base58check, ``bc1``/``ltc1``
  segwit and Ethereum ``0x`` candidates, kept only when their checksum validates (an
  Ethereum address written all lower or all upper case has none: lower confidence); ``detail``
  is the currency.
- **vehicle plates** (the rule): plates look like many other things, so a candidate must have
  a known European format, written in capitals, and either be *strict* - a format whose dashes
  make it distinctive as written on plates: FR SIV ``AB-123-CD``, BE ``1-ABC-234``, DE
  ``B-AB 1234``, NL sidecodes (``12-ABC-3``, ``AB-123-C``...), RO ``B-123-ABC`` - or have a
  *context word* within ``PLATE_BEFORE`` characters before it or ``PLATE_AFTER`` after it
  (plaque, immatriculé(e), immatriculation, véhicule, voiture, plate, registration, vehicle,
  car, nummerplaat, kenteken, Kennzeichen, targa, matrícula, număr de înmatriculare... or a car
  make: Renault, VW, BMW...). Formats only spaces separate (FR ``AB 123 CD``, BE ``1 ABC 234``
  or ``1ABC234``, FR FNI
  ``1234 AB 75``, IT ``AB 123 CD``, ES ``1234 BCD``, RO ``IS 12 ABC``, DE ``M AB 123``, UK
  ``AB12 CDE``, PL ``WA 12345``) need the context word. A strict plate with context has
  confidence 0.9, without 0.7.
- **identity-document numbers**: only right after a document word (passeport, passport,
  pașaport, carte d'identité, CNI, ID card, identity card, titre de séjour, residence permit,
  permis de conduire, driving licence...), optionally followed by ``n°``, ``no.``, ``nr.``,
  ``numéro``, ``number`` or ``:``; ``n°`` or ``number`` alone do not make a document number
  (they precede case, SIRET and PV numbers too). The number is capitals and digits, possibly
  grouped by spaces or dashes; ``detail`` is the document kind.

Overlaps are resolved by kind, strongest first: checksum-validated IBANs and crypto
addresses, then e-mail addresses, IP addresses, document numbers (anchored by their word),
phones, BICs, plates; within a kind the longer span wins. So a phone-like run of digits
inside an IBAN or an IP address is not a phone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import phonenumbers

from graphsvc.ingest.documents.mentions import Mention, disjoint
from graphsvc.model.selectors import (
    crypto_currency,
    normalize_bic,
    normalize_crypto,
    normalize_email,
    normalize_iban,
    normalize_iddoc,
    normalize_ip,
    normalize_phone,
    normalize_plate,
)

SELECTOR_EXTRACTOR = "graphsvc.selectors/1"

CONFIDENCE: dict[str, float] = {
    "checksum": 0.99,  # IBAN, crypto address with a checksum, phone valid in its numbering plan
    "email": 0.95,
    "ip": 0.95,
    "crypto_unchecked": 0.95,  # an Ethereum address in one case: no checksum to hold
    "phone_context": 0.85,  # a possible number outside the listed ranges, after a phone word
    "bic": 0.9,  # structure and country valid, named as a BIC or next to an IBAN
    "plate_context": 0.9,
    "plate": 0.7,  # a strict plate format with no context word
    "iddoc": 0.85,
}
# Overlap resolution: lower wins.
RANK: dict[str, int] = {
    "iban": 0,
    "crypto": 0,
    "email": 1,
    "ip": 2,
    "iddoc": 3,
    "phone": 4,
    "bic": 5,
    "plate": 6,
}

BIC_WINDOW = 30  # characters before a BIC in which "BIC" or "SWIFT" must appear
PHONE_BEFORE = 40  # characters before an unlisted phone number searched for a phone word
PHONE_CONTEXT_DIGITS = 8  # the fewest digits of an unlisted phone number
PLATE_BEFORE = 50  # characters before a plate searched for a context word
PLATE_AFTER = 30  # ... and after it

# -- e-mail ---------------------------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.%+-])[\w%+-][\w.%+-]{0,63}@(?:[\w-]+\.)+[^\W\d_]{2,}(?![\w-])")

# -- IBAN and BIC ---------------------------------------------------------------------------------

# possessive and bounded (IBANs have 15 to 34 characters): a long run of capitals must not make
# the engine try every way to group it, nor every search read it to its end
_IBAN = re.compile(r"(?<![\w])[A-Z]{2}\d{2}(?:[ \u00a0]?[A-Z0-9]){11,30}+")
IBAN_MAX = 34  # characters of the longest IBAN, compact
_BIC = re.compile(r"(?<![\w])[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?(?![\w])")
_BIC_CONTEXT = re.compile(r"\b(?:BIC|SWIFT)\b", re.IGNORECASE)
_NEXT_TO = re.compile(r"[\s,;:/|()\[\]-]{0,5}")

# -- IP addresses ---------------------------------------------------------------------------------

_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
_IPV6 = re.compile(r"(?<![\w:.])[\w:.]*+")  # a whole token: tested, then trimmed, by hand
_IPV6_CHARS = frozenset("0123456789abcdefABCDEF:.")
_VERSION_BEFORE = re.compile(r"(?:\bv|\bver\.?|\bversion|\bversiunea)\s*$", re.IGNORECASE)

# -- cryptocurrency addresses ---------------------------------------------------------------------

_CRYPTO = re.compile(
    r"(?<![\w])(?:"
    r"0x[0-9A-Fa-f]{40}"  # Ethereum
    r"|(?:bc1|BC1|ltc1|LTC1)[0-9A-Za-z]{6,87}"  # segwit
    r"|[13LMT][1-9A-HJ-NP-Za-km-z]{24,34}"  # base58check
    r")(?![\w])"
)

# -- phones ---------------------------------------------------------------------------------------

_PHONE_CONTEXT = re.compile(
    r"\b(?:t[ée]l(?:[ée]phone)?s?|t[ée]l\.|portables?|mobiles?|gsm|phones?|telephones?|"
    r"cell(?:phone)?s?|landlines?|fixe|fax|whatsapp|signal|telegram|viber|joint\s+au|"
    r"joignable\s+au|appel(?:le|é|e)?\s+(?:le|au)|called|calling|telefon\w*)(?![\w])",
    re.IGNORECASE,
)

# -- plates ---------------------------------------------------------------------------------------

_RO_COUNTIES = (
    "AB|AR|AG|BC|BH|BN|BT|BV|BR|BZ|CS|CL|CJ|CT|CV|DB|DJ|GL|GR|GJ|HR|HD|IL|IS|IF|MM|MH|MS|NT|"
    "OT|PH|SM|SJ|SB|SV|TR|TM|TL|VS|VL|VN"
)
_NL_SIDECODES = (
    r"[A-Z]{2}-\d{2}-\d{2}|\d{2}-\d{2}-[A-Z]{2}|\d{2}-[A-Z]{2}-\d{2}|[A-Z]{2}-\d{2}-[A-Z]{2}|"
    r"[A-Z]{2}-[A-Z]{2}-\d{2}|\d{2}-[A-Z]{2}-[A-Z]{2}|\d{2}-[A-Z]{3}-\d|\d-[A-Z]{3}-\d{2}|"
    r"[A-Z]{2}-\d{3}-[A-Z]|[A-Z]-\d{3}-[A-Z]{2}|[A-Z]{3}-\d{2}-[A-Z]|[A-Z]-\d{2}-[A-Z]{3}|"
    r"\d-[A-Z]{2}-\d{3}|\d{3}-[A-Z]{2}-\d"
)
# (format, regex, strict): strict formats stand without a context word
_PLATE_FORMATS: tuple[tuple[str, str, bool], ...] = (
    ("FR", r"[A-Z]{2}-\d{3}-[A-Z]{2}", True),
    ("BE", r"\d-[A-Z]{3}-\d{3}", True),
    ("BE", r"\d ?[A-Z]{3} ?\d{3}", False),
    ("DE", r"[A-Z]{1,3}-[A-Z]{1,2}[ -]\d{1,4}[EH]?", True),
    ("NL", _NL_SIDECODES, True),
    ("RO", rf"(?:B-\d{{2,3}}|(?:{_RO_COUNTIES})-\d{{2}})-[A-Z]{{3}}", True),
    ("FR/IT", r"[A-Z]{2} ?\d{3} ?[A-Z]{2}", False),
    ("FR-FNI", r"\d{1,4} [A-Z]{1,3} (?:\d{2}|2[AB]|97\d)", False),
    ("ES", r"\d{4}[ -]?[BCDFGHJKLMNPRSTVWXYZ]{3}", False),
    ("RO", rf"(?:B \d{{2,3}}|(?:{_RO_COUNTIES}) \d{{2}}) [A-Z]{{3}}", False),
    ("DE", r"[A-Z]{1,3} [A-Z]{1,2} \d{1,4}[EH]?", False),
    ("UK", r"[A-Z]{2}\d{2} ?[A-Z]{3}", False),
    ("PL", r"[A-Z]{2,3} \d{4,5}", False),
)
_PLATES = tuple(
    (name, re.compile(rf"(?<![\w-])(?:{pattern})(?![\w]|-\w)"), strict)
    for name, pattern, strict in _PLATE_FORMATS
)
# car makes: a context word for plates, and never a person's or company's name in these texts
CAR_MAKES = (
    r"renault|peugeot|citro[ëe]n|dacia|volkswagen|vw|bmw|audi|mercedes(?:-benz)?|opel|ford|"
    r"toyota|fiat|skoda|škoda|nissan|kia|hyundai|volvo|tesla|porsche|land\s+rover|"
    r"range\s+rover|jeep|alfa\s+romeo|lancia|suzuki|mazda|honda|mitsubishi|"
    r"jaguar|lexus|chevrolet|iveco|scania"
)
_PLATE_CONTEXT = re.compile(
    r"\b(?:plaques?|immatricul\w*|immat\.?|v[ée]hicules?|voitures?|automobile|auto|"
    r"plates?|registration|registered|reg\.|vehicles?|cars?|vans?|motorbike|"
    r"nummerplaat|kenteken|kennzeichen|targa|matr[íi]cula|tablica|rejestracyjn\w*|"
    r"[îi]nmatricul\w*|num[ăa]r\s+de\s+[îi]nmatriculare|autoturism\w*|ma[șşs]in[ăa]|"
    rf"{CAR_MAKES})\b",
    re.IGNORECASE,
)
# letter groups that make a "plate" something else: currencies (1500 CHF), months (12 MAI 24)
# fmt: off
_NOT_PLATE_WORDS = frozenset({
    "EUR", "USD", "GBP", "CHF", "RON", "PLN", "CZK", "HUF", "SEK", "NOK", "DKK", "BGN", "RSD",
    "MDL", "UAH", "RUB", "TRY", "JPY", "CNY", "CAD", "AUD", "MAD", "DZD", "TND", "XOF", "XAF",
    "BTC", "ETH", "LTC", "TRX", "JAN", "FEV", "FEB", "MAR", "AVR", "APR", "MAI", "MAY", "JUN",
    "JUI", "JUL", "AOU", "AUG", "SEP", "OCT", "NOV", "DEC", "DEX", "TTC", "HT",
})
# fmt: on

# -- identity documents ---------------------------------------------------------------------------

_DOCUMENT_WORDS: tuple[tuple[str, str], ...] = (
    ("passport", r"passeports?|passports?|pa[șşs]apo(?:r)?t(?:ul|e)?|paspoort|reisepass"),
    (
        "id_card",
        r"cartes?\s+(?:nationales?\s+)?d['’]\s*identit[ée]|c\.?n\.?i\.?|cni|"
        r"(?:national\s+)?id(?:entity)?\s+cards?|identity\s+cards?|carte\s+de\s+identitate|"
        r"buletin(?:ul)?(?:\s+de\s+identitate)?|identiteitskaart|personalausweis|e-?id",
    ),
    (
        "residence_permit",
        r"titres?\s+de\s+s[ée]jour|cartes?\s+de\s+s[ée]jour|permis\s+de\s+s[ée]jour|"
        r"residence\s+permits?|permis\s+de\s+[șşs]edere|verblijfsvergunning",
    ),
    (
        "driving_licence",
        r"permis\s+de\s+conduire|driving\s+licen[cs]es?|driver['’]?s?\s+licen[cs]es?|"
        r"permis(?:ul)?\s+de\s+conducere|rijbewijs|f[üu]hrerschein",
    ),
    (
        "other",
        r"pi[èe]ces?\s+d['’]\s*identit[ée]|documents?\s+d['’]\s*identit[ée]|"
        r"titres?\s+d['’]\s*identit[ée]|identity\s+documents?|id\s+documents?|"
        r"travel\s+documents?|document\s+de\s+voyage",
    ),
)
_DOCUMENT = re.compile(
    r"(?<![\w])(?:"
    + "|".join(f"(?P<{kind}>{words})" for kind, words in _DOCUMENT_WORDS)
    + r")(?![\w])",
    re.IGNORECASE,
)
# what may stand between the document word and its number
_DOCUMENT_FILLER = re.compile(
    r"(?:[\s:#(),]|n[°º]\.?|\b(?:no|nr|num|nos)\b\.?|\b(?:numéro|numero|number|nummer|"
    r"număr|numar|numărul|numarul|fran[çc]aise?|belge|roumaine?|romanian|french|belgian|"
    r"british|german|allemande?|italienne?|espagnole?|polonaise?|valid|valable|de|du|of|the|"
    r"his|her|son|sa|ses|biometric|biom[ée]trique)\b)*+",
    re.IGNORECASE,
)
# capitals and digits, in groups: a later group has a digit, or is 1-3 capitals followed by
# one that has (12 AB 34567); anchored where the filler ends, checked for a word after by hand
_DOCUMENT_NUMBER = re.compile(
    r"(?<![\w])[A-Z0-9]++(?:[ -](?:(?=[A-Z0-9]*\d)[A-Z0-9]++|[A-Z]{1,3}(?=[ -][A-Z0-9]*\d))){0,4}"
)
DOCUMENT_GAP = 30  # at most this many characters of filler between the word and the number


@dataclass(frozen=True, slots=True)
class _Candidate:
    mention: Mention
    rank: int


def find_selectors(text: str, region: str | None = None) -> list[Mention]:
    """The selectors ``text`` mentions, sorted by start, none overlapping another.

    ``region`` is the source's country (``FR``), used to read national phone numbers.
    """
    ibans = list(_ibans(text))
    candidates = [
        *ibans,
        *_cryptos(text),
        *_emails(text),
        *_ips(text),
        *_documents(text),
        *_phones(text, region),
        *_bics(text, [c.mention for c in ibans]),
        *_plates(text),
    ]
    candidates.sort(key=lambda c: (c.rank, c.mention.start - c.mention.end, c.mention.start))
    return disjoint(c.mention for c in candidates)


def _mention(
    kind: str,
    text: str,
    start: int,
    end: int,
    value: str,
    confidence: float,
    detail: str | None = None,
) -> _Candidate:
    return _Candidate(
        Mention(
            kind=kind,
            start=start,
            end=end,
            text=text[start:end],
            value=value,
            confidence=confidence,
            extractor=SELECTOR_EXTRACTOR,
            detail=detail,
        ),
        RANK[kind],
    )


def _phones(text: str, region: str | None) -> Iterator[_Candidate]:
    default = region.upper() if region else "ZZ"
    valid: set[tuple[int, int]] = set()
    matcher = phonenumbers.PhoneNumberMatcher(text, default, leniency=phonenumbers.Leniency.VALID)
    for match in matcher:
        try:
            value = normalize_phone(match.raw_string, region)
        except ValueError:
            continue
        valid.add((match.start, match.end))
        yield _mention("phone", text, match.start, match.end, value, CONFIDENCE["checksum"])
    # numbers of a possible length in ranges the numbering plan does not list (new ranges,
    # the ranges reserved for fiction and tests) only after a word saying it is a phone
    possible = phonenumbers.PhoneNumberMatcher(
        text, default, leniency=phonenumbers.Leniency.POSSIBLE
    )
    for match in possible:
        if (match.start, match.end) in valid:
            continue
        if _PHONE_CONTEXT.search(text, max(0, match.start - PHONE_BEFORE), match.start) is None:
            continue
        if sum(char.isdigit() for char in match.raw_string) < PHONE_CONTEXT_DIGITS:
            continue  # "called 37 times since August 2024": a year is no phone number
        try:
            value = normalize_phone(match.raw_string, region)
        except ValueError:
            continue
        yield _mention("phone", text, match.start, match.end, value, CONFIDENCE["phone_context"])


def _emails(text: str) -> Iterator[_Candidate]:
    for match in _EMAIL.finditer(text):
        start, end = match.span()
        while end > start and text[end - 1] in ".-":
            end -= 1
        try:
            value = normalize_email(text[start:end])
        except ValueError:
            continue
        yield _mention("email", text, start, end, value, CONFIDENCE["email"])


def _ibans(text: str) -> Iterator[_Candidate]:
    position = 0
    while (match := _IBAN.search(text, position)) is not None:
        start, stop = match.span()
        # the run may go on into the next words: try it whole, then cut at each space between
        # groups, longest first, as long as it is no longer than an IBAN can be
        ends: list[int] = []
        compact = 0
        for index in range(start, stop):
            if text[index].isspace():
                ends.append(index)
            else:
                compact += 1
                if compact > IBAN_MAX:
                    break
        else:
            if stop == len(text) or not (text[stop].isalnum() or text[stop] == "_"):
                ends.append(stop)  # not glued to a word
        position = start + 1  # no IBAN starts here: the next word of the run may start one
        for end in reversed(ends):
            try:
                value = normalize_iban(text[start:end])
            except ValueError:
                continue
            yield _mention("iban", text, start, end, value, CONFIDENCE["checksum"])
            position = end
            break


def _bics(text: str, ibans: list[Mention]) -> Iterator[_Candidate]:
    for match in _BIC.finditer(text):
        start, end = match.span()
        named = _BIC_CONTEXT.search(text, max(0, start - BIC_WINDOW), start) is not None
        beside = any(
            (i.end <= start and _NEXT_TO.fullmatch(text[i.end : start]))
            or (end <= i.start and _NEXT_TO.fullmatch(text[end : i.start]))
            for i in ibans
        )
        if not (named or beside):
            continue
        try:
            value = normalize_bic(match.group())
        except ValueError:
            continue
        yield _mention("bic", text, start, end, value, CONFIDENCE["bic"])


def _ips(text: str) -> Iterator[_Candidate]:
    for match in _IPV4.finditer(text):
        start, end = match.span()
        if _VERSION_BEFORE.search(text, max(0, start - 12), start):
            continue
        try:
            value = normalize_ip(match.group())
        except ValueError:
            continue
        yield _mention("ip", text, start, end, value, CONFIDENCE["ip"])
    for match in _IPV6.finditer(text):
        token = match.group()
        if token.count(":") < 2 or not set(token) <= _IPV6_CHARS:
            continue
        # a colon or dot after the address is punctuation: cut it off until the rest reads
        address: str | None = None
        while token and address is None:
            try:
                address = normalize_ip(token)
            except ValueError:
                token = token[:-1] if token[-1] in ".:" else ""
        if address is None or ":" not in address:
            continue
        start = match.start()
        yield _mention("ip", text, start, start + len(token), address, CONFIDENCE["ip"])


def _cryptos(text: str) -> Iterator[_Candidate]:
    for match in _CRYPTO.finditer(text):
        raw = match.group()
        try:
            value = normalize_crypto(raw)
        except ValueError:
            continue
        unchecked = raw.startswith("0x") and raw[2:] in (raw[2:].lower(), raw[2:].upper())
        confidence = CONFIDENCE["crypto_unchecked" if unchecked else "checksum"]
        start, end = match.span()
        yield _mention("crypto", text, start, end, value, confidence, crypto_currency(value))


def _plates(text: str) -> Iterator[_Candidate]:
    for _, pattern, strict in _PLATES:
        for match in pattern.finditer(text):
            start, end = match.span()
            words = set(re.findall(r"[A-Z]+", match.group()))
            if words & _NOT_PLATE_WORDS:
                continue
            context = bool(
                _PLATE_CONTEXT.search(text, max(0, start - PLATE_BEFORE), start)
                or _PLATE_CONTEXT.search(text[end : end + PLATE_AFTER])
            )
            if not (strict or context):
                continue
            try:
                value = normalize_plate(match.group())
            except ValueError:
                continue
            confidence = CONFIDENCE["plate_context" if context else "plate"]
            yield _mention("plate", text, start, end, value, confidence)


def _documents(text: str) -> Iterator[_Candidate]:
    for word in _DOCUMENT.finditer(text):
        kind = word.lastgroup or "other"
        filler = _DOCUMENT_FILLER.match(text, word.end())
        gap_end = filler.end() if filler else word.end()
        if gap_end - word.end() > DOCUMENT_GAP:
            continue
        number = _DOCUMENT_NUMBER.match(text, gap_end)
        if number is None or (number.end() < len(text) and text[number.end()].isalnum()):
            continue
        groups = number.group()
        # drop trailing groups until the number is a valid one (a word in capitals after it)
        while groups:
            try:
                value = normalize_iddoc(groups)
            except ValueError:
                cut = max(groups.rfind(" "), groups.rfind("-"))
                groups = groups[:cut] if cut > 0 else ""
                continue
            start = number.start()
            yield _mention(
                "iddoc", text, start, start + len(groups), value, CONFIDENCE["iddoc"], kind
            )
            break
