"""``graphsvc entities``: correct entity resolution as a principal, from the command line.

``merge``, ``split`` and ``undo`` do what the API's ``mergeEntities``, ``splitEntity`` and
``undoResolution`` do, with the same rules (the principal must see what they name; analysts
and supervisors correct; an analyst undoes their own corrections, a supervisor anyone's);
``resolutions`` lists the corrections the principal may read. Each run is recorded in the
audit log (authentication ``cli``) under the API's operation name, refusals included, with the
correction's id and how many records and links it moved in all; the output shows only what the
principal may see.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from contextlib import closing
from typing import Any

from graphsvc.config import Settings
from graphsvc.errors import GraphsvcError, InvalidInput, NotFound
from graphsvc.model.schema import Schema
from graphsvc.policy import Principal, Principals, Scope
from graphsvc.policy.audit import AuditLog
from graphsvc.policy.corrections import author_filter, check_may_correct, may_read
from graphsvc.store.open import open_store
from graphsvc.store.protocol import GraphStore
from graphsvc.store.resolution import RecordRef, Resolution

MAX_LIST = 10_000

# the store names arguments as the API does; the command line calls them so
_FLAGS = {
    "ids": "ID",
    "into": "--into",
    "id": "ID",
    "records": "--record",
    "links": "--link",
    "newId": "--new-id",
    "reason": "--reason",
    "limit": "--limit",
}


def add_parser(commands: Any) -> None:
    sub = commands.add_parser(
        "entities", help="correct entity resolution: merge, split, undo, list corrections"
    )
    actions = sub.add_subparsers(dest="action", metavar="ACTION", required=True)

    def action(name: str, help_text: str, writes: bool = True) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = actions.add_parser(name, help=help_text)
        parser.add_argument("--as", dest="principal", required=True, help="principal id")
        if writes:
            parser.add_argument("--reason", required=True, help="why: the correction's reason")
        parser.add_argument("--justification", help="a case or warrant reference, for the audit")
        parser.add_argument(
            "--format", choices=["text", "json"], default="text", help="output (default: text)"
        )
        return parser

    merge = action("merge", "these entities are one: move everything of the others to one")
    merge.add_argument("ids", nargs="+", metavar="ID", help="the entities (at least two)")
    merge.add_argument("--into", help="the id kept, one of them (default: the first)")

    split = action("split", "this entity is two: move some records and links to a new one")
    split.add_argument("id", metavar="ID")
    split.add_argument(
        "--record",
        dest="records",
        action="extend",
        nargs="+",
        required=True,
        metavar="SOURCE:RECORD",
        help="a record of the entity that moves (repeatable)",
    )
    split.add_argument(
        "--link",
        dest="links",
        action="extend",
        nargs="+",
        default=[],
        metavar="LINK_ID",
        help="a link whose end on the entity moves (repeatable)",
    )
    split.add_argument("--new-id", help="the new entity's id (default: ID~split-<digest>)")

    undo = action("undo", "put back what a merge or split moved")
    undo.add_argument("resolution", metavar="RESOLUTION_ID")

    listing = action("resolutions", "the corrections the principal may read", writes=False)
    listing.add_argument("--entity", help="only those involving this entity")
    listing.add_argument("--limit", type=int, default=50, help="how many (default 50)")


def run(args: argparse.Namespace, settings: Settings, schema: Schema) -> int:
    principal = Principals.load(settings.principals, schema.policy).get(args.principal)
    scope = Scope.of(principal, schema.policy)
    operation, arguments, work = _request(args, principal, scope)
    with (
        AuditLog(settings.audit) as audit,
        closing(open_store(settings, schema, create=False)) as store,
    ):
        try:
            found = work(store)
        except GraphsvcError as exc:
            _audit(audit, principal, args, operation, arguments, [], exc.code)
            raise _flagged(exc, args.action) from None
        if operation != "resolutions":
            arguments.update(
                resolution=found[0].id,
                recordsMoved=found[0].records_moved,
                linksMoved=found[0].links_moved,
            )
        _audit(audit, principal, args, operation, arguments, found, "OK")
    if args.format == "json":
        shown = [_json(r) for r in found]
        json.dump(shown if operation == "resolutions" else shown[0], sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        for r in found:
            _print(r)
        if operation == "resolutions":
            print(f"({len(found)} corrections)")
    return 0


Work = Callable[[GraphStore], list[Resolution]]


def _request(
    args: argparse.Namespace, principal: Principal, scope: Scope
) -> tuple[str, dict[str, Any], Work]:
    """The operation's name and arguments (as the API audits them), and the work."""
    if args.action == "resolutions":
        if not 0 <= args.limit <= MAX_LIST:
            raise InvalidInput(f"must be between 0 and {MAX_LIST}", field="--limit")
        return (
            "resolutions",
            {"entity": args.entity, "limit": args.limit},
            lambda store: store.resolutions(
                scope, args.entity, author_filter(principal), args.limit
            ),
        )
    if args.action == "merge":

        def merge(store: GraphStore) -> list[Resolution]:
            check_may_correct(principal)
            return [
                store.merge_entities(
                    scope, args.ids, args.into, by=principal.id, reason=args.reason
                )
            ]

        return (
            "mergeEntities",
            {"ids": args.ids, "into": args.into, "reason": args.reason},
            merge,
        )
    if args.action == "split":
        records = [RecordRef.parse(text, "--record") for text in args.records]

        def split(store: GraphStore) -> list[Resolution]:
            check_may_correct(principal)
            return [
                store.split_entity(
                    scope,
                    args.id,
                    records,
                    args.links,
                    args.new_id,
                    by=principal.id,
                    reason=args.reason,
                )
            ]

        return (
            "splitEntity",
            {
                "id": args.id,
                "records": [{"source": r.source, "record": r.record} for r in records],
                "links": args.links,
                "newId": args.new_id,
                "reason": args.reason,
            },
            split,
        )

    def undo(store: GraphStore) -> list[Resolution]:
        check_may_correct(principal)
        seen = store.get_resolution(scope, args.resolution)
        if seen is None or not may_read(principal, seen.by):
            raise NotFound(f"no correction {args.resolution!r}", field="id")
        return [store.undo_resolution(scope, args.resolution, by=principal.id, reason=args.reason)]

    return "undoResolution", {"id": args.resolution, "reason": args.reason}, undo


