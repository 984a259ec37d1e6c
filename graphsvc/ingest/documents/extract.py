"""What one document's text says: its mentions, the things they name, and which are named
together.

``Extractor.extract(text, language, region)`` runs the finders (selectors, dates, names) and
returns an ``Extraction``:

- **mentions**, none overlapping another: selectors first (a name the model reads inside an
  e-mail address or an IBAN is not a name), then dates, then names;
- **named things** (``Named``): the mentions grouped by what they name. A selector is its
  normalised value (``phone:+33634712598``, written three ways, is one thing). Names are
  grouped inside the document: a person mention whose words are all words of a fuller one
  (``Marchand``, ``Mme MARCHAND``, ``Élodie`` and ``MARCHAND Élodie``) names the same person;
  where it fits several, the nearest fuller mention before it wins (after it, when none is
  before). Organisations likewise, on their ``fingerprints`` form (``Lys Holding`` and ``Lys
  Holding SAS``); places by their normalised name. A thing's ``value`` is its fullest written
  form. A date written right after a person's name as a birth date (``née le 23/09/1984``)
  becomes that person's ``birth_date``; a BIC written in the same sentence as an IBAN is that
  account's ``bic`` (a BIC alone names a bank, not an account: it stays a mention only);
- **co-mentions**: every pair of things of ``LINKED_KINDS`` named in one sentence (or one
  paragraph: ``context``), once per sentence, with the first mention of each in it, and the
  date the sentence gives (its only date that is not a birth date), if any.

Names of the kinds ``location`` take no part in co-mentions: a city named with half the case
would tie everyone to everyone through it. Dates take none either; they date the links.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import fingerprints
import normality

from graphsvc.ingest.documents.dates import find_dates
from graphsvc.ingest.documents.mentions import NAME_KINDS, SELECTOR_KINDS, Context, Mention
from graphsvc.ingest.documents.names import CONFIDENCE, NOT_NAMES, NameFinder
from graphsvc.ingest.documents.resolve import birth_context
from graphsvc.ingest.documents.selectors import find_selectors
from graphsvc.ingest.documents.sentences import segment

COMENTION_EXTRACTOR = "graphsvc.comention/1"
# kinds whose things are linked by co-mention (the labelled links of seed/reports use these)
LINKED_KINDS = frozenset(
    {"person", "organization", "phone", "email", "iban", "ip", "crypto", "plate", "iddoc"}
)
BIRTH_GAP = 40  # at most this many characters between a name and its birth date
PARAGRAPH_FACTOR = 0.8  # a paragraph co-mention is less sure than one in a sentence
RULE_CONFIDENCE = CONFIDENCE["rule"]  # names a rule confirmed
KIND_ORDER = {"person": 0, "location": 1, "organization": 2}  # breaks ties between kinds


@dataclass(frozen=True)
class Named:
    """One thing a document names: a selector value, or a person, organisation or place."""

    key: str  # "<kind>:<value>" for selectors, "<kind>:<normalised name>" for names
    kind: str
    etype: str  # the entity type it becomes
    value: str  # the selector's value, or the name's fullest written form
    mentions: tuple[Mention, ...]  # in text order
    birth_date: str | None = None
    bic: str | None = None
    detail: str | None = None  # a crypto address's currency, an identity document's kind

    @property
    def first(self) -> Mention:
        return self.mentions[0]

    @property
    def confidence(self) -> float:
        return max(m.confidence for m in self.mentions)


@dataclass(frozen=True)
class CoMention:
    """Two things named in one sentence (or paragraph)."""

    a: str  # keys of Named, a < b
    b: str
    mention_a: Mention  # the first mention of each in the context
    mention_b: Mention
    context: Context
    span: tuple[int, int]  # the context's span in the text
    date: str | None  # the context's date, if it gives exactly one

    @property
    def covering(self) -> tuple[int, int]:
        """From the first of the two mentions to the end of the last."""
        return (
            min(self.mention_a.start, self.mention_b.start),
            max(self.mention_a.end, self.mention_b.end),
        )

    @property
    def confidence(self) -> float:
        sure = min(self.mention_a.confidence, self.mention_b.confidence)
        return round(sure * (1.0 if self.context == "sentence" else PARAGRAPH_FACTOR), 4)


@dataclass(frozen=True)
class Extraction:
    text: str
    mentions: list[Mention]  # every mention kept, in text order
    named: list[Named]  # in order of first mention
    comentions: list[CoMention]
    birth_dates: frozenset[tuple[int, int]] = field(default_factory=frozenset)

    def by_key(self) -> dict[str, Named]:
        return {n.key: n for n in self.named}

    @property
    def dates(self) -> list[Mention]:
        return [m for m in self.mentions if m.kind == "date"]

    def first_date(self, within: int | None = None) -> str | None:
        """The first date the text gives that is not a birth date (within its first ``within``
        characters when given)."""
        for m in self.dates:
            if within is not None and m.start >= within:
                return None
            if (m.start, m.end) not in self.birth_dates:
                return m.value
        return None


class Extractor:
    """Finds mentions, groups them and pairs them; the NER pipelines are loaded once."""

    def __init__(self, names: NameFinder | None = None) -> None:
        self.names = names if names is not None else NameFinder()

    def extract(
        self,
        text: str,
        language: str | None,
        region: str | None,
        context: Context = "sentence",
    ) -> Extraction:
        """The mentions of ``text`` (a document in ``language``, from a source in country
        ``region``), what they name, and the co-mentions within each ``context``."""
        segments = segment(text)
        selectors = find_selectors(text, region)
        dates = _outside(find_dates(text, language), selectors)
        names = self.names.read(text, language, segments.sentences).names if text.strip() else []
        found = sorted(
            [*selectors, *dates, *_outside(names, [*selectors, *dates])],
            key=lambda m: (m.start, m.end),
        )
        named, births, mentions = _group(text, found, segments.sentences)
        contexts = segments.sentences if context == "sentence" else segments.paragraphs
        comentions = _comentions(named, mentions, contexts, context, births)
        return Extraction(
            text=text,
            mentions=mentions,
            named=named,
            comentions=comentions,
            birth_dates=frozenset(births),
        )


def _outside(found: Iterable[Mention], taken: Sequence[Mention]) -> list[Mention]:
    """``found`` without the mentions that overlap one of ``taken`` (which are disjoint)."""
    spans = sorted((m.start, m.end) for m in taken)
    starts = [s for s, _ in spans]
    kept: list[Mention] = []
    for m in found:
        before = bisect.bisect_left(starts, m.end)  # the spans starting before m ends
        if before > 0 and spans[before - 1][1] > m.start:
            continue
        kept.append(m)
    return kept


# -- grouping mentions into things ---------------------------------------------------------------


@lru_cache(maxsize=65_536)
def name_words(kind: str, text: str) -> tuple[str, ...]:
    """The words a name is compared by: its ``fingerprints`` form for organisations (legal
    forms and their spellings folded), its ``normality`` form otherwise."""
    if kind == "organization":
        folded = fingerprints.generate(text) or normality.normalize(text) or ""
    else:
        folded = normality.normalize(text) or ""
    return tuple(folded.split())


def _group(
    text: str, mentions: list[Mention], sentences: list[tuple[int, int]]
) -> tuple[list[Named], set[tuple[int, int]], list[Mention]]:
    """The things named, the spans of birth dates, and every mention (echoes included)."""
    selectors: dict[str, list[Mention]] = {}
    for m in mentions:
        if m.kind in SELECTOR_KINDS and m.kind != "bic":
            selectors.setdefault(f"{m.kind}:{m.value}", []).append(m)
    clusters = _name_clusters(mentions)
    echoes = _echoes(text, clusters, mentions)
    mentions = sorted([*mentions, *echoes], key=lambda m: (m.start, m.end))
    births, birth_of = _birth_dates(text, mentions)
    bics = _bics(mentions, sentences)
    named: list[Named] = []
    for key, group in selectors.items():
        first = group[0]
        named.append(
            Named(
                key=key,
                kind=first.kind,
                etype=SELECTOR_KINDS[first.kind],
                value=first.value,
                mentions=tuple(group),
                bic=bics.get(first.value) if first.kind == "iban" else None,
                detail=next((m.detail for m in group if m.detail), None),
            )
        )
    for cluster in clusters:
        kind, group = cluster.kind, cluster.mentions
        fullest = max(group, key=lambda m: (len(name_words(kind, m.text)), len(m.text), -m.start))
        value = " ".join(fullest.text.split())
        birth = next(
            (birth_of[(m.start, m.end)] for m in group if (m.start, m.end) in birth_of), None
        )
        named.append(
            Named(
                key=f"{kind}:{' '.join(sorted(name_words(kind, value)))}",
                kind=kind,
                etype=NAME_KINDS[kind],
                value=value,
                mentions=tuple(sorted(group, key=lambda m: m.start)),
                birth_date=birth if kind == "person" else None,
            )
        )
    named = _unique_keys(named)
    named.sort(key=lambda n: (n.first.start, n.key))
    return named, births, mentions


@dataclass
class _Cluster:
    kind: str
    mentions: list[Mention]
    widest: frozenset[str] = frozenset()  # the words of its fullest mention

    def __post_init__(self) -> None:
        if not self.widest:
            self.widest = max(
                (frozenset(name_words(self.kind, m.text)) for m in self.mentions), key=len
            )

    @property
    def ruled(self) -> bool:
        return any(m.confidence >= RULE_CONFIDENCE for m in self.mentions)

    def distance(self, m: Mention) -> tuple[int, int]:
        """How far ``m`` is from this cluster's mentions: nearest before it first."""
        before = [m.start - x.start for x in self.mentions if x.start < m.start]
        if before:
            return (0, min(before))
        return (1, min(abs(x.start - m.start) for x in self.mentions))


