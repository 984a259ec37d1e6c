"""The language a document is written in, as an ISO 639-1 code.

``detect_language`` runs py3langid's naive Bayes classifier restricted to ``LANGUAGES``, the
languages of European police and judicial work (the EU's, the Western Balkans', and the
Arabic, Russian, Ukrainian and Turkish that cases often involve). Restricting the set keeps a
short French note from being called Luxembourgish or Occitan.

Rules (documented thresholds):

- the text is first reduced to its words: digits, punctuation and symbols become spaces, so
  phone numbers, IBANs and dates neither count nor dilute the score;
- fewer than ``MIN_LETTERS`` (20) letters -> ``None``: too short to tell;
- only the first ``SAMPLE_CHARS`` characters of that reduced text are classified (a long
  report's opening is enough, and the cost stays bounded);
- the classifier's normalised probability (py3langid ``norm_probs``, a softmax whose
  temperature grows with the text's length so that it stays calibrated) must reach
  ``MIN_PROBABILITY`` (0.5): the winner must hold more than half of the probability mass over
  ``LANGUAGES``. Below that -> ``None``. Names alone, headings such as "Facture N° 2024-113" or
  OCR noise fall below it; a sentence of prose is usually above 0.9.
"""

from __future__ import annotations

import re
import threading
from typing import Any

LANGUAGES: tuple[str, ...] = (
    # the languages the issue names first
    "fr",
    "en",
    "ro",
    "nl",
    "de",
    "es",
    "it",
    "pt",
    "pl",
    # the other EU and neighbouring languages police co-operation meets most
    "bg",
    "cs",
    "sk",
    "sl",
    "hr",
    "sr",
    "sq",
    "el",
    "hu",
    "lt",
    "lv",
    "et",
    "fi",
    "sv",
    "da",
    "no",
    "ca",
    "tr",
    "ru",
    "uk",
    "ar",
)
MIN_LETTERS = 20
MIN_PROBABILITY = 0.5
SAMPLE_CHARS = 20_000

_NOT_WORDS = re.compile(r"[\W\d_]+")
_lock = threading.Lock()
_identifier: Any = None


def _classifier() -> Any:
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid.langid import (  # type: ignore[import-untyped]
                MODEL_FILE,
                LanguageIdentifier,
            )

            identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            identifier.set_languages(list(LANGUAGES))
            _identifier = identifier
        return _identifier


def language_scores(text: str) -> list[tuple[str, float]]:
    """Every language of ``LANGUAGES`` with its normalised probability, best first (for
    diagnostics; ``detect_language`` decides)."""
    words = _NOT_WORDS.sub(" ", text[: SAMPLE_CHARS * 2]).strip()[:SAMPLE_CHARS]
    ranked = _classifier().rank(words)
    return [(str(lang), float(score)) for lang, score in ranked]


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the language of ``text``, or None when it has fewer than
    ``MIN_LETTERS`` letters or no language reaches ``MIN_PROBABILITY``."""
    if sum(1 for char in text[: SAMPLE_CHARS * 2] if char.isalpha()) < MIN_LETTERS:
        return None
    language, probability = language_scores(text)[0]
    return language if probability >= MIN_PROBABILITY else None
