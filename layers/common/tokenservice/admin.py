"""Provisioning clients and users (used by `tokenctl` and the local runner's demo data).

Secrets are returned once, to be shown once; only their hashes are stored.
"""

import time
from dataclasses import dataclass

from tokenservice import config, credentials, grant_types, lockout, passwords, revocation, scopes, storage
from tokenservice.errors import InvalidScope
from tokenservice.models import ClientModel, RegistrationModel, RegistrationsIndex, UserModel
from tokenservice.text import has_control_characters

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024


class AdminError(Exception):
    """Bad input or a conflict, with a message fit for one line on stderr."""


class AlreadyExists(AdminError):
    """The client id or username is taken."""


@dataclass(frozen=True)
class NewClient:
    client: ClientModel
    client_secret: str  # plaintext, shown once


def _scope(value: str) -> str:
    try:
        return " ".join(sorted(scopes.parse(value)))
    except InvalidScope as error:
        raise AdminError(f"invalid scopes: {error.description}") from error


def _ttl(value: int | None, setting: config.Number, what: str) -> int | None:
    """A client's own token lifetime, within the bounds the service's default has."""
    if value is not None and not setting.accepts(value):
        raise AdminError(f"{what} must be between {setting.minimum} and {setting.maximum} seconds")
    return value


def create_client(
    name: str,
    scope: str,
    allowed_grants: str | None = None,
    access_ttl: int | None = None,
    refresh_ttl: int | None = None,
    *,
    client_id: str | None = None,
    introspect_any: bool = False,
    replace: bool = False,
) -> NewClient:
    if not name.strip() or len(name) > 200:
        raise AdminError("a client name of 1 to 200 characters is required")
    kinds = (allowed_grants or " ".join(grant_types.ALL)).split()
    unknown = sorted(set(kinds) - set(grant_types.ALL))
    if unknown or not kinds:
        raise AdminError(f"grant types must be among: {' '.join(grant_types.ALL)}")
    secret = credentials.new_client_secret()
    client = ClientModel(
        client_id=client_id or credentials.new_client_id(),
        name=name.strip(),
        secret_hash=credentials.digest(secret),
        scope=_scope(scope),
        grant_types=" ".join(kind for kind in grant_types.ALL if kind in kinds),
        introspect_any=introspect_any,
        access_ttl=_ttl(access_ttl, config.ACCESS_TTL, "--access-ttl"),
        refresh_ttl=_ttl(refresh_ttl, config.REFRESH_TTL, "--refresh-ttl"),
        created_at=int(time.time()),
    )
    _store(client, replace, f"client {client.client_id} already exists")
    return NewClient(client, secret)


def validate_username(username: str) -> str:
    if not username or len(username) > config.MAX_USERNAME_LENGTH or username != username.strip():
        limit = config.MAX_USERNAME_LENGTH
        raise AdminError(f"a username of 1 to {limit} characters, without surrounding spaces, is required")
    if has_control_characters(username):
        raise AdminError("a username cannot contain control characters")
    return username


