"""``graphsvc export``: write an export file as a principal, from the command line.

The same selections and formats as the API's ``export`` mutation: an expand, paths, a
subgraph of ids, a community, a query or saved query, or the whole visible graph, in the
principal's scope, restricted for the purpose and bannered. The export is recorded in the
audit log (authentication ``cli``) as a disclosure with every id the file holds. The file goes
to ``--output`` (``-`` for standard output), by default a name saying when and what in the
current directory; a summary with the marking goes to standard error.
"""

from __future__ import annotations

import argparse
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

from graphsvc import query_cli
from graphsvc.analytics import communities as communities_
from graphsvc.analytics.network import Selection, Weighting
from graphsvc.api.config import Limits
from graphsvc.cli_filters import add_link_filters, link_filter
from graphsvc.config import Settings
from graphsvc.errors import InvalidInput
from graphsvc.export import select as s
from graphsvc.export.service import ExportFile, export
from graphsvc.model.exchange import FormatName, Purpose
from graphsvc.model.schema import Schema
from graphsvc.policy import Principals, Scope
from graphsvc.policy.audit import AuditLog
from graphsvc.query import library
from graphsvc.query.saved import SavedQueries
from graphsvc.store.open import open_store
from graphsvc.store.protocol import GraphStore


def add_parser(commands: Any) -> None:
    sub = commands.add_parser(
        "export", help="write a selection as GEXF, GraphML, CSV, Cytoscape, FtM or ANX"
    )
    sub.add_argument("--as", dest="principal", required=True, help="principal id")
    sub.add_argument(
        "--format", required=True, choices=[f.value for f in FormatName], help="file format"
    )
    sub.add_argument(
        "--purpose",
        default=Purpose.INTERNAL.value,
        choices=[p.value for p in Purpose],
        help="internal (default), dissemination or judicial: withholds what the handling "
        "codes forbid for that use",
    )
    sub.add_argument("--output", "-o", help="file to write ('-': standard output)")
    sub.add_argument("--justification", help="why: in the banner and the audit log")
    what = sub.add_mutually_exclusive_group(required=True)
    what.add_argument("--expand", nargs="+", metavar="ID", help="the neighbourhood of these")
    what.add_argument("--paths", nargs=2, metavar=("FROM", "TO"), help="paths between two")
    what.add_argument("--ids", nargs="+", metavar="ID", help="these and the links among them")
    what.add_argument("--community", type=int, metavar="N", help="community N (0 = largest)")
    what.add_argument("--member", metavar="ID", help="the community holding this entity")
    what.add_argument("--query", metavar="DSL", help="the answer of a query")
    what.add_argument("--saved", metavar="NAME", help="the answer of a saved query")
    what.add_argument("--all", action="store_true", help="the whole visible graph")
    sub.add_argument("--hops", type=int, default=1, help="--expand: hops (default 1)")
    sub.add_argument("--max-nodes", type=int, default=500, help="--expand: entities (500)")
    sub.add_argument("--max-links", type=int, default=5000, help="--expand: links (5000)")
    sub.add_argument("--max-hops", type=int, default=4, help="--paths: hops (default 4)")
    sub.add_argument("--limit", type=int, default=5, help="--paths: how many (default 5)")
    sub.add_argument("--directed", action="store_true", help="--paths: follow link direction")
    sub.add_argument(
        "--algorithm",
        default="leiden",
        choices=[a.value for a in communities_.Algorithm],
        help="--community/--member: the algorithm (default leiden)",
    )
    sub.add_argument("--seed", type=int, default=0, help="--community/--member: seed (0)")
    sub.add_argument("--resolution", type=float, help="--community/--member: resolution")
    sub.add_argument("--version", type=int, help="--saved: an earlier version")
    sub.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE", help="query parameters"
    )
    sub.add_argument("--queries", help="directory of shared *.gq queries to load first")
    add_link_filters(sub)


def run(args: argparse.Namespace, settings: Settings, schema: Schema) -> int:
    limits = Limits.from_env()
    with closing(open_store(settings, schema, create=False)) as store:
        if args.query is not None or args.saved is not None:
            directory = query_cli.queries_directory(args.queries)
            if directory is not None:
                library.load(store, directory)
        principal = Principals.load(settings.principals, schema.policy).get(args.principal)
        scope = Scope.of(principal, schema.policy)
        selected = _selection(args, schema, limits, store, scope)
        made = export(
            store,
            scope,
            selected,
            args.format,
            Purpose(args.purpose),
            justification=args.justification,
            limits=limits.export_limits(),
        )
        record(settings, principal.id, principal.agency, made, args.justification)
    write(made, args.output)
    return 0


def record(
    settings: Settings, principal: str, agency: str, made: ExportFile, why: str | None
) -> None:
    """The disclosure in the audit log, before the file is written anywhere."""
    with AuditLog(settings.audit) as audit:
        audit.append(
            principal=principal,
            agency=agency,
            auth="cli",
            operations=[{"name": "export", "arguments": made.disclosure()}],
            justification=why,
            entities=made.entity_ids,
            links=made.link_ids,
        )


def write(made: ExportFile, output: str | None) -> None:
    if output == "-":
        sys.stdout.buffer.write(made.content)
        sys.stdout.buffer.flush()
    else:
        path = Path(output or made.filename)
        path.write_bytes(made.content)
        print(f"wrote {path}", file=sys.stderr)
    b = made.banner
    print(
        f"{made.format.name.value}, {made.purpose.value}: {b.entities} entities, {b.links} "
        f"links; {b.marking}; withheld: {b.withheld}",
        file=sys.stderr,
    )


def _selection(
    args: argparse.Namespace,
    schema: Schema,
    limits: Limits,
    store: GraphStore,
    scope: Scope,
) -> s.Selected:
    flt = link_filter(args, schema)
    for name in ("hops", "max_hops"):
        if not 1 <= getattr(args, name) <= limits.max_hops:
            raise InvalidInput(f"must be within 1..{limits.max_hops}", field=f"--{name}")
    if args.expand:
        return s.ExpandSelection(tuple(args.expand), args.hops, flt, args.max_nodes, args.max_links)
    if args.paths:
        return s.PathsSelection(
            args.paths[0], args.paths[1], args.max_hops, flt, args.limit, args.directed
        )
    if args.ids:
        return s.SubgraphSelection(tuple(args.ids), flt, limits.max_export_elements)
    if args.community is not None or args.member is not None:
        return s.CommunitySelection(
            Selection(link_filter=flt, weighting=Weighting.COUNT),
            communities_.Algorithm(args.algorithm),
            args.resolution,
            args.seed,
            args.community,
            args.member,
        )
    if args.query is not None or args.saved is not None:
        text, found = args.query, None
        if args.saved is not None:
            found = SavedQueries(store).get(scope.principal, args.saved, args.version)
            text = found.body
        given = query_cli.params_of(text, args.param)
        return s.QuerySelection(args.query, args.saved, args.version, given, found)
    return s.VisibleSelection(flt)
