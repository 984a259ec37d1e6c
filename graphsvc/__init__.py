"""graphsvc: a link-analysis server whose every edge carries provenance, grading and handling.

Layers, lowest first: ``model`` (types and schema), ``policy`` (who may see what), ``store``
(embedded SQLite + igraph, later Neo4j), ``ingest`` (sources into the store), then the query,
analytics, export and API layers built on scoped reads.
"""

__version__ = "0.1.0"