def _fits(small: Iterable[str], big: frozenset[str]) -> bool:
    """Every word of ``small`` is a word of ``big``, an initial matching one of its words."""
    return all(w in big or (len(w) == 1 and any(b.startswith(w) for b in big)) for w in small)


def _name_clusters(mentions: list[Mention]) -> list[_Cluster]:
    """Name mentions grouped by the rules of the module's docstring: within a kind by their
    words, then across kinds where the model hesitated."""
    clusters: list[_Cluster] = []
    for kind in NAME_KINDS:
        own = [m for m in mentions if m.kind == kind and name_words(kind, m.text)]
        order = sorted(own, key=lambda m: (-len(set(name_words(kind, m.text))), m.start))
        mine: list[_Cluster] = []
        for m in order:
            words = name_words(kind, m.text)
            fits = [c for c in mine if _fits(words, c.widest)]
            if fits:
                min(fits, key=lambda c: c.distance(m)).mentions.append(m)
            else:
                mine.append(_Cluster(kind, [m]))
        clusters.extend(mine)
    clusters = _across_kinds(clusters)
    return _acronyms(clusters)


def _across_kinds(clusters: list[_Cluster]) -> list[_Cluster]:
    """A name the model alone proposed whose words all belong to a person or organisation a
    rule confirmed joins it ("NEAGU" tagged an organisation beside "Dragoș NEAGU"); names with
    the same words under several kinds take the kind most of their mentions have."""
    plain = {id(c): frozenset(w for m in c.mentions for w in name_words("person", m.text))
             for c in clusters}  # fmt: skip
    kept: list[_Cluster] = []
    for c in sorted(clusters, key=lambda c: len(plain[id(c)])):
        if not c.ruled:
            targets = [
                d
                for d in clusters
                if d is not c
                and d.kind != c.kind
                and d.kind in ("person", "organization")
                and d.ruled
                and len(plain[id(d)]) > len(plain[id(c)])
                and _fits(plain[id(c)], plain[id(d)])
            ]
            if targets:
                first = c.mentions[0]
                target = min(targets, key=lambda d: d.distance(first))
                target.mentions.extend(c.mentions)
                continue
        kept.append(c)
    by_words: dict[frozenset[str], list[_Cluster]] = {}
    for c in kept:
        by_words.setdefault(plain[id(c)], []).append(c)
    out: list[_Cluster] = []
    for group in by_words.values():
        if len(group) == 1:
            out.append(group[0])
            continue
        votes: dict[str, tuple[int, int, int]] = {}
        for c in group:
            ruled, count, _ = votes.get(c.kind, (0, 0, 0))
            votes[c.kind] = (ruled + int(c.ruled), count + len(c.mentions), KIND_ORDER[c.kind])
        kind = max(votes, key=lambda k: votes[k])
        out.append(_Cluster(kind, [m for c in group for m in c.mentions]))
    return out


