"""Principals: the people and systems that read the graph, loaded from a YAML file.

A principals file looks like::

    principals:
      - id: fr-analyst
        name: Analyste OCRTEH
        agency: FR-OCRTEH
        country: FR
        clearance: CONFIDENTIAL
        caveats: []
        roles: [analyst]

Clearances and caveats are checked against ``schema/handling.yaml``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from graphsvc.errors import InvalidConfig, NotFound
from graphsvc.model.properties import COUNTRIES
from graphsvc.model.schema import HandlingPolicy
from graphsvc.model.text import did_you_mean, one_of

Role = Literal["analyst", "supervisor", "auditor", "admin"]


class Principal(BaseModel):
    """The caller of an operation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=200)
    name: str | None = None
    agency: str = Field(min_length=2, max_length=64)
    country: str = Field(min_length=2, max_length=2)
    clearance: str
    caveats: frozenset[str] = frozenset()
    roles: frozenset[Role] = frozenset({"analyst"})

    @field_validator("agency", "country")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.strip().upper()

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        if value not in COUNTRIES:
            raise ValueError(f"{value!r} is not an ISO 3166 alpha-2 country code")
        return value

    def check(self, policy: HandlingPolicy) -> None:
        """Raise ``InvalidConfig`` when the clearance or a caveat is not in the policy."""
        if self.clearance not in policy.levels:
            raise InvalidConfig(
                f"principal {self.id}: clearance {self.clearance!r} is not one of "
                f"{one_of(policy.levels)}" + did_you_mean(self.clearance, policy.levels)
            )
        unknown = sorted(self.caveats - set(policy.caveats))
        if unknown:
            raise InvalidConfig(
                f"principal {self.id}: unknown caveats {unknown}; known: {one_of(policy.caveats)}"
            )


class Principals:
    """The principals of a deployment, by id."""

    def __init__(self, principals: list[Principal], path: Path | None = None) -> None:
        self.path = path
        self._by_id: dict[str, Principal] = {}
        for principal in principals:
            if principal.id in self._by_id:
                raise InvalidConfig(f"principal {principal.id!r} is declared twice", file=_s(path))
            self._by_id[principal.id] = principal

    @classmethod
    def load(cls, path: str | os.PathLike[str], policy: HandlingPolicy) -> Principals:
        file = Path(path)
        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        except FileNotFoundError:
            raise InvalidConfig("principals file not found", file=str(file)) from None
        except yaml.YAMLError as exc:
            raise InvalidConfig(f"not valid YAML: {exc}", file=str(file)) from None
        items: Any = data.get("principals") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise InvalidConfig("expected a top-level 'principals:' list", file=str(file))
        principals = []
        for index, item in enumerate(items):
            try:
                principal = Principal.model_validate(item)
            except ValidationError as exc:
                first = exc.errors(include_url=False)[0]
                where = ".".join(str(p) for p in first["loc"])
                raise InvalidConfig(
                    f"{first['msg']}", file=str(file), field=f"principals[{index}].{where}"
                ) from None
            try:
                principal.check(policy)
            except InvalidConfig as exc:
                raise InvalidConfig(
                    exc.message, file=str(file), field=f"principals[{index}]"
                ) from None
            principals.append(principal)
        return cls(principals, file)

    def get(self, principal_id: str) -> Principal:
        try:
            return self._by_id[principal_id]
        except KeyError:
            raise NotFound(
                f"no principal {principal_id!r}" + did_you_mean(principal_id, self._by_id)
            ) from None

    def __iter__(self) -> Iterator[Principal]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)


def _s(path: Path | None) -> str | None:
    return str(path) if path is not None else None
