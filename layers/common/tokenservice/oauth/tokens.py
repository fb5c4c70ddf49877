"""Issuing and storing tokens (RFC 6749 §5.1): opaque bearer tokens, stored only as SHA-256 hashes.

Every token of one grant shares a `grant_id` (the family); refresh rotation and revocation
act on families. Expiry is checked in code: DynamoDB's TTL deletes expired items late.
A grant's tokens are written in one transaction, together with whatever else the grant must
record at the same moment (a registration, a lockout reset).
"""

import secrets
import time
from dataclasses import dataclass

from pynamodb.models import Model

from tokenservice.core import config, credentials, grant_types
from tokenservice.store import records, storage
from tokenservice.store.models import ClientModel, RegistrationModel, TokenModel, UserModel, registration_key

ACCESS = records.ACCESS
REFRESH = records.REFRESH


@dataclass(frozen=True)
class IssuedTokens:
    """What a successful grant returns: the plaintext tokens (shown once) and their records."""

    access_token: str
    expires_in: int
    scope: str
    records: list[TokenModel]
    refresh_token: str | None = None
    id_token: str | None = None  # OpenID Connect Core §3.1.3.3, when openid was granted

    def body(self) -> dict:
        """The RFC 6749 §5.1 response document (and OpenID Connect's `id_token`)."""
        body = {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "scope": self.scope,
        }
        if self.refresh_token:
            body["refresh_token"] = self.refresh_token
        if self.id_token:
            body["id_token"] = self.id_token
        return body


def access_format(client: ClientModel) -> str:
    """The client's access-token format, else the service's (ACCESS_TOKEN_FORMAT)."""
    return client.token_format or config.ACCESS_TOKEN_FORMAT.value()


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


def _record(token_hash: str, kind: str, expires_at: int, now: int, **fields) -> TokenModel:
    return TokenModel(token_hash=token_hash, kind=kind, issued_at=now, expires_at=expires_at, **fields)


def issue(
    *,
    client_id: str,
    username: str | None,
    scope: str,
    grant_type: str,
    access_ttl: int,
    refresh_ttl: int | None,
    grant_id: str | None = None,
    refresh_scope: str | None = None,
    auth_time: int | None = None,
    credential_version: int = 0,
    access_format: str = "opaque",
    audience: str | None = None,
) -> IssuedTokens:
    """A new access token (and a refresh token when `refresh_ttl` is given) for one grant.

    The refresh token carries `refresh_scope` (default: `scope`): after a refresh that narrows the
    access token's scope, the refresh token keeps the original one (RFC 6749 §6). It never
    outlives the family's session: MAX_SESSION_SECONDS after `auth_time`. A `jwt` access token
    (RFC 9068) is recorded under its `jti`, so it can be introspected and revoked as an opaque one.
    """
    now = int(time.time())
    auth_time = now if auth_time is None else int(auth_time)
    fields = {
        "client_id": client_id,
        "username": username,
        "grant_type": grant_type,
        "grant_id": grant_id or secrets.token_hex(16),
        "auth_time": auth_time,
        "credential_version": credential_version,
    }
    if access_format == "jwt":
        access_token, access_hash = _jwt(fields, scope, now, now + access_ttl, audience)
    else:
        access_token = credentials.new_token(username)
        access_hash = credentials.digest(access_token)
    records = [_record(access_hash, ACCESS, now + access_ttl, now, scope=scope, **fields)]
    refresh_token = None
    if refresh_ttl:
        refresh_token = credentials.new_token(username)
        expires_at = min(now + refresh_ttl, session_end(auth_time))
        refresh_hash = credentials.digest(refresh_token)
        records.append(
            _record(refresh_hash, REFRESH, expires_at, now, scope=refresh_scope or scope, **fields)
        )
    return IssuedTokens(access_token, access_ttl, scope, records, refresh_token)


def _jwt(fields: dict, scope: str, now: int, expires_at: int, audience: str | None) -> tuple[str, str]:
    """A signed RFC 9068 access token and the key of its record."""
    from tokenservice.jose import jwt_tokens, signing  # JWT only: kept off the opaque path's imports

    kid, settings, key = signing.signer(now)
    jti = secrets.token_urlsafe(18)
    claims = {
        "iss": settings.issuer,
        "sub": fields["username"] or fields["client_id"],
        "aud": audience or settings.issuer,
        "client_id": fields["client_id"],
        "scope": scope,
        "iat": now,
        "exp": expires_at,
        "jti": jti,
    }
    if fields["username"]:
        claims["auth_time"] = fields["auth_time"]
    return jwt_tokens.mint(kid, key, claims), credentials.jwt_record_key(jti)


def session_end(auth_time: float) -> int:
    """When a family that started at `auth_time` can no longer be refreshed."""
    return int(auth_time) + config.MAX_SESSION_SECONDS.value()


def lookup_keys(token: str) -> list[tuple[type[Model], str | None]]:
    """What to read to check a token: its record, and the user it names (`records.token_key`)."""
    record_key, username = records.token_key(token)
    return [(TokenModel, record_key), (UserModel, username)]


def user_of(record: TokenModel | None, user: UserModel | None, token: str) -> UserModel | None:
    """The user of a token, as read with it by `lookup_keys`; an opaque token from before tokens
    named their user has its user read now (one more round trip, for such tokens only)."""
    if records.needs_its_user_read_apart(record, token):
        return storage.get(UserModel, record.username)
    return user


# -- storing ---------------------------------------------------------------------------------------

# A (client, user) registration's last use is written at most this often: not on every grant.
REGISTRATION_REFRESH_SECONDS = 3600


