"""``Neo4jStore``: the ``GraphStore`` on a Neo4j 5 database, through the official driver.

Every query is a named file of ``cypher/`` (``CypherQueries``), run in the driver's managed
transactions (``execute_read``/``execute_write``), which retry transient errors and serve
reads from any cluster member. Sessions share the driver's bookmark manager, so a read always
sees the writes this process made before it.

The visibility rule stays where it is written (``Scope.allows``): the store lists the distinct
handlings it holds, asks the scope which it may see, and passes their keys as ``$visible`` to
every query, which tests ``hkey IN $visible`` on every relationship it traverses and every
record it reads. Traversals go layer by layer in Cypher (variable-length bounds cannot be
parameters, and the layers give the same canonical answers as the embedded store: where a
limit cuts, the first entities by id). Paths are found on the small neighbourhood both ends
can reach within the hop limit, fetched in Cypher, with the embedded store's own algorithm.
Analytics project the scope's visible graph into the same ``ScopedView`` the embedded store
builds (cached per scope and data version).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from graphsvc import __version__
from graphsvc.config import Neo4jSettings
from graphsvc.errors import BackendUnavailable, InvalidConfig, InvalidInput, NotFound, StoreError
from graphsvc.model.graph import Entity, Link, SearchHit, StoreStats, Subgraph
from graphsvc.model.graph import Path as GraphPath
from graphsvc.model.records import EntityAssertion, Handling
from graphsvc.model.schema import Schema
from graphsvc.model.text import fold, tokens
from graphsvc.policy.scope import Scope
from graphsvc.store import traverse
from graphsvc.store.name_rules import CANDIDATES_MAX
from graphsvc.store.neo4j import rows
from graphsvc.store.neo4j.corrections import Neo4jCorrections
from graphsvc.store.neo4j.cypher import CypherQueries, Transaction
from graphsvc.store.neo4j.search import Vocabulary, lucene_query, score_names, widen
from graphsvc.store.neo4j.view import Neo4jView
from graphsvc.store.protocol import OPEN, LinkFilter, Rejection, SavedQueryRow, Unit, at_least
from graphsvc.store.records import (
    assemble_entity,
    canonical_json,
    selector_candidates,
    store_stats,
    unit_problem,
)
from graphsvc.store.resolution import (
    Holdings,
    Plan,
    RecordRef,
    Resolution,
    ResolutionRow,
    involved,
    matching,
    merge_ids,
    plan_merge,
    plan_split,
    plan_undo,
    scoped,
    undo_entities,
)
from graphsvc.store.view import ScopedView

T = TypeVar("T")
WRITE_CHUNK = 10_000  # rows per UNWIND
ERASE_BATCH = 10_000
INDEX_WAIT_SECONDS = 300


def _filter_params(link_filter: LinkFilter) -> dict[str, Any]:
    return {
        "types": sorted(link_filter.types) if link_filter.types is not None else None,
        "since": link_filter.since,
        "until": link_filter.until,
        "min_confidence": link_filter.min_confidence,
    }


def _with_extra(names: tuple[str, ...], seen: Iterable[str]) -> tuple[str, ...]:
    """``names`` followed by the names ``seen`` that it lacks, sorted."""
    return names + tuple(sorted(set(seen) - set(names)))


def _topology(ids: list[str], link_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The view fields of entities ``ids`` (sorted) and links ``link_rows`` (sorted by id, with
    ``id``, ``src``, ``dst`` and ``directed``): positions are the view's keys."""
    position = {entity_id: i for i, entity_id in enumerate(ids)}
    n, m = len(ids), len(link_rows)
    vertex_ids = np.empty(n, dtype=object)
    vertex_ids[:] = ids
    edge_ids = np.empty(m, dtype=object)
    edge_ids[:] = [r["id"] for r in link_rows]
    return {
        "vertex_key": np.arange(n, dtype=np.int64),
        "vertex_ids": vertex_ids,
        "edge_key": np.arange(m, dtype=np.int64),
        "edge_src": np.fromiter((position[r["src"]] for r in link_rows), np.int64, count=m),
        "edge_dst": np.fromiter((position[r["dst"]] for r in link_rows), np.int64, count=m),
        "edge_directed": np.fromiter((bool(r["directed"]) for r in link_rows), bool, count=m),
        "edge_ids": edge_ids,
    }


