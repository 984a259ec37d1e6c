"""Running an ingestion: files in, batches of units into the store, a report out.

``Ingestor`` reads native JSONL, FollowTheMoney JSON lines, CSV through a mapping, documents
(text, Markdown, e-mail, PDF, images: ``graphsvc/ingest/documents``), or a manifest listing
them; validates every record; resolves link ends to entities; and writes units
(everything one line or row asserts) in batched transactions. A unit that fails is reported
with file, line, field and reason, and everything valid is stored. A link whose end names an
entity id not seen yet is held back and retried once the whole run has been read, so files may
come in any order.

Re-running the same ingestion is safe: writes are idempotent upserts, so a run interrupted by
a crash or a kill is completed by running it again.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from tqdm import tqdm

from graphsvc.errors import GraphsvcError, InvalidInput, InvalidMapping, OcrUnavailable
from graphsvc.ingest.csvsource import read_csv
from graphsvc.ingest.documents.extract import Extractor
from graphsvc.ingest.documents.read import DOCUMENT_SUFFIXES, read_document
from graphsvc.ingest.documents.resolve import Resolver, Thresholds
from graphsvc.ingest.documents.statements import Statements, Tally
from graphsvc.ingest.ftm import is_ftm_file, read_ftm
from graphsvc.ingest.mapping import Mapping
from graphsvc.ingest.native import RawUnit, read_native
from graphsvc.ingest.sources import SourceConfig, SourceRegistry, with_defaults
from graphsvc.model.records import (
    EntityAssertion,
    LinkAssertion,
    LinkDraft,
    RecordValidator,
    Unresolved,
    now_iso,
)
from graphsvc.policy.scope import ReadersScope
from graphsvc.store.protocol import GraphStore

NATIVE_SUFFIXES = {".jsonl", ".ndjson", ".json"}
CSV_SUFFIXES = {".csv", ".tsv", ".txt"}  # .txt without a mapping is a document
MANIFEST_SUFFIXES = {".yaml", ".yml"}
MAX_PROBLEMS_KEPT = 10_000


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    field: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.field}: {self.reason}" if self.field else f"{where}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "field": self.field, "reason": self.reason}


@dataclass
class FileReport:
    file: str
    accepted: int = 0
    rejected: int = 0
    skipped: int = 0  # rows a mapping read nothing from (every entity optional and absent...)


@dataclass
class IngestReport:
    """Counts per file, and the problems: the first ``MAX_PROBLEMS_KEPT`` in memory, every one
    passed to ``sink`` (if given) as it is found."""

    files: dict[str, FileReport] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    problems_not_kept: int = 0
    sink: Callable[[Problem], None] | None = None
    documents: Tally = field(default_factory=Tally)  # what documents gave (text extraction)

    @property
    def accepted(self) -> int:
        return sum(f.accepted for f in self.files.values())

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files.values())

    @property
    def skipped(self) -> int:
        return sum(f.skipped for f in self.files.values())

    def summary(self) -> str:
        text = f"accepted {self.accepted}, rejected {self.rejected}"
        return text + (f", skipped {self.skipped} (nothing to store)" if self.skipped else "")

    def file(self, name: str) -> FileReport:
        return self.files.setdefault(name, FileReport(name))

    def accept(self, file: str) -> None:
        self.file(file).accepted += 1

    def reject(
        self, file: str, line: int | None, error: GraphsvcError | None, **override: Any
    ) -> None:
        self.file(file).rejected += 1
        problems = error.problems if isinstance(error, InvalidInput) else [(None, str(error))]
        for field_name, reason in problems:
            self._note(
                Problem(
                    file, line, override.get("field", field_name), override.get("reason", reason)
                )
            )

    def _note(self, problem: Problem) -> None:
        if self.sink is not None:
            self.sink(problem)
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(problem)
        else:
            self.problems_not_kept += 1


@dataclass
class _Pending:
    file: str
    line: int
    drafts: list[EntityAssertion | LinkDraft]

    def keys(self) -> set[tuple[str, ...]]:
        """What the unit's assertions replace when stored: link ids and entity records."""
        return {
            ("link", d.id)
            if isinstance(d, LinkDraft)
            else ("entity", d.entity_id, d.provenance.source, d.provenance.record)
            for d in self.drafts
        }


