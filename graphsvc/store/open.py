"""Opening the store the settings choose: the embedded SQLite file or a Neo4j database.

Commands and the server open their store here rather than naming a backend, so every one of
them works the same on both. The Neo4j backend (and its driver) is imported only when it is
chosen. ``store_at`` opens a store named by an address instead: a Neo4j URI or an embedded
store file path (``graphsvc migrate --to``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from graphsvc.config import Neo4jSettings, Settings
from graphsvc.model.schema import Schema
from graphsvc.store.embedded import EmbeddedStore
from graphsvc.store.protocol import GraphStore

if TYPE_CHECKING:
    from graphsvc.store.neo4j import Neo4jStore


def open_store(settings: Settings, schema: Schema, *, create: bool) -> GraphStore:
    """The store of ``settings``; ``create`` lays out a new embedded file where there is none
    (a Neo4j database is never created here: ``graphsvc db init`` prepares one)."""
    if settings.backend == "neo4j":
        return open_neo4j(settings.neo4j or Neo4jSettings.from_env(), schema)
    return EmbeddedStore(settings.store, schema, create=create)


def open_neo4j(settings: Neo4jSettings, schema: Schema) -> Neo4jStore:
    """A ``Neo4jStore``; ``BackendUnavailable`` naming the URI when it cannot be reached."""
    from graphsvc.store.neo4j import Neo4jStore

    return Neo4jStore(settings, schema)


def store_at(address: str, schema: Schema, *, create: bool) -> GraphStore:
    """The store at ``address``: a Neo4j URI (``neo4j://``, ``bolt+s://``...; credentials and
    database from ``NEO4J_USER``, ``NEO4J_PASSWORD``, ``NEO4J_DATABASE``) or an embedded store
    file path. Any other ``scheme://`` is an error, not a file name."""
    if "://" in address:
        return open_neo4j(Neo4jSettings.from_env(uri=address), schema)
    return EmbeddedStore(Path(address), schema, create=create)


def address_name(address: str) -> str:
    """The store at ``address`` as people should read it (a Neo4j address with its database)."""
    if "://" in address:
        return Neo4jSettings.from_env(uri=address).name
    return address
