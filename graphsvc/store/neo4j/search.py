"""Name search for the Neo4j store, with the embedded store's rules.

Names are indexed as the words ``graphsvc.model.text.tokens`` makes of them (folded case and
accents), in a full-text index with the whitespace analyzer, so both stores see the same
words. Query words are widened in Python by the rules of ``name_rules`` and sent to Lucene as
exact terms, plus a prefix: Lucene's own fuzzy queries keep only the closest few dozen terms
of the whole index, hidden names included, which would let hidden names crowd out visible
ones. Candidates come back per record; only the names that match by themselves (all words for
AND, one for OR) are scored against the whole query, as the embedded store scores the rows
FTS5 matched.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from rapidfuzz import fuzz

from graphsvc.errors import LimitExceeded
from graphsvc.model.text import fold, tokens
from graphsvc.store import name_rules
from graphsvc.store.name_rules import MIN_SCORE, WordMatch

__all__ = ["Vocabulary", "WordMatch", "lucene_query", "score_names", "widen"]

MAX_CLAUSES = 1000  # Lucene refuses boolean queries of more than 1,024 clauses
_LUCENE_SPECIAL = set('+-&|!(){}[]^"~*?:\\/')


def lucene_term(word: str) -> str:
    """``word`` with every character Lucene's query syntax reserves escaped."""
    return "".join("\\" + c if c in _LUCENE_SPECIAL else c for c in word)


def _lucene_group(match: WordMatch) -> str:
    alternatives = [lucene_term(t) for t in sorted(match.terms)]
    if match.prefix:
        alternatives.append(lucene_term(match.word) + "*")
    return "(" + " OR ".join(alternatives) + ")"


def widen(words: Sequence[str], vocabulary: list[str]) -> list[WordMatch]:
    """``name_rules.widen``, refused when Lucene would not take that many terms."""
    out = name_rules.widen(words, vocabulary)
    clauses = sum(len(m.terms) + m.prefix for m in out)
    if clauses > MAX_CLAUSES:
        raise LimitExceeded(
            f"the search text stands for {clauses} indexed words, over the limit of "
            f"{MAX_CLAUSES}; type more of each word"
        )
    return out


def lucene_query(matches: Sequence[WordMatch], conjunction: str) -> str:
    return f" {conjunction} ".join(_lucene_group(m) for m in matches)


def score_names(
    query: str, names: Sequence[str], matches: Sequence[WordMatch], conjunction: str
) -> tuple[float, str] | None:
    """The best ``(score, name)`` among the names that match by themselves, if any scores."""
    best: tuple[float, str] | None = None
    need = all if conjunction == "AND" else any
    for name in names:
        name_words = tokens(name)
        if not need(m.matches(name_words) for m in matches):
            continue
        score = float(fuzz.WRatio(query, fold(name)))
        if score >= MIN_SCORE and (best is None or score > best[0]):
            best = (score, name)
    return best


class Vocabulary:
    """The indexed words, read again when the data version moves."""

    def __init__(self) -> None:
        self._words: list[str] = []
        self._version = -1
        self._lock = threading.Lock()

    def get(self, version: int, read: Callable[[], list[str]]) -> list[str]:
        with self._lock:
            if version != self._version:
                self._words = read()
                self._version = version
            return self._words
