"""Saved queries: named, versioned DSL queries that analysts keep and share.

A saved query belongs to its owner (a principal id) and is addressed by its name, bare
(``associates``) or qualified by its owner (``alice/associates``); two owners may each have a
query of the same name. Every save of a changed query adds a version; old versions are kept.
The body and the parameters are opaque here: the DSL parses them when a query runs, with the
caller's scope, never the owner's.

Who sees a query is decided by its latest version's ``sharing``:

- ``private``: its owner only;
- ``agency``: also every principal of the agency the owner belonged to when saving it;
- ``everyone``: every principal.

A query the caller may not see is reported exactly like one that does not exist. Only the
owner, or an ``admin``, may delete a query; deletion hides every version until the owner saves
that name again, which continues the version numbers. Queries shipped with the product are
owned by ``graphsvc`` and shared with everyone (``SavedQueries.load_shared``).
"""

from __future__ import annotations

import builtins
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, get_args

from graphsvc.errors import Forbidden, InvalidInput, NotFound, StoreError
from graphsvc.policy import Principal
from graphsvc.store.protocol import SavedQueryRow

Sharing = Literal["private", "agency", "everyone"]
SHARINGS: tuple[Sharing, ...] = get_args(Sharing)

SYSTEM_OWNER = "graphsvc"
"""The owner of the queries shipped with the product."""
SYSTEM_AGENCY = "GRAPHSVC"
"""The agency recorded on the system owner's queries (they are shared with everyone)."""

MAX_NAME = 100
MAX_BODY = 20_000
MAX_DESCRIPTION = 2_000
MAX_PARAMETERS = 20_000  # characters of the parameters as JSON
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_SAVE_ATTEMPTS = 20  # each round of saves racing for one version lets one of them through


