"""The embedded engine: one SQLite file is the store of record, numpy/igraph views serve reads."""

from graphsvc.store.embedded.store import EmbeddedStore

__all__ = ["EmbeddedStore"]
