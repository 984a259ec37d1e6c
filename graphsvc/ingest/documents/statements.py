"""What a document says, as records of the graph: the units ``graphsvc ingest`` stores.

For one ``SourceDocument`` and its ``Extraction`` (records are native JSONL objects, so they go
through the same validation, source defaults, redirects and writes as every other source):

- the **Document** entity: id ``doc:<first 32 hex digits of the SHA-256 of its bytes>`` (the
  same file from two channels is one node), with its title, date, language, kind, hash,
  source, file name, media type, pages, whether OCR read it, and ``text``: the text every span
  of its mentions points into, asserted by the record ``<document id>@<text version>``
  (``document_record``: the same bytes read into another text, by another OCR engine, make
  another record beside the first, and every record read from a text names that text's
  version). An attachment is ``ATTACHED_TO`` the message that carried it;
- one **entity record** per thing named (record id ``<document record>#<start>-<end>`` of its
  first mention: two things of one document stay two records when an analyst merges them),
  with the values the document gives: a selector's value (its id is derived from it, so the
  phone of a report and the phone of the call records are one node), a crypto address's
  currency, an identity document's kind, an account's BIC; a name, and a person's birth date.
  Its provenance points at the first mention: ``document``, ``span``, ``extractor``,
  ``confidence``;
- one ``MENTIONED_IN`` link per mention, from the entity to the document, whose provenance
  ``span`` slices the document's text to exactly the words (``properties.mention``) and whose
  ``confidence`` is the finder's (how sure it is that these words mention such a thing; what
  resolution decided is not in it: a second run, resolving to the same entity on a surer
  score, must write the same link);
- one co-mention link (``CO_MENTIONED`` unless the source's ``extraction.coMention`` names
  another type) per pair of things named in one sentence (or paragraph), its span from the
  first mention to the last, its ``mentions`` the two spans, dated by the sentence's own date
  or the document's;
- names resolve to existing entities through ``Resolver`` in a ``ReadersScope`` of the
  document's handling; a name in the middle band gets a new entity and a ``POSSIBLY_SAME_AS``
  link to each candidate, with the score and the reasons (method ``inferred``).

Every record takes the source's provenance, grading and handling defaults; all say
``method: extracted`` (``inferred`` for resolution candidates) with the extractor's name and
version. Ids derive from the source, the document, its text and the spans, never from what
resolution decided, so ingesting a document again rewrites the same records. A document read
into another text gets a second set of records beside the first (nothing is withdrawn, as
elsewhere), each reading its spans in its own text.

Each thing named is one unit (its entity record and its mentions: stored or refused together),
as is each co-mention and each candidate link; a unit's line is the line of the text its first
mention is on.
"""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass, field
from typing import Any

from graphsvc.ingest.documents.extract import COMENTION_EXTRACTOR, Extraction, Named
from graphsvc.ingest.documents.mentions import Mention
from graphsvc.ingest.documents.read import SourceDocument
from graphsvc.ingest.documents.resolve import RESOLVER, Decision, Match, Resolver, new_entity_id
from graphsvc.model.schema import Schema
from graphsvc.policy.scope import Scope

READER = "graphsvc.read/1"
DATE_WITHIN = 1000  # a document without a stated date is dated by a date in its first characters
DOCUMENT_KINDS = {
    "text/plain": "text",
    "text/markdown": "markdown",
    "text/html": "html",
    "message/rfc822": "email",
    "application/pdf": "pdf",
}

Record = dict[str, Any]
Unit = tuple[int, list[Record]]  # (line, records)


def document_id(document: SourceDocument) -> str:
    return f"doc:{document.sha256[:32]}"


