"""The link-filter options of the commands that read links (``expand``, ``paths``,
``export``): declared once, read into the store's ``LinkFilter`` once."""

from __future__ import annotations

import argparse

from graphsvc.model.schema import Schema
from graphsvc.store.protocol import LinkFilter


def add_link_filters(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--types", help="link types to follow, comma-separated")
    sub.add_argument("--since", help="only links dated on or after (ISO date or date-time)")
    sub.add_argument("--until", help="only links dated on or before (ISO date or date-time)")
    sub.add_argument("--min-confidence", type=float, help="only links at least this confident")


def link_filter(args: argparse.Namespace, schema: Schema) -> LinkFilter:
    """The filter the options give; problems named by option."""
    return LinkFilter.parse(
        schema,
        args.types.split(",") if args.types else None,
        args.since,
        args.until,
        args.min_confidence,
        names=("--types", "--since", "--until", "--min-confidence"),
    )
