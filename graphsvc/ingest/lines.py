"""Reading a source file line by line without letting one bad line spoil the file.

Each line is decoded on its own, so invalid bytes, a byte-order mark or an absurdly long line
are reported against their line number while every other line is still read.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

MAX_LINE_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Line:
    number: int  # 1-based
    text: str | None  # without the line ending; None when the line could not be read
    error: str | None = None


def read_lines(
    path: Path, encoding: str = "utf-8", on_bytes: Callable[[int], None] | None = None
) -> Iterator[Line]:
    """The lines of ``path``, decoded; undecodable or over-long lines carry an error instead."""
    with path.open("rb") as handle:
        number = 0
        while True:
            raw = handle.readline(MAX_LINE_BYTES + 1)
            if not raw:
                return
            number += 1
            size = len(raw)
            if size > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                while True:  # skip the rest of the line
                    more = handle.readline(MAX_LINE_BYTES)
                    size += len(more)
                    if not more or more.endswith(b"\n"):
                        break
                if on_bytes:
                    on_bytes(size)
                yield Line(number, None, f"line longer than {MAX_LINE_BYTES} bytes")
                continue
            if on_bytes:
                on_bytes(size)
            if number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError as exc:
                yield Line(number, None, f"not valid {encoding}: byte {exc.start + 1} of the line")
                continue
            yield Line(number, text.rstrip("\r\n"))
