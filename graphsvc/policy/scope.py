"""The visibility rule and the ``Scope`` that carries it into every read.

A record is visible to a principal when its classification is at or below the principal's
clearance, the principal holds every caveat it carries, it is releasable to the principal's
country or agency (an empty ``releasableTo`` means every cleared user), and it is not past its
``retainUntil`` date. The originating agency always sees its own records: for a principal of
the originating agency, releasability and retention do not apply. Clearance and caveats are
the person's, not the agency's, and always apply: an agency's clerk cleared RESTRICTED does not
read the agency's SECRET human-source reporting.

This module is the only place the rule is written. Stores never filter on handling fields
themselves: they ask ``Scope.allows`` about each distinct handling they hold and restrict
their queries to the handlings it accepts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from graphsvc.model.records import Handling
from graphsvc.model.schema import HandlingPolicy
from graphsvc.policy.principals import Principal


@dataclass(frozen=True)
class Scope:
    """What one principal may see, on one day."""

    principal: Principal
    policy: HandlingPolicy = field(repr=False)
    today: date

    @classmethod
    def of(cls, principal: Principal, policy: HandlingPolicy, today: date | None = None) -> Scope:
        principal.check(policy)
        return cls(principal=principal, policy=policy, today=today or datetime.now(UTC).date())

    def allows(self, handling: Handling) -> bool:
        """The visibility rule. Fails closed: a record whose classification the policy no
        longer lists (a level withdrawn from ``schema/handling.yaml``) is visible to no one."""
        principal = self.principal
        levels = self.policy.levels
        if handling.classification not in levels:
            return False
        if levels.index(handling.classification) > levels.index(principal.clearance):
            return False
        if not principal.caveats.issuperset(handling.caveats):
            return False
        if handling.originator == principal.agency:
            return True
        if (
            handling.releasable_to
            and principal.country not in handling.releasable_to
            and principal.agency not in handling.releasable_to
        ):
            return False
        return not (handling.retain_until and handling.retain_until < self.today.isoformat())

    @property
    def key(self) -> tuple[object, ...]:
        """Equal for scopes that see exactly the same records (used to share cached views)."""
        p = self.principal
        return (
            p.agency,
            p.country,
            self.policy.rank(p.clearance),
            tuple(sorted(p.caveats)),
            self.today.isoformat(),
        )
