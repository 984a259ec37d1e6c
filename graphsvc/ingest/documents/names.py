"""Names of persons, organisations and places in a document's text, and its sentences.

A spaCy pipeline per language finds the names (``NER_MODELS``: ``fr_core_news_sm`` for French;
see ``ner_models`` for English and the fallback); a few rules then repair what small models get
wrong on police prose:

- a courtesy or rank title (``M.``, ``Mme``, ``Mr``, ``Detective``, ``Capitaine``...) marks a
  person and is left out of the span: the span is the name only;
- French official writing puts the surname first in capitals (``MARCHAND Élodie``): such a
  sequence is a person, whatever label the model gave it;
- a company's legal form (``SARL``, ``SAS``, ``Ltd``, ``GmbH``, ``SRL``...) next to capitalised
  words makes them an organisation, with the legal form in the span;
- spans are trimmed of determiners (``la société``, ``the``) and trailing punctuation, and
  what has no letters, or looks like a street address, is dropped.

The model gives no probability per entity, so confidence is fixed by how the name was found
(``CONFIDENCE``): a name confirmed by a rule is surer than one the model alone proposed.
Sentences come from the same pipeline's parser, so co-mentions use the model's sentences.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from graphsvc.errors import InvalidConfig
from graphsvc.ingest.documents.mentions import Mention

DEFAULT_MODELS: dict[str, str] = {"fr": "fr_core_news_sm", "en": "fr_core_news_sm"}
FALLBACK_LANGUAGE = "fr"
MAX_CHARS = 1_000_000  # spaCy's own default limit; longer texts are read in pieces

LABELS: dict[str, str] = {
    "PER": "person",
    "PERSON": "person",
    "ORG": "organization",
    "LOC": "location",
    "GPE": "location",
}
CONFIDENCE: dict[str, float] = {
    "model": 0.7,  # the model's label alone
    "rule": 0.85,  # confirmed or found by a rule (title, surname in capitals, legal form)
}

_TITLES = (
    r"M\.|MM\.|Mme|Mmes|Mlle|Mlles|Me|Maître|Monsieur|Madame|Mademoiselle|Dr|Dr\.|Docteur|"
    r"Mr|Mr\.|Mrs|Mrs\.|Ms|Ms\.|Miss|Sir|Lady|Lord|"
    r"Detective|Det\.|DS|DC|DI|DCI|Inspector|Insp\.|Sergeant|Sgt\.?|Constable|PC|Officer|Agent|"
    r"Commissaire|Capitaine|Cne|Commandant|Cdt|Lieutenant|Lt|Brigadier|Major|Adjudant|Gendarme|"
    r"Colonel|Col\.|Général|General|Judge|Juge|Procureur|Prosecutor|Domnul|Doamna|dl\.|dna\."
)
_TITLE_BEFORE = re.compile(rf"(?:^|(?<=[\s(\[\"«]))(?:{_TITLES})\s+$")
_TITLE_START = re.compile(rf"^(?:{_TITLES})\s+")
_UPPER = "A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸĂÂÎȘȚŞŢŁŃÓŚŹŻ"
_LOWER = "a-zàâäçéèêëîïôöùûüÿăâîșțşţłńóśźżß"
_SURNAME_FIRST = re.compile(
    rf"^[{_UPPER}][{_UPPER}'’\-]+(?:\s+[{_UPPER}][{_UPPER}'’\-]+)*"
    rf"(?:\s+[{_UPPER}][{_LOWER}]+(?:[\-'’][{_UPPER}]?[{_LOWER}]+)*)+$"
)
_LEGAL_FORMS = (
    r"SARL|SAS|SASU|EURL|SA|SNC|SCI|SCP|SELARL|SPRL|SRL|S\.R\.L\.|SRL-D|BV|BVBA|NV|ASBL|"
    r"GmbH|AG|Ltd|Ltd\.|Limited|LLC|LLP|Inc|Inc\.|PLC|plc|Corp|Corp\.|SpA|S\.p\.A\."
)
_WORD = rf"[{_UPPER}0-9][\w&'’\-]*"
_COMPANY = re.compile(
    rf"\b(?:(?:{_LEGAL_FORMS})\s+{_WORD}(?:\s+(?:{_WORD}|&|de|du|des|la|le|et|of|and)){{0,4}}"
    rf"(?<![\s,.])"
    rf"|{_WORD}(?:\s+(?:{_WORD}|&|de|du|des|la|le|et|of|and)){{0,4}}\s+(?:{_LEGAL_FORMS}))"
    r"(?![\w])"
)
_LEAD = re.compile(
    r"^(?:la société|la sté|société|sté|l['’]entreprise|l['’]association|le groupe|la banque|"
    r"le|la|les|l['’]|the|a|an|un|une|des|du|de)\s*",
    re.IGNORECASE,
)
_TRAIL = re.compile(r"[\s,.;:!?'’\"»)\]-]+$")
_HAS_LETTER = re.compile(rf"[{_UPPER}{_LOWER}]")
_ADDRESSY = re.compile(r"\d")


def ner_models() -> dict[str, str]:
    """The spaCy pipeline for each language: ``DEFAULT_MODELS`` overridden by
    ``GRAPHSVC_NER_MODELS`` (``fr=fr_core_news_sm,en=en_core_web_sm``)."""
    models = dict(DEFAULT_MODELS)
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
    sentences: list[tuple[int, int]]  # [start, end) of each sentence, in order
    model: str


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
                    nlp = spacy.load(model, exclude=["lemmatizer"])
                except OSError as exc:
                    raise InvalidConfig(
                        f"the NER model {model!r} is not installed ({exc}); install it with pip "
                        "or choose another with GRAPHSVC_NER_MODELS"
                    ) from None
                self._loaded[model] = nlp
            return nlp

    def read(self, text: str, language: str | None) -> Reading:
        model = self.model_for(language)
        nlp = self.pipeline(model)
        version = f"spacy:{model}/{nlp.meta.get('version', '?')}"
        names: list[Mention] = []
        sentences: list[tuple[int, int]] = []
        for offset, piece in _pieces(text, MAX_CHARS):
            doc = nlp(piece)
            sentences.extend((offset + s.start_char, offset + s.end_char) for s in doc.sents)
            found = [
                (offset + e.start_char, offset + e.end_char, LABELS[e.label_])
                for e in doc.ents
                if e.label_ in LABELS
            ]
            names.extend(_repair(text, found, version))
        names.extend(_companies(text, names, version))
        names.sort(key=lambda m: (m.start, -m.end))
        return Reading(names=_without_overlaps(names), sentences=sentences, model=version)


def _pieces(text: str, size: int) -> Iterable[tuple[int, str]]:
    """The text in pieces of at most ``size`` characters, cut at paragraph breaks."""
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = text.rfind("\n\n", start, end)
            end = cut + 2 if cut > start else end
        yield start, text[start:end]
        start = end


def _repair(text: str, found: list[tuple[int, int, str]], extractor: str) -> list[Mention]:
    out: list[Mention] = []
    for start, end, kind in found:
        start, end, by_rule = _trim(text, start, end)
        if start >= end:
            continue
        words = text[start:end]
        if not _HAS_LETTER.search(words) or len(words.strip()) < 2:
            continue
        titled = _TITLE_BEFORE.search(text[max(0, start - 20) : start])
        if titled or by_rule or (_SURNAME_FIRST.match(words) and kind != "location"):
            kind, by_rule = "person", True
        if kind == "location" and _ADDRESSY.search(words):
            continue
        if kind == "person" and words.isupper() and " " not in words:
            continue  # a lone word in capitals is an acronym far more often than a person
        out.append(
            Mention(
                kind=kind,
                start=start,
                end=end,
                text=words,
                value=" ".join(words.split()),
                confidence=CONFIDENCE["rule" if by_rule else "model"],
                extractor=extractor,
            )
        )
    return out


def _trim(text: str, start: int, end: int) -> tuple[int, int, bool]:
    """The span without a leading title or determiner and trailing punctuation; and whether a
    title was removed (which makes it a person)."""
    words = text[start:end]
    titled = False
    match = _TITLE_START.match(words)
    if match and match.end() < len(words):
        start += match.end()
        titled = True
    else:
        lead = _LEAD.match(words)
        if lead and lead.end() < len(words):
            start += lead.end()
    words = text[start:end]
    trail = _TRAIL.search(words)
    if trail:
        end -= len(trail.group())
    while start < end and text[start].isspace():
        start += 1
    return start, end, titled


def _companies(text: str, names: list[Mention], extractor: str) -> list[Mention]:
    """Organisations named with their legal form; they replace the pieces the model found."""
    out: list[Mention] = []
    for match in _COMPANY.finditer(text):
        start, end = match.span()
        words = text[start:end]
        if "\n" in words:
            continue
        out.append(
            Mention(
                kind="organization",
                start=start,
                end=end,
                text=words,
                value=" ".join(words.split()),
                confidence=CONFIDENCE["rule"],
                extractor=extractor,
            )
        )
    return out


def _without_overlaps(names: list[Mention]) -> list[Mention]:
    """Where spans overlap, the surer mention wins, then the longer one."""
    kept: list[Mention] = []
    for mention in sorted(names, key=lambda m: (-m.confidence, -(m.end - m.start), m.start)):
        if not any(mention.overlaps(k) for k in kept):
            kept.append(mention)
    return sorted(kept, key=lambda m: m.start)