def text_version(text: str) -> str:
    """Which reading of a document's bytes this text is (another OCR engine, another decoding
    rule read the same file into another text): the first 12 hex digits of its SHA-256."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def document_record(document: SourceDocument) -> str:
    """The record id of a document's text: ``doc:<hash of the bytes>@<version of the text>``.
    Every record read from that text names it (entity records add ``#<start>-<end>``), so a
    span is always read in the text it was found in."""
    return f"{document_id(document)}@{text_version(document.text)}"


@dataclass
class Tally:
    """What a run's documents gave, for the report."""

    documents: int = 0
    mentions: int = 0
    entities: int = 0
    resolved: int = 0  # names that resolved to an existing entity
    candidates: int = 0  # POSSIBLY_SAME_AS links
    comentions: int = 0
    not_linked: dict[str, int] = field(default_factory=dict)  # "A-B" -> pairs the type refuses

    def add(self, other: Tally) -> None:
        self.documents += other.documents
        self.mentions += other.mentions
        self.entities += other.entities
        self.resolved += other.resolved
        self.candidates += other.candidates
        self.comentions += other.comentions
        for key, n in other.not_linked.items():
            self.not_linked[key] = self.not_linked.get(key, 0) + n


@dataclass
class Statements:
    """Builds the units of documents of one source."""

    schema: Schema
    source: str
    resolver: Resolver
    comention_type: str  # the source's (``SourceConfig.comention_type``)
    tally: Tally = field(default_factory=Tally)

    def document_record(self, document: SourceDocument, extraction: Extraction) -> Record:
        """The Document entity's record (validated first: it tells the source's handling)."""
        doc_id = document_id(document)
        record = document_record(document)
        when = self.document_date(document, extraction)
        properties: dict[str, Any] = {
            "title": document.title,
            "date": when,
            "language": document.language,
            "kind": DOCUMENT_KINDS.get(document.media_type, "image"),
            "hash": document.sha256,
            "source": self.source,
            "file": document.name,
            "mediaType": document.media_type,
            "pages": document.pages,
            "ocr": document.ocr,
            "text": document.text if document.text.strip() else None,
        }
        return {
            "kind": "entity",
            "id": doc_id,
            "type": "Document",
            "properties": {k: v for k, v in properties.items() if v is not None},
            "provenance": {
                "source": self.source,
                "record": record,
                "extractor": READER,
                "confidence": 1.0,
                **({"observedAt": when} if when else {}),
            },
        }

    def document_date(self, document: SourceDocument, extraction: Extraction) -> str | None:
        """The date the document states (an e-mail's Date, a PDF's creation date), else the
        first date in its opening characters that is not a birth date."""
        return document.date or extraction.first_date(DATE_WITHIN)

    def units(
        self,
        document: SourceDocument,
        extraction: Extraction,
        scope: Scope,
        parent: SourceDocument | None = None,
    ) -> list[Unit]:
        """Every unit of the document but its own record (see the module's docstring)."""
        doc_id = document_id(document)
        record = document_record(document)
        prefix = f"{self.source}:{record.removeprefix('doc:')}"
        when = self.document_date(document, extraction)
        observed = {"observedAt": when} if when else {}
        line = _Lines(extraction.text)
        tally = Tally(documents=1, mentions=sum(len(n.mentions) for n in extraction.named))
        out: list[Unit] = []
        if parent is not None:
            out.append(
                (
                    1,
                    [
                        {
                            "kind": "link",
                            "id": f"{prefix}:attached:{parent.sha256[:32]}",
                            "type": "ATTACHED_TO",
                            "from": {"id": doc_id, "type": "Document"},
                            "to": {"id": document_id(parent), "type": "Document"},
                            "properties": {"name": document.name},
                            "provenance": {
                                "source": self.source,
                                "record": record,
                                "extractor": READER,
                                "confidence": 1.0,
                                **observed,
                            },
                        }
                    ],
                )
            )
        ids: dict[str, tuple[str, str]] = {}  # Named key -> (entity id, type)
        for named in extraction.named:
            decision = self._decide(named, scope, doc_id)
            ids[named.key] = (decision.entity_id, named.etype)
            tally.entities += 1
            tally.resolved += decision.resolved is not None
            records = [self._entity(named, decision, doc_id, record, observed)]
            records.extend(
                self._mentioned(named, m, decision, doc_id, record, prefix, when, observed)
                for m in named.mentions
            )
            out.append((line(named.first.start), records))
            for match in decision.possible:
                tally.candidates += 1
                out.append(
                    (
                        line(named.first.start),
                        [self._candidate(named, decision, match, doc_id, record, prefix, observed)],
                    )
                )
        link_type = self.schema.links[self.comention_type]
        properties = set(link_type.properties)
        for co in extraction.comentions:
            (a, a_type), (b, b_type) = ids[co.a], ids[co.b]
            if a == b:
                continue  # two names resolved to one entity: no link to itself
            if a_type not in link_type.from_types or b_type not in link_type.to_types:
                if a_type in link_type.to_types and b_type in link_type.from_types:
                    (a, a_type), (b, b_type) = (b, b_type), (a, a_type)
                else:
                    pair = "-".join(sorted((a_type, b_type)))
                    tally.not_linked[pair] = tally.not_linked.get(pair, 0) + 1
                    continue
            start, end = co.covering
            values = {
                "context": co.context,
                "date": co.date or when,
                "mentions": [
                    f"{co.mention_a.start}-{co.mention_a.end}",
                    f"{co.mention_b.start}-{co.mention_b.end}",
                ],
            }
            tally.comentions += 1
            out.append(
                (
                    line(start),
                    [
                        {
                            "kind": "link",
                            "id": (
                                f"{prefix}:co:{co.mention_a.start}-{co.mention_a.end}:"
                                f"{co.mention_b.start}-{co.mention_b.end}"
                            ),
                            "type": self.comention_type,
                            "from": {"id": a, "type": a_type},
                            "to": {"id": b, "type": b_type},
                            "properties": {
                                k: v for k, v in values.items() if k in properties and v
                            },
                            "provenance": {
                                "source": self.source,
                                "record": record,
                                "method": "extracted",
                                "document": doc_id,
                                "span": [start, end],
                                "extractor": COMENTION_EXTRACTOR,
                                "confidence": co.confidence,
                                **observed,
                            },
                        }
                    ],
                )
            )
        self.tally.add(tally)
        return out

    # -- one thing named ---------------------------------------------------------------------

    def _decide(self, named: Named, scope: Scope, doc_id: str) -> Decision:
        etype = self.schema.entities[named.etype]
        if etype.selector is not None:
            return Decision(entity_id=etype.selector.entity_id(named.value), resolved=None)
        new_id = new_entity_id(named.etype, self.source, doc_id, named.value)
        return self.resolver.decide(
            scope, named.etype, named.value, new_id, named.birth_date, doc_id
        )

    def _entity(
        self, named: Named, decision: Decision, doc_id: str, record: str, observed: Record
    ) -> Record:
        etype = self.schema.entities[named.etype]
        properties: dict[str, Any] = {}
        if etype.selector is not None:
            properties[etype.selector.property] = named.value
            if named.kind == "iban" and named.bic:
                properties["bic"] = named.bic
            if named.kind == "crypto" and named.detail:
                properties["currency"] = named.detail
            if named.kind == "iddoc" and named.detail:
                properties["kind"] = named.detail
        else:
            properties["name"] = named.value
            if named.birth_date and "birthDate" in etype.properties:
                properties["birthDate"] = named.birth_date
        first = named.first
        return {
            "kind": "entity",
            "id": decision.entity_id,
            "type": named.etype,
            "properties": properties,
            "provenance": {
                "source": self.source,
                "record": f"{record}#{first.start}-{first.end}",
                "method": "extracted",
                "document": doc_id,
                "span": [first.start, first.end],
                "extractor": first.extractor,
                "confidence": named.confidence,
                **observed,
            },
        }

    def _mentioned(
        self,
        named: Named,
        mention: Mention,
        decision: Decision,
        doc_id: str,
        record: str,
        prefix: str,
        when: str | None,
        observed: Record,
    ) -> Record:
        properties: dict[str, Any] = {"mention": mention.text, "kind": mention.kind}
        if when:
            properties["date"] = when
        return {
            "kind": "link",
            "id": f"{prefix}:m:{mention.start}-{mention.end}",
            "type": "MENTIONED_IN",
            "from": {"id": decision.entity_id, "type": named.etype},
            "to": {"id": doc_id, "type": "Document"},
            "properties": properties,
            "provenance": {
                "source": self.source,
                "record": record,
                "method": "extracted",
                "document": doc_id,
                "span": [mention.start, mention.end],
                "extractor": mention.extractor,
                "confidence": mention.confidence,
                **observed,
            },
        }

    def _candidate(
        self,
        named: Named,
        decision: Decision,
        match: Match,
        doc_id: str,
        record: str,
        prefix: str,
        observed: Record,
    ) -> Record:
        first = named.first
        return {
            "kind": "link",
            "id": f"{prefix}:same:{first.start}-{first.end}:{match.entity_id}",
            "type": "POSSIBLY_SAME_AS",
            "from": {"id": decision.entity_id, "type": named.etype},
            "to": {"id": match.entity_id, "type": named.etype},
            "properties": {"score": match.score, "reasons": list(match.reasons)},
            "provenance": {
                "source": self.source,
                "record": record,
                "method": "inferred",
                "document": doc_id,
                "span": [first.start, first.end],
                "extractor": RESOLVER,
                "confidence": match.score,
                **observed,
            },
        }


class _Lines:
    """Line numbers (from 1) of offsets into a text."""

    def __init__(self, text: str) -> None:
        self.starts = [0, *(i + 1 for i, char in enumerate(text) if char == "\n")]

    def __call__(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)
