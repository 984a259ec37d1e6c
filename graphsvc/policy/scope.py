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


@dataclass(frozen=True)
class ReadersScope(Scope):
    """What *every* principal who may see records marked ``handling`` may see too.

    Extraction resolves a name read in a document to an entity the graph already holds, and
    links the two (the document's mentions, a ``POSSIBLY_SAME_AS`` candidate). Those links carry
    the document's handling, so whoever reads the document reads them, and with them the
    entity's id. A record may therefore stand behind such a link only when every reader of the
    document may see it anyway, today and for as long as they may see the document; this scope
    accepts exactly those records. For a record ``r`` and the document's handling ``d``:

    - ``r``'s classification is at or below ``d``'s, and ``r``'s caveats are among ``d``'s
      (a reader holds at least ``d``'s clearance and caveats, perhaps no more);
    - releasability: if ``d`` is releasable to everyone, ``r`` must be too; otherwise ``r`` is
      releasable to everyone or to every code ``d`` is releasable to. Staff of the originating
      agency see ``d`` whatever it says, from any country: ``r`` must then be the same
      agency's, releasable to everyone, or releasable to that agency by name;
    - retention: ``r`` has no ``retainUntil``; or it is the same agency's (whose staff ignore
      retention) and keeps at least as long as ``d``. Another agency's record with a
      ``retainUntil`` would vanish for the originator's staff, who see ``d`` for ever.

    The synthetic principal is the document's originator at ``d``'s level, in ``country`` (the
    stores use it only to read a selector typed into a search); ``allows`` does not consult it.
    """

    handling: Handling

    @classmethod
    def of_readers(
        cls,
        handling: Handling,
        policy: HandlingPolicy,
        country: str | None = None,
        today: date | None = None,
    ) -> ReadersScope:
        principal = Principal(
            id=f"readers-of:{handling.originator}",
            agency=handling.originator,
            country=(country or "XK").upper(),  # XK: any valid code; the rule never reads it
            clearance=handling.classification,
            caveats=frozenset(handling.caveats),
            roles=frozenset({"analyst"}),
        )
        principal.check(policy)
        return cls(
            principal=principal,
            policy=policy,
            today=today or datetime.now(UTC).date(),
            handling=handling,
        )

    def allows(self, handling: Handling) -> bool:
        read, levels = self.handling, self.policy.levels
        if handling.classification not in levels or read.classification not in levels:
            return False
        if levels.index(handling.classification) > levels.index(read.classification):
            return False
        if not set(handling.caveats) <= set(read.caveats):
            return False
        same_agency = handling.originator == read.originator
        if handling.retain_until is not None and (
            not same_agency
            or handling.retain_until < self.today.isoformat()
            or read.retain_until is None
            or handling.retain_until < read.retain_until
        ):
            return False
        released = set(handling.releasable_to)
        if not released:
            return True
        if not same_agency and read.originator not in released:
            return False
        return bool(read.releasable_to) and set(read.releasable_to) <= released

    @property
    def key(self) -> tuple[object, ...]:
        return ("readers", self.handling, self.principal.country, self.today.isoformat())
