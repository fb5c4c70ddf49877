"""Provisioning clients and users (used by `tokenctl` and the local runner's demo data).

Secrets are returned once, to be shown once; only their hashes are stored.
"""

import time
from dataclasses import dataclass

from tokenservice import credentials, passwords, scopes, storage
from tokenservice.errors import InvalidScope
from tokenservice.models import ClientModel, UserModel

GRANT_TYPES = ("password", "refresh_token", "client_credentials")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
MAX_USERNAME_LENGTH = 128
MAX_TTL = 366 * 86400


class AdminError(Exception):
    """Bad input or a conflict, with a message fit for one line on stderr."""


@dataclass(frozen=True)
class NewClient:
    client: ClientModel
    client_secret: str  # plaintext, shown once


def _scope(value: str) -> str:
    try:
        return " ".join(sorted(scopes.parse(value)))
    except InvalidScope as error:
        raise AdminError(f"invalid scopes: {error.description}") from error


def _ttl(value: int | None, what: str) -> int | None:
    if value is not None and not 0 < value <= MAX_TTL:
        raise AdminError(f"{what} must be between 1 and {MAX_TTL} seconds")
    return value


def create_client(
    name: str,
    scope: str,
    grant_types: str | None = None,
    access_ttl: int | None = None,
    refresh_ttl: int | None = None,
    *,
    client_id: str | None = None,
    introspect_any: bool = False,
    replace: bool = False,
) -> NewClient:
    if not name.strip() or len(name) > 200:
        raise AdminError("a client name of 1 to 200 characters is required")
    kinds = (grant_types or " ".join(GRANT_TYPES)).split()
    unknown = sorted(set(kinds) - set(GRANT_TYPES))
    if unknown or not kinds:
        raise AdminError(f"grant types must be among: {' '.join(GRANT_TYPES)}")
    secret = credentials.new_client_secret()
    client = ClientModel(
        client_id=client_id or credentials.new_client_id(),
        name=name.strip(),
        secret_hash=credentials.digest(secret),
        scope=_scope(scope),
        grant_types=" ".join(kind for kind in GRANT_TYPES if kind in kinds),
        introspect_any=introspect_any,
        access_ttl=_ttl(access_ttl, "--access-ttl"),
        refresh_ttl=_ttl(refresh_ttl, "--refresh-ttl"),
        created_at=int(time.time()),
    )
    _store(client, replace, f"client {client.client_id} already exists")
    return NewClient(client, secret)


def validate_username(username: str) -> str:
    if not username or len(username) > MAX_USERNAME_LENGTH or username != username.strip():
        raise AdminError(
            f"a username of 1 to {MAX_USERNAME_LENGTH} characters, without surrounding spaces, is required"
        )
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in username):
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
    except storage.AlreadyExists as error:
        raise AdminError(conflict) from error
