"""FollowTheMoney (FtM) entities both ways: the mapping, the id encoding, the graphsvc marking,
and the reader of FtM JSON lines (``graphsvc ingest file.ftm``).

The mapping between graphsvc types and FtM schemata is the data below (``ENTITY_FORMS``,
``LINK_FORMS``). The FtM writer (``graphsvc/export/ftm.py``) and this reader both use it, so
what the writer emits is what the reader understands; it lives here, in the lower layer, so
that ingestion never depends on the export layer.

**Entities.** Person -> Person; Organization -> Company when the record says
``kind: company``, else Organization (``kind`` in ``classification``); Phone and Email ->
UserAccount (``service`` ``phone``/``email``, the value in ``phone``/``email`` and
``username``), so they stay nodes that links can reach; BankAccount, Address, Vehicle
(``plate`` = ``registrationNumber``), Document and Event -> the FtM schema of that name;
Location -> Address carrying the keyword ``graphsvc:Location``; IpAddress -> UserAccount
(``ipAddress`` and ``username``) carrying the keyword ``graphsvc:IpAddress`` (a foreign
UserAccount with an ``ipAddress`` stays an account); CryptoWallet -> CryptoWallet (``address``
= ``publicKey``, copied to ``cryptoAddress``; ``currency`` = ``currencySymbol``);
IdentityDocument -> Passport when its ``kind`` is ``passport``, else Identification (``kind`` in
``type``), ``expiryDate`` = ``endDate``, written without the ``holder`` FtM expects (ours is a
link). FtM LegalEntity is read as an Organization (unless another fragment of the same id says
more).

**Links** become FtM interval entities: OWNS -> Ownership (UnknownLink when the asset is not an
FtM Asset: an Address, a Phone, a non-company Organization), DIRECTOR_OF -> Directorship,
EMPLOYED_BY -> Employment, MEMBER_OF -> Membership, RELATED_TO -> Family, MET -> Associate
(``relationship: met``), TRANSFERRED_TO -> Payment (``payerAccount``/``beneficiaryAccount`` for
bank accounts), CALLED -> Call (``callerNumber``/``receiverNumber`` for phones), MESSAGED ->
Message (``senderAccount``/``recipientAccount`` for phones and e-mail addresses),
MENTIONED_IN -> Documentation; USES, LIVES_AT, REGISTERED_AT, LOCATED_AT, PARTICIPATED_IN
(and any link no specific form fits) -> UnknownLink whose ``role`` names the link type
(``USES`` or ``USES: <our role>``). Read back, each gives the same type, ends and properties.
An FtM Associate without ``relationship: met`` is read as RELATED_TO.

**Ids.** FtM entity ids must match ``^[0-9a-zA-Z]([0-9a-zA-Z.-]*[0-9a-zA-Z])?$`` (at most
200 characters). An id that does (and does not start with ``gsid-``, ``gsidh-`` or
``graphsvc-``) is kept as it is. Any other becomes ``gsid-`` followed by the id with every
character other than ASCII letters, digits and ``.`` written as ``-`` and two hex digits per
UTF-8 byte (a final ``.`` too): ``ocrteh:PER-0001`` -> ``gsid-ocrteh-3aPER-2d0001``,
``phone:+33612345678`` -> ``gsid-phone-3a-2b33612345678``. Decoding reverses it; a ``gsid-`` id
that is not exactly what encoding would give is a foreign id, kept as it is. An id whose
encoding would pass 200 characters becomes ``gsidh-<sha1>`` and its marking carries the id.

**Marking.** FtM has no place for provenance, grading or handling, so every record is its own
fragment (an entity asserted by three records is three lines with the same id; ``ftm
aggregate`` would merge them) with ``publisher`` = the source and, in ``summary``, the record's
marking: ``CONFIDENTIAL // REL FR // H2 — graphsvc:{"handling":...,"provenance":...,"v":1}``.
The JSON holds ``provenance`` (without ``ingestedAt``: loading is a new ingestion),
``grading``, ``handling``, and ``properties``: the record's values FtM has no property for
(a phone's carrier, a vehicle's make, a call's cell id, ``gender: unknown``...). A fragment
for an entity that only links assert says so (``{"assertedBy":"links","v":1}``) and stores
nothing. A merged entity carrying several markings cannot say which record asserted which
value, so it is refused.

**Foreign files** (Aleph, OpenSanctions: no marking) take provenance, grading and handling
from a source definition: the one named by the fragment's ``publisher`` when defined, else the
``--source`` default; the record id is the FtM id. Selectors (phones, e-mail addresses, IBANs,
plates, IP and crypto addresses, document numbers) are identified by their value, as always.
Only the FtM properties of the mapping are read. Several values for a single-valued property
keep the first (extra names become aliases); values outside a property's allowed list (an
Organization ``classification`` that is not a graphsvc ``kind``) are dropped.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphsvc.errors import InvalidInput
from graphsvc.ingest.native import RawUnit, read_objects
from graphsvc.ingest.sources import SourceRegistry
from graphsvc.model.schema import LinkType, PropertySpec, Schema
from graphsvc.model.text import one_of

FTM_SUFFIXES = (".ftm", ".ftm.json", ".ftm.jsonl")

ID_PREFIX = "gsid-"
HASHED_PREFIX = "gsidh-"
BANNER_PREFIX = "graphsvc-banner-"
RESERVED_PREFIXES = (ID_PREFIX, HASHED_PREFIX, "graphsvc-")
FTM_ID_MAX = 200
MARKING = "graphsvc:"
BANNER_MARKING = "graphsvc-banner:"
MARKING_VERSION = 1
LINKS_ONLY = "links"
_FTM_ID = re.compile(r"^[0-9a-zA-Z]([0-9a-zA-Z.\-]*[0-9a-zA-Z])?$")
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.")
_HEX = frozenset("0123456789abcdef")


# ---------------------------------------------------------------------------------------------
# The mapping (data).


@dataclass(frozen=True)
class EntityForm:
    """How one graphsvc entity type is written as one FtM schema.

    ``properties``: our property -> FtM property (``None``: FtM has none; the value travels in
    the marking). ``implies``: our values the schema itself says (a Company is ``kind:
    company``), chosen on writing when the record says them. ``fixed``: FtM values written as
    they are and told apart on reading (a UserAccount's ``service``). ``copies``: FtM
    properties repeating one of ours for FtM readers (ignored on reading). ``keyword``: a
    keyword telling this form from another of the same schema. ``write``: False for forms
    only read (FtM LegalEntity)."""

    type: str
    schema: str
    properties: Mapping[str, str | None]
    implies: Mapping[str, str] = field(default_factory=dict)
    fixed: Mapping[str, str] = field(default_factory=dict)
    copies: Mapping[str, str] = field(default_factory=dict)
    keyword: str | None = None
    write: bool = True


@dataclass(frozen=True)
class LinkForm:
    """How one graphsvc link type is written as one FtM interval schema.

    ``source``/``target``: the kind of entity at that end (our type, ``Company`` for an
    Organization written as a Company, ``*`` for any) -> the FtM property naming it, in order
    of preference when reading (a Call naming both a caller and a caller number is read from
    the number). ``fixed``: FtM values the form writes and is recognised by (Associate
    ``relationship: met`` is MET). ``role_names_type``: the FtM ``role`` is ``<TYPE>`` or
    ``<TYPE>: <our role>`` (UnknownLink)."""

    type: str
    schema: str
    source: Mapping[str, str]
    target: Mapping[str, str]
    properties: Mapping[str, str | None]
    fixed: Mapping[str, str] = field(default_factory=dict)
    role_names_type: bool = False
    write: bool = True


_ORGANIZATION = {
    "name": "name",
    "aliases": "alias",
    "registrationNumber": "registrationNumber",
    "jurisdiction": "jurisdiction",
    "legalForm": "legalForm",
    "incorporationDate": "incorporationDate",
    "dissolutionDate": "dissolutionDate",
    "status": "status",
    "sector": "sector",
    "notes": "notes",
}

ENTITY_FORMS: tuple[EntityForm, ...] = (
    EntityForm(
        "Person",
        "Person",
        {
            "name": "name",
            "aliases": "alias",
            "birthDate": "birthDate",
            "birthPlace": "birthPlace",
            "nationality": "nationality",
            "gender": "gender",
            "idNumber": "idNumber",
            "occupation": "profession",
            "notes": "notes",
        },
    ),
    EntityForm("Organization", "Company", _ORGANIZATION, implies={"kind": "company"}),
    EntityForm("Organization", "Organization", {**_ORGANIZATION, "kind": "classification"}),
    EntityForm("Organization", "LegalEntity", _ORGANIZATION, write=False),
    EntityForm(
        "Phone",
        "UserAccount",
        {"number": "phone", "carrier": None, "lineType": None, "country": "country"},
        fixed={"service": "phone"},
        copies={"username": "number"},
    ),
    EntityForm(
        "Email",
        "UserAccount",
        {"address": "email", "provider": None},
        fixed={"service": "email"},
        copies={"username": "address"},
    ),
    EntityForm(
        "BankAccount",
        "BankAccount",
        {
            "iban": "iban",
            "bic": "bic",
            "bank": "bankName",
            "currency": "currency",
            "openedDate": "openingDate",
        },
    ),
    EntityForm(
        "Address",
        "Address",
        {
            "full": "full",
            "street": "street",
            "postalCode": "postalCode",
            "city": "city",
            "country": "country",
        },
    ),
    EntityForm(
        "Location",
        "Address",
        {"name": "name", "latitude": "latitude", "longitude": "longitude", "country": "country"},
        keyword="graphsvc:Location",
    ),
    EntityForm(
        "Vehicle",
        "Vehicle",
        {
            "plate": "registrationNumber",
            "make": None,
            "model": "model",
            "colour": None,
            "registrationCountry": "country",
        },
    ),
    EntityForm(
        "Document",
        "Document",
        # FtM's language is ISO 639-3 and contentHash a file's SHA-1: ours are free text and
        # a SHA-256; the text extraction spans point into is FtM's bodyText
        {
            "title": "title",
            "date": "date",
            "language": None,
            "kind": None,
            "hash": None,
            "reference": None,
            "source": None,
            "file": "fileName",
            "mediaType": "mimeType",
            "pages": None,
            "ocr": None,
            "text": "bodyText",
        },
    ),
    EntityForm(
        "Event",
        "Event",
        {"name": "name", "date": "date", "place": "location", "description": "description"},
    ),
    # FtM has no IP-address entity: a UserAccount holds one in ``ipAddress``; the keyword tells
    # ours from a foreign account that merely has an IP address (which stays an account)
    EntityForm(
        "IpAddress",
        "UserAccount",
        {"address": "ipAddress", "firstSeen": None, "lastSeen": None},
        copies={"username": "address"},
        keyword="graphsvc:IpAddress",
    ),
    EntityForm(
        "CryptoWallet",
        "CryptoWallet",
        {"address": "publicKey", "currency": "currencySymbol"},
        copies={"cryptoAddress": "address"},
    ),
    # FtM identifications name their holder (a link here, not a property): written without
    EntityForm(
        "IdentityDocument",
        "Passport",
        {"number": "number", "country": "country", "expiryDate": "endDate"},
        implies={"kind": "passport"},
    ),
    EntityForm(
        "IdentityDocument",
        "Identification",
        {"number": "number", "kind": "type", "country": "country", "expiryDate": "endDate"},
    ),
)

_PARTY = {"Person": "", "Organization": "", "Company": ""}
_SPAN = {"since": "startDate", "until": "endDate"}
_ROLE_SPAN = {"role": "role", **_SPAN}


def _ends(kinds: Mapping[str, str] | tuple[str, ...], prop: str) -> dict[str, str]:
    return {kind: prop for kind in kinds}


LINK_FORMS: tuple[LinkForm, ...] = (
    LinkForm(
        "OWNS",
        "Ownership",
        _ends(_PARTY, "owner"),
        _ends(("Company", "BankAccount", "Vehicle"), "asset"),  # FtM Assets only
        {"share": "percentage", **_SPAN},
    ),
    LinkForm(
        "DIRECTOR_OF",
        "Directorship",
        _ends(_PARTY, "director"),
        _ends(("Organization", "Company"), "organization"),
        _ROLE_SPAN,
    ),
    LinkForm(
        "EMPLOYED_BY",
        "Employment",
        {"Person": "employee"},
        _ends(("Organization", "Company"), "employer"),
        _ROLE_SPAN,
    ),
    LinkForm(
        "MEMBER_OF",
        "Membership",
        _ends(_PARTY, "member"),
        _ends(("Organization", "Company"), "organization"),
        _ROLE_SPAN,
    ),
    LinkForm(
        "RELATED_TO",
        "Family",
        {"Person": "person"},
        {"Person": "relative"},
        {"relationship": "relationship"},
    ),
    LinkForm(
        "MET",
        "Associate",
        {"Person": "person"},
        {"Person": "associate"},
        {"date": "date", "place": None},
        fixed={"relationship": "met"},
    ),
    LinkForm(  # a foreign Associate that is not a meeting
        "RELATED_TO",
        "Associate",
        {"Person": "person"},
        {"Person": "associate"},
        {"relationship": "relationship"},
        write=False,
    ),
    LinkForm(
        "TRANSFERRED_TO",
        "Payment",
        {"BankAccount": "payerAccount", **_ends(_PARTY, "payer")},
        {"BankAccount": "beneficiaryAccount", **_ends(_PARTY, "beneficiary")},
        {
            "date": "date",
            "amount": "amount",
            "currency": "currency",
            "reference": "purpose",
            "channel": None,
        },
    ),
    LinkForm(
        "CALLED",
        "Call",
        {"Phone": "callerNumber", "Person": "caller"},
        {"Phone": "receiverNumber", "Person": "receiver"},
        {"date": "date", "durationSeconds": "duration", "cellId": None},
    ),
    LinkForm(
        "MESSAGED",
        "Message",
        {"Phone": "senderAccount", "Email": "senderAccount", "Person": "sender"},
        {"Phone": "recipientAccount", "Email": "recipientAccount", "Person": "recipients"},
        {"date": "date", "subject": "subject", "channel": None, "cellId": None},
    ),
    LinkForm(
        "MENTIONED_IN",
        "Documentation",
        {"*": "entity"},
        {"Document": "document"},
        {"mention": "role"},
    ),
    *(
        LinkForm(
            name, "UnknownLink", {"*": "subject"}, {"*": "object"}, props, role_names_type=True
        )
        for name, props in (
            ("USES", {**_SPAN, "role": "role"}),
            ("LIVES_AT", _SPAN),
            ("REGISTERED_AT", _SPAN),
            ("LOCATED_AT", {"date": "date"}),
            ("PARTICIPATED_IN", {"role": "role"}),
        )
    ),
)

# Any link no form above fits (OWNS of an Address, a call between numbers FtM cannot hold, a
# link type added to the schema later) is an UnknownLink naming its type, with these dates.
FALLBACK_SCHEMA = "UnknownLink"
FALLBACK_PROPERTIES: Mapping[str, str] = {
    "date": "date",
    "since": "startDate",
    "until": "endDate",
    "role": "role",
}

# FtM properties holding a value (a phone number), not an entity id, and the type it makes.
VALUE_ENDS: Mapping[str, str] = {"callerNumber": "Phone", "receiverNumber": "Phone"}
# FtM properties that only hold some values (others travel in the marking).
FTM_VALUES: Mapping[str, frozenset[str]] = {"gender": frozenset({"male", "female", "other"})}


def fallback_form(ltype: LinkType) -> LinkForm:
    """The UnknownLink form of a link type: dates and role where FtM has them, the rest in
    the marking."""
    return LinkForm(
        ltype.name,
        FALLBACK_SCHEMA,
        {"*": "subject"},
        {"*": "object"},
        {name: FALLBACK_PROPERTIES.get(name) for name in ltype.properties},
        role_names_type=True,
    )


ENTITY_SCHEMATA = tuple(dict.fromkeys(f.schema for f in ENTITY_FORMS))
LINK_SCHEMATA = tuple(dict.fromkeys(f.schema for f in LINK_FORMS))
_WEAK_SCHEMATA = frozenset({"LegalEntity"})  # another fragment of the same id may say more


# ---------------------------------------------------------------------------------------------
# Ids.


def _escape(text: str) -> str:
    out: list[str] = []
    for char in text:
        if char in _PLAIN:
            out.append(char)
        else:
            out.extend(f"-{byte:02x}" for byte in char.encode("utf-8"))
    escaped = "".join(out)
    return escaped[:-1] + "-2e" if escaped.endswith(".") else escaped


def _unescape(text: str) -> str | None:
    data = bytearray()
    index = 0
    while index < len(text):
        char = text[index]
        if char == "-":
            pair = text[index + 1 : index + 3]
            if len(pair) != 2 or not set(pair) <= _HEX:
                return None
            data.append(int(pair, 16))
            index += 3
        elif char in _PLAIN:
            data.append(ord(char))
            index += 1
        else:
            return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def encode_id(our_id: str, salt: str = "") -> tuple[str, bool]:
    """The FtM id of a graphsvc id, and whether it is a digest (its marking must then carry
    the id). ``salt`` tells apart two things of one id (a link and an entity)."""
    if (
        not salt
        and len(our_id) <= FTM_ID_MAX
        and _FTM_ID.match(our_id)
        and not our_id.startswith(RESERVED_PREFIXES)
    ):
        return our_id, False
    escaped = ID_PREFIX + _escape(our_id)
    if not salt and len(escaped) <= FTM_ID_MAX:
        return escaped, False
    digest = hashlib.sha1(f"{salt}|{our_id}".encode()).hexdigest()
    return HASHED_PREFIX + digest, True


def decode_id(ftm_id: str) -> str:
    """The graphsvc id of an FtM id (foreign ids are kept as they are)."""
    if not ftm_id.startswith(ID_PREFIX):
        return ftm_id
    decoded = _unescape(ftm_id[len(ID_PREFIX) :])
    if decoded is None or encode_id(decoded) != (ftm_id, False):
        return ftm_id
    return decoded


def banner_id(export_id: str) -> str:
    """The fixed id of an export's banner entity: ``graphsvc-banner-<export id>``."""
    ftm_id = BANNER_PREFIX + (export_id if _FTM_ID.match(export_id) else _escape(export_id))
    if len(ftm_id) > FTM_ID_MAX:
        return BANNER_PREFIX + hashlib.sha1(export_id.encode()).hexdigest()
    return ftm_id


# ---------------------------------------------------------------------------------------------
# The marking.


def human_marking(handling: Mapping[str, Any]) -> str:
    """``CONFIDENTIAL // REL FR, BE // HUMINT // H2`` for one record's handling."""
    parts = [str(handling.get("classification"))]
    if handling.get("releasableTo"):
        parts.append("REL " + ", ".join(handling["releasableTo"]))
    if handling.get("caveats"):
        parts.append(" ".join(handling["caveats"]))
    parts.append(str(handling.get("code")))
    return " // ".join(parts)


def marking_text(payload: Mapping[str, Any]) -> str:
    """The ``summary`` value carrying ``payload``: a human marking, then the JSON."""
    handling = payload.get("handling")
    human = human_marking(handling) if isinstance(handling, dict) else "known through links only"
    data = {"v": MARKING_VERSION, **payload}
    return f"{human} — {MARKING}{json.dumps(data, ensure_ascii=False, sort_keys=True)}"


def parse_markings(values: list[str]) -> list[dict[str, Any] | str]:
    """The graphsvc markings among ``summary`` values: each a payload, or a problem."""
    found: list[dict[str, Any] | str] = []
    for text in values:
        start = text.find(MARKING + "{")
        if start < 0:
            continue
        try:
            payload, end = json.JSONDecoder().raw_decode(text, start + len(MARKING))
        except json.JSONDecodeError as exc:
            found.append(f"the graphsvc marking is not valid JSON: {exc.msg}")
            continue
        if text[end:].strip():
            found.append("the graphsvc marking has text after its JSON")
        elif not isinstance(payload, dict):
            found.append("the graphsvc marking is not a JSON object")
        elif payload.get("v") != MARKING_VERSION:
            found.append(f"unknown graphsvc marking version {payload.get('v')!r}")
        else:
            found.append(payload)
    return found


# ---------------------------------------------------------------------------------------------
# Reading.


Known = dict[str, tuple[str, str]]  # FtM id -> (our type, our id)


def is_ftm_file(path: Path) -> bool:
    return path.name.lower().endswith(FTM_SUFFIXES)


def read_ftm(
    path: Path,
    schema: Schema,
    registry: SourceRegistry,
    default_source: str | None = None,
    on_bytes: Callable[[int], None] | None = None,
) -> Iterator[tuple[int, RawUnit | InvalidInput]]:
    """``(line number, [native record])`` per FtM entity line, or ``(line number, error)``.

    The file is read twice: first for the type and id of every entity in it, so that a link
    names both its ends as ``{"id", "type"}`` whatever the order of the lines; then for the
    records. The banner entity and fragments of entities only links assert yield nothing.
    """
    reader = _Reader(schema, registry, default_source)
    expected = "an FtM entity (a JSON object)"
    for _, value in read_objects(path, None, expected):
        if isinstance(value, dict):
            reader.learn(value)
    for number, value in read_objects(path, on_bytes, expected):
        if isinstance(value, InvalidInput):
            yield number, value
            continue
        try:
            unit = reader.unit(value)
        except InvalidInput as exc:
            yield number, exc
            continue
        if unit is not None:
            yield number, unit


@dataclass
class _Fragment:
    id: str
    schema: str
    properties: dict[str, list[str]]
    markings: list[dict[str, Any] | str]

    def values(self, prop: str) -> list[str]:
        return self.properties.get(prop, [])


def _fragment(raw: dict[str, Any]) -> _Fragment:
    problems: list[tuple[str | None, str]] = []
    ftm_id, schema, properties = raw.get("id"), raw.get("schema"), raw.get("properties", {})
    if not isinstance(ftm_id, str) or not ftm_id:
        problems.append(("id", "an FtM entity needs an id (a string)"))
    if not isinstance(schema, str) or not schema:
        problems.append(("schema", "an FtM entity needs a schema (a string)"))
    values: dict[str, list[str]] = {}
    if not isinstance(properties, dict):
        problems.append(("properties", "expected an object of property -> list of values"))
    else:
        for name, given in properties.items():
            items = given if isinstance(given, list) else [given]
            if not all(isinstance(item, str) for item in items):
                problems.append((f"properties.{name}", "expected a list of strings"))
                continue
            kept = [item.strip() for item in items if item.strip()]
            if kept:
                values[str(name)] = list(dict.fromkeys(kept))
    if problems:
        raise InvalidInput.of(problems)
    assert isinstance(ftm_id, str) and isinstance(schema, str)
    return _Fragment(ftm_id, schema, values, parse_markings(values.get("summary", [])))


class _Reader:
    def __init__(
        self, schema: Schema, registry: SourceRegistry, default_source: str | None
    ) -> None:
        self.schema = schema
        self.registry = registry
        self.default_source = default_source
        self.known: Known = {}
        self._fragments: dict[tuple[str, str], int] = {}  # (source, FtM id) -> fragments seen
        self._weak: set[str] = set()
        self._link_types = {name.casefold(): ltype for name, ltype in schema.links.items()}

    # -- pass one: what each id is ----------------------------------------------------------

    def learn(self, raw: dict[str, Any]) -> None:
        try:
            fragment = _fragment(raw)
            form = self._entity_form(fragment)
        except InvalidInput:
            return
        if form is None:
            return
        payload = next((m for m in fragment.markings if isinstance(m, dict)), None)
        our_id = self._our_id(fragment, form.type, payload)
        seen = self.known.get(fragment.id)
        weak = fragment.schema in _WEAK_SCHEMATA
        if seen is None or (fragment.id in self._weak and not weak) or form.keyword:
            self.known[fragment.id] = (form.type, our_id)
            if weak:
                self._weak.add(fragment.id)
            else:
                self._weak.discard(fragment.id)

    def _our_id(self, fragment: _Fragment, etype: str, payload: dict[str, Any] | None) -> str:
        if payload is not None and isinstance(payload.get("id"), str):
            return str(payload["id"])
        decoded = decode_id(fragment.id)
        selector = self.schema.entities[etype].selector
        if payload is None and selector is not None and decoded == fragment.id:
            # a foreign selector is identified by its value, not by the FtM id
            prefix, _, _ = decoded.partition(":")
            if prefix != selector.prefix:
                form = self._form_of(etype, fragment.schema)
                prop = form.properties.get(selector.property) if form else None
                values = fragment.values(prop) if prop else []
                if values:
                    return f"{selector.prefix}:{values[0]}"
        return decoded

    # -- pass two: records ------------------------------------------------------------------

    def unit(self, raw: dict[str, Any]) -> RawUnit | None:
        fragment = _fragment(raw)
        if fragment.schema == "Note" and fragment.id.startswith(BANNER_PREFIX):
            return None  # the handling banner of a graphsvc export
        payloads = [m for m in fragment.markings if isinstance(m, dict)]
        broken = [m for m in fragment.markings if isinstance(m, str)]
        if broken:
            raise InvalidInput(broken[0], field="summary")
        if len(payloads) > 1:
            raise InvalidInput(
                f"{len(payloads)} graphsvc markings on one entity: its fragments were merged "
                "(ftm aggregate), so no value can be told to its record; load the export "
                "as it was written",
                field="summary",
            )
        payload = payloads[0] if payloads else None
        if fragment.schema in ENTITY_SCHEMATA:
            form = self._entity_form(fragment)
            assert form is not None
            if payload is not None and payload.get("assertedBy") == LINKS_ONLY:
                return None
            return [self._entity(fragment, form, payload)]
        if fragment.schema in LINK_SCHEMATA:
            return [self._link(fragment, payload)]
        raise InvalidInput(
            f"FtM schema {fragment.schema!r} is not supported: graphsvc reads the entities "
            f"{one_of(ENTITY_SCHEMATA)} and the links {one_of(LINK_SCHEMATA)}",
            field="schema",
        )

    def _entity_form(self, fragment: _Fragment) -> EntityForm | None:
        """The form of an entity fragment (None: not an entity schema we read)."""
        forms = [f for f in ENTITY_FORMS if f.schema == fragment.schema]
        if not forms:
            return None
        if len(forms) == 1:
            return forms[0]
        keywords = set(fragment.values("keywords"))
        for form in forms:
            if form.keyword is not None and form.keyword in keywords:
                return form
        plain = [f for f in forms if f.keyword is None]
        if len(plain) == 1:
            return plain[0]
        fixed = [f for f in plain if all(v in fragment.values(k) for k, v in f.fixed.items())]
        if len(fixed) == 1:
            return fixed[0]
        having = [f for f in plain if fragment.values(self._selector_property(f) or "")]
        if len(having) == 1:
            return having[0]
        kinds = "; ".join(
            f"{f.type} ({', '.join(f'{k}: {v}' for k, v in f.fixed.items())}, "
            f"or only {self._selector_property(f)})"
            for f in plain
        )
        raise InvalidInput(
            f"cannot tell which graphsvc type this {fragment.schema} is: expected {kinds}",
            field="properties",
        )

    def _selector_property(self, form: EntityForm) -> str | None:
        """The FtM property holding the value that identifies a selector of this form."""
        selector = self.schema.entities[form.type].selector
        return form.properties.get(selector.property) if selector else None

    def _form_of(self, etype: str, ftm_schema: str) -> EntityForm | None:
        return next((f for f in ENTITY_FORMS if f.type == etype and f.schema == ftm_schema), None)

    def _entity(
        self, fragment: _Fragment, form: EntityForm, payload: dict[str, Any] | None
    ) -> dict[str, Any]:
        etype, our_id = self.known.get(fragment.id, (form.type, decode_id(fragment.id)))
        if etype != form.type:  # another fragment of the id says more (a LegalEntity's Person)
            form = self._form_of(etype, fragment.schema) or form
        specs = self.schema.entities[etype].properties
        properties: dict[str, Any] = {}
        for ours, theirs in form.properties.items():
            if theirs is not None and ours in specs and fragment.values(theirs):
                properties[ours] = fragment.values(theirs)
        for ours, value in form.implies.items():
            if ours in specs:
                properties.setdefault(ours, [value])
        if payload is None:
            _fit(properties, specs)
        record: dict[str, Any] = {"kind": "entity", "type": etype, "properties": properties}
        selector = self.schema.entities[etype].selector
        if payload is not None or selector is None or our_id.startswith(selector.prefix + ":"):
            record["id"] = our_id
        elif not properties.get(selector.property):
            raise InvalidInput(
                f"a {etype} is identified by its {selector.property}, and this "
                f"{fragment.schema} has no {form.properties.get(selector.property)}",
                field=f"properties.{form.properties.get(selector.property)}",
            )
        return self._sourced(record, fragment, payload)

    def _link(self, fragment: _Fragment, payload: dict[str, Any] | None) -> dict[str, Any]:
        form = self._link_form(fragment)
        ltype = self.schema.links.get(form.type)
        if ltype is None:
            raise InvalidInput(f"the schema has no link type {form.type}", field="schema")
        ends = [self._end(fragment, form, side) for side in ("from", "to")]
        properties: dict[str, Any] = {}
        for ours, theirs in form.properties.items():
            if ours not in ltype.properties or theirs is None:
                continue
            values = fragment.values(theirs)
            if form.role_names_type and theirs == "role":
                values = [rest for rest in (self._role_rest(v, form.type) for v in values) if rest]
            if values:
                properties[ours] = values
        if payload is None:
            _fit(properties, ltype.properties)
        record: dict[str, Any] = {
            "kind": "link",
            "id": self._link_id(fragment, payload),
            "type": ltype.name,
            "from": ends[0],
            "to": ends[1],
            "properties": properties,
        }
        return self._sourced(record, fragment, payload)

    def _link_id(self, fragment: _Fragment, payload: dict[str, Any] | None) -> str:
        if payload is not None and isinstance(payload.get("id"), str):
            return str(payload["id"])
        return decode_id(fragment.id)

    def _link_form(self, fragment: _Fragment) -> LinkForm:
        forms = [f for f in LINK_FORMS if f.schema == fragment.schema]
        if fragment.schema == FALLBACK_SCHEMA:
            named = self._role_type(fragment)
            specific = [f for f in forms if f.type == named.name]
            return specific[0] if specific else fallback_form(named)
        for form in forms:
            if form.fixed and all(
                v.casefold() in {x.casefold() for x in fragment.values(k)}
                for k, v in form.fixed.items()
            ):
                return form
        plain = [f for f in forms if not f.fixed]
        return plain[0]

    def _role_type(self, fragment: _Fragment) -> LinkType:
        for role in fragment.values("role"):
            head = role.partition(":")[0].strip().casefold()
            if head in self._link_types:
                return self._link_types[head]
        roles = ", ".join(repr(r) for r in fragment.values("role")) or "none"
        raise InvalidInput(
            f"an UnknownLink is read when its role names a graphsvc link type "
            f"({one_of(self.schema.links)}, optionally followed by ': <role>'); its role is "
            f"{roles}",
            field="properties.role",
        )

    @staticmethod
    def _role_rest(role: str, link_type: str) -> str | None:
        head, sep, rest = role.partition(":")
        if head.strip().casefold() != link_type.casefold():
            return role
        return rest.strip() if sep and rest.strip() else None

    def _end(self, fragment: _Fragment, form: LinkForm, side: str) -> dict[str, str] | str:
        mapping = form.source if side == "from" else form.target
        props = list(dict.fromkeys(mapping.values()))
        for prop in props:
            values = fragment.values(prop)
            if not values:
                continue
            if len(values) > 1:
                raise InvalidInput(
                    f"a graphsvc link has one entity at each end; this {fragment.schema} names "
                    f"{len(values)} in {prop}",
                    field=f"properties.{prop}",
                )
            value = values[0]
            if prop in VALUE_ENDS:
                etype = VALUE_ENDS[prop]
                selector = self.schema.entities[etype].selector
                assert selector is not None
                return {"id": f"{selector.prefix}:{value}", "type": etype}
            known = self.known.get(value)
            if known is not None:
                return {"id": known[1], "type": known[0]}
            kinds = {
                "Organization" if kind == "Company" else kind
                for kind, p in mapping.items()
                if p == prop and kind != "*"
            }
            if len(kinds) == 1:
                return {"id": decode_id(value), "type": kinds.pop()}
            return decode_id(value)  # resolved against the run, or reported unknown
        raise InvalidInput(
            f"this {fragment.schema} names no {side} end: expected {one_of(props)}",
            field=f"properties.{props[0]}",
        )

    def _sourced(
        self, record: dict[str, Any], fragment: _Fragment, payload: dict[str, Any] | None
    ) -> dict[str, Any]:
        """The record with its provenance, grading and handling: the marking's, or the source
        definition's for a foreign entity."""
        if payload is not None:
            extra = payload.get("properties") or {}
            if not isinstance(extra, dict):
                raise InvalidInput("expected an object", field="summary.properties")
            record["properties"].update(extra)
            for part in ("provenance", "grading", "handling"):
                if payload.get(part) is not None:
                    record[part] = payload[part]
            return record
        publishers = fragment.values("publisher")
        name = next((p for p in publishers if self.registry.get(p) is not None), None)
        if name is None and self.registry.get(self.default_source) is not None:
            name = self.default_source
        if name is None:
            said = (
                f"its publisher {one_of(repr(p) for p in publishers)} is not a defined source"
                if publishers
                else "it has no publisher"
            )
            default = (
                f"--source {self.default_source!r} is not defined in the source definitions"
                if self.default_source
                else "no --source was given"
            )
            raise InvalidInput(
                "an FtM entity without a graphsvc marking takes its provenance, grading and "
                f"handling from a source definition, and none applies: {said}, and {default} "
                "(give --source NAME with --sources FILE)",
                field="publisher",
            )
        # fragments of one FtM id are records of their own: the first is the id, the next
        # ones in the file the id and their rank (stable while the file is)
        rank = self._fragments[(name, fragment.id)] = (
            self._fragments.get((name, fragment.id), 0) + 1
        )
        suffix = f"#{rank}" if rank > 1 and record["kind"] == "entity" else ""
        record["provenance"] = {"source": name, "record": fragment.id + suffix}
        return record


def _fit(properties: dict[str, Any], specs: Mapping[str, PropertySpec]) -> None:
    """Fit a foreign entity's values to our properties: values outside an allowed list are
    dropped, a single-valued property keeps its first value (further names become aliases)."""
    for name in list(properties):
        spec = specs[name]
        values: list[Any] = properties[name]
        if spec.values is not None:
            values = [v for v in values if v in spec.values]
        if not spec.multiple and len(values) > 1:
            alias = specs.get("aliases")
            if spec.type == "name" and alias is not None and alias.multiple:
                properties["aliases"] = list(
                    dict.fromkeys(properties.get("aliases", []) + values[1:])
                )
            values = values[:1]
        if values:
            properties[name] = values
        else:
            del properties[name]
