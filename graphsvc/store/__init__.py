"""Storage: the ``GraphStore`` protocol, the scoped view and the backends that implement them."""

from graphsvc.store.protocol import OPEN, GraphStore, LinkFilter, Rejection, Unit
from graphsvc.store.view import ScopedView

__all__ = ["OPEN", "GraphStore", "LinkFilter", "Rejection", "ScopedView", "Unit"]
