"""Whether a token counts: its record, its user's record, and the rule that judges them.

- A token counts while its record is of the right kind, unrevoked, unused (refresh tokens) and
  unexpired (`is_active`) and, for a user's token, while its user exists, is enabled and still has
  the credential version the token was issued under (`accepts`).
- Where to find them (`token_key`): an opaque user token names its user in front
  (`credentials.new_token`); a JWT names its record by `jti` and its user by `sub` (unless `sub` is
  the client: a client_credentials token). Nothing named in a token is trusted: the record must
  match, and a JWT is verified as well.

The rules work on PynamoDB models and on the small records decoded here from raw items, so the
authorizer needs neither PynamoDB nor the model declarations (a test checks the attribute names
agree with `models`).
"""

import json
import time
from dataclasses import dataclass

from tokenservice.core import credentials

ACCESS = "access"
REFRESH = "refresh"
TOKEN_KEY = "token_hash"  # the tokens table's key
USER_KEY = "username"  # the users table's key
REGISTRY_KEY = "id"  # the registry table's key
CLIENT_KEY = "client_id"  # the clients table's key


def _text(item: dict, name: str) -> str | None:
    value = item.get(name)
    return value.get("S") if value else None


def _number(item: dict, name: str, default: float = 0) -> float:
    value = item.get(name)
    return float(value["N"]) if value and "N" in value else default


def _flag(item: dict, name: str) -> bool:
    value = item.get(name)
    return bool(value and value.get("BOOL"))


@dataclass(frozen=True)
class TokenRecord:
    token_hash: str
    kind: str
    client_id: str
    username: str | None
    scope: str
    expires_at: float
    revoked: bool
    used: bool
    credential_version: float

    @classmethod
    def from_item(cls, item: dict | None) -> "TokenRecord | None":
        if item is None:
            return None
        return cls(
            _text(item, TOKEN_KEY) or "",
            _text(item, "kind") or "",
            _text(item, "client_id") or "",
            _text(item, "username"),
            _text(item, "scope") or "",
            _number(item, "expires_at"),
            _flag(item, "revoked"),
            _flag(item, "used"),
            _number(item, "credential_version"),
        )


@dataclass(frozen=True)
class UserRecord:
    username: str
    disabled: bool
    credential_version: float

    @classmethod
    def from_item(cls, item: dict | None) -> "UserRecord | None":
        if item is None:
            return None
        return cls(_text(item, USER_KEY) or "", _flag(item, "disabled"), _number(item, "credential_version"))


def api_rules_text(item: dict | None) -> str:
    """The encoded rules of an API's registry item (`rules.decode`); none when it is not registered."""
    return (_text(item, "rules") or "[]") if item else "[]"


REQUIRED, SUBSCRIBED = "required", "subscribed"


def api_subscriptions(item: dict | None) -> str | None:
    """What an API's registry item says of subscriptions: REQUIRED (only subscribed applications),
    SUBSCRIBED (some application subscribed to it: their tiers apply), or None."""
    if not item:
        return None
    if _text(item, "subscriptions") == REQUIRED:
        return REQUIRED
    return SUBSCRIBED if _flag(item, "subscribed") else None


def subscriptions(stored: str | None) -> dict[str, dict]:
    """A client's subscriptions (`ClientModel.subscriptions`, JSON): API id → {"tier", "key",
    "key_id", "created_at"}; none where it holds none (or nothing readable)."""
    if not stored:
        return {}
    try:
        found = json.loads(stored)
    except ValueError:
        return {}
    return (
        {api: entry for api, entry in found.items() if isinstance(entry, dict)}
        if isinstance(found, dict)
        else {}
    )


@dataclass(frozen=True)
class ClientRecord:
    """What the authorizer needs of a client: whether it is an application's, its subscriptions
    (`ClientModel.subscriptions`, JSON), and whether it is suspended (its owner is disabled)."""

    client_id: str
    application_id: str | None
    subscriptions: str | None
    suspended: bool = False

    @classmethod
    def from_item(cls, item: dict | None) -> "ClientRecord | None":
        if item is None:
            return None
        return cls(
            _text(item, CLIENT_KEY) or "",
            _text(item, "application_id"),
            _text(item, "subscriptions"),
            _flag(item, "suspended"),
        )


def signing_fields(item: dict | None) -> tuple[str, str, str | None, str, int] | None:
    """The signing settings item's fields, in `keyset.Settings.of`'s order: issuer, KMS key id, KMS
    endpoint, keys (JSON), version; None when there is none."""
    if item is None:
        return None
    return (
        _text(item, "issuer") or "",
        _text(item, "kms_key_id") or "",
        _text(item, "kms_endpoint"),
        _text(item, "keys") or "[]",
        int(_number(item, "version")),
    )


def is_active(record, kind: str, now: float | None = None) -> bool:
    """An unrevoked, unexpired (and, for refresh tokens, unused) token of the given kind."""
    if record is None or record.kind != kind or record.revoked or record.used:
        return False
    return record.expires_at > (time.time() if now is None else now)


def accepts(user, record) -> bool:
    """Whether a token still counts as far as its user is concerned (a client's own token always)."""
    if record.username is None:
        return True
    return (
        user is not None
        and user.username == record.username
        and not user.disabled
        and int(user.credential_version or 0) == int(record.credential_version or 0)
    )


def token_key(token: str) -> tuple[str | None, str | None]:
    """(the key of the token's record, the username it names): what to read to check a token."""
    if credentials.looks_like_jwt(token):
        claims = credentials.unverified_claims(token)
        jti, sub = str(claims.get("jti") or ""), claims.get("sub")
        user = sub if isinstance(sub, str) and sub and sub != claims.get("client_id") else None
        return (credentials.jwt_record_key(jti) if jti else None), user
    return credentials.digest(token), credentials.token_username(token)


def needs_its_user_read_apart(record, token: str) -> bool:
    """A user's opaque token from before tokens named their user: its user must be read on its own."""
    named = credentials.looks_like_jwt(token) or credentials.token_username(token) is not None
    return record is not None and record.username is not None and not named