def _chunks(items: list[T], size: int = WRITE_CHUNK) -> Iterable[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Neo4jStore:
    """A graph store in a Neo4j database. Thread-safe (the driver pools connections)."""

    def __init__(
        self,
        settings: Neo4jSettings,
        schema: Schema | None = None,
        *,
        max_views: int = 4,
        queries: CypherQueries | None = None,
    ) -> None:
        import neo4j
        from neo4j import exceptions as errors

        self.settings = settings
        self.schema = schema if schema is not None else Schema.load()
        self.name = settings.name
        self._q = queries or CypherQueries()
        self._corrections = Neo4jCorrections(self._q)
        self._errors = errors
        try:
            driver = neo4j.GraphDatabase.driver(
                settings.uri,
                auth=(settings.user, settings.password),
                max_connection_pool_size=50,
                connection_acquisition_timeout=60.0,
                max_transaction_retry_time=30.0,
                user_agent=f"graphsvc/{__version__}",
            )
        except (errors.ConfigurationError, ValueError) as exc:
            raise InvalidConfig(f"cannot use NEO4J_URI {settings.uri!r}: {exc}") from None
        self._driver = driver
        try:
            self._driver.verify_connectivity()
        except errors.AuthError:
            self._driver.close()
            raise InvalidConfig(
                f"Neo4j at {settings.uri} refused the credentials of NEO4J_USER "
                f"{settings.user!r} (check NEO4J_PASSWORD)",
                field="NEO4J_PASSWORD",
            ) from None
        except (errors.ConfigurationError, ValueError) as exc:
            self._driver.close()
            raise InvalidConfig(f"cannot use NEO4J_URI {settings.uri!r}: {exc}") from None
        except (errors.DriverError, errors.Neo4jError, OSError) as exc:
            self._driver.close()
            raise BackendUnavailable(f"cannot reach Neo4j at {settings.uri}: {exc}") from None
        self._lock = threading.RLock()
        self._build_lock = threading.Lock()
        self._vocabulary = Vocabulary()
        self._views: OrderedDict[tuple[object, ...], Neo4jView] = OrderedDict()
        self._max_views = max_views
        self._handlings: dict[str, Handling] = {}
        self._handlings_version = -1
        self._visible_cache: dict[tuple[object, ...], list[str]] = {}
        self._schema_ready = False
        self._entity_types: tuple[str, ...] = tuple(self.schema.entities)
        self._link_types: tuple[str, ...] = tuple(self.schema.links)
        policy = self.schema.policy
        self._source_weights = {g: w.weight for g, w in policy.source_grades.items()}
        self._information_weights = {g: w.weight for g, w in policy.information_grades.items()}

    # -- lifecycle -------------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._views.clear()
        self._driver.close()

    def __enter__(self) -> Neo4jStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def ping(self) -> None:
        self._read(lambda tx: self._q.fetch(tx, "ping"))

    def _session(self) -> Any:
        return self._driver.session(
            database=self.settings.database,
            bookmark_manager=self._driver.execute_query_bookmark_manager,
        )

    def _run(self, write: bool, work: Callable[[Transaction], T]) -> T:
        errors = self._errors
        try:
            with self._session() as session:
                if write:
                    return session.execute_write(work)  # type: ignore[no-any-return]
                return session.execute_read(work)  # type: ignore[no-any-return]
        except errors.ConstraintError:
            raise StoreError(  # its message would name the other write's values: not shown
                "Neo4j refused the write: a concurrent write took the same id (nothing of this "
                "batch was written; run it again)"
            ) from None
        except (errors.ServiceUnavailable, errors.SessionExpired, errors.TransientError) as exc:
            raise BackendUnavailable(
                f"Neo4j at {self.settings.uri} is unavailable: {exc}"
            ) from None
        except errors.Neo4jError as exc:
            raise StoreError(f"Neo4j refused a query ({exc.code}): {exc.message}") from None
        except errors.DriverError as exc:
            raise BackendUnavailable(f"Neo4j driver error: {exc}") from None

    def _read(self, work: Callable[[Transaction], T]) -> T:
        return self._run(False, work)

    def _write(self, work: Callable[[Transaction], T]) -> T:
        return self._run(True, work)

    # -- schema and maintenance ------------------------------------------------------------------

    def init_schema(self) -> list[str]:
        """Apply ``cypher/schema.cypher`` (idempotent) and wait for the indexes to be online;
        the names of the constraints and indexes ensured."""
        names = []
        try:
            with self._session() as session:
                for name, statement in self._q.schema_statements():
                    session.run(statement).consume()
                    names.append(name)
                self._q.fetch(session, "await_indexes", seconds=INDEX_WAIT_SECONDS)
        except self._errors.Neo4jError as exc:
            raise StoreError(
                f"cannot apply the Neo4j schema ({exc.code}): {exc.message}"
                " (the user needs the right to create constraints and indexes)"
            ) from None
        except self._errors.DriverError as exc:
            raise BackendUnavailable(f"Neo4j at {self.settings.uri}: {exc}") from None
        self._schema_ready = True
        return names

    def missing_schema(self) -> list[str]:
        """The constraints and indexes of ``schema.cypher`` the database lacks."""
        statements = self._q.schema_statements()
        constraints = [n for n, text in statements if " CONSTRAINT " in f" {text} "]
        indexes = [n for n, _ in statements if n not in constraints]
        try:
            with self._session() as session:
                present = {
                    r["name"]
                    for r in self._q.fetch(session, "schema_constraints", names=constraints)
                } | {r["name"] for r in self._q.fetch(session, "schema_indexes", names=indexes)}
        except self._errors.Neo4jError as exc:
            raise StoreError(f"cannot read the Neo4j schema ({exc.code}): {exc.message}") from None
        except self._errors.DriverError as exc:
            raise BackendUnavailable(f"Neo4j at {self.settings.uri}: {exc}") from None
        return [n for n, _ in statements if n not in present]

    def _require_schema(self) -> None:
        """Refuse to write or search a database without graphsvc's constraints and indexes
        (without them ids are not unique and name search has no index)."""
        if self._schema_ready:
            return
        missing = self.missing_schema()
        if missing:
            raise StoreError(
                f"the Neo4j database lacks graphsvc's schema ({', '.join(missing)}): "
                "run `graphsvc --backend neo4j db init` first"
            )
        self._schema_ready = True

    def is_empty(self) -> bool:
        found = self._read(lambda tx: self._q.fetch(tx, "is_empty"))
        return bool(found[0]["empty"])

    def erase_all(self) -> None:
        """Delete every graphsvc link and node of the database (batched), and raise the data
        version, so that no process keeps using what it cached of the erased data."""

        def erase_links(tx: Transaction) -> int:
            return int(self._q.fetch(tx, "erase_links_batch", batch=ERASE_BATCH)[0]["erased"])

        def erase_nodes(tx: Transaction) -> int:
            return int(self._q.fetch(tx, "erase_batch", batch=ERASE_BATCH)[0]["erased"])

        while self._write(erase_links):
            pass
        while self._write(erase_nodes):
            pass
        self._write(lambda tx: self._q.fetch(tx, "bump_version"))
        with self._lock:
            self._views.clear()
            self._visible_cache.clear()

    # -- writing ---------------------------------------------------------------------------------

    def write(self, units: Sequence[Unit]) -> list[Rejection]:
        self._require_schema()
        return self._write(lambda tx: self._write_units(tx, units))

    def _write_units(self, tx: Transaction, units: Sequence[Unit]) -> list[Rejection]:
        q = self._q
        q.fetch(tx, "lock_writes")  # one writer at a time, from its checks to its commit
        redirects = self._corrections.redirects(tx)  # corrections win over re-ingestion
        if redirects:
            units = [redirects.unit(unit) for unit in units]
        entity_ids: set[str] = set()
        link_ids: set[str] = set()
        for unit in units:
            for a in unit:
                if isinstance(a, EntityAssertion):
                    entity_ids.add(a.entity_id)
                else:
                    entity_ids.update((a.src.id, a.dst.id))
                    link_ids.add(a.id)
        types: dict[str, str] = {}
        for chunk in _chunks(sorted(entity_ids)):
            types.update((r["id"], r["type"]) for r in q.fetch(tx, "existing_entities", ids=chunk))
        sources: dict[str, str] = {}
        for chunk in _chunks(sorted(link_ids)):
            sources.update((r["id"], r["source"]) for r in q.fetch(tx, "existing_links", ids=chunk))

        rejections: list[Rejection] = []
        handlings: dict[str, dict[str, Any]] = {}
        entities: dict[str, dict[str, Any]] = {}
        records: dict[str, dict[str, Any]] = {}
        links: dict[str, dict[str, Any]] = {}
        for index, unit in enumerate(units):
            problem = unit_problem(unit, types.get, sources.get)
            if problem is not None:
                rejections.append(Rejection(index, problem[0], problem[1]))
                continue
            for a in unit:
                handling = rows.handling_row(a.handling)
                handlings.setdefault(handling["hkey"], handling)
                if isinstance(a, EntityAssertion):
                    types[a.entity_id] = a.type
                    entities.setdefault(a.entity_id, {"id": a.entity_id, "type": a.type})
                    record = rows.record_row(self.schema, a)
                    records[record["key"]] = record
                else:
                    for end in (a.src, a.dst):
                        types[end.id] = end.type
                        entities.setdefault(end.id, {"id": end.id, "type": end.type})
                    sources[a.id] = a.provenance.source
                    links[a.id] = rows.link_row(a)

        changed = 0
        for batch in _chunks(list(handlings.values())):
            q.fetch(tx, "upsert_handlings", rows=batch)
        for batch in _chunks(list(entities.values())):
            changed += q.execute(tx, "upsert_entities", rows=batch).nodes_created
        for batch in _chunks(list(records.values())):
            changed += q.fetch(tx, "upsert_records", rows=batch)[0]["changed"]
        for batch in _chunks(list(links.values())):
            changed += q.execute(tx, "drop_moved_links", rows=batch).relationships_deleted
            changed += q.fetch(tx, "update_links", rows=batch)[0]["changed"]
            changed += q.fetch(tx, "create_links", rows=batch)[0]["changed"]
        if changed:
            q.fetch(tx, "bump_version")
        return rejections

    # -- saved queries ---------------------------------------------------------------------------

    def saved_query_rows(
        self, name: str | None = None, owner: str | None = None
    ) -> list[SavedQueryRow]:
        found = self._read(lambda tx: self._q.fetch(tx, "saved_queries", name=name, owner=owner))
        return [SavedQueryRow(**row) for row in found]

    def append_saved_query(self, row: SavedQueryRow) -> None:
        def append(tx: Transaction) -> None:
            found = self._q.fetch(tx, "saved_query_version", owner=row.owner, name=row.name)
            expected = (found[0]["version"] or 0) + 1
            if row.version != expected:
                raise StoreError(
                    f"saved query {row.owner}/{row.name}: cannot store version {row.version}, "
                    f"the next version is {expected} (saved concurrently?)",
                    field="version",
                )
            fields = {
                "key": canonical_json([row.owner, row.name, row.version]),
                "owner": row.owner,
                "name": row.name,
                "version": row.version,
                "description": row.description,
                "parameters": row.parameters,
                "body": row.body,
                "agency": row.agency,
                "sharing": row.sharing,
                "created_at": row.created_at,
                "updated_at": row.updated_at,
            }
            self._q.fetch(tx, "create_saved_query", row=fields)
            self._q.execute(tx, "undelete_saved_query", owner=row.owner, name=row.name)

        self._require_schema()
        try:
            self._write(append)
        except StoreError as exc:
            if "refused the write" in exc.message:  # the key is taken: another writer won
                raise StoreError(
                    f"saved query {row.owner}/{row.name}: version {row.version} was saved "
                    "concurrently",
                    field="version",
                ) from None
            raise

    def mark_saved_query_deleted(self, owner: str, name: str, at: str) -> None:
        def mark(tx: Transaction) -> None:
            found = self._q.fetch(tx, "saved_query_version", owner=owner, name=name)
            if found[0]["version"] is None:
                raise StoreError(f"no saved query {owner}/{name} to delete", field="name")
            key = canonical_json([owner, name])
            self._q.execute(tx, "delete_saved_query", key=key, owner=owner, name=name, at=at)

        self._require_schema()
        self._write(mark)

    # -- entity-resolution corrections (graphsvc.store.resolution holds the rules) ---------------

    def merge_entities(
        self, scope: Scope, ids: Sequence[str], into: str | None, *, by: str, reason: str
    ) -> Resolution:
        self._visible(scope)  # the scope's policy is the store's
        ordered, target = merge_ids(ids, into)

        def plan(tx: Transaction) -> tuple[Plan, Holdings]:
            held = self._corrections.holdings(tx, ordered)
            return plan_merge(self.schema, scope, held, ordered, target, by=by, reason=reason), held

        return self._seen(scope, self._correct(plan))

    def split_entity(
        self,
        scope: Scope,
        entity_id: str,
        records: Sequence[RecordRef],
        links: Sequence[str],
        new_id: str | None,
        *,
        by: str,
        reason: str,
    ) -> Resolution:
        self._visible(scope)

        def plan(tx: Transaction) -> tuple[Plan, Holdings]:
            held = self._corrections.holdings(tx, [entity_id], list(links))
            made = plan_split(
                self.schema,
                scope,
                held,
                entity_id,
                records,
                links,
                new_id,
                lambda candidate: self._corrections.exists(tx, candidate),
                by=by,
                reason=reason,
            )
            return made, held

        return self._seen(scope, self._correct(plan))

    def undo_resolution(
        self, scope: Scope, resolution_id: str, *, by: str, reason: str
    ) -> Resolution:
        self._visible(scope)

        def plan(tx: Transaction) -> tuple[Plan, Holdings]:
            found = self._corrections.rows(tx, resolution_id=resolution_id)
            if not found:
                raise NotFound(f"no correction {resolution_id!r}", field="id")
            row = found[0]
            entity_ids, link_ids = undo_entities(row)
            held = self._corrections.holdings(tx, entity_ids, link_ids)
            seen = {e for e in entity_ids if held.visible(scope, e)}
            if scoped(row, scope, seen) is None:
                raise NotFound(f"no correction {resolution_id!r}", field="id")
            return plan_undo(scope, held, row, by=by, reason=reason), held

        return self._seen(scope, self._correct(plan))

    def _correct(self, plan: Callable[[Transaction], tuple[Plan, Holdings]]) -> ResolutionRow:
        """Make the plan and apply it in one write transaction; the correction as stored."""
        self._require_schema()

        def work(tx: Transaction) -> ResolutionRow:
            self._q.fetch(tx, "lock_writes")
            made, held = plan(tx)
            return self._corrections.apply(tx, made, held)

        return self._write(work)

    def _seen(self, scope: Scope, row: ResolutionRow) -> Resolution:
        found = scoped(row, scope, self._visible_entities(scope, involved(row)))
        if found is None:  # the caller saw what they named: never expected
            raise NotFound(f"no correction {row.id!r}", field="id")
        return found

    def _visible_entities(self, scope: Scope, entity_ids: Sequence[str]) -> set[str]:
        _, visible = self._visible(scope)
        return self._read(lambda tx: self._visible_ids(tx, entity_ids, visible))

    def resolutions(
        self,
        scope: Scope,
        entity_id: str | None = None,
        by: str | None = None,
        limit: int = 100,
    ) -> list[Resolution]:
        at_least(limit=(limit, 0))
        found = self._read(lambda tx: self._corrections.rows(tx, entity_id=entity_id, by=by))
        ids = [e for row in found for e in involved(row)]
        return matching(found, scope, self._visible_entities(scope, ids), entity_id, limit)

    def get_resolution(self, scope: Scope, resolution_id: str) -> Resolution | None:
        found = self._read(lambda tx: self._corrections.rows(tx, resolution_id=resolution_id))
        if not found:
            return None
        return scoped(found[0], scope, self._visible_entities(scope, involved(found[0])))

    def resolution_rows(self) -> list[ResolutionRow]:
        found = self._read(lambda tx: self._corrections.rows(tx))
        return found[::-1]

    def import_resolution(self, row: ResolutionRow) -> bool:
        self._require_schema()

        def work(tx: Transaction) -> bool:
            self._q.fetch(tx, "lock_writes")
            return self._corrections.import_row(tx, row)

        return self._write(work)

    # -- scope plumbing --------------------------------------------------------------------------

    def _version(self, tx: Transaction) -> tuple[int, dict[str, Handling]]:
        """The data version and the handlings stored at that version."""
        version = int(self._q.fetch(tx, "data_version")[0]["version"])
        with self._lock:
            if version == self._handlings_version:
                return version, self._handlings
        found = {r["hkey"]: rows.handling_of(r) for r in self._q.fetch(tx, "handlings")}
        with self._lock:
            if version > self._handlings_version:  # never replace newer with older
                self._handlings, self._handlings_version = found, version
        return version, found

    def _visible(self, scope: Scope) -> tuple[int, list[str]]:
        """The data version and the keys of the handlings ``scope`` may see."""
        if scope.policy is not self.schema.policy and scope.policy != self.schema.policy:
            raise InvalidInput("the scope was built with another handling policy than the store's")
        version, handlings = self._read(self._version)
        key = (scope.key, version)
        with self._lock:
            cached = self._visible_cache.get(key)
        if cached is None:
            cached = sorted(h for h, handling in handlings.items() if scope.allows(handling))
            with self._lock:
                if len(self._visible_cache) >= 1024:
                    self._visible_cache.clear()
                self._visible_cache[key] = cached
        return version, cached

    # -- views (analytics) -----------------------------------------------------------------------

    def view(self, scope: Scope) -> ScopedView:
        return self._view(scope, *self._visible(scope))

    def _view(self, scope: Scope, version: int, visible: list[str]) -> Neo4jView:
        """The view of ``scope`` at data version ``version`` (``visible``: its handlings)."""
        key = (scope.key, version)
        with self._build_lock:  # concurrent callers of one scope wait for one projection
            with self._lock:
                found = self._views.get(key)
                if found is not None:
                    self._views.move_to_end(key)
                    return found
            view = self._build_view(scope, version, visible)
            with self._lock:
                self._views[key] = view
                while len(self._views) > self._max_views:
                    self._views.popitem(last=False)
            return view

    def _build_view(self, scope: Scope, version: int, visible: list[str]) -> Neo4jView:
        def project(tx: Transaction) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            return (
                self._q.fetch(tx, "view_links", visible=visible),
                self._q.fetch(tx, "view_entities", visible=visible),
            )

        link_rows, entity_rows = self._read(project)
        link_rows.sort(key=lambda r: r["id"])
        entity_type: dict[str, str] = {r["id"]: r["type"] for r in entity_rows}
        for r in link_rows:
            entity_type[r["src"]] = r["src_type"]
            entity_type[r["dst"]] = r["dst_type"]
        ids = sorted(entity_type)
        # types stored but no longer in the schema keep their names, after the schema's
        entity_names = _with_extra(self._entity_types, entity_type.values())
        link_names = _with_extra(self._link_types, (r["type"] for r in link_rows))
        entity_codes = {name: i for i, name in enumerate(entity_names)}
        link_codes = {name: i for i, name in enumerate(link_names)}
        m = len(link_rows)
        return Neo4jView(
            scope_key=scope.key,
            version=version,
            **_topology(ids, link_rows),
            vertex_type=np.fromiter(
                (entity_codes[entity_type[i]] for i in ids), dtype=np.int16, count=len(ids)
            ),
            edge_type=np.fromiter((link_codes[r["type"]] for r in link_rows), np.int16, count=m),
            edge_time=np.fromiter(
                (np.nan if r["t"] is None else float(r["t"]) for r in link_rows),
                np.float64,
                count=m,
            ),
            edge_confidence=np.fromiter((r["confidence"] for r in link_rows), np.float32, count=m),
            edge_grade=np.fromiter(
                (
                    self._source_weights.get(r["grade_source"], 0.0)
                    * self._information_weights.get(r["grade_info"], 0.0)
                    for r in link_rows
                ),
                np.float64,
                count=m,
            ).astype(np.float32),
            entity_type_names=entity_names,
            link_type_names=link_names,
        )

    @staticmethod
    def _own(view: ScopedView) -> Neo4jView:
        if not isinstance(view, Neo4jView):
            raise InvalidInput("the view was not built by this store")
        return view

    def entities_at(
        self, scope: Scope, view: ScopedView, vertices: Sequence[int]
    ) -> list[Entity | None]:
        ids = self._own(view).vertex_ids[np.asarray(vertices, dtype=np.int64)].tolist()
        _, visible = self._visible(scope)
        found = self._read(lambda tx: self._entities(tx, ids, visible))
        return [found.get(i) for i in ids]

    def links_at(self, scope: Scope, view: ScopedView, edges: Sequence[int]) -> list[Link | None]:
        ids = self._own(view).edge_ids[np.asarray(edges, dtype=np.int64)].tolist()
        _, visible = self._visible(scope)
        found = self._read(lambda tx: self._links(tx, ids, visible))
        return [found.get(i) for i in ids]

    def link_numbers(self, scope: Scope, view: ScopedView, prop: str) -> npt.NDArray[np.float64]:
        own = self._own(view)

        def read() -> npt.NDArray[np.float64]:
            values = np.full(own.m, np.nan, dtype=np.float64)
            if own.m == 0:
                return values
            _, visible = self._visible(scope)
            found = self._read(lambda tx: self._q.fetch(tx, "link_properties", visible=visible))
            positions = own.edge_positions
            for row in found:
                edge = positions.get(row["id"])
                if edge is None:
                    continue
                value = json.loads(str(row["properties"])).get(prop)
                if isinstance(value, int | float) and not isinstance(value, bool):
                    values[edge] = float(value)
            return values

        return own.memo(("link_numbers", prop), read)

    # -- materialising ---------------------------------------------------------------------------

    def _entities(
        self, tx: Transaction, ids: Sequence[str], visible: list[str]
    ) -> dict[str, Entity]:
        out: dict[str, Entity] = {}
        for chunk in _chunks(list(dict.fromkeys(ids))):
            for row in self._q.fetch(tx, "entities", ids=chunk, visible=visible):
                records = [rows.record_of(record) for record in row["records"]]
                out[row["id"]] = assemble_entity(self.schema, row["id"], row["type"], records)
        return out

    def _links(self, tx: Transaction, ids: Sequence[str], visible: list[str]) -> dict[str, Link]:
        out: dict[str, Link] = {}
        for chunk in _chunks(list(dict.fromkeys(ids))):
            for row in self._q.fetch(tx, "links", ids=chunk, visible=visible):
                out[row["link"]["id"]] = rows.link_of(row["src"], row["dst"], row["link"])
        return out

    def _visible_ids(self, tx: Transaction, ids: Sequence[str], visible: list[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(list(dict.fromkeys(ids))):
            found.update(
                r["id"] for r in self._q.fetch(tx, "visible_entities", ids=chunk, visible=visible)
            )
        return found

    def _materialise(
        self,
        tx: Transaction,
        ids: list[str],
        visible: list[str],
        link_filter: LinkFilter,
        truncated: bool,
        max_links: int,
    ) -> Subgraph:
        link_ids = sorted(
            r["id"]
            for r in self._q.fetch(
                tx, "induced_links", ids=ids, visible=visible, **_filter_params(link_filter)
            )
        )
        if len(link_ids) > max_links:  # the first links by id
            link_ids = link_ids[:max_links]
            truncated = True
        links = self._links(tx, link_ids, visible)
        entities = self._entities(tx, ids, visible)
        return Subgraph(
            nodes=tuple(entities[i] for i in sorted(entities)),
            links=tuple(links[i] for i in sorted(links)),
            truncated=truncated,
        )

    # -- reading ---------------------------------------------------------------------------------

    def get_entity(self, scope: Scope, entity_id: str) -> Entity | None:
        found = self.get_entities(scope, [entity_id])
        return found[0] if found else None

    def get_entities(self, scope: Scope, entity_ids: Sequence[str]) -> list[Entity]:
        _, visible = self._visible(scope)
        found = self._read(lambda tx: self._entities(tx, entity_ids, visible))
        return [found[i] for i in entity_ids if i in found]

    def get_link(self, scope: Scope, link_id: str) -> Link | None:
        _, visible = self._visible(scope)
        return self._read(lambda tx: self._links(tx, [link_id], visible)).get(link_id)

    def entity_links(
        self,
        scope: Scope,
        entity_id: str,
        link_filter: LinkFilter = OPEN,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Link]:
        at_least(limit=(limit, 0), offset=(offset, 0))
        _, visible = self._visible(scope)
        found = self._read(
            lambda tx: self._q.fetch(
                tx,
                "entity_links",
                id=entity_id,
                visible=visible,
                page_start=offset,
                page_size=limit,
                **_filter_params(link_filter),
            )
        )
        return [rows.link_of(r["src"], r["dst"], r["link"]) for r in found]

    def expand(
        self,
        scope: Scope,
        entity_ids: Sequence[str],
        hops: int = 1,
        link_filter: LinkFilter = OPEN,
        max_nodes: int = 1000,
        max_links: int = 5000,
    ) -> Subgraph:
        at_least(hops=(hops, 0), max_nodes=(max_nodes, 1), max_links=(max_links, 0))
        _, visible = self._visible(scope)

        def work(tx: Transaction) -> Subgraph:
            seeds = sorted(self._visible_ids(tx, entity_ids, visible))
            if not seeds:
                return Subgraph(nodes=(), links=())
            truncated = len(seeds) > max_nodes
            seeds = seeds[:max_nodes]
            selected = set(seeds)
            frontier = seeds
            for _ in range(hops):
                if truncated or not frontier:
                    break
                layer = self._q.fetch(
                    tx, "expand", frontier=frontier, visible=visible, **_filter_params(link_filter)
                )
                new = sorted({r["id"] for r in layer} - selected)
                if not new:
                    break
                if len(selected) + len(new) > max_nodes:
                    new = new[: max_nodes - len(selected)]
                    truncated = True
                selected.update(new)
                frontier = new
            return self._materialise(
                tx, sorted(selected), visible, link_filter, truncated, max_links
            )

        return self._read(work)

    def subgraph(
        self,
        scope: Scope,
        entity_ids: Sequence[str],
        link_filter: LinkFilter = OPEN,
        max_links: int = 5000,
    ) -> Subgraph:
        at_least(max_links=(max_links, 0))
        _, visible = self._visible(scope)

        def work(tx: Transaction) -> Subgraph:
            ids = sorted(self._visible_ids(tx, entity_ids, visible))
            return self._materialise(tx, ids, visible, link_filter, False, max_links)

        return self._read(work)

    def paths(
        self,
        scope: Scope,
        source_id: str,
        target_id: str,
        max_hops: int = 4,
        link_filter: LinkFilter = OPEN,
        limit: int = 5,
        directed: bool = False,
    ) -> list[GraphPath]:
        at_least(max_hops=(max_hops, 0), limit=(limit, 0))
        _, visible = self._visible(scope)

        def layers(
            tx: Transaction, start: str, direction: str, within: dict[str, int] | None
        ) -> dict[str, int]:
            """Hops from ``start`` up to ``max_hops``, following links in ``direction``. With
            ``within`` (the hops to the target), only entities that can still reach the target
            in time are expanded: every entity of a short enough path is one of them, and so
            is every entity on a shortest way to it from ``start``."""
            dist = {start: 0}
            frontier = [start]
            for d in range(1, max_hops + 1):
                layer = self._q.fetch(
                    tx,
                    "path_layer",
                    frontier=frontier,
                    visible=visible,
                    direction=direction,
                    **_filter_params(link_filter),
                )
                new = sorted(
                    r["id"]
                    for r in layer
                    if r["id"] not in dist
                    and (within is None or d + within.get(r["id"], max_hops + 1) <= max_hops)
                )
                if not new:
                    break
                for entity_id in new:
                    dist[entity_id] = d
                frontier = new
            return dist

        def work(tx: Transaction) -> list[GraphPath]:
            if source_id == target_id or limit <= 0 or max_hops <= 0:
                return []
            if self._visible_ids(tx, [source_id, target_id], visible) != {source_id, target_id}:
                return []
            to_target = layers(tx, target_id, "in" if directed else "any", None)
            if source_id not in to_target:
                return []
            from_source = layers(tx, source_id, "out" if directed else "any", to_target)
            # every entity of a path of at most max_hops hops is in this neighbourhood
            around = sorted(from_source)
            local = self._local_view(
                scope,
                around,
                self._q.fetch(
                    tx, "induced_links", ids=around, visible=visible, **_filter_params(link_filter)
                ),
            )
            ends = local.positions_of([source_id, target_id]).tolist()
            found = traverse.shortest_paths(
                local, ends[0], ends[1], max_hops, None, limit, directed
            )
            if not found:
                return []
            vertex_ids = local.vertex_ids.tolist()
            edge_ids = local.edge_ids.tolist()
            entities = self._entities(tx, [vertex_ids[v] for vs, _ in found for v in vs], visible)
            links = self._links(
                tx, [edge_ids[e] for _, hops in found for hop in hops for e in hop], visible
            )
            paths: list[GraphPath] = []
            for vs, hops in found:
                nodes = [entities.get(vertex_ids[v]) for v in vs]
                hop_links = [
                    tuple(
                        sorted(
                            (links[edge_ids[e]] for e in hop if edge_ids[e] in links),
                            key=lambda link: link.id,
                        )
                    )
                    for hop in hops
                ]
                if all(n is not None for n in nodes) and all(hop_links):
                    paths.append(
                        GraphPath(nodes=tuple(n for n in nodes if n), hops=tuple(hop_links))
                    )
            return paths

        return self._read(work)

    def _local_view(
        self, scope: Scope, ids: list[str], link_rows: list[dict[str, Any]]
    ) -> Neo4jView:
        """A small view of ``ids`` and the links among them (their topology only)."""
        link_rows = sorted(link_rows, key=lambda r: r["id"])
        n, m = len(ids), len(link_rows)
        return Neo4jView(
            scope_key=scope.key,
            version=-1,
            **_topology(ids, link_rows),
            vertex_type=np.zeros(n, dtype=np.int16),
            edge_type=np.zeros(m, dtype=np.int16),
            edge_time=np.full(m, np.nan),
            edge_confidence=np.ones(m, dtype=np.float32),
            edge_grade=np.ones(m, dtype=np.float32),
            entity_type_names=self._entity_types,
            link_type_names=self._link_types,
        )

    def search(
        self,
        scope: Scope,
        text: str,
        types: Sequence[str] | None = None,
        limit: int = 20,
    ) -> list[SearchHit]:
        at_least(limit=(limit, 0))
        version, visible = self._visible(scope)
        type_list = list(types) if types is not None else None
        words = tokens(text)
        if words and limit > 0:
            self._require_schema()  # the full-text index

        def work(tx: Transaction) -> list[SearchHit]:
            best: dict[str, tuple[float, str]] = {}
            if words and limit > 0:
                query = fold(text)
                vocabulary = self._vocabulary.get(
                    version, lambda: [r["term"] for r in self._q.fetch(tx, "name_terms")]
                )
                matches = widen(words, vocabulary)
                # any one word may match when the query has several, unless all are numbers
                loose = len(words) > 1 and not all(word.isdigit() for word in words)
                for conjunction in ["AND", "OR"] if loose else ["AND"]:
                    found = self._q.fetch(
                        tx,
                        "search_names",
                        query=lucene_query(matches, conjunction),
                        visible=visible,
                        types=type_list,
                        candidates=CANDIDATES_MAX,
                    )
                    for row in found:
                        scored = score_names(query, row["names"] or [], matches, conjunction)
                        if scored is not None and scored[0] > best.get(row["id"], (-1.0, ""))[0]:
                            best[row["id"]] = scored
                    if len(best) >= limit:
                        break
            selectors = selector_candidates(self.schema, scope, text, types)
            for entity_id in self._visible_ids(tx, list(selectors), visible):
                best[entity_id] = (100.0, selectors[entity_id])
            ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))[:limit]
            entities = self._entities(tx, [entity_id for entity_id, _ in ranked], visible)
            return [
                SearchHit(entity=entities[entity_id], score=round(score, 1), matched=name)
                for entity_id, (score, name) in ranked
                if entity_id in entities
            ]

        return self._read(work)

    # -- counts ----------------------------------------------------------------------------------

    def stats(self, scope: Scope) -> StoreStats:
        version, visible = self._visible(scope)
        view = self._view(scope, version, visible)
        names = view.entity_type_names
        counts = np.bincount(view.vertex_type.astype(np.int64), minlength=len(names))
        by_entity = {names[t]: int(c) for t, c in enumerate(counts.tolist()) if c}

        def work(tx: Transaction) -> tuple[list[dict[str, Any]], int]:
            links = self._q.fetch(tx, "link_counts", visible=visible)
            records = self._q.fetch(tx, "record_count", visible=visible)[0]["records"]
            return links, int(records)

        links, records = self._read(work)
        return self._stats(view.n, by_entity, links, records)

    def totals(self) -> StoreStats:
        def work(tx: Transaction) -> tuple[dict[str, int], list[dict[str, Any]], int]:
            entities = {r["type"]: int(r["entities"]) for r in self._q.fetch(tx, "totals_entities")}
            links = self._q.fetch(tx, "totals_links")
            records = self._q.fetch(tx, "totals_records")[0]["records"]
            return entities, links, int(records)

        entities, links, records = self._read(work)
        return self._stats(sum(entities.values()), entities, links, records)

    def _stats(
        self,
        entities: int,
        by_entity: dict[str, int],
        link_rows: list[dict[str, Any]],
        records: int,
    ) -> StoreStats:
        grouped: dict[str, dict[str, int]] = {
            column: {} for column in ("type", "source", "classification", "code")
        }
        for row in link_rows:
            for column, table in grouped.items():
                key = str(row[column])
                table[key] = table.get(key, 0) + int(row["links"])
        return store_stats(
            self.schema.policy.levels,
            entities=entities,
            links=sum(int(row["links"]) for row in link_rows),
            records=records,
            entities_by_type=by_entity,
            links_by_type=grouped["type"],
            links_by_source=grouped["source"],
            links_by_classification=grouped["classification"],
            links_by_code=grouped["code"],
        )
