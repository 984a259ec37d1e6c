"""Entity resolution: does a name read in a document name an entity the graph already holds?

Each extracted name of a person, organisation or place is compared with the entities of the
same type that the store's name search proposes, and with those this run has already created:

- both names are normalised with ``fingerprints`` (accents, case, word order, company legal
  forms) and ``normality``; ``rapidfuzz`` compares them (the better of an order-free ratio on
  the normalised names and a plain ratio on the fingerprints); a phonetic key (``jellyfish``
  metaphone of each word) says how many words sound alike. The score is
  ``0.75 * text + 0.25 * sound``; a name of two words or more whose words are all words of
  the other (``Liam Corrigan`` and ``Liam Patrick Corrigan``) scores ``SUBSET_SCORE``, the
  middle band: it may be the same, no more. A single word (a surname alone) gets no such
  credit: it would be "possibly" everyone who bears it.
- attributes must be compatible: a birth date read next to the name (``née le 23/09/1984``)
  that differs from the entity's stops an automatic resolution; the same birth date (a partial
  one such as ``1984-09`` agrees with any day it contains) adds ``BIRTH_BONUS`` to the score.
- at or above ``high`` (0.93 by default) the name resolves to the entity: the document's
  statements are made about that entity; in ``[low, high)`` (0.80) a new entity is created and
  a ``POSSIBLY_SAME_AS`` link carries the score and the reasons, for an analyst to merge
  (``mergeEntities``) or leave; below, a new entity.

Whom resolution may consult: only entities every reader of the document may see
(``graphsvc.policy.scope.ReadersScope``): the links that tie a name to an entity carry the
document's handling, so resolving must not carry knowledge hidden from some of the document's
readers into what they read.

New entities get ids derived from the document and the name, so ingesting a document again
creates nothing new: the second run finds the first run's entity and resolves to it.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import fingerprints
import jellyfish
import normality
from rapidfuzz import fuzz

from graphsvc.errors import InvalidConfig
from graphsvc.model.graph import Entity
from graphsvc.policy.scope import Scope
from graphsvc.store.protocol import GraphStore

RESOLVER = "graphsvc.resolve/1"
CANDIDATES = 10
BIRTH_BONUS = 0.1  # the same birth date next to the name makes a match that much surer
SUBSET_SCORE = 0.85  # a name of two words or more all in the other: may be the same, no more
_NAME_PROPERTIES = ("name", "aliases", "full")


@dataclass(frozen=True, slots=True)
class Thresholds:
    high: float = 0.93
    low: float = 0.80

    @classmethod
    def from_env(cls) -> Thresholds:
        """``GRAPHSVC_RESOLVE_HIGH`` and ``GRAPHSVC_RESOLVE_LOW``, between 0 and 1."""
        values: dict[str, float] = {}
        for name, var in (("high", "GRAPHSVC_RESOLVE_HIGH"), ("low", "GRAPHSVC_RESOLVE_LOW")):
            raw = os.environ.get(var)
            if raw is None or not raw.strip():
                continue
            try:
                values[name] = float(raw)
            except ValueError:
                raise InvalidConfig(f"{var}: {raw!r} is not a number between 0 and 1") from None
        thresholds = cls(**values)
        if not 0 < thresholds.low <= thresholds.high <= 1:
            raise InvalidConfig(
                f"resolution thresholds must satisfy 0 < low <= high <= 1 "
                f"(low {thresholds.low}, high {thresholds.high})"
            )
        return thresholds


@dataclass(frozen=True, slots=True)
class Match:
    entity_id: str
    name: str  # the entity's name that matched best
    score: float
    reasons: tuple[str, ...]
    holds_record: bool = False  # the entity holds a record read from the document being read


@dataclass(frozen=True, slots=True)
class Decision:
    """``entity_id`` is the entity the name's statements go to; ``resolved`` says whether it is
    an existing one; ``possible`` lists the middle-band candidates for POSSIBLY_SAME_AS links."""

    entity_id: str
    resolved: Match | None
    possible: tuple[Match, ...] = ()


def name_key(name: str) -> str:
    """The name normalised for comparison: fingerprints' form (accents, case, word order,
    legal forms), falling back to normality's for what fingerprints empties."""
    return fingerprints.generate(name) or normality.normalize(name) or name.strip().lower()


def _words(name: str) -> list[str]:
    return (normality.normalize(name) or "").split()


def _sounds(name: str) -> set[str]:
    return {jellyfish.metaphone(word) for word in _words(name) if len(word) > 1}