_SMALL_WORDS = frozenset(
    {"de", "du", "des", "la", "le", "les", "l", "d", "pour", "et", "of", "the", "and", "for"}
)


def _acronyms(clusters: list[_Cluster]) -> list[_Cluster]:
    """An organisation's acronym joins its expansion when the document writes both (``NCA``
    and ``National Crime Agency``; ``OCRTEH`` and ``Office central pour la répression de la
    traite des êtres humains``)."""
    expansions: dict[str, _Cluster] = {}
    for c in clusters:
        if c.kind != "organization":
            continue
        for m in c.mentions:
            words = [
                w for w in (normality.normalize(m.text) or "").split() if w not in _SMALL_WORDS
            ]
            if len(words) >= 2:
                expansions.setdefault("".join(w[0] for w in words), c)
    out: list[_Cluster] = []
    for c in clusters:
        texts = {m.text.strip() for m in c.mentions}
        if c.kind == "organization" and len(texts) == 1:
            (word,) = texts
            target = expansions.get(word.lower()) if word.isupper() and word.isalpha() else None
            if target is not None and target is not c:
                target.mentions.extend(c.mentions)
                continue
        out.append(c)
    return out


ECHO_CONFIDENCE = 0.75  # a surname or name found again where the model saw nothing


def _echoes(text: str, clusters: list[_Cluster], mentions: list[Mention]) -> list[Mention]:
    """Names written again where the model saw nothing: a person's surname (a word a rule read
    in capitals, ``RUSU``, ``Müller``) and any written form of a person or organisation, as
    whole words outside every other mention; they join their cluster. A form two of them share
    is not looked for: which one is meant is for a reader to say."""
    taken = sorted((m.start, m.end) for m in mentions)
    starts = [s for s, _ in taken]
    forms: dict[str, _Cluster | None] = {}  # the written form -> its cluster (None: several)

    def offer(form: str, cluster: _Cluster) -> None:
        if len(form) < 3 or form.lower() in NOT_NAMES:
            return
        seen = forms.get(form, cluster)
        forms[form] = cluster if seen is cluster else None

    for c in clusters:
        if c.kind not in ("person", "organization"):
            continue
        for m in c.mentions:
            offer(" ".join(m.text.split()), c)
            if c.kind == "person" and m.confidence >= RULE_CONFIDENCE:
                for word in m.text.split():
                    if word.isupper() and word.isalpha():
                        offer(word, c)
                        offer(word.capitalize(), c)
    usable = {form: c for form, c in forms.items() if c is not None}
    if not usable:
        return []
    # one pass over the text; at each place the longest form is tried first
    alternatives = "|".join(re.escape(f) for f in sorted(usable, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w'’-])(?:{alternatives})(?![\w'’-])")
    out: list[Mention] = []
    for match in pattern.finditer(text):
        start, end = match.span()
        before = bisect.bisect_left(starts, end)  # the mentions starting before this ends
        if before > 0 and taken[before - 1][1] > start:
            continue
        cluster = usable[match.group()]
        echo = Mention(
            kind=cluster.kind,
            start=start,
            end=end,
            text=match.group(),
            value=match.group(),
            confidence=ECHO_CONFIDENCE,
            extractor=cluster.mentions[0].extractor,
        )
        cluster.mentions.append(echo)
        out.append(echo)
    return out