class Ingestor:
    """One ingestion run into ``store``; call ``finish()`` at the end to get the report."""

    def __init__(
        self,
        store: GraphStore,
        registry: SourceRegistry | None = None,
        *,
        batch_size: int = 5000,
        progress: bool = False,
        problem_sink: Callable[[Problem], None] | None = None,
    ) -> None:
        self.store = store
        self.schema = store.schema
        self.validator = RecordValidator(self.schema)
        self.registry = registry if registry is not None else SourceRegistry()
        self.batch_size = batch_size
        self.progress = progress
        self.report = IngestReport(sink=problem_sink)
        self.ingested_at = now_iso()
        self._pending: list[_Pending] = []
        self._deferred: list[_Pending] = []
        self._deferred_keys: set[tuple[str, ...]] = set()
        self._run_types: dict[str, str] = {}  # entity id -> type, as this run asserts them
        self._extractor: Extractor | None = None  # loaded with the first document
        self.thresholds = Thresholds.from_env()

    # -- entry points ----------------------------------------------------------------------------

    def ingest_path(
        self, path: str | Path, mapping: str | Path | None = None, source: str | None = None
    ) -> None:
        """Ingest one file, choosing the reader by its extension."""
        file = Path(path)
        if not file.is_file():
            raise InvalidInput("no such file", file=str(file))
        suffix = file.suffix.lower()
        if suffix in MANIFEST_SUFFIXES:
            if mapping is not None:
                raise InvalidInput(
                    "a manifest names its own mappings; drop --mapping", file=str(file)
                )
            self.ingest_manifest(file)
        elif is_ftm_file(file):
            self.ingest_ftm(file, source)
        elif mapping is not None:
            self.ingest_csv(file, Mapping.load(mapping, self.schema, self.registry))
        elif suffix in DOCUMENT_SUFFIXES:
            self.ingest_document(file, source)
        elif suffix in CSV_SUFFIXES:
            raise InvalidInput("a CSV file needs a mapping (--mapping FILE)", file=str(file))
        elif suffix in NATIVE_SUFFIXES:
            self.ingest_native(file, source)
        else:
            raise InvalidInput(
                "unknown kind of file; expected .jsonl (native), .ftm or .ftm.json "
                "(FollowTheMoney), .csv with --mapping, a document ("
                + ", ".join(sorted(DOCUMENT_SUFFIXES))
                + ") or a .yaml manifest",
                file=str(file),
            )

    def ingest_manifest(self, path: Path) -> None:
        """Ingest the files a manifest lists (paths relative to the manifest)::

        sources: sources.yaml
        files:
          - {path: registry/companies.csv, mapping: mappings/companies.yaml}
          - {path: partner/be-pjf.jsonl}
        """
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise InvalidMapping(f"not valid YAML: {exc}", file=str(path)) from None
        if not isinstance(data, dict) or not isinstance(data.get("files"), list):
            raise InvalidMapping("a manifest needs a 'files:' list", file=str(path))
        base = path.parent
        if data.get("sources"):
            for name, source in SourceRegistry.load(
                base / str(data["sources"]), self.schema
            ).sources.items():
                self.registry.sources[name] = source
        # the manifest's shape, then every file and mapping, are checked before anything is stored
        entries: list[dict[str, Any]] = []
        for index, entry in enumerate(data["files"]):
            if isinstance(entry, str):
                entry = {"path": entry}
            if (
                not isinstance(entry, dict)
                or "path" not in entry
                or set(entry) - {"path", "mapping", "source"}
            ):
                raise InvalidMapping(
                    "each file is {path, mapping?, source?}",
                    file=str(path),
                    field=f"files[{index}]",
                )
            entries.append(entry)
        plan: list[tuple[Path, Mapping | None, str | None]] = []
        for index, entry in enumerate(entries):
            file = base / str(entry["path"])
            if not file.is_file():
                raise InvalidMapping(
                    f"no such file {file}", file=str(path), field=f"files[{index}]"
                )
            mapping = None
            suffix = file.suffix.lower()
            if entry.get("mapping"):
                mapping = Mapping.load(base / str(entry["mapping"]), self.schema, self.registry)
            elif suffix in DOCUMENT_SUFFIXES:
                self._document_source(str(path), entry.get("source"), f"files[{index}]")
            elif suffix not in NATIVE_SUFFIXES and not is_ftm_file(file):
                raise InvalidMapping(
                    f"{file.name} needs a mapping (only native .jsonl, FollowTheMoney .ftm and "
                    "documents are read without one)",
                    file=str(path),
                    field=f"files[{index}]",
                )
            plan.append((file, mapping, entry.get("source")))
        for file, mapping, default_source in plan:
            if mapping is not None:
                self.ingest_csv(file, mapping)
            elif is_ftm_file(file):
                self.ingest_ftm(file, default_source)
            elif file.suffix.lower() in DOCUMENT_SUFFIXES:
                self.ingest_document(file, default_source)
            else:
                self.ingest_native(file, default_source)

    def ingest_native(self, path: Path, source: str | None = None) -> None:
        with self._bar(path) as update:
            self._ingest(str(path), read_native(path, update), source)

    def ingest_ftm(self, path: Path, source: str | None = None) -> None:
        """FollowTheMoney entities (JSON lines); see ``graphsvc/ingest/ftm.py``."""
        with self._bar(path) as update:
            reader = read_ftm(path, self.schema, self.registry, source, update)
            self._ingest(str(path), reader, source)

    def ingest_csv(self, path: Path, mapping: Mapping) -> None:
        self.registry.add(mapping.source)
        with self._bar(path) as update:
            self._ingest(str(path), read_csv(path, mapping, update), mapping.source.name)

    def ingest_document(self, path: Path, source: str | None = None) -> None:
        """A document and its attachments: what they say, with provenance spans (see
        ``graphsvc/ingest/documents/statements.py``). ``source`` must be defined (``--sources``)
        with the handling its documents take. A document that cannot be read, an attachment
        that is not read, and a document that needs OCR where Tesseract is missing are reported
        against their file; the rest is stored. Each document is written before the next is
        read, so names resolve against the documents before them."""
        file = str(path)
        config = self._document_source(file, source)
        self._flush(final=False)  # what the files before it said is there to resolve against
        self.report.file(file)
        try:
            documents = read_document(path)
        except (InvalidInput, OcrUnavailable) as exc:
            self.report.reject(exc.file or file, exc.line, None, reason=exc.message)
            return
        except GraphsvcError:
            raise  # the settings (OCR, models) are wrong: an error of the run, not of the file
        except Exception as exc:  # a reader's fault on a hostile file must not stop the run
            self.report.reject(file, None, None, reason=f"could not be read ({_fault(exc)})")
            return
        if self._extractor is None:
            self._extractor = Extractor()
        statements = Statements(
            self.schema,
            config.name,
            Resolver(self.store, self.thresholds),
            config.comention_type,
        )
        for document in documents:
            where = document.path
            self.report.file(where)
            for skipped in document.skipped:
                self.report.reject(where, None, None, reason=f"attachment not read: {skipped}")
            try:
                extraction = self._extractor.extract(
                    document.text, document.language, config.region, config.comention_context
                )
            except GraphsvcError:
                raise
            except Exception as exc:  # as above: this document is reported, the others read
                self.report.reject(where, None, None, reason=f"not extracted ({_fault(exc)})")
                continue
            record = statements.document_record(document, extraction)
            try:
                assertion = self._validate(record, config.name)
            except InvalidInput as exc:
                self.report.reject(where, None, exc)
                continue
            if not isinstance(assertion, EntityAssertion):  # pragma: no cover - an entity
                raise AssertionError(type(assertion))
            scope = ReadersScope.of_readers(
                assertion.handling, self.schema.policy, country=config.region
            )
            parent = documents[document.parent] if document.parent is not None else None
            units = [(1, [record]), *statements.units(document, extraction, scope, parent)]
            self._ingest(where, iter(units), config.name)
            self._flush(final=False)
        self.report.documents.add(statements.tally)

    def _document_source(
        self, file: str, source: str | None, field: str | None = None
    ) -> SourceConfig:
        """The source a document is read for: it must be defined, with handling defaults."""
        config = self.registry.get(source)
        if config is None:
            known = ", ".join(sorted(self.registry.sources)) or "none defined"
            why = f"source {source!r} is not defined" if source else "give --source NAME"
            raise InvalidMapping(
                "a document needs its source, defined in a sources file with the handling its "
                f"records take ({why}; sources: {known})",
                file=file,
                field=field,
            )
        missing = [k for k in ("classification", "code", "originator") if k not in config.handling]
        if missing:
            raise InvalidMapping(
                f"source {config.name!r} gives no handling {', '.join(missing)}: a document's "
                "records take their handling from their source",
                file=file,
                field=field,
            )
        return config

    def ingest_records(
        self, records: Iterable[dict[str, Any]], name: str = "<records>", source: str | None = None
    ) -> None:
        """Ingest already-decoded native records (one unit each)."""
        self._ingest(name, ((i, [r]) for i, r in enumerate(records, 1)), source)

    def finish(self) -> IngestReport:
        """Write what is pending, retry links held back for unknown ends, return the report."""
        self._flush(final=False)
        deferred, self._deferred = self._deferred, []
        self._deferred_keys = set()
        for start in range(0, len(deferred), self.batch_size):
            self._pending = deferred[start : start + self.batch_size]
            self._flush(final=True)
        self.report.problems.sort(key=lambda p: (p.file, p.line or 0))
        return self.report

    # -- internals -------------------------------------------------------------------------------

    @contextmanager
    def _bar(self, path: Path) -> Iterator[Callable[[int], None] | None]:
        """A progress bar over the file's bytes, on a terminal only."""
        if not (self.progress and sys.stderr.isatty()):
            yield None
            return
        with tqdm(
            total=path.stat().st_size, unit="B", unit_scale=True, desc=path.name, leave=False
        ) as bar:

            def update(count: int) -> None:
                bar.update(count)

            yield update

    def _ingest(
        self,
        file: str,
        units: Iterator[tuple[int, RawUnit | InvalidInput]] | Iterable[tuple[int, RawUnit]],
        default_source: str | None,
    ) -> None:
        self.report.file(file)
        for line, unit in units:
            if isinstance(unit, InvalidInput):
                self.report.reject(file, line, unit)
                continue
            if not unit:
                self.report.file(file).skipped += 1
                continue
            try:
                drafts = [self._validate(raw, default_source) for raw in unit]
            except InvalidInput as exc:
                self.report.reject(file, line, exc)
                continue
            for draft in drafts:
                if isinstance(draft, EntityAssertion):
                    self._run_types.setdefault(draft.entity_id, draft.type)
            self._pending.append(_Pending(file, line, drafts))
            if len(self._pending) >= self.batch_size:
                self._flush(final=False)

    def _validate(self, raw: Any, default_source: str | None) -> EntityAssertion | LinkDraft:
        merged, region = with_defaults(raw, self.registry, default_source)
        return self.validator.parse(merged, region=region, ingested_at=self.ingested_at)

    def _flush(self, *, final: bool) -> None:
        pending, self._pending = self._pending, []
        if not pending:
            return
        units: list[list[EntityAssertion | LinkAssertion]] = []
        origins: list[_Pending] = []
        for unit in pending:
            if not final and self._deferred_keys and unit.keys() & self._deferred_keys:
                # an earlier record of the same link or entity record is held back: keep file
                # order, so that the last assertion in the files is the one that stays
                self._defer(unit)
                continue
            try:
                assertions = [self._resolve(d) for d in unit.drafts]
            except Unresolved as exc:
                if final:
                    self.report.reject(
                        unit.file, unit.line, None, field=exc.end.field, reason=exc.message
                    )
                else:
                    self._defer(unit)
                continue
            except InvalidInput as exc:
                self.report.reject(unit.file, unit.line, exc)
                continue
            units.append(assertions)
            origins.append(unit)
        refused = {r.index: r for r in self.store.write(units)}
        for index, unit in enumerate(origins):
            rejection = refused.get(index)
            if rejection is None:
                self.report.accept(unit.file)
            else:
                self.report.reject(
                    unit.file, unit.line, None, field=rejection.field, reason=rejection.reason
                )

    def _defer(self, unit: _Pending) -> None:
        self._deferred.append(unit)
        self._deferred_keys |= unit.keys()

    def _resolve(self, draft: EntityAssertion | LinkDraft) -> EntityAssertion | LinkAssertion:
        """A link end given by a bare id resolves against the entities this run asserts (its
        entity records, and ends already resolved), never against the store: what the store
        holds may be hidden from the people who will read the link, and the meaning of a file
        must not depend on what was loaded before it."""
        if isinstance(draft, EntityAssertion):
            return draft
        lookup = self._run_types.get
        src = self.validator.resolve_end(draft, draft.ends[0], lookup)
        dst = self.validator.resolve_end(draft, draft.ends[1], lookup)
        self._run_types.setdefault(src.id, src.type)
        self._run_types.setdefault(dst.id, dst.type)
        return draft.resolve(src, dst)


def _fault(exc: Exception) -> str:
    """An unexpected error, for a problem report: its kind and its first line."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200]}" if text else type(exc).__name__
