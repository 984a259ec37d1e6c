"""Measuring text extraction against labelled documents (``graphsvc evaluate extraction``).

A labels file (``seed/reports/labels.yaml`` is one, and its header states the labelling rules)
lists documents with their source, language, the distinct values of each kind they mention
and the pairs of things named in one sentence::

    documents:
      - file: fr/pv-audition-marchand.md          # relative to the labels file
        source: ocrteh-rapports                   # defined in the sources file
        language: fr
        mentions:
          phone: ["+33628867416"]
          person: ["Élodie Marchand"]
          ...
        links:
          - ["organization:Orange", "phone:+33628867416"]
      - file: mail/message.eml#1:scan.png         # the first attachment of a message

Each document is read as ``graphsvc ingest`` reads it (OCR included) and extracted with its
source's country; no store is involved. Per document and kind, the distinct values found are
compared with the labelled ones: selectors and dates by their normalised value, names by their
words with case, accents and word order ignored (organisations also without legal forms:
``fingerprints``). Links compare unordered pairs of those keys, predicted links kept to the
kinds labels link (``LINKED_KINDS``). Counts add up over documents (micro-averages).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from graphsvc.errors import InvalidInput, InvalidMapping
from graphsvc.ingest.documents.extract import LINKED_KINDS, Extraction, Extractor, name_words
from graphsvc.ingest.documents.mentions import KINDS, NAME_KINDS
from graphsvc.ingest.documents.read import SourceDocument, read_document
from graphsvc.ingest.sources import SourceRegistry
from graphsvc.model.schema import Schema

LINKS = "links"


@dataclass
class Score:
    """Counts of one kind: labelled values found (true positives), found but not labelled
    (false positives), labelled but not found (false negatives)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p is not None and r is not None and p + r else None

    def add(self, found: set[str], expected: set[str]) -> None:
        self.tp += len(found & expected)
        self.fp += len(found - expected)
        self.fn += len(expected - found)


@dataclass
class DocumentResult:
    file: str
    language: str | None  # labelled
    detected: str | None
    seconds: float
    missed: dict[str, list[str]] = field(default_factory=dict)  # kind -> labelled, not found
    spurious: dict[str, list[str]] = field(default_factory=dict)  # kind -> found, not labelled


@dataclass
class Evaluation:
    scores: dict[str, Score]  # kind (and "links") -> counts over every document
    documents: list[DocumentResult]

    @property
    def languages_right(self) -> int:
        return sum(1 for d in self.documents if d.language == d.detected)


def canonical(kind: str, value: str) -> str:
    """The key a value is compared by: selectors and dates as they are, names by their words
    (sorted, folded)."""
    if kind in NAME_KINDS:
        return " ".join(sorted(name_words(kind, value)))
    return value


def _link_key(end: str) -> str:
    kind, sep, value = end.partition(":")
    if not sep or kind not in LINKED_KINDS:
        raise ValueError(f"{end!r} is not '<kind>:<value>' of a linked kind")
    return f"{kind}:{canonical(kind, value)}"


def _pair(a: str, b: str) -> str:
    return " <> ".join(sorted((a, b)))