def _audit(
    audit: AuditLog,
    principal: Principal,
    args: argparse.Namespace,
    operation: str,
    arguments: dict[str, Any],
    found: list[Resolution],
    outcome: str,
) -> None:
    audit.append(
        principal=principal.id,
        agency=principal.agency,
        auth="cli",
        operations=[{"name": operation, "arguments": arguments}],
        justification=args.justification,
        entities=[e for r in found for e in r.entities],
        links=[link for r in found for link in r.link_ids],
        outcome=outcome,
    )


def _flagged(exc: GraphsvcError, action: str) -> GraphsvcError:
    """The error naming the command line's argument instead of the API's."""
    if exc.field == "id" and action == "undo":
        exc.field = "RESOLUTION_ID"
    elif exc.field in _FLAGS:
        exc.field = _FLAGS[exc.field]
    return exc


def _json(r: Resolution) -> dict[str, Any]:
    return {**r.to_dict(), "movedRecords": len(r.records), "movedLinks": len(r.links)}


def _print(r: Resolution) -> None:
    undone = f" (undone by {r.undone_by})" if r.undone_by else ""
    undoes = f" of {r.undoes}" if r.undoes else ""
    print(f"{r.id} {r.kind}{undoes} by {r.by} at {r.at}{undone}")
    print(f"  {r.entity_type}: {', '.join(r.entities)} -> {r.target or '-'}")
    print(f"  reason: {r.reason}")
    for m in r.records:
        print(f"  record {m.source}/{m.record}: {m.from_id} -> {m.to_id}")
    for n in r.links:
        print(f"  link {n.link} ({n.end} end): {n.from_id} -> {n.to_id}")
    print(
        f"  moved: {_count(len(r.records), 'record')}, {_count(len(r.links), 'link end')}"
        " you may see"
    )


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"
