"""Settings: where the store, principals, schema and sources are, from flags or environment.

Every setting has a flag on the ``graphsvc`` command and an environment variable; the flag
wins. Defaults suit a checkout of the repository: the store in ``data/graph.db``, its audit
log beside it (``data/graph-audit.db``) and the demo principals in ``seed/principals.yaml``.
The API's own settings (limits, JWT, justification) are in ``graphsvc/api/config.py``.
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
    audit: Path

    @classmethod
    def from_env(
        cls,
        *,
        store: str | None = None,
        principals: str | None = None,
        schema: str | None = None,
        sources: str | None = None,
        audit: str | None = None,
    ) -> Settings:
        def pick(flag: str | None, variable: str, default: str | None) -> Path | None:
            value = flag or os.environ.get(variable) or default
            return Path(value) if value else None

        store_path = pick(store, "GRAPHSVC_STORE", DEFAULT_STORE) or Path(DEFAULT_STORE)
        return cls(
            store=store_path,
            principals=pick(principals, "GRAPHSVC_PRINCIPALS", DEFAULT_PRINCIPALS)
            or Path(DEFAULT_PRINCIPALS),
            schema=pick(schema, "GRAPHSVC_SCHEMA", None),
            sources=pick(sources, "GRAPHSVC_SOURCES", None),
            audit=pick(audit, "GRAPHSVC_AUDIT", None) or default_audit(store_path),
        )


def default_audit(store: Path) -> Path:
    """A store's audit log: a file of its own beside it (``graph.db`` -> ``graph-audit.db``)."""
    return store.with_name(f"{store.stem}-audit.db")
