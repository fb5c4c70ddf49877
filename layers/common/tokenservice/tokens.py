"""Issuing tokens (RFC 6749 §5.1): opaque bearer tokens, stored only as SHA-256 hashes.

Every token of one grant shares a `grant_id` (the family); refresh rotation and revocation
act on families. Expiry is checked in code: DynamoDB's TTL deletes expired items late.
"""

import secrets
import time
from dataclasses import dataclass

from tokenservice import credentials
from tokenservice.models import TokenModel

ACCESS = "access"
REFRESH = "refresh"


@dataclass(frozen=True)
class IssuedTokens:
    """What a successful grant returns: the plaintext tokens (shown once) and their records."""

    access_token: str
    expires_in: int
    scope: str
    records: list[TokenModel]
    refresh_token: str | None = None

    def response(self) -> dict:
        body = {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "scope": self.scope,
        }
        if self.refresh_token:
            body["refresh_token"] = self.refresh_token
        return body


def _record(token: str, kind: str, ttl: int, now: int, **fields) -> TokenModel:
    return TokenModel(
        token_hash=credentials.digest(token), kind=kind, issued_at=now, expires_at=now + ttl, **fields
    )


def issue(
    *,
    client_id: str,
    username: str | None,
    scope: str,
    grant_type: str,
    access_ttl: int,
    refresh_ttl: int | None,
    grant_id: str | None = None,
) -> IssuedTokens:
    """A new access token (and a refresh token when `refresh_ttl` is given) for one grant."""
    now = int(time.time())
    fields = {
        "client_id": client_id,
        "username": username,
        "scope": scope,
        "grant_type": grant_type,
        "grant_id": grant_id or secrets.token_hex(16),
    }
    access_token = credentials.new_token()
    records = [_record(access_token, ACCESS, access_ttl, now, **fields)]
    refresh_token = None
    if refresh_ttl:
        refresh_token = credentials.new_token()
        records.append(_record(refresh_token, REFRESH, refresh_ttl, now, **fields))
    return IssuedTokens(access_token, access_ttl, scope, records, refresh_token)


def is_active(record: TokenModel | None, kind: str, now: float | None = None) -> bool:
    """True for an unrevoked, unexpired (and, for refresh tokens, unused) token of the given kind."""
    if record is None or record.kind != kind or record.revoked or record.used:
        return False
    return record.expires_at > (time.time() if now is None else now)
