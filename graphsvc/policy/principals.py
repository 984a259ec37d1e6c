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
        keys:                     # API keys: only salted hashes (graphsvc/policy/keys.py)
          - {id: 3f9c2a7b1e04, hash: "sha256$...$...", created: "2026-11-23T09:00:00+00:00"}

Clearances and caveats are checked against ``schema/handling.yaml``. ``graphsvc principals
add`` appends a principal and prints its first token; ``principals key`` and ``principals
revoke`` issue and withdraw further keys. Those commands rewrite the file atomically under a
lock, keeping its leading comment.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from graphsvc.errors import InvalidConfig, NotFound, first_problem
from graphsvc.model.properties import COUNTRIES
from graphsvc.model.schema import HandlingPolicy
from graphsvc.model.text import did_you_mean, one_of
from graphsvc.policy.keys import ApiKey, key_id_of, new_key

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
    keys: tuple[ApiKey, ...] = Field(default=(), exclude=True, repr=False)

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
        self._by_key: dict[str, tuple[Principal, ApiKey]] = {}
        for principal in principals:
            if principal.id in self._by_id:
                raise InvalidConfig(f"principal {principal.id!r} is declared twice", file=_s(path))
            self._by_id[principal.id] = principal
            for key in principal.keys:
                if key.id in self._by_key:
                    raise InvalidConfig(
                        f"API key id {key.id!r} is used twice (by {principal.id!r} and "
                        f"{self._by_key[key.id][0].id!r})",
                        file=_s(path),
                    )
                self._by_key[key.id] = (principal, key)

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
                where, message = first_problem(exc)
                raise InvalidConfig(
                    message, file=str(file), field=f"principals[{index}].{where}"
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

    def by_token(self, token: str) -> tuple[Principal, ApiKey] | None:
        """The principal and key an API-key token belongs to, or None (unknown or wrong)."""
        key_id = key_id_of(token)
        found = self._by_key.get(key_id) if key_id is not None else None
        if found is None or not found[1].matches(token):
            return None
        return found

    def __contains__(self, principal_id: object) -> bool:
        return principal_id in self._by_id

    def __iter__(self) -> Iterator[Principal]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)


# -- changing the file -----------------------------------------------------------------------------


def add_principal(
    path: str | os.PathLike[str], principal: Principal, policy: HandlingPolicy
) -> str:
    """Append a principal with a fresh API key to the file (created if missing); return the
    token, which exists nowhere else."""
    principal.check(policy)
    with _editing(Path(path), policy) as principals:
        if any(p.id == principal.id for p in principals):
            raise InvalidConfig(
                f"principal {principal.id!r} already exists; "
                "use 'principals key' to give it another key",
                file=str(path),
            )
        key, token = new_key()
        principals.append(principal.model_copy(update={"keys": (key,)}))
    return token


def add_key(path: str | os.PathLike[str], principal_id: str, policy: HandlingPolicy) -> str:
    """Give an existing principal another API key; return its token."""
    with _editing(Path(path), policy) as principals:
        index = _index_of(principals, principal_id, path)
        key, token = new_key()
        principals[index] = principals[index].model_copy(
            update={"keys": (*principals[index].keys, key)}
        )
    return token


def revoke_key(
    path: str | os.PathLike[str], principal_id: str, key_id: str | None, policy: HandlingPolicy
) -> list[str]:
    """Withdraw one key of a principal (every key when ``key_id`` is None); return their ids."""
    with _editing(Path(path), policy) as principals:
        index = _index_of(principals, principal_id, path)
        keys = principals[index].keys
        if key_id is not None and key_id not in {k.id for k in keys}:
            raise NotFound(
                f"principal {principal_id!r} has no key {key_id!r}; its keys: "
                f"{', '.join(k.id for k in keys) or 'none'}"
            )
        kept = tuple(k for k in keys if key_id is not None and k.id != key_id)
        principals[index] = principals[index].model_copy(update={"keys": kept})
    return [k.id for k in keys if k not in kept]


def _index_of(principals: list[Principal], principal_id: str, path: object) -> int:
    for index, principal in enumerate(principals):
        if principal.id == principal_id:
            return index
    raise NotFound(
        f"no principal {principal_id!r} in {path}"
        + did_you_mean(principal_id, [p.id for p in principals])
    )


@contextlib.contextmanager
def _editing(path: Path, policy: HandlingPolicy) -> Iterator[list[Principal]]:
    """Read-modify-write of a principals file under an exclusive lock, replaced atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        header = ""
        principals: list[Principal] = []
        if path.exists():
            principals = list(Principals.load(path, policy))
            lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
            header = "".join(line for line in _leading_comments(lines))
        yield principals
        entries = [_entry(p) for p in principals]
        text = header + yaml.safe_dump(
            {"principals": entries}, sort_keys=False, allow_unicode=True, width=100
        )
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            if path.exists():
                os.chmod(tmp, path.stat().st_mode & 0o777)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise


def _leading_comments(lines: list[str]) -> Iterator[str]:
    for line in lines:
        if not line.startswith("#"):
            return
        yield line


def _entry(principal: Principal) -> dict[str, Any]:
    out: dict[str, Any] = {"id": principal.id}
    if principal.name is not None:
        out["name"] = principal.name
    out |= {
        "agency": principal.agency,
        "country": principal.country,
        "clearance": principal.clearance,
        "caveats": sorted(principal.caveats),
        "roles": sorted(principal.roles),
    }
    if principal.keys:
        out["keys"] = [key.model_dump(exclude_none=True) for key in principal.keys]
    return out


def _s(path: Path | None) -> str | None:
    return str(path) if path is not None else None
