"""Export files waiting at ``GET /exports/{id}``: each for the principal who made it only,
until it expires, within a bound on the memory they take.

Only what the download serves is kept (the bytes, the file name, the media type, the marking
and the digest), never the graph the file was made from, so the bound on bytes is a bound on
memory. When a new file would pass it, the oldest files go first, the caller's own before
anyone else's.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from graphsvc.export.service import ExportFile


@dataclass(frozen=True)
class Download:
    content: bytes
    filename: str
    media_type: str
    marking: str
    sha256: str
    principal: str
    expires: float  # time.monotonic()

    @property
    def size(self) -> int:
        return len(self.content)


class Downloads:
    """Export files waiting to be fetched: each for its principal only, until it expires."""

    def __init__(self, max_bytes: int, max_age: float) -> None:
        self.max_bytes = max_bytes
        self.max_age = max_age
        self._files: OrderedDict[str, Download] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def fits(self, size: int) -> bool:
        """Whether a file of ``size`` bytes can be kept at all."""
        return size <= self.max_bytes

    def publish(self, file: ExportFile, principal: str) -> None:
        kept = Download(
            content=file.content,
            filename=file.filename,
            media_type=file.format.media_type,
            marking=file.banner.marking,
            sha256=file.sha256,
            principal=principal,
            expires=time.monotonic() + self.max_age,
        )
        with self._lock:
            self._expire()
            self._make_room(kept.size, principal)
            self._files[file.id] = kept
            self._bytes += kept.size

    def fetch(self, export_id: str, principal: str) -> Download | None:
        """The file, when it exists, has not expired and was made by ``principal``; else
        None (the same answer whichever it is)."""
        with self._lock:
            self._expire()
            found = self._files.get(export_id)
        if found is None or found.principal != principal:
            return None
        return found

    def _make_room(self, size: int, principal: str) -> None:
        for owner_first in (True, False):
            for key in [
                k for k, d in self._files.items() if not owner_first or d.principal == principal
            ]:
                if self._bytes + size <= self.max_bytes:
                    return
                self._bytes -= self._files.pop(key).size

    def _expire(self) -> None:
        now = time.monotonic()
        for key in [k for k, d in self._files.items() if d.expires <= now]:
            self._bytes -= self._files.pop(key).size