@dataclass(frozen=True)
class SavedQuery:
    """One version of a saved query. ``created_at`` is when version 1 was saved."""

    name: str
    version: int
    description: str
    parameters: tuple[dict[str, Any], ...]
    body: str
    owner: str
    agency: str
    sharing: Sharing
    created_at: str
    updated_at: str

    @property
    def qualified_name(self) -> str:
        """``owner/name``: addresses this query whoever asks."""
        return f"{self.owner}/{self.name}"

    def visible_to(self, principal: Principal) -> bool:
        """Whether ``principal`` may see the query, when this is its latest version."""
        return (
            self.owner == principal.id
            or self.sharing == "everyone"
            or (self.sharing == "agency" and self.agency == principal.agency)
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "qualifiedName": self.qualified_name,
            "version": self.version,
            "description": self.description,
            "parameters": [dict(p) for p in self.parameters],
            "body": self.body,
            "owner": self.owner,
            "agency": self.agency,
            "sharing": self.sharing,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }

    @classmethod
    def from_row(cls, row: SavedQueryRow) -> SavedQuery:
        parameters = json.loads(row.parameters)
        sharing = row.sharing if row.sharing in SHARINGS else "private"  # the DDL checks it
        return cls(
            name=row.name,
            version=row.version,
            description=row.description,
            parameters=tuple(dict(p) for p in parameters),
            body=row.body,
            owner=row.owner,
            agency=row.agency,
            sharing=sharing,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class SavedQueryStorage(Protocol):
    """The part of ``GraphStore`` that keeps saved queries."""

    def saved_query_rows(
        self, name: str | None = None, owner: str | None = None
    ) -> list[SavedQueryRow]: ...

    def append_saved_query(self, row: SavedQueryRow) -> None: ...

    def mark_saved_query_deleted(self, owner: str, name: str, at: str) -> None: ...


def _utcnow() -> datetime:
    return datetime.now(UTC)


class SavedQueries:
    """Saving, finding, listing and deleting saved queries, with the sharing rules applied."""

    def __init__(self, store: SavedQueryStorage, *, now: Callable[[], datetime] = _utcnow) -> None:
        self.store = store
        self._now = now

    # -- reading ---------------------------------------------------------------------------------

    def list(self, principal: Principal) -> builtins.list[SavedQuery]:
        """The latest version of every query ``principal`` may see, by name then owner."""
        found = []
        for versions in _by_query(self.store.saved_query_rows()).values():
            query = _live(versions)
            if query is not None and query.visible_to(principal):
                found.append(query)
        return sorted(found, key=lambda q: (q.name, q.owner))

    def get(self, principal: Principal, name: str, version: int | None = None) -> SavedQuery:
        """The query ``name`` (bare or ``owner/name``) as ``principal`` may see it: its latest
        version, or ``version``.

        A bare name is the caller's own query of that name, else the only other one the caller
        may see; when there are several, ``InvalidInput`` lists their qualified names.
        """
        versions = self._resolve(principal, name)
        if version is None:
            return SavedQuery.from_row(versions[-1])
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise InvalidInput(f"must be a whole number from 1, got {version!r}", field="version")
        for row in versions:
            if row.version == version:
                return SavedQuery.from_row(row)
        qualified = f"{versions[-1].owner}/{versions[-1].name}"
        raise NotFound(f"saved query {qualified!r} has no version {version}", field="version")

    def history(self, principal: Principal, name: str) -> builtins.list[SavedQuery]:
        """Every version of the query ``name`` (resolved as by ``get``), oldest first."""
        return [SavedQuery.from_row(row) for row in self._resolve(principal, name)]

    def _resolve(self, principal: Principal, name: str) -> builtins.list[SavedQueryRow]:
        """The versions of the one live query ``name`` designates for ``principal``."""
        owner, bare = _split(name)
        missing = NotFound(f"no saved query {name!r}", field="name")
        if owner is not None:
            versions = self.store.saved_query_rows(name=bare, owner=owner)
            query = _live(versions)
            if query is None or not query.visible_to(principal):
                raise missing
            return versions
        candidates = {}
        for (query_owner, _), versions in _by_query(self.store.saved_query_rows(name=bare)).items():
            query = _live(versions)
            if query is not None and query.visible_to(principal):
                candidates[query_owner] = versions
        if principal.id in candidates:
            return candidates[principal.id]
        if len(candidates) == 1:
            return next(iter(candidates.values()))
        if candidates:
            choices = ", ".join(f"{o}/{bare}" for o in sorted(candidates))
            raise InvalidInput(
                f"several saved queries are named {bare}: give one of {choices}", field="name"
            )
        raise missing

    # -- writing ---------------------------------------------------------------------------------

    def save(
        self,
        principal: Principal,
        name: str,
        body: str,
        *,
        description: str = "",
        parameters: Sequence[Mapping[str, Any]] = (),
        sharing: Sharing = "private",
        owner: str | None = None,
    ) -> SavedQuery:
        """Save ``body`` as the caller's query ``name`` (a bare name): version 1, or the next
        version of the caller's query of that name. Saving what the latest version already
        holds returns it unchanged.

        ``owner`` saves for another owner (the seed loader's system queries) and is for
        trusted callers only: the API never passes it.
        """
        return self._save(
            owner if owner is not None else principal.id,
            principal.agency,
            name,
            body,
            description,
            parameters,
            sharing,
        )

    def load_shared(
        self,
        owner: str,
        items: Iterable[tuple[str, str, str, Sequence[Mapping[str, Any]]]],
        *,
        agency: str = SYSTEM_AGENCY,
    ) -> builtins.list[SavedQuery]:
        """(Re)load product or seed queries ``(name, body, description, parameters)`` as
        ``owner`` (normally ``SYSTEM_OWNER``), shared with everyone. Idempotent: a query whose
        text did not change keeps its version; a changed one gets a new version."""
        return [
            self._save(owner, agency, name, body, description, parameters, "everyone")
            for name, body, description, parameters in items
        ]

    def delete(self, principal: Principal, name: str) -> SavedQuery:
        """Delete the query ``name`` (resolved as by ``get``), every version of it; return its
        latest version. Only its owner or an admin may: ``Forbidden`` for anyone else who can
        see it, ``NotFound`` for those who cannot."""
        latest = SavedQuery.from_row(self._resolve(principal, name)[-1])
        if latest.owner != principal.id and "admin" not in principal.roles:
            raise Forbidden(
                f"only its owner or an admin may delete saved query {latest.qualified_name!r}",
                field="name",
            )
        self.store.mark_saved_query_deleted(latest.owner, latest.name, self._stamp())
        return latest

    def _save(
        self,
        owner: str,
        agency: str,
        name: str,
        body: str,
        description: str,
        parameters: Sequence[Mapping[str, Any]],
        sharing: str,
    ) -> SavedQuery:
        _check_name(name)
        _check_text(body, "body", MAX_BODY, required=True)
        _check_text(description, "description", MAX_DESCRIPTION)
        if sharing not in SHARINGS:
            raise InvalidInput(
                f"must be one of {', '.join(SHARINGS)}, got {sharing!r}", field="sharing"
            )
        if not owner:
            raise InvalidInput("a saved query needs an owner", field="owner")
        parameters_json = _parameters_json(parameters)
        wanted = (body, description, sharing, json.loads(parameters_json))
        for _ in range(_SAVE_ATTEMPTS):
            versions = self.store.saved_query_rows(name=name, owner=owner)
            latest = versions[-1] if versions else None
            if (
                latest is not None
                and latest.deleted_at is None
                and (latest.body, latest.description, latest.sharing, json.loads(latest.parameters))
                == wanted
            ):
                return SavedQuery.from_row(latest)
            at = self._stamp()
            row = SavedQueryRow(
                owner=owner,
                name=name,
                version=latest.version + 1 if latest is not None else 1,
                description=description,
                parameters=parameters_json,
                body=body,
                agency=agency,
                sharing=sharing,
                created_at=versions[0].created_at if versions else at,
                updated_at=at,
            )
            try:
                self.store.append_saved_query(row)
            except StoreError:
                # another save took this version number first: look again, unless it did not
                now_at = self.store.saved_query_rows(name=name, owner=owner)
                if not now_at or now_at[-1].version < row.version:
                    raise
                continue
            return SavedQuery.from_row(row)
        raise StoreError(
            f"saved query {owner}/{name} kept changing while saving it; try again", field="name"
        )

    def _stamp(self) -> str:
        """Now, as ISO-8601 UTC to the second (``2026-11-23T10:00:00Z``)."""
        moment = self._now()
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _by_query(rows: Iterable[SavedQueryRow]) -> dict[tuple[str, str], list[SavedQueryRow]]:
    """Rows (ordered by owner, name, version) grouped by query, versions oldest first."""
    grouped: dict[tuple[str, str], list[SavedQueryRow]] = {}
    for row in rows:
        grouped.setdefault((row.owner, row.name), []).append(row)
    return grouped


def _live(versions: Sequence[SavedQueryRow]) -> SavedQuery | None:
    """The latest version, unless there is none or the query is deleted."""
    if not versions or versions[-1].deleted_at is not None:
        return None
    return SavedQuery.from_row(versions[-1])


def _split(name: str) -> tuple[str | None, str]:
    """``(owner, name)`` of ``owner/name``; ``(None, name)`` of a bare name."""
    if not isinstance(name, str):
        raise InvalidInput(f"must be a string, got {type(name).__name__}", field="name")
    owner, slash, bare = name.rpartition("/")
    if not slash:
        _check_name(name)
        return None, name
    if not owner:
        raise InvalidInput(f"{name!r} names no owner before '/'", field="name")
    _check_name(bare)
    return owner, bare


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not name:
        raise InvalidInput("a saved query needs a name", field="name")
    if "/" in name:
        raise InvalidInput(
            f"{name!r}: give a bare name (no '/'); the query is saved under your own", field="name"
        )
    if len(name) > MAX_NAME:
        raise InvalidInput(f"at most {MAX_NAME} characters, got {len(name)}", field="name")
    if not _NAME.fullmatch(name):
        raise InvalidInput(
            f"{name!r}: a name starts with a letter or digit and holds only letters, digits, "
            "'_', '.' and '-'",
            field="name",
        )


def _check_text(value: str, field: str, limit: int, *, required: bool = False) -> None:
    if not isinstance(value, str):
        raise InvalidInput(f"must be text, got {type(value).__name__}", field=field)
    if required and not value.strip():
        raise InvalidInput("must not be empty", field=field)
    if len(value) > limit:
        raise InvalidInput(f"at most {limit:,} characters, got {len(value):,}", field=field)


def _parameters_json(parameters: Sequence[Mapping[str, Any]]) -> str:
    """The parameters as JSON text (an array of objects), ``InvalidInput`` unless they are."""
    if isinstance(parameters, str | bytes | Mapping) or not isinstance(parameters, Sequence):
        raise InvalidInput("must be a list of objects", field="parameters")
    for index, parameter in enumerate(parameters):
        if not isinstance(parameter, Mapping) or not all(isinstance(k, str) for k in parameter):
            raise InvalidInput(f"item {index} is not an object with text keys", field="parameters")
    try:
        text = json.dumps(
            [dict(p) for p in parameters],
            ensure_ascii=False,
            allow_nan=False,
            separators=(",", ":"),
        )
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"not JSON: {exc}", field="parameters") from None
    if len(text) > MAX_PARAMETERS:
        raise InvalidInput(
            f"at most {MAX_PARAMETERS:,} characters as JSON, got {len(text):,}", field="parameters"
        )
    return text
