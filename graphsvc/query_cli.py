"""``graphsvc query``: run a DSL query, or a saved one, as a principal, from the command line.

The query runs in the principal's scope exactly as ``runQuery`` does over the API, with the
API's default limits, and is recorded in the audit log (authentication ``cli``) with its
text, parameters and the ids it returned. A table prints as aligned columns on a terminal;
``--format json`` prints the whole answer.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

from graphsvc.api.config import Limits
from graphsvc.config import Settings
from graphsvc.errors import InvalidQuery
from graphsvc.export.select import QuerySelection
from graphsvc.export.service import export
from graphsvc.model.schema import Schema
from graphsvc.policy import Principals, Scope
from graphsvc.policy.audit import AuditLog
from graphsvc.query import library
from graphsvc.query import params as params_
from graphsvc.query.execute import QueryResult
from graphsvc.query.parser import parse
from graphsvc.query.run import run_query
from graphsvc.query.saved import SavedQueries, SavedQuery
from graphsvc.store.open import open_store
from graphsvc.store.protocol import GraphStore

DEFAULT_QUERIES = "seed/queries"


def add_parser(commands: Any) -> None:
    sub = commands.add_parser("query", help="run a query of the pipeline language, or a saved one")
    sub.add_argument("dsl", nargs="?", help="the query text (omit with --saved)")
    sub.add_argument("--as", dest="principal", required=True, help="principal id")
    sub.add_argument("--saved", metavar="NAME", help="run this saved query (name or owner/name)")
    sub.add_argument("--version", type=int, help="with --saved: an earlier version")
    sub.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a parameter value (repeatable); lists as a,b,c or JSON",
    )
    sub.add_argument(
        "--queries",
        help=f"directory of shared *.gq queries to load first (env GRAPHSVC_QUERIES; "
        f"default {DEFAULT_QUERIES} when present)",
    )
    sub.add_argument("--justification", help="why: recorded in the audit log")
    sub.add_argument(
        "--format", choices=["text", "json"], default="text", help="output (default: text)"
    )
    sub.add_argument(
        "--output",
        "-o",
        help="with `return as FORMAT`: the file to write ('-': standard output; default: a "
        "name saying when and what)",
    )


def queries_directory(flag: str | None) -> Path | None:
    """The shared queries to load: the flag, ``GRAPHSVC_QUERIES``, or ``seed/queries``."""
    chosen = flag or os.environ.get("GRAPHSVC_QUERIES")
    if chosen:
        path = Path(chosen)
        if not path.is_dir():
            raise InvalidQuery(f"no query directory {path}", field="--queries")
        return path
    default = Path(DEFAULT_QUERIES)
    return default if default.is_dir() else None


def run(args: argparse.Namespace, settings: Settings, schema: Schema) -> int:
    if (args.dsl is None) == (args.saved is None):
        raise InvalidQuery("give the query text, or --saved NAME (not both)")
    if args.version is not None and args.saved is None:
        raise InvalidQuery("--version goes with --saved", field="--version")
    limits = Limits.from_env().query_limits()
    with closing(open_store(settings, schema, create=False)) as store:
        directory = queries_directory(args.queries)
        if directory is not None:
            library.load(store, directory)
        principal = Principals.load(settings.principals, schema.policy).get(args.principal)
        found = None
        if args.saved is not None:
            found = SavedQueries(store).get(principal, args.saved, args.version)
            text, declared_only = found.body, True
        else:
            text, declared_only = args.dsl, False
        given = params_of(text, args.param)
        scope = Scope.of(principal, schema.policy)
        result = run_query(store, scope, text, given, limits, declared_only=declared_only)
        if result.export is not None:  # `return as FORMAT`: the answer is a file
            return _export(args, settings, store, scope, result, text, given, found)
        with AuditLog(settings.audit) as audit:
            arguments: dict[str, Any] = {"dsl": text, "params": given}
            if args.saved is not None:
                arguments["query"] = args.saved
            audit.append(
                principal=principal.id,
                agency=principal.agency,
                auth="cli",
                operations=[{"name": "query", "arguments": arguments}],
                justification=args.justification,
                entities=result.entity_ids,
                links=result.link_ids,
            )
    if args.format == "json":
        json.dump(result.to_dict(), sys.stdout, ensure_ascii=False, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        _print(result)
    return 0


def _export(
    args: argparse.Namespace,
    settings: Settings,
    store: GraphStore,
    scope: Scope,
    result: QueryResult,
    text: str,
    given: dict[str, Any],
    found: SavedQuery | None,
) -> int:
    from graphsvc import export_cli  # it reads parameters with this module: imported late

    assert result.export is not None
    fmt, purpose = result.export
    selected = (
        QuerySelection(saved=args.saved, version=args.version, found=found)
        if found is not None
        else QuerySelection(text=text, params=given)
    )
    made = export(
        store,
        scope,
        selected,
        fmt,
        purpose,
        justification=args.justification,
        limits=Limits.from_env().export_limits(),
        result=result,
    )
    principal = scope.principal
    export_cli.record(settings, principal.id, principal.agency, made, args.justification)
    export_cli.write(made, args.output)
    return 0


def params_of(text: str, raw: list[str]) -> dict[str, Any]:
    """``NAME=VALUE`` arguments read by the types the query declares."""
    declared = {p.name: p for p in params_.declared(parse(text), text)}
    out: dict[str, Any] = {}
    for item in raw:
        name, sep, value = item.partition("=")
        name = name.strip().lstrip("$")
        if not sep or not name:
            raise InvalidQuery(f"--param takes NAME=VALUE, got {item!r}", field="--param")
        spec = declared.get(name)
        try:
            out[name] = params_.from_text(
                spec.type if spec else None, spec.list if spec else False, value
            )
        except ValueError as exc:
            raise InvalidQuery(f"${name}: {exc}", field=f"params.{name}") from None
    return out


def _print(result: QueryResult) -> None:
    if result.table is not None:
        rows = [[_text(v) for v in row] for row in result.table.rows]
        headers = list(result.table.columns)
        widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
        print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
        for row in rows:
            print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
        print(f"({len(rows)} rows)")
        return
    if "nodes" in result.parts:
        for node in result.nodes:
            extra = [
                f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                for k, v in (
                    ("rank", node.rank),
                    ("score", node.score),
                    ("community", node.community),
                )
                if v is not None
            ]
            print(
                f"{node.entity.id:<36} {node.entity.type:<13} {node.entity.label}  "
                + " ".join(extra)
            )
    if "links" in result.parts:
        for link in result.links:
            print(
                f"{link.source_id} -[{link.type}]-> {link.target_id}  ({link.id}, "
                f"{link.provenance.source}, {link.grading.source}{link.grading.information})"
            )
    for path in result.paths:
        print(" -> ".join(n.id for n in path.nodes))
    if result.communities:
        print(f"modularity {result.modularity:.4f}")
        for c in result.communities:
            print(
                f"community {c.id}: {c.size} entities, density {c.density:.3f}: "
                + ", ".join(c.members[:8])
            )
    for pair in result.hidden_links:
        print(f"{pair.score:.4f}  {pair.source.id} ~ {pair.target.id}")
    print(f"({result.count} entities in the answer, {result.elapsed * 1000:.0f} ms)")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    return str(value)