def validate_password(password: str, username: str) -> str:
    """NIST SP 800-63B: at least 8 characters, long ones allowed, Unicode allowed, not the username."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AdminError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AdminError(f"the password must have at most {MAX_PASSWORD_LENGTH} characters")
    if password.casefold() == username.casefold():
        raise AdminError("the password cannot be the username")
    return password


def create_user(username: str, password: str, scope: str, *, replace: bool = False) -> UserModel:
    user = UserModel(
        username=validate_username(username),
        password_hash=passwords.hash_password(validate_password(password, username)),
        scope=_scope(scope),
        disabled=False,
        created_at=int(time.time()),
    )
    _store(user, replace, f"user {username} already exists")
    return user


def _store(model, replace: bool, conflict: str) -> None:
    if replace:
        storage.save(model)
        return
    try:
        storage.create(model)
    except storage.KeyTaken as error:
        raise AlreadyExists(conflict) from error


# -- clients ------------------------------------------------------------------------------------


def _client_id(client_id: str) -> str:
    """A client id fit to be a key (no client has a longer or empty one)."""
    if not client_id or len(client_id) > credentials.MAX_LENGTH:
        raise AdminError(f"no client {client_id[:40]!r}")
    return client_id


def _username(username: str) -> str:
    if not username or len(username) > config.MAX_USERNAME_LENGTH:
        raise AdminError(f"no user {username[:40]!r}")
    return username


def client_document(client: ClientModel) -> dict:
    """What may be shown of a client: never its secret (nor the secret's hash)."""
    return {
        "client_id": client.client_id,
        "name": client.name,
        "scope": client.scope,
        "grant_types": client.grant_types.split(),
        "access_ttl": None if client.access_ttl is None else int(client.access_ttl),
        "refresh_ttl": None if client.refresh_ttl is None else int(client.refresh_ttl),
        "introspect_any": bool(client.introspect_any),
        "created_at": int(client.created_at),
    }


def list_clients() -> list[ClientModel]:
    return sorted(storage.scan(ClientModel), key=lambda client: (client.name, client.client_id))


def rotate_secret(client_id: str) -> NewClient:
    """A new secret; the old one stops working at once. Issued tokens stay valid."""
    secret = credentials.new_client_secret()
    client = storage.update(
        ClientModel, _client_id(client_id), [ClientModel.secret_hash.set(credentials.digest(secret))]
    )
    if client is None:
        raise AdminError(f"no client {client_id}")
    return NewClient(client, secret)


def delete_client(client_id: str) -> int:
    """Delete a client and revoke every token issued to it; returns how many were revoked."""
    if not storage.delete(ClientModel, _client_id(client_id)):
        raise AdminError(f"no client {client_id}")
    return revocation.revoke_client(client_id)


# -- users --------------------------------------------------------------------------------------


def user_document(user: UserModel, now: float | None = None) -> dict:
    now = time.time() if now is None else now
    locked = lockout.is_locked(user, now)
    return {
        "username": user.username,
        "scope": user.scope,
        "disabled": bool(user.disabled),
        "locked_until": int(user.locked_until) if locked else None,
        "created_at": int(user.created_at),
    }


def list_users() -> list[UserModel]:
    return sorted(storage.scan(UserModel), key=lambda user: user.username)


def _found(user: UserModel | None, username: str) -> UserModel:
    if user is None:
        raise AdminError(f"no user {username}")
    return user


def disable_user(username: str) -> int:
    """Disable a user and revoke their live tokens (found by a query); returns how many."""
    _found(storage.update(UserModel, _username(username), [UserModel.disabled.set(True)]), username)
    return revocation.revoke_user(username)


def enable_user(username: str) -> UserModel:
    """Enable a user again, and lift any lockout."""
    return _found(lockout.unlock(_username(username), [UserModel.disabled.set(False)]), username)


def set_password(username: str, password: str) -> int:
    """Set a new password, lift any lockout and revoke the user's live tokens; returns how many."""
    hashed = passwords.hash_password(validate_password(password, username))
    _found(lockout.unlock(_username(username), [UserModel.password_hash.set(hashed)]), username)
    return revocation.revoke_user(username)


# -- statistics ---------------------------------------------------------------------------------


def _registrations(client_id: str) -> list[RegistrationModel]:
    """The users who got tokens for a client through the password grant (a query)."""
    items = storage.query(
        RegistrationModel,
        RegistrationsIndex.Meta.index_name,
        RegistrationModel.registered_client == client_id,
    )
    return [RegistrationModel.from_raw_data(item) for item in items]


def registered_users(client: ClientModel) -> dict:
    """ "Registered Users for Application": distinct users who got tokens for the client through
    the password grant, with the first and last time (epoch seconds)."""
    registrations = sorted(_registrations(client.client_id), key=lambda r: r.username)
    return {
        "client_id": client.client_id,
        "name": client.name,
        "registered_users": len(registrations),
        "first_token_at": min((int(r.first_at) for r in registrations), default=None),
        "last_token_at": max((int(r.last_at) for r in registrations), default=None),
        "users": [
            {"username": r.username, "first_token_at": int(r.first_at), "last_token_at": int(r.last_at)}
            for r in registrations
        ],
    }


def stats(client_id: str | None = None) -> list[dict]:
    if client_id is None:
        return [registered_users(client) for client in list_clients()]
    client = storage.get(ClientModel, _client_id(client_id))
    if client is None:
        raise AdminError(f"no client {client_id}")
    return [registered_users(client)]
