"""Administration (used by `tokenctl` and the local runner's demo data): clients, users and their
roles, the API registry (APIs, rules, scopes), and the registered-users statistics.

Secrets are returned once, to be shown once; only their hashes are stored.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

from tokenservice.core import config, credentials, grant_types, scopes
from tokenservice.core.errors import InvalidScope
from tokenservice.jose import signing
from tokenservice.oauth import revocation
from tokenservice.registry import openapi, registry, rules
from tokenservice.store import storage
from tokenservice.store.models import (
    ApiModel,
    ClientModel,
    RegistrationModel,
    RegistrationsIndex,
    ScopeModel,
    UserModel,
)
from tokenservice.users import accounts, identity, lockout, passwords


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


def _token_format(value: str | None) -> str | None:
    if value is not None and value not in config.TOKEN_FORMATS:
        raise AdminError(f"--token-format must be one of: {' '.join(config.TOKEN_FORMATS)}")
    return value


def _audience(value: str | None) -> str | None:
    """A JWT audience: an absolute URI or a plain identifier, printable, no spaces."""
    if value is not None and (not value or len(value) > 512 or not value.isprintable() or " " in value):
        raise AdminError("--audience must be 1 to 512 printable characters without spaces")
    return value


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
    token_format: str | None = None,
    audience: str | None = None,
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
        token_format=_token_format(token_format),
        audience=_audience(audience),
        access_ttl=_ttl(access_ttl, config.ACCESS_TTL, "--access-ttl"),
        refresh_ttl=_ttl(refresh_ttl, config.REFRESH_TTL, "--refresh-ttl"),
        created_at=int(time.time()),
    )
    _store(client, replace, f"client {client.client_id} already exists")
    return NewClient(client, secret)


def valid_username(username: str) -> str:
    """The canonical form of a new username (RFC 8265), which may not be a client's id either."""
    try:
        canonical = identity.valid_username(username)
    except identity.InvalidIdentity as error:
        raise AdminError(str(error)) from error
    if len(canonical) <= credentials.MAX_LENGTH and storage.get(ClientModel, canonical) is not None:
        raise AlreadyExists(f"user {canonical} already exists")  # a principal of that name exists
    return canonical


def valid_password(password: str, username: str) -> str:
    try:
        return identity.valid_new_password(password, username)
    except identity.InvalidIdentity as error:
        raise AdminError(str(error)) from error


def _roles(value: str | None) -> set[str] | None:
    try:
        return registry.valid_roles(value) or None
    except registry.RegistryError as error:
        raise AdminError(str(error)) from error


def create_user(
    username: str, password: str, scope: str = "", *, roles: str | None = None, replace: bool = False
) -> UserModel:
    """Create a user with direct scopes and roles (`replace`: or give an existing one this
    password, scope and roles, which voids their tokens as a password change does)."""
    canonical = valid_username(username)
    user = UserModel(
        username=canonical,
        password_hash=passwords.hash_password(valid_password(password, canonical)),
        scope=_scope(scope),
        roles=_roles(roles),
        disabled=False,
        created_at=int(time.time()),
    )
    try:
        storage.create(user)
    except storage.KeyTaken as error:
        if not replace:
            raise AlreadyExists(f"user {canonical} already exists") from error
        replaced = accounts.set_password_hash(canonical, user.password_hash)
        roles_action = UserModel.roles.set(user.roles) if user.roles else UserModel.roles.remove()
        user = storage.update(
            UserModel,
            canonical,
            [UserModel.scope.set(user.scope), roles_action, UserModel.disabled.set(False)],
        )
        if replaced is None or user is None:
            raise AdminError(f"user {canonical} changed meanwhile") from error
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
    """The key of an existing user named `username` (in any case or width)."""
    if not username or len(username) > config.MAX_USERNAME_LENGTH:
        raise AdminError(f"no user {username[:40]!r}")
    return identity.canonical_username(username)


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
        "token_format": client.token_format or config.ACCESS_TOKEN_FORMAT.value(),
        "audience": client.audience,
        "created_at": int(client.created_at),
        # a user's application (the developer portal): its owner, application and environment
        "owner": client.owner,
        "application_id": client.application_id,
        "environment": client.environment,
        "suspended": bool(client.suspended),
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
    """Delete a client and revoke every token issued to it; returns how many were revoked.

    A grant that read the client just before the delete may still write its tokens after this
    sweep: `settle_deleted_client` catches those.
    """
    deleted = storage.take(ClientModel, _client_id(client_id))
    if not deleted:
        raise AdminError(f"no client {client_id}")
    if deleted.owner:  # a user's application: off its owner's list, as the portal would have done
        from tokenservice.portal import applications

        applications.forget_client(deleted)
    return revocation.revoke_client(client_id)


def settle_deleted_client(client_id: str) -> int:
    """After a client's deletion, wait until no request that read the client can still be running
    (MAX_REQUEST_SECONDS) and revoke what such requests wrote; returns how many."""
    time.sleep(config.MAX_REQUEST_SECONDS + 1)
    return revocation.revoke_client(client_id)


# -- users --------------------------------------------------------------------------------------


