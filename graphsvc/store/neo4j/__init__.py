"""The Neo4j backend: the ``GraphStore`` on Neo4j 5 with the Cypher of ``cypher/``."""

from graphsvc.store.neo4j.store import Neo4jStore

__all__ = ["Neo4jStore"]
