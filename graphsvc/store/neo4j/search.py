"""Name search for the Neo4j store, with the embedded store's rules.

Names are indexed as the words ``graphsvc.model.text.tokens`` makes of them (folded case and
accents), in a full-text index with the whitespace analyzer, so both stores see the same
words. A query word is widened in Python to the vocabulary words within the same edit
distance (rapidfuzz, the embedded store's cut-offs) and sent to Lucene as exact terms, plus a
prefix for words of three letters or more: Lucene's own fuzzy queries keep only the closest
few dozen terms of the whole index, hidden names included, which would let hidden names
crowd out visible ones. Candidates come back per record; only the names that match by
themselves (all words for AND, one for OR) are scored against the whole query, as the
embedded store scores the rows FTS5 matched.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from graphsvc.errors import LimitExceeded
from graphsvc.model.text import fold, tokens
from graphsvc.store.embedded.search import MIN_SCORE, _cutoff

MAX_CLAUSES = 1000  # Lucene refuses boolean queries of more than 1,024 clauses
_LUCENE_SPECIAL = set('+-&|!(){}[]^"~*?:\\/')


def lucene_term(word: str) -> str:
    """``word`` with every character Lucene's query syntax reserves escaped."""
    return "".join("\\" + c if c in _LUCENE_SPECIAL else c for c in word)


@dataclass(frozen=True)
class WordMatch:
    """What a query word matches: these vocabulary words, or (``prefix``) any word it starts."""

    word: str
    terms: frozenset[str]
    prefix: bool

    def matches(self, name_words: Sequence[str]) -> bool:
        return any(w in self.terms or (self.prefix and w.startswith(self.word)) for w in name_words)

    def lucene(self) -> str:
        alternatives = [lucene_term(t) for t in sorted(self.terms)]
        if self.prefix:
            alternatives.append(lucene_term(self.word) + "*")
        return "(" + " OR ".join(alternatives) + ")"


def widen(words: Sequence[str], vocabulary: list[str]) -> list[WordMatch]:
    """Each query word with the vocabulary words it stands for."""
    out = []
    for word in words:
        terms = {word}
        cutoff = _cutoff(word)
        if cutoff is not None:
            for term, _, _ in process.extract(
                word, vocabulary, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None
            ):
                terms.add(term)
        out.append(WordMatch(word, frozenset(terms), len(word) >= 3 and not word.isdigit()))
    clauses = sum(len(m.terms) + m.prefix for m in out)
    if clauses > MAX_CLAUSES:
        raise LimitExceeded(
            f"the search text stands for {clauses} indexed words, over the limit of "
            f"{MAX_CLAUSES}; type more of each word"
        )
    return out


def lucene_query(matches: Sequence[WordMatch], conjunction: str) -> str:
    return f" {conjunction} ".join(m.lucene() for m in matches)


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