def _unique_keys(named: list[Named]) -> list[Named]:
    """Two clusters with one key (the same words, found apart) are one thing."""
    by_key: dict[str, Named] = {}
    for n in named:
        seen = by_key.get(n.key)
        if seen is None:
            by_key[n.key] = n
            continue
        by_key[n.key] = Named(
            key=n.key,
            kind=n.kind,
            etype=n.etype,
            value=seen.value if len(seen.value) >= len(n.value) else n.value,
            mentions=tuple(sorted((*seen.mentions, *n.mentions), key=lambda m: m.start)),
            birth_date=seen.birth_date or n.birth_date,
            bic=seen.bic or n.bic,
            detail=seen.detail or n.detail,
        )
    return list(by_key.values())


def _birth_dates(
    text: str, mentions: list[Mention]
) -> tuple[set[tuple[int, int]], dict[tuple[int, int], str]]:
    """Dates written as a person's birth date right after the name: the dates' spans, and the
    birth date of each such person mention (by span)."""
    spans: set[tuple[int, int]] = set()
    of: dict[tuple[int, int], str] = {}
    for i, m in enumerate(mentions):
        if m.kind != "person":
            continue
        for after in mentions[i + 1 :]:
            if after.start - m.end > BIRTH_GAP:
                break
            if after.kind == "date":
                if birth_context(text[m.end : after.start]):
                    spans.add((after.start, after.end))
                    of[(m.start, m.end)] = after.value
                break
    return spans, of