def user_document(user: UserModel, now: float | None = None) -> dict:
    now = time.time() if now is None else now
    locked = lockout.is_locked(user, now)
    return {
        "username": user.username,
        "scope": user.scope,
        "roles": sorted(user.roles or ()),
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
    """Disable a user: their tokens stop counting at once (a new credential version); their live
    tokens are also marked revoked (found by a query). Returns how many were marked."""
    user = _found(accounts.disable(_username(username)), username)
    return revocation.revoke_user(user.username) + _applications_follow(user)


def enable_user(username: str) -> UserModel:
    """Enable a user again, and lift any lockout (tokens from before the disable stay void)."""
    user = _found(accounts.enable(_username(username)), username)
    _applications_follow(user)
    return user


def set_password(username: str, password: str) -> int:
    """Set a new password and lift any lockout: the user's tokens stop counting at once, and their
    live tokens are marked revoked. Returns how many were marked."""
    key = _username(username)
    hashed = passwords.hash_password(valid_password(password, key))
    user = _found(accounts.set_password_hash(key, hashed), username)
    return revocation.revoke_user(user.username)


def set_roles(username: str, roles: str) -> UserModel:
    """Give a user exactly these roles; their tokens stop counting (they were issued for the old
    roles' scopes), as after a password change. Their applications' keys lose the scopes the user
    may no longer obtain."""
    user = _found(accounts.set_roles(_username(username), _roles(roles)), username)
    _applications_follow(user)
    return user


def _applications_follow(user: UserModel) -> int:
    """A user's applications follow them (suspended, narrowed); returns how many tokens revoked."""
    if not user.application_clients:
        return 0
    from tokenservice.portal import applications  # applications builds on this module

    return applications.follow_owner(user)


# -- the API registry ------------------------------------------------------------------------------


def _registry[T](operation: Callable[[], T]) -> T:
    try:
        return operation()
    except (registry.RegistryError, rules.InvalidRule, openapi.InvalidDocument) as error:
        raise AdminError(str(error)) from error


def api_document(api: ApiModel) -> dict:
    return {
        "api_id": api.api_id,
        "name": api.name,
        "rules": [{"method": r.method, "path": r.path, "scope": r.scope} for r in registry.api_rules(api)],
        "updated_at": int(api.updated_at),
    }


def import_api(path: str, api_id: str, name: str | None = None) -> ApiModel:
    """Register an API from an OpenAPI 3 file (replacing its rules)."""
    return _registry(lambda: registry.import_api(api_id, openapi.load(path), name))


def set_rule(api_id: str, method: str, path: str, scope: str) -> ApiModel:
    """Add or replace one resource's rule (`-`: any valid token)."""
    rule = _registry(lambda: rules.rule(method, path, scope))
    if rule.scopes:
        _scope(" ".join(rule.scopes))
    return _registry(lambda: registry.set_rule(api_id, rule))


def api_rules(api_id: str) -> ApiModel:
    api = _registry(lambda: registry.api(api_id))
    if api is None:
        raise AdminError(f"no API {api_id} (an API with no rules is denied everything)")
    return api


def delete_api(api_id: str) -> None:
    if not _registry(lambda: registry.delete_api(api_id)):
        raise AdminError(f"no API {api_id}")


def list_scopes() -> list[ScopeModel]:
    return registry.scopes()


def scope_document(scope: ScopeModel) -> dict:
    return {"name": scope.name, "description": scope.description or "", "roles": sorted(scope.roles or ())}


def define_scope(name: str, roles: str, description: str | None = None) -> ScopeModel:
    """Define a scope and the roles that may obtain it (WSO2's scope-role binding)."""
    if _scope(name) != name or " " in name or name == scopes.DEFAULT_SCOPE:
        raise AdminError("a scope name is one scope token (RFC 6749 §3.3), not 'default'")
    return _registry(lambda: registry.define_scope(name, _roles(roles) or (), description))


# -- JWT signing keys ----------------------------------------------------------------------------


def _signing[T](operation: Callable[[], T]) -> T:
    try:
        return operation()
    except signing.SigningError as error:
        raise AdminError(str(error)) from error


def key_documents(now: float | None = None) -> list[dict]:
    """Every signing key: its id, age and state (never anything private)."""
    now = time.time() if now is None else now
    current = _signing(signing.read)
    if current is None:
        raise AdminError("no signing settings: deploy the stack (or start make run) first")
    return [
        {
            "kid": key.kid,
            "state": key.state(current.keys, now),
            "created_at": key.created_at,
            "activates_at": key.activates_at,
            "age_seconds": int(now - key.created_at),
        }
        for key in sorted(current.keys, key=lambda k: k.activates_at)
    ]


def rotate_keys(activate_in: int = 0) -> dict:
    """A new signing key, signing from `activate_in` seconds on; the others stay published until
    every token they signed has expired."""
    if not 0 <= activate_in <= 86400:
        raise AdminError("--activate-in must be between 0 and 86400 seconds")
    key = _signing(lambda: signing.rotate(activate_in))
    return next(document for document in key_documents() if document["kid"] == key.kid)


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
