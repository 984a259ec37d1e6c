"""Reading a CSV file through a mapping: one unit of native records per row.

Rows are read from individually decoded lines (see ``lines``), so a row with invalid bytes,
too few or too many fields, or a value the mapping cannot read is reported with the line it
starts on, and the rest of the file is still read. A row spanning several lines (a quoted
field with line breaks) that contains an unreadable line is rejected whole, never stored with
a piece missing.

A row's id in its source is the mapping's ``record`` template, or else a digest of the row's
cells: stable when rows are added or removed around it, and the same for the same row in
two files.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

from graphsvc.errors import InvalidInput, InvalidMapping
from graphsvc.ingest.lines import read_lines
from graphsvc.ingest.mapping import Mapping
from graphsvc.ingest.native import RawUnit


class _Feed:
    """Feeds decoded lines to ``csv.reader``, knowing where the current row started and which
    unreadable lines fell inside it (``row_errors``) or between rows (``between``)."""

    def __init__(self, path: Path, encoding: str, on_bytes: Callable[[int], None] | None) -> None:
        self._lines = read_lines(path, encoding, on_bytes)
        self.line = 0
        self.row_start: int | None = None
        self.row_errors: list[tuple[int, str]] = []
        self.between: list[tuple[int, str]] = []

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        for line in self._lines:
            self.line = line.number
            if line.text is None:
                error = (line.number, line.error or "unreadable line")
                (self.between if self.row_start is None else self.row_errors).append(error)
                continue
            if self.row_start is None:
                self.row_start = line.number
            return line.text + "\n"
        raise StopIteration

    def end_row(self) -> tuple[int, list[tuple[int, str]]]:
        """The first line of the row just read, and the unreadable lines inside it."""
        start, errors = self.row_start or self.line, self.row_errors
        self.row_start, self.row_errors = None, []
        return start, errors

    def drain(self) -> Iterator[tuple[int, InvalidInput]]:
        """Unreadable lines met between rows, each its own rejection."""
        while self.between:
            number, message = self.between.pop(0)
            yield number, InvalidInput(message)


def row_digest(cells: list[str]) -> str:
    """A record id for a row the mapping gives none: a digest of its cells."""
    return "row:" + hashlib.sha1("\x1f".join(cells).encode("utf-8")).hexdigest()[:16]


def read_csv(
    path: Path, mapping: Mapping, on_bytes: Callable[[int], None] | None = None
) -> Iterator[tuple[int, RawUnit | InvalidInput]]:
    """``(first line of the row, records of the row)`` per data row, or ``(line, error)``."""
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
        yield from feed.drain()
        return
    except csv.Error as exc:
        raise InvalidInput(
            f"cannot read the header: {exc}", file=str(path), line=feed.line
        ) from None
    feed.end_row()
    yield from feed.drain()
    header = [h.strip() for h in header]
    mapping.check_header(header, path.name)
    width = len(header)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            start, _ = feed.end_row()
            yield from feed.drain()
            yield start, InvalidInput(f"not valid CSV: {exc}")
            continue
        start, errors = feed.end_row()
        yield from feed.drain()
        if errors:
            number, message = errors[0]
            yield start, InvalidInput(f"line {number} of this row: {message}; row not stored")
            continue
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) != width:
            yield start, InvalidInput(f"row has {len(row)} fields, the header has {width}")
            continue
        values = dict(zip(header, row, strict=True))
        try:
            yield start, mapping.rows_to_records(values, row_digest(row))
        except InvalidInput as exc:
            yield start, exc
    start, errors = feed.end_row()
    yield from feed.drain()
    if errors:  # an unreadable line inside a row the file never finished
        number, message = errors[0]
        yield start, InvalidInput(f"line {number}: {message}; row not stored")