def _bics(mentions: list[Mention], sentences: list[tuple[int, int]]) -> dict[str, str]:
    """IBAN value -> the BIC written in the same sentence (the nearest one)."""
    starts = [s for s, _ in sentences]

    def sentence_of(m: Mention) -> int:
        return bisect.bisect_right(starts, m.start) - 1

    out: dict[str, str] = {}
    ibans = [m for m in mentions if m.kind == "iban"]
    for bic in (m for m in mentions if m.kind == "bic"):
        near = [i for i in ibans if sentence_of(i) == sentence_of(bic)]
        if near:
            closest = min(near, key=lambda i: abs(i.start - bic.start))
            out.setdefault(closest.value, bic.value)
    return out


# -- co-mentions ---------------------------------------------------------------------------------


def _comentions(
    named: list[Named],
    mentions: list[Mention],
    contexts: list[tuple[int, int]],
    context: Context,
    births: set[tuple[int, int]],
) -> list[CoMention]:
    owner: dict[tuple[int, int], str] = {
        (m.start, m.end): n.key for n in named if n.kind in LINKED_KINDS for m in n.mentions
    }
    starts = [s for s, _ in contexts]
    per_context: dict[int, dict[str, Mention]] = {}
    dates: dict[int, set[str]] = {}
    for m in mentions:
        index = bisect.bisect_right(starts, m.start) - 1
        if index < 0 or m.start >= contexts[index][1]:
            continue
        if m.kind == "date":
            if (m.start, m.end) not in births:
                dates.setdefault(index, set()).add(m.value)
            continue
        key = owner.get((m.start, m.end))
        if key is not None:
            per_context.setdefault(index, {}).setdefault(key, m)
    out: list[CoMention] = []
    for index, firsts in sorted(per_context.items()):
        keys = sorted(firsts)
        found = dates.get(index, set())
        day = next(iter(found)) if len(found) == 1 else None
        for i, a in enumerate(keys):
            for b in keys[i + 1 :]:
                out.append(
                    CoMention(
                        a=a,
                        b=b,
                        mention_a=firsts[a],
                        mention_b=firsts[b],
                        context=context,
                        span=contexts[index],
                        date=day,
                    )
                )
    return out
