"""The native exchange format: JSON lines, one entity or link record per line.

See the README ("Native exchange format") for the fields. This module only turns lines into
decoded objects; ``RecordValidator`` checks them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from graphsvc.errors import InvalidInput
from graphsvc.ingest.lines import read_lines

RawUnit = list[dict[str, Any]]


def read_native(
    path: Path, on_bytes: Callable[[int], None] | None = None
) -> Iterator[tuple[int, RawUnit | InvalidInput]]:
    """``(line number, [record])`` per non-blank line, or ``(line number, error)``."""
    for number, value in read_objects(path, on_bytes, "a JSON object per line"):
        yield number, value if isinstance(value, InvalidInput) else [value]


def read_objects(
    path: Path, on_bytes: Callable[[int], None] | None, expected: str
) -> Iterator[tuple[int, dict[str, Any] | InvalidInput]]:
    """``(line number, object)`` per non-blank line of JSON lines, or ``(line number, error)``
    (``expected`` says what a line should be, for the error of one that is not an object)."""
    for line in read_lines(path, on_bytes=on_bytes):
        if line.text is None:
            yield line.number, InvalidInput(line.error or "unreadable line")
            continue
        text = line.text.strip()
        if not text:
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            yield line.number, InvalidInput(f"not valid JSON: {exc.msg} at column {exc.colno}")
            continue
        except RecursionError:
            yield line.number, InvalidInput("JSON nested too deeply")
            continue
        if not isinstance(value, dict):
            yield line.number, InvalidInput(f"expected {expected}, got {type(value).__name__}")
            continue
        yield line.number, value
