"""The API's configuration: limits, JWT verification and the justification rule, from the
environment (``graphsvc serve`` flags override the ones they name).

Every limit is a ``GRAPHSVC_MAX_*`` variable; the README lists them with their defaults. A
request over a limit gets a ``LIMIT_EXCEEDED`` error naming it, never a slow answer.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

from graphsvc.errors import InvalidConfig
from graphsvc.export.select import ExportLimits
from graphsvc.query.plan import QueryLimits

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Limits:
    """Maxima per request. The environment variable of each is ``GRAPHSVC_`` + its name."""

    max_hops: int = 6
    """hops of ``expand`` and ``maxHops`` of ``paths``"""
    max_nodes: int = 5_000
    """entities of one ``expand`` answer (its ``limit``)"""
    max_links: int = 20_000
    """links of one ``expand`` or ``subgraph`` answer"""
    max_ids: int = 1_000
    """entity ids given to one operation"""
    max_paths: int = 100
    """paths of one ``paths`` answer"""
    max_search: int = 200
    """hits of one ``search``"""
    max_page: int = 500
    """items of one page (``first``)"""
    max_elements: int = 100_000
    """entities and links in one response, however they are nested"""
    max_depth: int = 12
    """nesting depth of a query (introspection fields are not counted)"""
    max_aliases: int = 20
    """aliases in one request"""
    max_root_fields: int = 20
    """top-level operations in one request"""
    max_body: int = 1_000_000
    """bytes of a request body"""
    max_query_seconds: int = 30
    """seconds one DSL query may run (``runQuery``, ``runSavedQuery``)"""
    max_export_elements: int = 250_000
    """entities and links in one export file"""
    max_inline_export_bytes: int = 4_000_000
    """bytes of an export returned inline in the GraphQL answer (larger: a download URL)"""
    max_export_age_seconds: int = 600
    """seconds an export stays downloadable at ``GET /exports/{id}``"""
    max_export_store_bytes: int = 268_435_456
    """bytes of exports kept for download at once (the oldest go first)"""

    def query_limits(self) -> QueryLimits:
        """The limits as they apply inside a DSL query."""
        return QueryLimits(
            max_hops=self.max_hops,
            max_nodes=self.max_nodes,
            max_links=self.max_links,
            max_paths=self.max_paths,
            max_page=self.max_page,
            max_ids=self.max_ids,
            max_seconds=float(self.max_query_seconds),
        )

    def export_limits(self) -> ExportLimits:
        """The limits of one export: a query inside it may return up to the export's size."""
        inner = replace(
            self.query_limits(),
            max_nodes=self.max_export_elements,
            max_links=self.max_export_elements,
        )
        return ExportLimits(max_elements=self.max_export_elements, query=inner)

    @classmethod
    def from_env(cls) -> Limits:
        values: dict[str, int] = {}
        for spec in fields(cls):
            variable = f"GRAPHSVC_{spec.name.upper()}"
            raw = os.environ.get(variable)
            if raw is None or raw.strip() == "":
                continue
            try:
                value = int(raw.replace("_", ""))
            except ValueError:
                raise InvalidConfig(f"{variable} must be a whole number, got {raw!r}") from None
            if value < 1:
                raise InvalidConfig(f"{variable} must be at least 1, got {value}")
            values[spec.name] = value
        return cls(**values)


@dataclass(frozen=True)
class JwtConfig:
    """How JWT bearer tokens are verified. The algorithm is pinned by the key given: HS256 with
    a shared secret, RS256 with a PEM public key; tokens signed otherwise are refused."""

    key: str
    algorithm: str
    audience: str
    issuer: str | None = None
    leeway: int = 30

    @classmethod
    def from_env(cls) -> JwtConfig | None:
        secret = os.environ.get("GRAPHSVC_JWT_SECRET") or None
        public_key = os.environ.get("GRAPHSVC_JWT_PUBLIC_KEY") or None
        if secret is None and public_key is None:
            return None
        if secret is not None and public_key is not None:
            raise InvalidConfig(
                "set GRAPHSVC_JWT_SECRET (HS256) or GRAPHSVC_JWT_PUBLIC_KEY (RS256), not both"
            )
        audience = os.environ.get("GRAPHSVC_JWT_AUDIENCE")
        if not audience:
            raise InvalidConfig("GRAPHSVC_JWT_AUDIENCE is required when JWT tokens are enabled")
        if secret is not None:
            if len(secret.encode()) < 32:
                raise InvalidConfig("GRAPHSVC_JWT_SECRET must be at least 32 bytes")
            key, algorithm = secret, "HS256"
        else:
            assert public_key is not None
            key, algorithm = _pem(public_key), "RS256"
        leeway = os.environ.get("GRAPHSVC_JWT_LEEWAY", "30")
        if not leeway.isdigit():
            raise InvalidConfig(f"GRAPHSVC_JWT_LEEWAY must be seconds, got {leeway!r}")
        return cls(
            key=key,
            algorithm=algorithm,
            audience=audience,
            issuer=os.environ.get("GRAPHSVC_JWT_ISSUER") or None,
            leeway=int(leeway),
        )


@dataclass(frozen=True)
class ApiConfig:
    limits: Limits = Limits()
    jwt: JwtConfig | None = None
    require_justification: bool = False

    @classmethod
    def from_env(cls) -> ApiConfig:
        raw = os.environ.get("GRAPHSVC_REQUIRE_JUSTIFICATION", "").strip().lower()
        if raw not in _TRUE | _FALSE:
            raise InvalidConfig(
                f"GRAPHSVC_REQUIRE_JUSTIFICATION must be true or false, got {raw!r}"
            )
        return cls(
            limits=Limits.from_env(), jwt=JwtConfig.from_env(), require_justification=raw in _TRUE
        )


def _pem(value: str) -> str:
    """A PEM given inline or as the path of a file."""
    if value.lstrip().startswith("-----BEGIN"):
        return value
    try:
        return Path(value).read_text(encoding="ascii")
    except OSError as exc:
        raise InvalidConfig(f"GRAPHSVC_JWT_PUBLIC_KEY: cannot read {value}: {exc}") from None
