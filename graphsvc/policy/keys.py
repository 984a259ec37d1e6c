"""API keys: bearer tokens issued to principals, of which only a salted hash is ever stored.

A token reads ``gsk_<key id>_<secret>``. The key id is public (it names the key in the
principals file and in the audit log, so a key can be found and revoked); the secret is 256
random bits, shown once when the key is made. The principals file keeps
``sha256$<salt>$<digest>`` of the whole token. A fast hash is the right tool here: the
secret is random and as long as a hash, so there is nothing for a slow password hash to
protect against (the same reasoning GitHub applies to its tokens), and every request pays
for the check.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

PREFIX = "gsk_"
_KEY_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,62}$")
_HASH = re.compile(r"^sha256\$[0-9a-f]{32}\$[0-9a-f]{64}$")


class ApiKey(BaseModel):
    """One key of a principal, as the principals file stores it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=_KEY_ID.pattern)
    hash: str = Field(pattern=_HASH.pattern)
    created: str | None = None

    def matches(self, token: str) -> bool:
        _, salt, digest = self.hash.split("$")
        return hmac.compare_digest(_digest(salt, token), digest)


def new_key(key_id: str | None = None) -> tuple[ApiKey, str]:
    """A fresh key and its token (the token is not kept anywhere)."""
    key_id = key_id or secrets.token_hex(6)
    if not _KEY_ID.match(key_id):
        raise ValueError(f"a key id is 3-63 lowercase letters, digits or '-', not {key_id!r}")
    token = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    return key_for(token), token


def key_for(token: str, created: str | None = None, salt: str | None = None) -> ApiKey:
    """The stored form of a given token (used for the seed case's published demo tokens)."""
    key_id = key_id_of(token)
    if key_id is None:
        raise ValueError(f"a token reads {PREFIX}<key id>_<secret>")
    salt = salt or secrets.token_hex(16)
    return ApiKey(
        id=key_id,
        hash=f"sha256${salt}${_digest(salt, token)}",
        created=created or datetime.now(UTC).replace(microsecond=0).isoformat(),
    )


def key_id_of(token: str) -> str | None:
    """The key id a token claims, or None when it is not shaped like an API key."""
    if not token.startswith(PREFIX):
        return None
    key_id, sep, secret = token[len(PREFIX) :].partition("_")
    if not sep or not secret or not _KEY_ID.match(key_id):
        return None
    return key_id


def looks_like_key(token: str) -> bool:
    return token.startswith(PREFIX)


def _digest(salt: str, token: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + token.encode("utf-8")).hexdigest()
