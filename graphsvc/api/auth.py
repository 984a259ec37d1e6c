"""Authentication: turn an ``Authorization: Bearer`` header into the calling principal.

Two kinds of token are accepted. API keys (``gsk_...``, see ``graphsvc/policy/keys.py``) are
checked against the salted hashes in the principals file, which is re-read when it changes,
so keys added or revoked with ``graphsvc principals`` take effect without a restart. JWTs,
when configured, are verified with PyJWT: signature with the one pinned algorithm, ``exp``
and ``aud`` required, ``iss`` when configured; their claims (``sub``, ``name``, ``agency``,
``country``, ``clearance``, ``caveats``, ``roles``) become the principal and are checked
against the handling policy like any principal file entry.

The principal is the only input to the caller's scope: no argument of any operation can
change who the caller is or what they may see.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from pydantic import ValidationError

from graphsvc.api.config import JwtConfig
from graphsvc.errors import GraphsvcError, InvalidConfig, Unauthenticated, first_problem
from graphsvc.model.schema import HandlingPolicy
from graphsvc.policy.keys import looks_like_key
from graphsvc.policy.principals import Principal, Principals

log = logging.getLogger("graphsvc.api")


@dataclass(frozen=True)
class Caller:
    """An authenticated principal and how it proved who it is (``api-key:<id>``, ``jwt``)."""

    principal: Principal
    auth: str


class Authenticator:
    def __init__(
        self, principals_path: Path, policy: HandlingPolicy, jwt_config: JwtConfig | None = None
    ) -> None:
        self.principals_path = principals_path
        self.policy = policy
        self.jwt = jwt_config
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._principals = Principals([], principals_path)
        self._reload(initial=True)

    @property
    def principals(self) -> Principals:
        self._reload()
        return self._principals

    def authenticate(self, header: str | None) -> Caller:
        if not header:
            raise Unauthenticated("no Authorization header: send 'Authorization: Bearer <token>'")
        scheme, _, token = header.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("the Authorization header must read 'Bearer <token>'")
        if looks_like_key(token):
            found = self.principals.by_token(token)
            if found is None:
                raise Unauthenticated("unknown or revoked API key")
            principal, key = found
            return Caller(principal, f"api-key:{key.id}")
        if self.jwt is None:
            raise Unauthenticated("not an API key, and JWT tokens are not enabled on this server")
        return Caller(self._from_jwt(token, self.jwt), "jwt")

    def _from_jwt(self, token: str, config: JwtConfig) -> Principal:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                config.key,
                algorithms=[config.algorithm],
                audience=config.audience,
                issuer=config.issuer,
                leeway=config.leeway,
                options={"require": ["exp", "aud", "sub"] + (["iss"] if config.issuer else [])},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the token has expired") from None
        except jwt.InvalidAudienceError:
            raise Unauthenticated("the token is not meant for this server (aud)") from None
        except jwt.InvalidIssuerError:
            raise Unauthenticated("the token's issuer is not trusted (iss)") from None
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthenticated(f"the token has no {exc.claim!r} claim") from None
        except jwt.InvalidAlgorithmError:
            raise Unauthenticated(f"the token must be signed with {config.algorithm}") from None
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated(f"invalid token: {exc}") from None
        try:
            principal = Principal.model_validate(
                {
                    "id": claims["sub"],
                    "name": claims.get("name"),
                    "agency": claims.get("agency"),
                    "country": claims.get("country"),
                    "clearance": claims.get("clearance"),
                    "caveats": claims.get("caveats") or [],
                    "roles": claims.get("roles") or ["analyst"],
                }
            )
            principal.check(self.policy)
        except ValidationError as exc:
            where, message = first_problem(exc)
            raise Unauthenticated(f"token claim {where!r}: {message}") from None
        except GraphsvcError as exc:
            raise Unauthenticated(f"token claims: {exc.message}") from None
        return principal

    def _reload(self, initial: bool = False) -> None:
        """Re-read the principals file when it changed; keep the last good one if it broke."""
        try:
            info = os.stat(self.principals_path)
        except FileNotFoundError:
            if initial:
                raise InvalidConfig(
                    "principals file not found", file=str(self.principals_path)
                ) from None
            return
        stamp = (info.st_mtime_ns, info.st_size)
        if stamp == self._stamp:
            return
        with self._lock:
            if stamp == self._stamp:
                return
            try:
                self._principals = Principals.load(self.principals_path, self.policy)
            except GraphsvcError as exc:
                if initial:
                    raise
                log.error("principals file not reloaded, keeping the previous one: %s", exc)
            self._stamp = stamp
