"""The rules of name search every backend follows, so both find the same names.

A query is split into folded words (``graphsvc.model.text.tokens``). Each word stands for
itself, for the indexed words within a small edit distance (rapidfuzz ratio; none for short
words and numbers: 78 is not a misspelling of 79), and for the words it begins when it has
three letters or more. Widening takes every indexed word above the cut-off, never the best
few, so hidden names cannot crowd out visible ones. Candidate names then score against the
whole query (rapidfuzz ``WRatio``) and count from ``MIN_SCORE``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

CANDIDATES_MAX = 20_000  # candidate names scored per query
MIN_SCORE = 60.0


def fuzzy_cutoff(word: str) -> float | None:
    """Least rapidfuzz ratio for an indexed word to stand for ``word`` (None: exact only)."""
    if len(word) <= 3 or word.isdigit():
        return None
    return 75.0 if len(word) <= 5 else 80.0


@dataclass(frozen=True)
class WordMatch:
    """What a query word matches: these indexed words, or (``prefix``) any word it begins."""

    word: str
    terms: frozenset[str]
    prefix: bool

    def matches(self, name_words: Sequence[str]) -> bool:
        return any(w in self.terms or (self.prefix and w.startswith(self.word)) for w in name_words)


def widen(words: Sequence[str], vocabulary: Sequence[str]) -> list[WordMatch]:
    """Each query word with the indexed words it stands for."""
    out = []
    for word in words:
        terms = {word}
        cutoff = fuzzy_cutoff(word)
        if cutoff is not None:
            for term, _, _ in process.extract(
                word, vocabulary, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None
            ):
                terms.add(term)
        out.append(WordMatch(word, frozenset(terms), len(word) >= 3 and not word.isdigit()))
    return out
