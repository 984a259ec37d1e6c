"""The download store: only the bytes are kept, for their maker, until they expire, within
its bound (the caller's own oldest files go first)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from graphsvc.api.downloads import Downloads
from graphsvc.export.select import ExpandSelection
from graphsvc.export.service import ExportFile, export
from graphsvc.policy import Scope
from graphsvc.store.protocol import GraphStore

LEADER = "ocrteh:PER-0001"


@pytest.fixture(scope="module")
def files(seed_store: GraphStore, seed_scope: Callable[[str], Scope]) -> Callable[[], ExportFile]:
    def make() -> ExportFile:
        return export(
            seed_store,
            seed_scope("fr-analyst"),
            ExpandSelection((LEADER,)),
            "csv",
            justification="t",
        )

    return make


def test_only_what_the_download_serves_is_kept(files: Callable[[], ExportFile]) -> None:
    made = files()
    store = Downloads(10_000_000, 60)
    store.publish(made, "fr-analyst")
    kept: Any = store.fetch(made.id, "fr-analyst")
    assert kept.content == made.content and kept.sha256 == made.sha256
    assert kept.marking == made.banner.marking and kept.filename == made.filename
    assert not any(isinstance(v, ExportFile) for v in vars(kept).values())
    assert not hasattr(kept, "collected")
    assert store.fetch(made.id, "fr-supervisor") is None


def test_the_oldest_files_of_the_caller_go_first(files: Callable[[], ExportFile]) -> None:
    first, second, third = files(), files(), files()
    size = first.size
    store = Downloads(2 * size + size // 2, 60)
    store.publish(first, "a")
    store.publish(second, "b")
    store.publish(third, "b")  # over the bound: b's oldest goes, a's file stays
    assert store.fetch(first.id, "a") is not None
    assert store.fetch(second.id, "b") is None
    assert store.fetch(third.id, "b") is not None
    assert not store.fits(3 * size)


def test_files_expire(files: Callable[[], ExportFile]) -> None:
    made = files()
    store = Downloads(10_000_000, 0.05)
    store.publish(made, "a")
    time.sleep(0.1)
    assert store.fetch(made.id, "a") is None
