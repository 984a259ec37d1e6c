"""The ``graphsvc`` command: ingest sources, inspect the store, and read it as a principal.

Errors are one line on stderr and a non-zero exit status, never a traceback (``--debug``
shows one for internal errors).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from graphsvc import __version__, evaluate_cli, export_cli, query_cli, resolution_cli
from graphsvc.cli_filters import add_link_filters, link_filter
from graphsvc.config import BACKENDS, Settings
from graphsvc.errors import (
    GraphsvcError,
    InvalidConfig,
    InvalidInput,
    InvalidQuery,
    LimitExceeded,
    NotFound,
    first_problem,
)
from graphsvc.ingest import Ingestor, IngestReport, Problem, SourceRegistry
from graphsvc.model.graph import Entity, Link, Subgraph
from graphsvc.model.graph import Path as GraphPath
from graphsvc.model.schema import Schema
from graphsvc.policy import Principal, Principals, Scope
from graphsvc.policy.audit import AuditLog, through
from graphsvc.policy.keys import key_id_of
from graphsvc.policy.principals import add_key, add_principal, revoke_key
from graphsvc.query import library
from graphsvc.store.embedded import EmbeddedStore
from graphsvc.store.migrate import DEFAULT_BATCH, MigrationReport, migrate
from graphsvc.store.open import address_name, open_neo4j, open_store, store_at
from graphsvc.store.protocol import GraphStore, time_bound

MAX_HOPS = 6
MAX_RESULTS = 100_000
PROBLEMS_SHOWN = 50
EXIT_REJECTED = 1
EXIT_ERROR = 2
EXIT_INTERNAL = 70


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="graphsvc",
        description="Link-analysis store with provenance and handling on every edge.",
    )
    parser.add_argument("--version", action="version", version=f"graphsvc {__version__}")
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        help="where the graph is (env GRAPHSVC_BACKEND; default embedded): the SQLite file of "
        "--store, or Neo4j at NEO4J_URI, signing in with NEO4J_USER and NEO4J_PASSWORD, "
        "database NEO4J_DATABASE (these four from the environment only)",
    )
    parser.add_argument(
        "--store",
        help="SQLite store file of the embedded backend (env GRAPHSVC_STORE; default "
        "data/graph.db)",
    )
    parser.add_argument(
        "--principals",
        help="principals YAML (env GRAPHSVC_PRINCIPALS; default seed/principals.yaml)",
    )
    parser.add_argument("--schema", help="schema directory (env GRAPHSVC_SCHEMA)")
    parser.add_argument(
        "--audit",
        help="audit log file (env GRAPHSVC_AUDIT; default: <store>-audit.db beside the store, "
        "data/neo4j-audit.db with neo4j)",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ingest = commands.add_parser(
        "ingest",
        help="load native JSONL, mapped CSV, FollowTheMoney (.ftm), documents (text, Markdown, "
        "e-mail, PDF, images) or a manifest",
    )
    ingest.add_argument("files", nargs="+", metavar="FILE")
    ingest.add_argument("--mapping", help="CSV mapping (YAML) for the CSV files given")
    ingest.add_argument("--source", help="source of records whose provenance names none")
    ingest.add_argument("--sources", help="source definitions with defaults (env GRAPHSVC_SOURCES)")
    ingest.add_argument("--batch-size", type=int, default=5000, help="units per transaction")
    ingest.add_argument("--errors", help="write every rejected record's problems here (JSON lines)")
    ingest.add_argument("--quiet", action="store_true", help="no progress bar")

    stats = commands.add_parser("stats", help="counts of the store, or of what principals see")
    stats.add_argument("--as", dest="principal", help="count only what this principal sees")
    stats.add_argument(
        "--by-principal", action="store_true", help="one line per principal: what each sees"
    )
    _format(stats)

    def reader(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--as", dest="principal", required=True, help="principal id")
        _format(sub)
        return sub

    query_cli.add_parser(commands)
    export_cli.add_parser(commands)
    resolution_cli.add_parser(commands)

    expand = reader("expand", "the neighbourhood of entities")
    expand.add_argument("ids", nargs="+", metavar="ID", help="entity ids to start from")
    expand.add_argument("--hops", type=int, default=1, help=f"1..{MAX_HOPS} (default 1)")
    expand.add_argument(
        "--max-nodes", type=int, default=1000, help="cut the answer at this many entities"
    )
    expand.add_argument(
        "--max-links", type=int, default=5000, help="cut the answer at this many links"
    )
    add_link_filters(expand)

    paths = reader("paths", "shortest paths between two entities")
    paths.add_argument("source", metavar="FROM")
    paths.add_argument("target", metavar="TO")
    paths.add_argument("--max-hops", type=int, default=4, help=f"1..{MAX_HOPS} (default 4)")
    paths.add_argument("--limit", type=int, default=5, help="how many paths (default 5)")
    paths.add_argument("--directed", action="store_true", help="follow directed links forward only")
    add_link_filters(paths)

    search = reader("search", "find entities by name or selector")
    search.add_argument("text", help="a name (typos and accents tolerated) or a selector")
    search.add_argument("--type", dest="types", action="append", help="entity type (repeatable)")
    search.add_argument("--limit", type=int, default=20, help="how many hits (default 20)")

    entity = reader("entity", "one entity, with the source of each value")
    entity.add_argument("id")
    entity.add_argument("--links", type=int, default=20, help="how many of its links to list")

    link = reader("link", "one link, with provenance, grading and handling")
    link.add_argument("id")

    serve = commands.add_parser("serve", help="serve the GraphQL API over HTTP")
    serve.add_argument(
        "--queries",
        help="directory of shared *.gq queries loaded at start (env GRAPHSVC_QUERIES; "
        "default seed/queries when present)",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )

    principals = commands.add_parser(
        "principals", help="list principals; add one, issue or revoke its API keys"
    )
    _format(principals)
    actions = principals.add_subparsers(dest="action", metavar="ACTION")
    actions.add_parser("list", help="list the principals (the default)")
    add = actions.add_parser("add", help="add a principal; prints its first API key")
    add.add_argument("id")
    add.add_argument("--name", help="full name and unit, for people reading the audit log")
    add.add_argument("--agency", required=True, help="agency code, e.g. FR-OCRTEH")
    add.add_argument("--country", required=True, help="ISO 3166 alpha-2 country code")
    add.add_argument("--clearance", required=True, help="a level of schema/handling.yaml")
    add.add_argument(
        "--caveat", dest="caveats", action="append", default=[], help="a caveat held (repeatable)"
    )
    add.add_argument(
        "--role",
        dest="roles",
        action="append",
        default=[],
        choices=["analyst", "supervisor", "auditor", "admin"],
        help="a role (repeatable; default analyst)",
    )
    key = actions.add_parser("key", help="issue another API key to a principal; prints it")
    key.add_argument("id")
    revoke = actions.add_parser("revoke", help="revoke a principal's API key (or all of them)")
    revoke.add_argument("id")
    revoke.add_argument("key", nargs="?", help="the key id (gsk_<key id>_...); omit with --all")
    revoke.add_argument("--all", action="store_true", help="revoke every key of the principal")

    evaluate_cli.add_parser(commands)

    db = commands.add_parser("db", help="prepare the store of the chosen backend")
    db_actions = db.add_subparsers(dest="action", metavar="ACTION", required=True)
    db_actions.add_parser(
        "init",
        help="create the embedded store file, or apply the Neo4j constraints and indexes "
        "(idempotent)",
    )

    move = commands.add_parser(
        "migrate",
        help="copy an embedded store into Neo4j or another store file, and verify the copy",
    )
    move.add_argument(
        "--from", dest="source", required=True, metavar="PATH", help="embedded store file to copy"
    )
    move.add_argument(
        "--to",
        dest="target",
        required=True,
        metavar="TARGET",
        help="a Neo4j URI (neo4j://, neo4j+s://, bolt://, bolt+s://...; NEO4J_USER, "
        "NEO4J_PASSWORD and NEO4J_DATABASE from the environment) or a store file path",
    )
    move.add_argument(
        "--batch-size",
        type=int,
        default=DEFAULT_BATCH,
        metavar="N",
        help=f"units per write transaction (default {DEFAULT_BATCH})",
    )

    audit = commands.add_parser("audit", help="check or read the audit log")
    audit_actions = audit.add_subparsers(dest="action", metavar="ACTION", required=True)
    audit_actions.add_parser("verify", help="check the hash chain; name the first broken entry")
    show = audit_actions.add_parser("show", help="print entries, oldest first")
    show.add_argument("--principal", help="only this principal's consultations")
    show.add_argument("--operation", help="only requests with this operation (e.g. expand)")
    show.add_argument("--since", help="only entries at or after (ISO date or date-time)")
    show.add_argument("--until", help="only entries at or before (ISO date or date-time)")
    show.add_argument("--after", type=int, default=0, help="only entries after this seq")
    show.add_argument("--limit", type=int, default=100, help="how many entries (default 100)")
    _format(show)
    return parser


def _format(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--format", choices=["text", "json"], default="text", help="output (default: text)"
    )


# ---------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return run(args)
    except GraphsvcError as exc:
        print(f"graphsvc: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("graphsvc: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the promise: one line, never a traceback
        if args.debug:
            raise
        print(
            f"graphsvc: internal error: {type(exc).__name__}: {exc} (run with --debug for details)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def _one_line(exc: GraphsvcError) -> str:
    """The error on one line, whatever a library put in its message (a driver's errors span
    lines); a query error keeps its excerpt and caret on the lines below."""
    if isinstance(exc, InvalidQuery):
        return str(exc)
    return re.sub(r"\s*\n\s*", " ", str(exc)).strip()


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env(
        store=args.store,
        principals=args.principals,
        schema=args.schema,
        sources=getattr(args, "sources", None),
        audit=args.audit,
        backend=args.backend,
    )
    schema = Schema.load(settings.schema)
    if args.command == "evaluate":
        return evaluate_cli.run(args, schema)
    if args.command == "principals":
        return _principals(args, settings, schema)
    if args.command == "audit":
        return _audit(args, settings)
    if args.command == "serve":
        return _serve(args, settings, schema)
    if args.command == "ingest":
        return _ingest(args, settings, schema)
    if args.command == "query":
        return query_cli.run(args, settings, schema)
    if args.command == "export":
        return export_cli.run(args, settings, schema)
    if args.command == "entities":
        return resolution_cli.run(args, settings, schema)
    if args.command == "db":
        return _db_init(settings, schema)
    if args.command == "migrate":
        return _migrate(args, schema)
    with contextlib.closing(open_store(settings, schema, create=False)) as store:
        if args.command == "stats":
            return _stats(args, store, settings, schema)
        principal = Principals.load(settings.principals, schema.policy).get(args.principal)
        READERS[args.command](args, store, Scope.of(principal, schema.policy))
    return 0


def _expand(args: argparse.Namespace, store: GraphStore, scope: Scope) -> None:
    _limit("hops", args.hops, MAX_HOPS)
    _limit("max-nodes", args.max_nodes, MAX_RESULTS)
    _limit("max-links", args.max_links, MAX_RESULTS)
    flt = link_filter(args, store.schema)
    result = store.expand(scope, args.ids, args.hops, flt, args.max_nodes, args.max_links)
    _print_subgraph(result, args.format)


def _paths(args: argparse.Namespace, store: GraphStore, scope: Scope) -> None:
    _limit("max-hops", args.max_hops, MAX_HOPS)
    _limit("limit", args.limit, 1000)
    flt = link_filter(args, store.schema)
    found = store.paths(
        scope, args.source, args.target, args.max_hops, flt, args.limit, args.directed
    )
    _print_paths(found, args.format)


def _search(args: argparse.Namespace, store: GraphStore, scope: Scope) -> None:
    _limit("limit", args.limit, 1000)
    for name in args.types or []:
        try:
            store.schema.entity_type(name)
        except InvalidInput as exc:
            raise InvalidInput(exc.message, field="--type") from None
    hits = store.search(scope, args.text, args.types, args.limit)
    if args.format == "json":
        _json([h.to_dict() for h in hits])
        return
    for hit in hits:
        print(f"{hit.score:5.1f}  {hit.entity.id:<32} {hit.entity.type:<13} {hit.matched}")


def _entity(args: argparse.Namespace, store: GraphStore, scope: Scope) -> None:
    found = store.get_entity(scope, args.id)
    if found is None:
        raise _not_found("entity", args.id)
    links = store.entity_links(scope, args.id, limit=max(args.links, 0))
    _print_entity(found, links, args.format)


def _link(args: argparse.Namespace, store: GraphStore, scope: Scope) -> None:
    found = store.get_link(scope, args.id)
    if found is None:
        raise _not_found("link", args.id)
    if args.format == "json":
        _json(found.to_dict())
    else:
        _print_link_detail(found)


READERS: dict[str, Callable[[argparse.Namespace, GraphStore, Scope], None]] = {
    "expand": _expand,
    "paths": _paths,
    "search": _search,
    "entity": _entity,
    "link": _link,
}


def _not_found(kind: str, ident: str) -> GraphsvcError:
    return NotFound(f"no {kind} {ident!r} (or not visible to this principal)")


def _limit(name: str, value: int, maximum: int) -> None:
    if value < 0:
        raise InvalidInput(f"--{name} must not be negative")
    if value > maximum:
        raise LimitExceeded(f"--{name} {value} is over the limit of {maximum}")


# -- commands --------------------------------------------------------------------------------------


def _ingest(args: argparse.Namespace, settings: Settings, schema: Schema) -> int:
    if args.batch_size < 1:
        raise InvalidInput("--batch-size must be at least 1")
    registry = (
        SourceRegistry.load(settings.sources, schema) if settings.sources else SourceRegistry()
    )
    with contextlib.ExitStack() as stack:
        sink = None
        if args.errors:
            errors = stack.enter_context(Path(args.errors).open("w", encoding="utf-8"))

            def sink(problem: Problem) -> None:
                errors.write(json.dumps(problem.to_dict(), ensure_ascii=False) + "\n")

        store = stack.enter_context(contextlib.closing(open_store(settings, schema, create=True)))
        ingestor = Ingestor(
            store, registry, batch_size=args.batch_size, progress=not args.quiet, problem_sink=sink
        )
        for file in args.files:
            ingestor.ingest_path(file, args.mapping, args.source)
        report = ingestor.finish()
    _print_report(report, args.errors)
    return EXIT_REJECTED if report.rejected else 0


def _print_report(report: IngestReport, errors_path: str | None) -> None:
    for problem in report.problems[:PROBLEMS_SHOWN]:
        print(problem, file=sys.stderr)
    hidden = len(report.problems) - PROBLEMS_SHOWN + report.problems_not_kept
    if hidden > 0:
        hint = "" if errors_path else " (use --errors FILE to write them all)"
        print(f"... and {hidden} more problems{hint}", file=sys.stderr)
    if len(report.files) > 1:
        for summary in report.files.values():
            skipped = f", skipped {summary.skipped}" if summary.skipped else ""
            print(
                f"{summary.file}: accepted {summary.accepted}, rejected {summary.rejected}{skipped}"
            )
    tally = report.documents
    if tally.documents:
        resolved = f"{tally.resolved} names resolved to existing entities"
        print(
            f"documents {tally.documents}: {tally.mentions} mentions of {tally.entities} "
            f"entities ({resolved}, {tally.candidates} possible matches to review), "
            f"{tally.comentions} co-mentions"
        )
        for pair, n in sorted(tally.not_linked.items()):
            print(f"  {n} co-mentions of {pair} not linked: the link type does not join them")
    print(report.summary())


def _stats(args: argparse.Namespace, store: GraphStore, settings: Settings, schema: Schema) -> int:
    if args.by_principal:
        rows = []
        for principal in Principals.load(settings.principals, schema.policy):
            counts = store.stats(Scope.of(principal, schema.policy))
            rows.append(
                {
                    "principal": principal.id,
                    "agency": principal.agency,
                    "clearance": principal.clearance,
                    "caveats": sorted(principal.caveats),
                    "entities": counts.entities,
                    "links": counts.links,
                }
            )
        if args.format == "json":
            _json(rows)
        else:
            print(
                f"{'principal':<18} {'agency':<12} {'clearance':<13} {'entities':>9} {'links':>9}"
            )
            for row in rows:
                print(
                    f"{row['principal']:<18} {row['agency']:<12} {row['clearance']:<13} "
                    f"{row['entities']:>9} {row['links']:>9}"
                )
        return 0
    scope = None
    if args.principal:
        principal = Principals.load(settings.principals, schema.policy).get(args.principal)
        scope = Scope.of(principal, schema.policy)
    counts = store.stats(scope) if scope is not None else store.totals()
    if args.format == "json":
        _json(counts.to_dict())
        return 0
    print(
        f"store {settings.store_name}: {counts.entities} entities, {counts.links} links, "
        f"{counts.records} entity records"
    )
    for title, table in (
        ("entities by type", counts.entities_by_type),
        ("links by type", counts.links_by_type),
        ("links by source", counts.links_by_source),
        ("links by classification", counts.links_by_classification),
        ("links by handling code", counts.links_by_code),
    ):
        print(f"  {title}: " + ", ".join(f"{k} {v}" for k, v in table.items()))
    return 0


def _principals(args: argparse.Namespace, settings: Settings, schema: Schema) -> int:
    path, policy = settings.principals, schema.policy
    if args.action == "add":
        principal = _new_principal(args, schema)
        token = add_principal(path, principal, policy)
        print(f"added principal {principal.id} to {path}; its API key (shown only this once):")
        print(token)
        return 0
    if args.action == "key":
        token = add_key(path, args.id, policy)
        print(f"new API key for {args.id} in {path} (shown only this once):")
        print(token)
        return 0
    if args.action == "revoke":
        if bool(args.key) == bool(args.all):
            raise InvalidInput("name the key to revoke, or give --all", field="key")
        key_id = key_id_of(args.key) or args.key if args.key else None
        revoked = revoke_key(path, args.id, key_id, policy)
        print(f"revoked {len(revoked)} key(s) of {args.id}: {', '.join(revoked) or '-'}")
        return 0
    principals = Principals.load(path, policy)
    rows = [
        {
            **p.model_dump(mode="json"),
            "caveats": sorted(p.caveats),
            "roles": sorted(p.roles),
            "keys": [k.id for k in p.keys],
        }
        for p in principals
    ]
    if args.format == "json":
        _json(rows)
    else:
        for p in principals:
            print(
                f"{p.id:<18} {p.agency:<12} {p.country}  {p.clearance:<13} "
                f"caveats={','.join(sorted(p.caveats)) or '-'}  roles={','.join(sorted(p.roles))}"
                f"  keys={','.join(k.id for k in p.keys) or '-'}"
            )
    return 0


def _arguments(arguments: dict[str, Any]) -> str:
    return ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in arguments.items())


def _new_principal(args: argparse.Namespace, schema: Schema) -> Principal:
    try:
        principal = Principal.model_validate(
            {
                "id": args.id,
                "name": args.name,
                "agency": args.agency,
                "country": args.country,
                "clearance": args.clearance,
                "caveats": args.caveats,
                "roles": args.roles or ["analyst"],
            }
        )
    except ValidationError as exc:
        where, message = first_problem(exc)
        raise InvalidInput(message.removeprefix("Value error, "), field=f"--{where}") from None
    try:
        principal.check(schema.policy)
    except InvalidConfig as exc:
        field = "--clearance" if "clearance" in exc.message else "--caveat"
        raise InvalidInput(exc.message, field=field) from None
    return principal


def _serve(args: argparse.Namespace, settings: Settings, schema: Schema) -> int:
    import uvicorn

    from graphsvc.api import Services, create_app
    from graphsvc.api.auth import Authenticator
    from graphsvc.api.config import ApiConfig

    config = ApiConfig.from_env()
    authenticator = Authenticator(settings.principals, schema.policy, config.jwt)
    with (
        contextlib.closing(open_store(settings, schema, create=False)) as store,
        AuditLog(settings.audit) as audit,
    ):
        directory = query_cli.queries_directory(getattr(args, "queries", None))
        if directory is not None:
            loaded = library.load(store, directory)
            print(f"graphsvc: {len(loaded)} shared queries from {directory}", file=sys.stderr)
        services = Services(store, audit, config.limits, config.require_justification)
        app = create_app(services, authenticator)
        principals = authenticator.principals
        demo = sorted(p.id for p in principals if any(k.id.startswith("demo-") for k in p.keys))
        print(
            f"graphsvc {__version__}: store {settings.store_name}, audit log {settings.audit}, "
            f"{len(principals)} principals ({settings.principals})"
            + (f", JWT {config.jwt.algorithm}" if config.jwt else ""),
            file=sys.stderr,
        )
        if demo:
            print(
                f"graphsvc: warning: demo API keys are active for {', '.join(demo)}: their "
                "tokens are public (README); never serve real data with this principals file",
                file=sys.stderr,
            )
        print(f"graphsvc: GraphQL at http://{args.host}:{args.port}/graphql", file=sys.stderr)
        uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0


def _db_init(settings: Settings, schema: Schema) -> int:
    """``db init``: the embedded file and its layout, or the Neo4j constraints and indexes."""
    if settings.neo4j is not None:
        with open_neo4j(settings.neo4j, schema) as neo4j:
            ensured = neo4j.init_schema()
        print(f"neo4j {settings.store_name}: {len(ensured)} constraints and indexes ensured")
        for name in ensured:
            print(f"  {name}")
        return 0
    existed = settings.store.exists()
    open_store(settings, schema, create=True).close()
    state = "already there, layout up to date" if existed else "created"
    print(f"embedded store {settings.store_name}: {state}")
    return 0


def _migrate(args: argparse.Namespace, schema: Schema) -> int:
    if args.batch_size < 1:
        raise InvalidInput("must be at least 1", field="--batch-size")
    try:
        target_name = address_name(args.target)
    except InvalidConfig as exc:
        raise InvalidConfig(exc.message, field="--to") from None
    with (
        EmbeddedStore(args.source, schema, create=False) as source,
        contextlib.closing(store_at(args.target, schema, create=True)) as target,
    ):
        progress = _migration_progress(args.source, target_name)
        report = migrate(source, target, batch_size=args.batch_size, progress=progress)
    _print_migration(report, args.source, target_name)
    return 0 if report.complete else EXIT_REJECTED


def _migration_progress(source: str, target: str) -> Callable[[MigrationReport], None]:
    """Progress on stderr: what is copied where, then a line every few seconds and the last."""
    last = time.monotonic()

    def show(report: MigrationReport) -> None:
        nonlocal last
        if report.units == 0:
            print(f"migrating {source} -> {target}: {report.total} units", file=sys.stderr)
            return
        now = time.monotonic()
        if now - last < 2.0 and report.units < report.total:
            return
        last = now
        share = 100 * report.units / report.total if report.total else 100.0
        print(
            f"  {report.units}/{report.total} units ({share:.0f}%), {report.refused} refused",
            file=sys.stderr,
        )

    return show


def _print_migration(report: MigrationReport, source: str, target: str) -> None:
    for refusal in report.refusals[:PROBLEMS_SHOWN]:
        print(f"refused: {refusal}", file=sys.stderr)
    if report.refused > PROBLEMS_SHOWN:
        print(f"... and {report.refused - PROBLEMS_SHOWN} more refused", file=sys.stderr)
    if report.schema_ensured:
        print(f"{target}: {len(report.schema_ensured)} constraints and indexes ensured")
    print(
        f"{report.units} units (entity records and links) from {source}: "
        f"{report.accepted} accepted, {report.refused} refused"
    )
    print(
        f"saved queries: {report.saved_versions} versions and {report.saved_deletions} "
        "deletions copied (those already in the target skipped)"
    )
    if report.resolutions:
        print(f"entity-resolution corrections: {report.resolutions} copied, with their redirects")
    if report.unasserted:
        counts = ", ".join(f"{name} {n}" for name, n in report.unasserted.items())
        print(
            f"not copied: {sum(report.unasserted.values())} entities no record asserts and no "
            f"link touches ({counts}); the counts compared leave them out"
        )
    if report.verified:
        print(f"verified: {target} holds the same counts and saved queries as {source}")
        return
    print(f"NOT verified: {len(report.differences)} differences between {source} and {target}")
    for difference in report.differences:
        print(f"  {difference}")


def _audit(args: argparse.Namespace, settings: Settings) -> int:
    with AuditLog(settings.audit, create=False) as log:
        if args.action == "verify":
            result = log.verify()
            if result.ok:
                print(
                    f"audit log {settings.audit}: {result.entries} entries, chain intact; "
                    f"head {result.head}"
                )
                return 0
            print(
                f"audit log {settings.audit}: BROKEN at entry {result.broken}: {result.reason} "
                f"({result.entries} entries before it verify)",
                file=sys.stderr,
            )
            return EXIT_REJECTED
        _limit("limit", args.limit, MAX_RESULTS)
        entries = log.entries(
            principal=args.principal,
            operation=args.operation,
            since=time_bound(args.since, "--since"),
            until=through(time_bound(args.until, "--until", end=True)),
            after=args.after,
            limit=args.limit,
        )
    if args.format == "json":
        for entry in entries:
            _json(entry.to_dict())
        return 0
    for entry in entries:
        operations = "; ".join(
            f"{op.get('name')}({_arguments(op.get('arguments') or {})})" for op in entry.operations
        )
        print(
            f"#{entry.seq} {entry.at} {entry.principal} ({entry.agency}, {entry.auth}) "
            f"{entry.outcome}: {operations}"
        )
        print(f"    justification: {entry.justification or '-'}")
        print(f"    returned {len(entry.entities)} entities, {len(entry.links)} links")
    return 0


# -- printing --------------------------------------------------------------------------------------


def _json(value: Any, out: TextIO | None = None) -> None:
    out = out if out is not None else sys.stdout
    json.dump(value, out, ensure_ascii=False, indent=None)
    out.write("\n")


def _print_subgraph(result: Subgraph, fmt: str) -> None:
    if fmt == "json":
        _json(result.to_dict())
        return
    print(
        f"{len(result.nodes)} entities, {len(result.links)} links"
        + (" (truncated by a limit)" if result.truncated else "")
    )
    for node in result.nodes:
        print(f"  {node.id:<36} {node.type:<13} {node.label}")
    for link in result.links:
        print("  " + _link_line(link))


def _link_line(link: Link) -> str:
    arrow = "->" if link.directed else "--"
    return (
        f"{link.id}: {link.source_id} -[{link.type}]{arrow} {link.target_id}  "
        f"{link.handling.classification}/{link.handling.code} {link.provenance.source}"
        f" {link.grading.source}{link.grading.information}"
    )


def _print_paths(found: list[GraphPath], fmt: str) -> None:
    if fmt == "json":
        _json({"paths": [p.to_dict() for p in found]})
        return
    if not found:
        print("no path")
    for path in found:
        parts = [path.nodes[0].label]
        for hop, node in zip(path.hops, path.nodes[1:], strict=True):
            types = "|".join(sorted({link.type for link in hop}))
            parts.append(f"-[{types} x{len(hop)}]- {node.label}")
        print(f"({path.length}) " + " ".join(parts))


def _print_entity(entity: Entity, links: list[Link], fmt: str) -> None:
    if fmt == "json":
        _json({**entity.to_dict(records=True), "links": [link.to_dict() for link in links]})
        return
    print(f"{entity.id}  {entity.type}  {entity.label}")
    for st in entity.statements:
        origin = "(identity)" if st.derived else f"[{st.source} {st.record}]"
        print(f"  {st.property}: {st.value}  {origin}")
    for ref in entity.records:
        h = ref.handling
        print(
            f"  record {ref.provenance.source}/{ref.provenance.record}: {h.classification} {h.code}"
        )
    for link in links:
        print("  " + _link_line(link))


def _print_link_detail(link: Link) -> None:
    print(_link_line(link))
    print("  properties: " + json.dumps(link.properties, ensure_ascii=False))
    print("  provenance: " + json.dumps(link.provenance.to_dict(), ensure_ascii=False))
    print("  grading:    " + json.dumps(link.grading.to_dict()))
    print("  handling:   " + json.dumps(link.handling.to_dict(), ensure_ascii=False))


if __name__ == "__main__":
    sys.exit(main())
