"""Settings: where the store, principals, schema and sources are, from flags or environment.

Every setting has a flag on the ``graphsvc`` command and an environment variable; the flag
wins. Defaults suit a checkout of the repository: the store in ``data/graph.db`` and the demo
principals in ``seed/principals.yaml``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_STORE = "data/graph.db"
DEFAULT_PRINCIPALS = "seed/principals.yaml"


@dataclass(frozen=True)
class Settings:
    store: Path
    principals: Path
    schema: Path | None
    sources: Path | None

    @classmethod
    def from_env(
        cls,
        *,
        store: str | None = None,
        principals: str | None = None,
        schema: str | None = None,
        sources: str | None = None,
    ) -> Settings:
        def pick(flag: str | None, variable: str, default: str | None) -> Path | None:
            value = flag or os.environ.get(variable) or default
            return Path(value) if value else None

        return cls(
            store=pick(store, "GRAPHSVC_STORE", DEFAULT_STORE) or Path(DEFAULT_STORE),
            principals=pick(principals, "GRAPHSVC_PRINCIPALS", DEFAULT_PRINCIPALS)
            or Path(DEFAULT_PRINCIPALS),
            schema=pick(schema, "GRAPHSVC_SCHEMA", None),
            sources=pick(sources, "GRAPHSVC_SOURCES", None),
        )
