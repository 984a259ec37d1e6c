"""Export files waiting at ``GET /exports/{id}``: each for the principal who made it only,
until it expires, within a bound on the memory they take."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from graphsvc.export.service import ExportFile


@dataclass(frozen=True)
class Download:
    file: ExportFile
    principal: str
    expires: float  # time.monotonic()


class Downloads:
    """Export files waiting to be fetched: each for its principal only, until it expires.
    Bounded in total size: publishing past the bound drops the oldest first."""

    def __init__(self, max_bytes: int, max_age: float) -> None:
        self.max_bytes = max_bytes
        self.max_age = max_age
        self._files: OrderedDict[str, Download] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def publish(self, file: ExportFile, principal: str) -> None:
        with self._lock:
            self._expire()
            self._files[file.id] = Download(file, principal, time.monotonic() + self.max_age)
            self._bytes += file.size
            while self._bytes > self.max_bytes and len(self._files) > 1:
                _, dropped = self._files.popitem(last=False)
                self._bytes -= dropped.file.size

    def fetch(self, export_id: str, principal: str) -> ExportFile | None:
        """The file, when it exists, has not expired and was made by ``principal``; else
        None (the same answer whichever it is)."""
        with self._lock:
            self._expire()
            found = self._files.get(export_id)
        if found is None or found.principal != principal:
            return None
        return found.file

    def _expire(self) -> None:
        now = time.monotonic()
        for key in [k for k, d in self._files.items() if d.expires <= now]:
            self._bytes -= self._files.pop(key).file.size
