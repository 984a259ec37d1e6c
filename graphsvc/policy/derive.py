"""The handling of information derived from other records (an analyst's assessed link).

What is concluded from records is at least as restricted as the most restricted of them: the
highest classification, every caveat, only the readers every record is releasable to, the
strictest handling code and the earliest retention date. Otherwise an assessment would carry
a SECRET human source's conclusion to readers who may not see the source. ``derived`` computes
that floor; ``looser_than`` says where a handling an analyst chose falls below it.
"""

from __future__ import annotations

from collections.abc import Sequence

from graphsvc.model.records import Handling
from graphsvc.model.schema import HandlingPolicy


def derived(
    evidence: Sequence[Handling], policy: HandlingPolicy, originator: str, reader: str
) -> Handling:
    """The least restricted handling that is at least as restricted as every ``evidence``
    handling, originated by ``originator``. When the evidence's releasability lists have no
    reader in common, it is releasable to ``reader`` (the assessing agency) only."""
    if not evidence:
        return Handling(
            classification=policy.levels[0],
            releasable_to=(),
            caveats=(),
            code=_loosest_code(policy),
            originator=originator,
        )
    level = max((h.classification for h in evidence), key=policy.rank)
    caveats = sorted({c for h in evidence for c in h.caveats})
    lists = [set(h.releasable_to) for h in evidence if h.releasable_to]
    releasable: tuple[str, ...] = ()
    if lists:
        common = set.intersection(*lists)
        releasable = tuple(sorted(common)) if common else (reader,)
    code = _covering_code(policy, {use for h in evidence for use in _restricts(policy, h.code)})
    retention = [h.retain_until for h in evidence if h.retain_until]
    return Handling(
        classification=level,
        releasable_to=releasable,
        caveats=tuple(caveats),
        code=code,
        originator=originator,
        retain_until=min(retention) if retention else None,
    )


def looser_than(chosen: Handling, floor: Handling, policy: HandlingPolicy) -> str | None:
    """Why ``chosen`` is less restricted than ``floor`` (naming the field), or ``None``."""
    if policy.rank(chosen.classification) < policy.rank(floor.classification):
        return f"classification: the evidence is {floor.classification}"
    missing = sorted(set(floor.caveats) - set(chosen.caveats))
    if missing:
        return f"caveats: the evidence carries {', '.join(missing)}"
    if floor.releasable_to and (
        not chosen.releasable_to or not set(chosen.releasable_to) <= set(floor.releasable_to)
    ):
        return f"releasableTo: the evidence is releasable to {', '.join(floor.releasable_to)} only"
    if not _restricts(policy, chosen.code) >= _restricts(policy, floor.code):
        return f"code: the evidence is handled under {floor.code}"
    if floor.retain_until and (not chosen.retain_until or chosen.retain_until > floor.retain_until):
        return f"retainUntil: the evidence is retained until {floor.retain_until} only"
    return None


def _restricts(policy: HandlingPolicy, code: str) -> frozenset[str]:
    """The uses a code restricts; a code the policy no longer lists restricts every use."""
    spec = policy.codes.get(code)
    if spec is None:
        return frozenset(use for c in policy.codes.values() for use in c.restricts) | {code}
    return spec.restricts


def _covering_code(policy: HandlingPolicy, uses: set[str]) -> str:
    """The code restricting every use in ``uses`` and as few others as possible (the first
    in policy order among equals); the strictest code when none covers them all."""
    codes = list(policy.codes)
    covering = [c for c in codes if policy.codes[c].restricts >= uses]
    if not covering:
        return max(codes, key=lambda c: len(policy.codes[c].restricts))
    return min(covering, key=lambda c: (len(policy.codes[c].restricts), codes.index(c)))


def _loosest_code(policy: HandlingPolicy) -> str:
    return _covering_code(policy, set())
