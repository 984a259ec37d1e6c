"""Reading a CSV file through a mapping: one unit of native records per row.

Rows are read from individually decoded lines (see ``lines``), so a row with invalid bytes,
too few or too many fields, or a value the mapping cannot read is reported with its line and
the rest of the file is still read.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path

from graphsvc.errors import InvalidInput, InvalidMapping
from graphsvc.ingest.lines import read_lines
from graphsvc.ingest.mapping import Mapping
from graphsvc.ingest.native import RawUnit


class _Feed:
    """Feeds decoded lines to ``csv.reader`` and remembers the line number it is on."""

    def __init__(self, path: Path, encoding: str, on_bytes: Callable[[int], None] | None) -> None:
        self._lines = read_lines(path, encoding, on_bytes)
        self.line = 0
        self.bad: list[tuple[int, str]] = []

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        for line in self._lines:
            self.line = line.number
            if line.text is None:
                self.bad.append((line.number, line.error or "unreadable line"))
                continue
            return line.text + "\n"
        raise StopIteration


def read_csv(
    path: Path, mapping: Mapping, on_bytes: Callable[[int], None] | None = None
) -> Iterator[tuple[int, RawUnit | InvalidInput]]:
    """``(line number, records of the row)`` per data row, or ``(line number, error)``."""
    feed = _Feed(path, mapping.encoding, on_bytes)
    try:
        reader = csv.reader(
            feed, delimiter=mapping.delimiter, quotechar=mapping.quotechar, strict=True
        )
    except TypeError as exc:
        raise InvalidMapping(f"bad csv options: {exc}", file=mapping.file, field="csv") from None
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise InvalidInput(
            f"cannot read the header: {exc}", file=str(path), line=feed.line
        ) from None
    header = [h.strip() for h in header]
    mapping.check_header(header, path.name)
    width = len(header)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            yield from _drain(feed)
            yield feed.line, InvalidInput(f"not valid CSV: {exc}")
            continue
        yield from _drain(feed)
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) != width:
            yield feed.line, InvalidInput(f"row has {len(row)} fields, the header has {width}")
            continue
        values = dict(zip(header, row, strict=True))
        try:
            yield feed.line, mapping.rows_to_records(values, f"{path.name}:{feed.line}")
        except InvalidInput as exc:
            yield feed.line, exc
    yield from _drain(feed)


def _drain(feed: _Feed) -> Iterator[tuple[int, InvalidInput]]:
    while feed.bad:
        number, message = feed.bad.pop(0)
        yield number, InvalidInput(message)
