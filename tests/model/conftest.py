"""Fixtures for the model tests: a validator on the real schema, the issue's example records,
and editable copies of ``schema/`` for the schema-loading tests."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from graphsvc.errors import InvalidInput
from graphsvc.model.records import RecordValidator
from graphsvc.model.schema import Schema
from tests.conftest import REPO

# The two records of the native format as issue 2 prints them.
SPEC_ENTITY: dict[str, Any] = {
    "kind": "entity",
    "id": "p-17",
    "type": "Person",
    "properties": {"name": "Ivan Petrov", "birthDate": "1980-02-03"},
    "provenance": {"source": "registry-fr", "record": "r-17", "observedAt": "2024-01-02"},
    "handling": {
        "classification": "RESTRICTED",
        "releasableTo": ["FR", "DE"],
        "caveats": [],
        "code": "H0",
        "originator": "FR-OCRGDF",
    },
}
SPEC_LINK: dict[str, Any] = {
    "kind": "link",
    "id": "c-1",
    "type": "CALLED",
    "from": "p-17",
    "to": "+33612345678",
    "properties": {"date": "2024-01-02T10:00:00Z", "durationSeconds": 120},
    "provenance": {
        "source": "cdr-fr",
        "record": "cdr-2024-0001",
        "method": "structured",
        "confidence": 0.95,
    },
    "grading": {"source": "B", "information": "2"},
    "handling": {
        "classification": "CONFIDENTIAL",
        "releasableTo": ["FR"],
        "code": "H2",
        "originator": "FR-OCRGDF",
    },
}


def spec_entity(**changes: Any) -> dict[str, Any]:
    """A deep copy of the issue's entity record, with top-level fields replaced."""
    record = copy.deepcopy(SPEC_ENTITY)
    record.update(changes)
    return record


def spec_link(**changes: Any) -> dict[str, Any]:
    """A deep copy of the issue's link record, with top-level fields replaced (``from_``)."""
    record = copy.deepcopy(SPEC_LINK)
    if "from_" in changes:
        changes["from"] = changes.pop("from_")
    record.update(changes)
    return record


def problems_of(validator: RecordValidator, record: Any, **kwargs: Any) -> list[tuple[Any, str]]:
    """The ``(field, reason)`` problems the validator reports for ``record`` (must be invalid)."""
    with pytest.raises(InvalidInput) as caught:
        validator.parse(record, **kwargs)
    problems = caught.value.problems
    assert problems, "InvalidInput without problems"
    return problems


@pytest.fixture(scope="session")
def validator(schema: Schema) -> RecordValidator:
    return RecordValidator(schema)


@pytest.fixture
def schema_copy(tmp_path: Path) -> Callable[..., Path]:
    """Copy ``schema/`` to tmp_path and apply textual edits: ``edit(file, old, new)``...

    Each edit must match the file exactly once, so a test never silently edits nothing.
    """

    def make(*edits: tuple[str, str, str]) -> Path:
        target = tmp_path / "schema"
        if not target.exists():
            shutil.copytree(REPO / "schema", target)
        for file, old, new in edits:
            path = target / file
            text = path.read_text(encoding="utf-8")
            assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {file}"
            path.write_text(text.replace(old, new), encoding="utf-8")
        return target

    return make
