"""What one GraphQL request carries into its resolvers: the caller's scope, the store, the
limits, and the trail of what it consulted and returned, which becomes its audit entry.

Every root field begins with ``consult`` (which records the operation and enforces the
justification rule), and every entity and link put into the answer passes through
``returned_entity``/``returned_link`` (which records its id for the audit log and counts it
against the per-response element limit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphsvc.api.auth import Caller
from graphsvc.api.config import Limits
from graphsvc.api.downloads import Downloads
from graphsvc.errors import InvalidInput, JustificationRequired, LimitExceeded
from graphsvc.export.service import ExportFile
from graphsvc.model.graph import Entity
from graphsvc.model.schema import Schema
from graphsvc.policy.audit import AuditLog
from graphsvc.policy.scope import Scope
from graphsvc.store.protocol import GraphStore


@dataclass
class Services:
    """What the server holds for its whole life."""

    store: GraphStore
    audit: AuditLog
    limits: Limits
    require_justification: bool = False
    downloads: Downloads = field(init=False)

    def __post_init__(self) -> None:
        self.downloads = Downloads(
            self.limits.max_export_store_bytes, float(self.limits.max_export_age_seconds)
        )

    @property
    def schema(self) -> Schema:
        return self.store.schema


@dataclass
class RequestContext:
    services: Services
    caller: Caller
    scope: Scope
    justification: str | None
    operations: list[dict[str, Any]] = field(default_factory=list)
    entities: set[str] = field(default_factory=set)
    links: set[str] = field(default_factory=set)
    elements: int = 0
    downloads: list[ExportFile] = field(default_factory=list)  # published once audited
    _entity_memo: dict[str, Entity | None] = field(default_factory=dict)

    @property
    def store(self) -> GraphStore:
        return self.services.store

    @property
    def schema(self) -> Schema:
        return self.services.schema

    @property
    def limits(self) -> Limits:
        return self.services.limits

    def consult(self, name: str, arguments: dict[str, Any]) -> None:
        """Record a root operation; refuse it when a justification is required and missing."""
        self.operations.append(
            {"name": name, "arguments": {k: v for k, v in arguments.items() if v is not None}}
        )
        if self.services.require_justification and not self.justification:
            raise JustificationRequired(
                "this server requires a reason for every consultation: "
                "send it in the X-Justification header (e.g. a case or warrant reference)"
            )

    def returned_entity(self, entity_id: str) -> None:
        self.entities.add(entity_id)
        self._count()

    def disclosed(self, made: ExportFile) -> None:
        """Record an export file in the audit trail: what it is and every id it holds. An
        export is not a response page, so it does not count against ``max_elements``."""
        self.operations[-1]["arguments"].update(made.disclosure())
        self.entities.update(made.entity_ids)
        self.links.update(made.link_ids)

    def returned_link(self, link_id: str) -> None:
        self.links.add(link_id)
        self._count()

    def _count(self) -> None:
        self.elements += 1
        if self.elements > self.limits.max_elements:
            raise LimitExceeded(
                f"the response would hold more than {self.limits.max_elements} entities and "
                "links (limit max_elements): ask for fewer or smaller pages"
            )

    def entity(self, entity_id: str) -> Entity | None:
        """An entity by id in the caller's scope, fetched once per request."""
        if entity_id not in self._entity_memo:
            self._entity_memo[entity_id] = self.store.get_entity(self.scope, entity_id)
        return self._entity_memo[entity_id]

    def bounded(
        self, argument: str, value: int | None, default: int, maximum: int, limit: str
    ) -> int:
        """An argument's value: as given when within its limit (else an error naming the
        limit); when omitted, its default lowered to the limit if the operator set it lower."""
        if value is None:
            return min(default, maximum)
        self.check_limit(argument, value, maximum, limit)
        return value

    def check_limit(self, argument: str, value: int, maximum: int, limit: str) -> None:
        if value < 0:
            raise InvalidInput(f"must not be negative, got {value}", field=argument)
        if value > maximum:
            raise LimitExceeded(f"{value} is over the limit of {maximum} ({limit})", field=argument)