def load_labels(path: Path) -> list[dict[str, Any]]:
    """The labelled documents of ``path``, each checked for the fields the evaluation reads."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(f"cannot read: {exc.strerror or exc}", file=str(path)) from None
    except yaml.YAMLError as exc:
        raise InvalidMapping(f"not valid YAML: {exc}", file=str(path)) from None
    documents = data.get("documents") if isinstance(data, dict) else None
    if not isinstance(documents, list) or not documents:
        raise InvalidMapping("expected a non-empty 'documents:' list", file=str(path))
    for index, doc in enumerate(documents):
        where = f"documents[{index}]"
        if not isinstance(doc, dict) or not isinstance(doc.get("file"), str):
            raise InvalidMapping("each document needs a 'file'", file=str(path), field=where)
        if not isinstance(doc.get("source"), str):
            raise InvalidMapping("each document needs a 'source'", file=str(path), field=where)
        mentions = doc.get("mentions") or {}
        if not isinstance(mentions, dict) or set(mentions) - set(KINDS):
            raise InvalidMapping(
                f"'mentions' maps kinds ({', '.join(KINDS)}) to lists of values",
                file=str(path),
                field=f"{where}.mentions",
            )
        for kind, values in mentions.items():
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise InvalidMapping(
                    "expected a list of strings", file=str(path), field=f"{where}.mentions.{kind}"
                )
        for n, link in enumerate(doc.get("links") or []):
            ok = isinstance(link, list) and len(link) == 2 and all(isinstance(e, str) for e in link)
            try:
                if ok:
                    _link_key(link[0])
                    _link_key(link[1])
            except ValueError as exc:
                raise InvalidMapping(
                    str(exc), file=str(path), field=f"{where}.links[{n}]"
                ) from None
            if not ok:
                raise InvalidMapping(
                    "a link is a pair of '<kind>:<value>'",
                    file=str(path),
                    field=f"{where}.links[{n}]",
                )
    return documents


def evaluate(
    labels: Path,
    schema: Schema,
    sources: Path | None = None,
    extractor: Extractor | None = None,
) -> Evaluation:
    """Extract every labelled document and compare (see the module's docstring)."""
    documents = load_labels(labels)
    base = labels.parent
    registry = SourceRegistry.load(sources or base / "sources.yaml", schema)
    extractor = extractor if extractor is not None else Extractor()
    scores = {kind: Score() for kind in (*KINDS, LINKS)}
    results: list[DocumentResult] = []
    read: dict[str, list[SourceDocument]] = {}
    for index, labelled in enumerate(documents):
        file, _, attachment = str(labelled["file"]).partition("#")
        path = base / file
        source = registry.get(str(labelled["source"]))
        if source is None:
            raise InvalidMapping(
                f"source {labelled['source']!r} is not defined in the sources file",
                file=str(labels),
                field=f"documents[{index}].source",
            )
        started = time.perf_counter()
        if str(path) not in read:
            read[str(path)] = read_document(path)
        wanted = f"{path}#{attachment}" if attachment else str(path)
        document = next((d for d in read[str(path)] if d.path == wanted), None)
        if document is None:
            raise InvalidMapping(
                f"{path} has no document {labelled['file']!r} (attachments are "
                "'<message>#<n>:<name>')",
                file=str(labels),
                field=f"documents[{index}].file",
            )
        extraction = extractor.extract(document.text, document.language, source.region)
        result = DocumentResult(
            file=str(labelled["file"]),
            language=labelled.get("language"),
            detected=document.language,
            seconds=time.perf_counter() - started,
        )
        _compare(labelled, extraction, scores, result)
        results.append(result)
    return Evaluation(scores=scores, documents=results)


def found_values(extraction: Extraction) -> dict[str, set[str]]:
    """Kind -> the canonical values the extraction found."""
    found: dict[str, set[str]] = {kind: set() for kind in KINDS}
    for m in extraction.mentions:
        if m.kind not in NAME_KINDS:
            found[m.kind].add(m.value)
    for n in extraction.named:
        if n.kind in NAME_KINDS:
            found[n.kind].add(canonical(n.kind, n.value))
    return found


def found_links(extraction: Extraction) -> set[str]:
    named = extraction.by_key()

    def end(key: str) -> str:
        n = named[key]
        return f"{n.kind}:{canonical(n.kind, n.value)}"

    return {
        _pair(end(c.a), end(c.b))
        for c in extraction.comentions
        if named[c.a].kind in LINKED_KINDS and named[c.b].kind in LINKED_KINDS
    }


def _compare(
    labelled: dict[str, Any],
    extraction: Extraction,
    scores: dict[str, Score],
    result: DocumentResult,
) -> None:
    found = found_values(extraction)
    mentions = labelled.get("mentions") or {}
    for kind in KINDS:
        expected = {canonical(kind, v) for v in mentions.get(kind) or []}
        _tally(kind, found[kind], expected, scores, result)
    expected_links = {_pair(_link_key(a), _link_key(b)) for a, b in labelled.get("links") or []}
    _tally(LINKS, found_links(extraction), expected_links, scores, result)


def _tally(
    kind: str,
    found: set[str],
    expected: set[str],
    scores: dict[str, Score],
    result: DocumentResult,
) -> None:
    scores[kind].add(found, expected)
    if expected - found:
        result.missed[kind] = sorted(expected - found)
    if found - expected:
        result.spurious[kind] = sorted(found - expected)


def table(scores: Mapping[str, Score], kinds: Iterable[str] | None = None) -> list[str]:
    """The scores (of ``kinds``, default all) as Markdown table lines."""

    def pct(x: float | None) -> str:
        return "—" if x is None else f"{x:.3f}"

    lines = [
        "| kind | labelled | found | correct | precision | recall | F1 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for kind in kinds or scores:
        s = scores[kind]
        lines.append(
            f"| {kind} | {s.tp + s.fn} | {s.tp + s.fp} | {s.tp} | {pct(s.precision)} "
            f"| {pct(s.recall)} | {pct(s.f1)} |"
        )
    return lines


def totals(scores: Mapping[str, Score], groups: dict[str, Iterable[str]]) -> dict[str, Score]:
    """``all <group>`` -> the counts added over the group's kinds."""
    out: dict[str, Score] = {}
    for name, kinds in groups.items():
        total = out[f"all {name}"] = Score()
        for kind in kinds:
            s = scores[kind]
            total.tp, total.fp, total.fn = total.tp + s.tp, total.fp + s.fp, total.fn + s.fn
    return out
