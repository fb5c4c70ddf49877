"""Issuing and storing tokens (RFC 6749 §5.1): opaque bearer tokens, stored only as SHA-256 hashes.

Every token of one grant shares a `grant_id` (the family); refresh rotation and revocation
act on families. Expiry is checked in code: DynamoDB's TTL deletes expired items late.
A grant's tokens are written in one transaction, together with whatever else the grant must
record at the same moment (a registration, a lockout reset).
"""

import secrets
import time
from dataclasses import dataclass

from tokenservice import config, credentials, grant_types, storage
from tokenservice.models import ClientModel, RegistrationModel, TokenModel, registration_key

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

    def body(self) -> dict:
        """The RFC 6749 §5.1 response document."""
        body = {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "scope": self.scope,
        }
        if self.refresh_token:
            body["refresh_token"] = self.refresh_token
        return body


def lifetimes(client: ClientModel, grant_type: str) -> tuple[int, int | None]:
    """(access, refresh) lifetimes in seconds for a grant: the client's own, else the service's
    defaults; no refresh token for client_credentials or a client without the refresh grant."""
    access = int(client.access_ttl or config.ACCESS_TTL.value())
    refresh = None
    if (
        grant_type != grant_types.CLIENT_CREDENTIALS
        and grant_types.REFRESH_TOKEN in client.grant_types.split()
    ):
        refresh = int(client.refresh_ttl or config.REFRESH_TTL.value())
    return access, refresh


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


# -- storing ---------------------------------------------------------------------------------------


def registration(client_id: str, username: str, now: int) -> dict:
    """The transaction item recording that a user got tokens for a client through the password
    grant ("Registered Users for Application"): created once per pair, its last time updated."""
    model = RegistrationModel
    actions = [
        model.kind.set("registration"),
        model.registered_client.set(client_id),
        model.username.set(username),
        model.first_at.set(model.first_at | now),
        model.last_at.set(now),
    ]
    return {
        "Update": storage.update_request(
            model, registration_key(client_id, username), actions, must_exist=False
        )
    }


def save(records: list[TokenModel], also: list[dict] = ()) -> None:
    """Store every token of a grant, and the transaction items in `also`, all at once (one
    TransactWriteItems)."""
    storage.transact([*({"Put": storage.put_new_request(record)} for record in records), *also])


class AlreadyUsed(Exception):
    """The refresh token was rotated or revoked meanwhile (a concurrent or replayed refresh)."""


def rotate(old: TokenModel, new: list[TokenModel]) -> None:
    """Mark a refresh token used and store its successors, atomically (one TransactWriteItems).

    The condition makes two concurrent rotations of one token yield exactly one success; the
    successors' hashes are kept on the old token so a later reuse can find and revoke them.
    """
    spent = storage.update_request(
        TokenModel,
        old.token_hash,
        [TokenModel.used.set(True), TokenModel.replaced_by.set({record.token_hash for record in new})],
        ~(TokenModel.used == True) & ~(TokenModel.revoked == True),  # noqa: E712 - a DynamoDB condition
    )
    try:
        save(new, also=[{"Update": spent}])
    except storage.ConditionFailed as error:
        raise AlreadyUsed() from error
