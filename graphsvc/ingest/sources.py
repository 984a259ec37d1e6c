"""Sources: where records come from, and the defaults each source gives its records.

A source definition names the source, its country (the default region for reading national
phone numbers) and the provenance, grading and handling its records take when they do not say
otherwise::

    sources:
      cdr-fr:
        title: Call detail records, operator requisition (FR)
        country: FR
        provenance: {method: structured, confidence: 0.95}
        grading: {source: A, information: "1"}
        handling: {classification: CONFIDENTIAL, releasableTo: [FR], code: H2,
                   originator: FR-OCRTEH}

Definitions live in a sources file (for native JSONL and documents) or inline in a CSV mapping.
Defaults are checked when the definition is loaded, so a wrong default is reported once, where
it is written, and not on every record.

A source of documents (reports, e-mails, scans) may also say how their co-mentions are linked:
``extraction: {coMention: ASSOCIATED_WITH, context: paragraph}`` (default ``CO_MENTIONED``
within a ``sentence``; see ``graphsvc/ingest/documents/statements.py``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from graphsvc.errors import InvalidInput, InvalidMapping, first_problem
from graphsvc.ingest.documents.mentions import CONTEXTS, Context
from graphsvc.model.properties import COUNTRIES
from graphsvc.model.records import GradingIn, HandlingIn, ProvenanceIn, RecordValidator
from graphsvc.model.schema import Schema
from graphsvc.model.text import did_you_mean

DEFAULT_COMENTION = "CO_MENTIONED"
EXTRACTION_FIELDS = ("coMention", "context")


class SourceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    title: str | None = None
    country: str | None = None
    provenance: dict[str, Any] = Field(default_factory=dict)
    grading: dict[str, Any] = Field(default_factory=dict)
    handling: dict[str, Any] = Field(default_factory=dict)
    extraction: dict[str, Any] = Field(default_factory=dict)

    def check(self, schema: Schema, file: str | None, where: str) -> None:
        """Raise ``InvalidMapping`` when a default is not a valid value for its field."""
        if self.country is not None and self.country.upper() not in COUNTRIES:
            raise InvalidMapping(
                f"{self.country!r} is not an ISO country code", file=file, field=f"{where}.country"
            )
        checks: list[tuple[str, type[BaseModel], dict[str, Any]]] = [
            ("provenance", ProvenanceIn, {"source": self.name, **self.provenance}),
            ("grading", GradingIn, self.grading),
            ("handling", HandlingIn, self.handling),
        ]
        for part, model, values in checks:
            unknown = set(values) - set(model.model_fields)
            if unknown:
                raise InvalidMapping(
                    f"unknown fields {sorted(unknown)}; "
                    f"expected some of {sorted(model.model_fields)}",
                    file=file,
                    field=f"{where}.{part}",
                )
            try:
                model.model_validate(values)
            except ValidationError as exc:
                for error in exc.errors(include_url=False):
                    if error["type"] != "missing":  # partial defaults are fine
                        loc = ".".join(str(p) for p in error["loc"])
                        raise InvalidMapping(
                            error["msg"], file=file, field=f"{where}.{part}.{loc}"
                        ) from None
        self._check_extraction(schema, file, where)
        validator = RecordValidator(schema)
        problems = validator.handling_problems(self.handling)
        problems += validator.grading_problems(self.grading)
        if problems:
            field, message = problems[0]
            raise InvalidMapping(message, file=file, field=f"{where}.{field}")

    def _check_extraction(self, schema: Schema, file: str | None, where: str) -> None:
        unknown = set(self.extraction) - set(EXTRACTION_FIELDS)
        if unknown:
            raise InvalidMapping(
                f"unknown fields {sorted(unknown)}; expected some of {list(EXTRACTION_FIELDS)}",
                file=file,
                field=f"{where}.extraction",
            )
        link = self.extraction.get("coMention", DEFAULT_COMENTION)
        if not isinstance(link, str) or link not in schema.links:
            raise InvalidMapping(
                f"{link!r} is not a link type of the schema"
                + did_you_mean(str(link), list(schema.links)),
                file=file,
                field=f"{where}.extraction.coMention",
            )
        context = self.extraction.get("context", CONTEXTS[0])
        if context not in CONTEXTS:
            raise InvalidMapping(
                f"{context!r} is not one of {', '.join(CONTEXTS)}",
                file=file,
                field=f"{where}.extraction.context",
            )

    @property
    def comention_type(self) -> str:
        """The link type drawn between things a document names together."""
        return str(self.extraction.get("coMention", DEFAULT_COMENTION))

    @property
    def comention_context(self) -> Context:
        """Where two mentions count as together: ``sentence`` or ``paragraph``."""
        context: Context = self.extraction.get("context", CONTEXTS[0])  # checked on loading
        return context

    @property
    def region(self) -> str | None:
        return self.country.upper() if self.country else None


class SourceRegistry:
    """Source definitions by name."""

    def __init__(self, sources: dict[str, SourceConfig] | None = None) -> None:
        self.sources: dict[str, SourceConfig] = dict(sources or {})

    @classmethod
    def load(cls, path: str | os.PathLike[str], schema: Schema) -> SourceRegistry:
        file = str(path)
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except FileNotFoundError:
            raise InvalidMapping("sources file not found", file=file) from None
        except yaml.YAMLError as exc:
            raise InvalidMapping(f"not valid YAML: {exc}", file=file) from None
        items = data.get("sources") if isinstance(data, dict) else None
        if not isinstance(items, dict):
            raise InvalidMapping(
                "expected a top-level 'sources:' mapping of name -> definition", file=file
            )
        registry = cls()
        for name, spec in items.items():
            where = f"sources.{name}"
            if spec is not None and not isinstance(spec, dict):
                raise InvalidMapping(
                    "expected a source definition (a mapping)", file=file, field=where
                )
            registry.add(parse_source({"name": name, **(spec or {})}, schema, file, where))
        return registry

    def add(self, source: SourceConfig) -> None:
        self.sources[source.name] = source

    def get(self, name: str | None) -> SourceConfig | None:
        return self.sources.get(name) if name else None


def parse_source(spec: Any, schema: Schema, file: str | None, where: str) -> SourceConfig:
    if not isinstance(spec, dict):
        raise InvalidMapping("expected a source definition (a mapping)", file=file, field=where)
    try:
        source = SourceConfig.model_validate(spec)
    except ValidationError as exc:
        loc, message = first_problem(exc)
        raise InvalidMapping(message, file=file, field=f"{where}.{loc}") from None
    source.check(schema, file, where)
    return source


def with_defaults(
    raw: Any, registry: SourceRegistry, default_source: str | None
) -> tuple[Any, str | None]:
    """The record with its source's defaults filled in, and the source's region.

    Fields the record gives win over the defaults; ``default_source`` names the source of
    records whose provenance does not.
    """
    if not isinstance(raw, dict):
        return raw, None
    provenance = raw.get("provenance")
    if provenance is None:
        provenance = {}
    if not isinstance(provenance, dict):
        raise InvalidInput("expected an object", field="provenance")
    name = provenance.get("source") or default_source
    source = registry.get(name) if isinstance(name, str) else None
    if source is None:
        if name and "source" not in provenance:
            raw = {**raw, "provenance": {**provenance, "source": name}}
        return raw, None
    merged = dict(raw)
    merged["provenance"] = {**source.provenance, **provenance, "source": source.name}
    for part in ("grading", "handling"):
        given = raw.get(part)
        defaults = getattr(source, part)
        if given is None and defaults:
            merged[part] = dict(defaults)
        elif isinstance(given, dict) and defaults:
            merged[part] = {**defaults, **given}
    return merged, source.region