def registration(client_id: str, username: str, now: int, existing: RegistrationModel | None) -> dict | None:
    """The transaction item recording that a user got tokens for a client through the password
    grant ("Registered Users for Application"), or None when nothing needs writing: created once
    per pair (conditionally, so two first logins cannot both count), its last use updated at most
    once an hour, so concurrent logins do not all write one item."""
    model = RegistrationModel
    key = registration_key(client_id, username)
    if existing is None:
        record = model(key, registered_client=client_id, username=username, first_at=now, last_at=now)
        return {"Put": storage.put_new_request(record)}
    if now - int(existing.last_at) < REGISTRATION_REFRESH_SECONDS:
        return None
    return {"Update": storage.update_request(model, key, [model.last_at.set(now)])}


class NotSaved(Exception):
    """A condition of the grant's write failed, and nothing was written."""


class UserChanged(NotSaved):
    """The user was disabled, changed password or roles, or got locked since they were read."""


class ClientChanged(NotSaved):
    """An application's client was deleted, re-keyed, suspended or narrowed since it was read, or
    its owner is disabled or gone."""


class RegistrationWritten(NotSaved):
    """A concurrent first sign-in recorded the (client, user) registration meanwhile."""


class AlreadyUsed(NotSaved):
    """The refresh token was rotated or revoked meanwhile (a concurrent or replayed refresh)."""


# A failed condition of each named item of a grant's write, in the order they are judged.
_FAILURES: tuple[tuple[str, type[NotSaved]], ...] = (
    ("spent", AlreadyUsed),
    ("user", UserChanged),
    ("client", ClientChanged),
    ("owner", ClientChanged),
    ("registration", RegistrationWritten),
)


def save(
    records: list[TokenModel],
    *,
    user: dict | None = None,
    client: dict | None = None,
    owner: dict | None = None,
    registration: dict | None = None,
    spent: dict | list[dict] | None = None,
) -> None:
    """Store every token of a grant, all at once (one TransactWriteItems), with the grant's other
    items, each named for what its failure means: `user` (`accounts.guard`: the user as read),
    `client` (`client_auth.unchanged`: an application's client as read), `owner`
    (`client_auth.owner_enabled`: an application's owner enabled), `registration` (the
    (client, user) registration), `spent` (the refresh token a rotation spends; a retry's items).

    When a retried attempt finds its own tokens already there, the first attempt committed and
    only its response was lost: that is a success. Otherwise a failed item raises its exception
    (AlreadyUsed, UserChanged, ClientChanged, RegistrationWritten; NotSaved for a token's own).
    """
    given = {"spent": spent, "user": user, "client": client, "owner": owner, "registration": registration}
    items = [{"Put": storage.put_new_request(record)} for record in records]
    named: dict[int, str] = {}
    for name, _ in _FAILURES:
        for item in [given[name]] if isinstance(given[name], dict) else given[name] or ():
            named[len(items)] = name
            items.append(item)
    try:
        storage.transact(items)
    except storage.ConditionFailed as failed:
        if storage.get(TokenModel, records[0].token_hash) is not None:
            return  # 256 random bits: nobody else can have written this token
        failing = {named[index] for index in failed.items if index in named}
        for name, failure in _FAILURES:
            if name in failing:
                raise failure() from failed
        raise NotSaved() from failed


def rotate(
    old: TokenModel,
    new: list[TokenModel],
    *,
    user: dict | None = None,
    client: dict | None = None,
    owner: dict | None = None,
) -> None:
    """Mark a refresh token used and store its successors, atomically (one TransactWriteItems),
    on the conditions `user`, `client` and `owner` (as `save`).

    The condition on the old token makes two concurrent rotations of one token yield exactly one
    success (the other: AlreadyUsed); the successors' hashes are kept on the old token so a later
    reuse can find and revoke them.
    """
    successors = {record.token_hash for record in new}
    spent = storage.update_request(
        TokenModel,
        old.token_hash,
        [
            TokenModel.used.set(True),
            TokenModel.used_at.set(int(new[0].issued_at)),
            TokenModel.replaced_by.set(successors),
        ],
        ~(TokenModel.used == True) & ~(TokenModel.revoked == True),  # noqa: E712 - a DynamoDB condition
    )
    save(new, user=user, client=client, owner=owner, spent={"Update": spent})


def rotate_again(
    old: TokenModel, lost: list[TokenModel], new: list[TokenModel], **guards: dict | None
) -> None:
    """A retry of a rotation whose reply was lost: store `new` as the rotated token's successors and
    revoke the `lost` pair the first rotation issued, atomically, on the conditions that the rotated
    token's family is not revoked and that the lost refresh token was never used (nor revoked: two
    concurrent retries yield exactly one success; the other, and a retry racing the lost token's
    own use, get AlreadyUsed). `guards`: `user`, `client`, `owner`, as `save`."""
    unused = ~(TokenModel.used == True) & ~(TokenModel.revoked == True)  # noqa: E712
    spent = [
        storage.update_request(
            TokenModel,
            old.token_hash,
            [TokenModel.replaced_by.add({record.token_hash for record in new})],
            (TokenModel.used == True) & ~(TokenModel.revoked == True),  # noqa: E712
        )
    ]
    for record in lost:  # the refresh token unused; an access token still live (TTL never removed it)
        condition = unused if record.kind == REFRESH else None
        spent.append(
            storage.update_request(TokenModel, record.token_hash, [TokenModel.revoked.set(True)], condition)
        )
    save(new, spent=[{"Update": item} for item in spent], **guards)
