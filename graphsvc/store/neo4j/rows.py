"""Between graphsvc's records and Neo4j's properties, both ways.

Neo4j properties are scalars or lists of scalars, so a record's own property values (lists
per name, of mixed JSON types) are kept as canonical JSON text in ``properties``; provenance,
grading and handling are plain properties of the relationship or record node, where analysts
can read and filter them in Cypher. A record's names are also kept as the words name search
indexes (``names_text``, one name per line) and their vocabulary (``terms``).

Each distinct handling also has a key (``hkey``, a digest of its canonical form): scopes are
resolved to the keys they may see, and every query filters on ``hkey IN $visible``. A
``digest`` of everything but the ingestion time lets writes skip rows that did not change.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from graphsvc.model.graph import Link, RecordRef
from graphsvc.model.properties import JSONScalar
from graphsvc.model.records import EntityAssertion, Grading, Handling, LinkAssertion, Provenance
from graphsvc.model.schema import Schema
from graphsvc.model.text import tokens
from graphsvc.store.records import canonical_json, name_values


def _digest(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()[:32]


def handling_fields(h: Handling) -> dict[str, Any]:
    return {
        "classification": h.classification,
        "releasable_to": list(h.releasable_to),
        "caveats": list(h.caveats),
        "code": h.code,
        "originator": h.originator,
        "retain_until": h.retain_until,
    }


def handling_key(h: Handling) -> str:
    return _digest(handling_fields(h))


def handling_of(row: dict[str, Any]) -> Handling:
    return Handling(
        classification=str(row["classification"]),
        releasable_to=tuple(row.get("releasable_to") or ()),
        caveats=tuple(row.get("caveats") or ()),
        code=str(row["code"]),
        originator=str(row["originator"]),
        retain_until=row.get("retain_until") or None,
    )


def handling_row(h: Handling) -> dict[str, Any]:
    return {"hkey": handling_key(h), "fields": {"hkey": handling_key(h), **handling_fields(h)}}


def _provenance_fields(p: Provenance) -> dict[str, Any]:
    start, end = p.span if p.span else (None, None)
    return {
        "source": p.source,
        "record": p.record,
        "method": p.method,
        "ingested_at": p.ingested_at,
        "observed_at": p.observed_at,
        "confidence": p.confidence,
        "document": p.document,
        "span_start": start,
        "span_end": end,
        "extractor": p.extractor,
        "note": p.note,
    }


def _with_digest(fields: dict[str, Any]) -> dict[str, Any]:
    fields["digest"] = _digest({k: v for k, v in fields.items() if k != "ingested_at"})
    return fields


def record_key(entity_id: str, source: str, record: str) -> str:
    return canonical_json([entity_id, source, record])


# The properties ``record_row`` gives a record node (besides ``digest``), in its order.
RECORD_FIELDS = (
    "key",
    "entity",
    "entity_type",
    "hkey",
    "classification",
    "releasable_to",
    "caveats",
    "code",
    "originator",
    "retain_until",
    "source",
    "record",
    "method",
    "ingested_at",
    "observed_at",
    "confidence",
    "document",
    "span_start",
    "span_end",
    "extractor",
    "note",
    "grade_source",
    "grade_info",
    "properties",
    "names",
    "names_text",
    "terms",
)


def moved_record(stored: dict[str, Any], entity_id: str) -> dict[str, Any]:
    """The properties of a stored record node re-pointed to ``entity_id`` by a correction: the
    same values under the record's key for that entity, with the digest ``record_row`` gives
    the same record asserted about it (so re-ingesting it there changes nothing). Properties
    Neo4j dropped for being null come back as null."""
    fields = {name: stored.get(name) for name in RECORD_FIELDS}
    fields["key"] = record_key(entity_id, str(stored["source"]), str(stored["record"]))
    fields["entity"] = entity_id
    return _with_digest(fields)


def record_row(schema: Schema, a: EntityAssertion) -> dict[str, Any]:
    """The row ``upsert_records.cypher`` takes for one entity record."""
    names = name_values(schema, a)
    words = [tokens(name) for name in names]
    key = record_key(a.entity_id, a.provenance.source, a.provenance.record)
    fields = _with_digest(
        {
            "key": key,
            "entity": a.entity_id,
            "entity_type": a.type,
            "hkey": handling_key(a.handling),
            **handling_fields(a.handling),
            **_provenance_fields(a.provenance),
            "grade_source": a.grading.source if a.grading else None,
            "grade_info": a.grading.information if a.grading else None,
            "properties": canonical_json(a.properties),
            "names": names,
            "names_text": "\n".join(" ".join(w) for w in words),
            "terms": sorted({word for name_words in words for word in name_words}),
        }
    )
    return {"key": key, "entity": a.entity_id, "digest": fields["digest"], "fields": fields}


def link_row(a: LinkAssertion) -> dict[str, Any]:
    """The row ``upsert_links.cypher`` takes for one link."""
    fields = _with_digest(
        {
            "id": a.id,
            "type": a.type,
            "directed": a.directed,
            "t": a.time,
            "hkey": handling_key(a.handling),
            **handling_fields(a.handling),
            **_provenance_fields(a.provenance),
            "grade_source": a.grading.source,
            "grade_info": a.grading.information,
            "properties": canonical_json(a.properties),
        }
    )
    return {
        "id": a.id,
        "src": a.src.id,
        "dst": a.dst.id,
        "digest": fields["digest"],
        "fields": fields,
    }


def _provenance(row: dict[str, Any]) -> Provenance:
    start, end = row.get("span_start"), row.get("span_end")
    return Provenance(
        source=str(row["source"]),
        record=str(row["record"]),
        method=str(row["method"]),
        ingested_at=str(row["ingested_at"]),
        observed_at=row.get("observed_at"),
        confidence=float(row["confidence"]),
        document=row.get("document"),
        span=(int(start), int(end)) if start is not None and end is not None else None,
        extractor=row.get("extractor"),
        note=row.get("note"),
    )


def link_of(src: str, dst: str, row: dict[str, Any]) -> Link:
    """A ``Link`` from the properties of its relationship and the ids of its ends."""
    return Link(
        id=str(row["id"]),
        type=str(row["type"]),
        source_id=src,
        target_id=dst,
        directed=bool(row["directed"]),
        properties=json.loads(str(row["properties"])),
        provenance=_provenance(row),
        grading=Grading(str(row["grade_source"]), str(row["grade_info"])),
        handling=handling_of(row),
    )


def record_of(row: dict[str, Any]) -> tuple[RecordRef, dict[str, list[JSONScalar]]]:
    """A record reference and its property values, from the properties of a record node."""
    gsrc, ginfo = row.get("grade_source"), row.get("grade_info")
    ref = RecordRef(
        provenance=_provenance(row),
        grading=Grading(str(gsrc), str(ginfo)) if gsrc is not None else None,
        handling=handling_of(row),
    )
    return ref, json.loads(str(row["properties"]))
