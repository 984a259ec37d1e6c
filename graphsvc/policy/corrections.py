"""Who may correct entity resolution (merge, split, undo), and whose corrections one may read.

Analysts and supervisors correct; auditors read but never correct. A correction is readable by
the principal who made it, by supervisors and by auditors; undoing it takes both (so an
analyst undoes their own corrections, a supervisor anyone's). What of a correction a reader
sees (which records and links it moved) is the store's business: the handling of each.
"""

from __future__ import annotations

from graphsvc.errors import Forbidden
from graphsvc.policy.principals import Principal

CORRECTING_ROLES = frozenset({"analyst", "supervisor"})
OVERSEEING_ROLES = frozenset({"supervisor", "auditor"})


def check_may_correct(principal: Principal) -> None:
    """``Forbidden`` unless the principal may merge, split and undo."""
    if not principal.roles & CORRECTING_ROLES:
        raise Forbidden("correcting entity resolution is open to analysts and supervisors")


def author_filter(principal: Principal) -> str | None:
    """Whose corrections the principal may read: everyone's (None) for supervisors and
    auditors, else their own."""
    return None if principal.roles & OVERSEEING_ROLES else principal.id


def may_read(principal: Principal, author: str) -> bool:
    """Whether the principal may read (and, with a correcting role, undo) a correction made by
    ``author``."""
    return author_filter(principal) in (None, author)
