"""OAuth clients (RFC 6749 §2): registering one, what may be shown of one, a new secret.

A client has allowed grant types, allowed scopes, its own token lifetimes (within the service's
bounds), its access-token format and audience. Its secret (256 random bits) is returned once, to be
shown once; only its SHA-256 is stored (`credentials`). Bad settings are `problems.Invalid`.
"""

import contextlib
import time
from dataclasses import dataclass

from tokenservice.core import config, credentials, grant_types, problems, scopes
from tokenservice.store import storage
from tokenservice.store.models import ClientModel


@dataclass(frozen=True)
class NewClient:
    client: ClientModel
    client_secret: str  # plaintext, shown once


def _token_format(value: str | None) -> str | None:
    if value is not None and value not in config.TOKEN_FORMATS:
        raise problems.Invalid(f"--token-format must be one of: {' '.join(config.TOKEN_FORMATS)}")
    return value


def _audience(value: str | None) -> str | None:
    """A JWT audience: an absolute URI or a plain identifier, printable, no spaces."""
    if value is not None and (not value or len(value) > 512 or not value.isprintable() or " " in value):
        raise problems.Invalid("--audience must be 1 to 512 printable characters without spaces")
    return value


def _ttl(value: int | None, setting: config.Number, what: str) -> int | None:
    """A client's own token lifetime, within the bounds the service's default has."""
    if value is not None and not setting.accepts(value):
        raise problems.Invalid(f"{what} must be between {setting.minimum} and {setting.maximum} seconds")
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
        raise problems.Invalid("a client name of 1 to 200 characters is required")
    kinds = (allowed_grants or " ".join(grant_types.ALL)).split()
    unknown = sorted(set(kinds) - set(grant_types.ALL))
    if unknown or not kinds:
        raise problems.Invalid(f"grant types must be among: {' '.join(grant_types.ALL)}")
    secret = credentials.new_client_secret()
    client = ClientModel(
        client_id=client_id or credentials.new_client_id(),
        name=name.strip(),
        secret_hash=credentials.digest(secret),
        scope=scopes.canonical_list(scope),
        grant_types=" ".join(kind for kind in grant_types.ALL if kind in kinds),
        introspect_any=introspect_any,
        token_format=_token_format(token_format),
        audience=_audience(audience),
        access_ttl=_ttl(access_ttl, config.ACCESS_TTL, "--access-ttl"),
        refresh_ttl=_ttl(refresh_ttl, config.REFRESH_TTL, "--refresh-ttl"),
        created_at=int(time.time()),
    )
    store(client, replace)
    return NewClient(client, secret)


def store(client: ClientModel, replace: bool = False) -> None:
    """Write a client with the reservation of its id as a username (`provisioning.reservation`), in
    one transaction; `replace` overwrites a client of that id (its reservation is kept)."""
    from tokenservice.users import provisioning

    held = provisioning.reservation(client.client_id, int(client.created_at))
    if replace:
        storage.save(client)
        if held is not None:
            with contextlib.suppress(storage.ConditionFailed):  # held already: by this client, or a user
                storage.transact([held])
        return
    writes = [{"Put": storage.put_new_request(client)}] + ([held] if held else [])
    try:
        storage.transact(writes)
    except storage.ConditionFailed as error:
        taken = "a user has that name" if 1 in error.items else "it already exists"
        raise problems.Exists(f"client {client.client_id} cannot be created: {taken}") from error


def _service_format() -> str:
    """The format of clients without their own: the stack's, as its deployment recorded it."""
    from tokenservice.jose import signing

    return signing.stack_token_format()


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
        "token_format": client.token_format or _service_format(),
        "audience": client.audience,
        "created_at": int(client.created_at),
        # a user's application (the developer portal): its owner, application and environment
        "owner": client.owner,
        "application_id": client.application_id,
        "environment": client.environment,
        "suspended": bool(client.suspended),
    }


def rotate_secret(client_id: str) -> NewClient:
    """A new secret; the old one stops working at once. Issued tokens stay valid."""
    secret = credentials.new_client_secret()
    client = storage.update(
        ClientModel, client_key(client_id), [ClientModel.secret_hash.set(credentials.digest(secret))]
    )
    if client is None:
        raise problems.Invalid(f"no client {client_id}")
    return NewClient(client, secret)


def client_key(client_id: str) -> str:
    """A client id fit to be a key (no client has a longer or empty one)."""
    if not client_id or len(client_id) > credentials.MAX_LENGTH:
        raise problems.Invalid(f"no client {client_id[:40]!r}")
    return client_id