def similarity(a: str, b: str) -> tuple[float, tuple[str, ...]]:
    """The score of two names (0..1) and the reasons, in words."""
    key_a, key_b = name_key(a), name_key(b)
    if key_a == key_b:
        return 1.0, ("same name once normalised (accents, case, word order, legal form)",)
    plain_a, plain_b = normality.normalize(a) or "", normality.normalize(b) or ""
    text = max(fuzz.token_sort_ratio(plain_a, plain_b), fuzz.ratio(key_a, key_b)) / 100
    sounds_a, sounds_b = _sounds(a), _sounds(b)
    sound = len(sounds_a & sounds_b) / len(sounds_a | sounds_b) if sounds_a | sounds_b else 0.0
    score = 0.75 * text + 0.25 * sound
    reasons = [
        f"spelling {text:.2f}",
        f"sound {len(sounds_a & sounds_b)}/{len(sounds_a | sounds_b)}",
    ]
    words_a, words_b = set(_words(a)), set(_words(b))
    shorter = min(words_a, words_b, key=len)
    if len(shorter) >= 2 and (words_a < words_b or words_b < words_a):
        score = SUBSET_SCORE
        reasons.append("every word of the shorter name is in the longer")
    return round(min(score, 1.0), 4), tuple(reasons)


@dataclass
class Resolver:
    """Resolves names against the entities ``store`` holds that ``scope`` lets it consult."""

    store: GraphStore
    thresholds: Thresholds = field(default_factory=Thresholds)

    def decide(
        self,
        scope: Scope,
        etype: str,
        name: str,
        new_id: str,
        birth_date: str | None = None,
        document: str | None = None,
    ) -> Decision:
        """Where the statements about ``name`` go: the best match at or above ``high``, else
        ``new_id`` (with the matches in the middle band as ``possible``). Among matches above
        ``high``, an entity that already holds a record read from ``document`` (found again
        when the document is read again) comes first, then ``new_id``: a second run decides as
        the first did."""
        matches = self.matches(scope, etype, name, birth_date, document)
        above = [m for m in matches if m.score >= self.thresholds.high]
        if above:
            best = min(above, key=lambda m: (not m.holds_record, m.entity_id != new_id))
            return Decision(entity_id=best.entity_id, resolved=best)
        possible = tuple(
            m for m in matches if m.score >= self.thresholds.low and m.entity_id != new_id
        )
        return Decision(entity_id=new_id, resolved=None, possible=possible)

    def matches(
        self,
        scope: Scope,
        etype: str,
        name: str,
        birth_date: str | None = None,
        document: str | None = None,
    ) -> list[Match]:
        """Candidates of type ``etype``, best first (ties by id, so runs agree)."""
        best: dict[str, Match] = {}
        for entity in self._candidates(scope, etype, name):
            match = self._compare(entity, name, birth_date)
            if match is not None and document is not None:
                held = any(r.provenance.document == document for r in entity.records)
                match = replace(match, holds_record=held)
            if match is not None and (
                match.entity_id not in best or match.score > best[match.entity_id].score
            ):
                best[match.entity_id] = match
        return sorted(best.values(), key=lambda m: (-m.score, m.entity_id))

    def _candidates(self, scope: Scope, etype: str, name: str) -> Sequence[Entity]:
        query = " ".join(_words(name)) or name
        return [hit.entity for hit in self.store.search(scope, query, [etype], CANDIDATES)]

    def _compare(self, entity: Entity, name: str, birth_date: str | None) -> Match | None:
        properties = entity.properties
        names = [str(v) for p in _NAME_PROPERTIES for v in properties.get(p, [])]
        if not names:
            return None
        scored = [(similarity(name, known), known) for known in names]
        (score, reasons), known = max(scored, key=lambda item: item[0][0])
        births = {str(v) for v in properties.get("birthDate", [])}
        if birth_date and births:
            if any(_same_day(birth_date, b) for b in births):
                reasons = (*reasons, f"same birth date {birth_date}")
                score = round(min(1.0, score + BIRTH_BONUS), 4)
            else:
                reasons = (
                    *reasons,
                    f"birth dates differ ({birth_date} / {', '.join(sorted(births))})",
                )
                score = min(score, self.thresholds.high - 0.01)
        return Match(entity.id, known, score, reasons)


def _same_day(a: str, b: str) -> bool:
    """Two dates that may be the same day: equal, or one a partial date (``1978-04``) the other
    falls in."""
    return a.startswith(b) or b.startswith(a)


def new_entity_id(etype: str, source: str, document_id: str, name: str) -> str:
    """The id of an entity first read in a document: stable across runs, and one per source,
    so that the same file read through a source of narrower handling never lands on an entity
    made (and perhaps merged by an analyst) for the readers of another."""
    key = f"{source}\x1f{document_id}\x1f{etype}\x1f{name_key(name)}"
    return f"x:{etype.lower()}:{hashlib.sha256(key.encode()).hexdigest()[:20]}"


_BIRTH = re.compile(
    r"^[\s,]*(?:\(|,)?\s*(?:né|née|né\(e\)|born|DOB|date of birth|născut|născută)"
    r"(?:\s+(?:le|on|la|în|:))?\s*[:]?\s*$",
    re.IGNORECASE,
)


def birth_context(between: str) -> bool:
    """Whether the words between a name and a date say the date is the birth date."""
    return bool(_BIRTH.match(between))
