"""Who may see what: principals, the visibility rule and the scope every read carries."""

from graphsvc.policy.principals import Principal, Principals
from graphsvc.policy.scope import Scope

__all__ = ["Principal", "Principals", "Scope"]
