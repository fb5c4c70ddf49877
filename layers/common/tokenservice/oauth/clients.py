"""OAuth clients (RFC 6749 §2): registering one, what may be shown of one, a new secret.

A client has allowed grant types, allowed scopes, its own token lifetimes (within the service's
bounds), its access-token format and audience. Its secret (256 random bits) is returned once, to be
shown once; only its SHA-256 is stored (`credentials`). Bad settings are `problems.Invalid`.

A client of the authorization code grant (RFC 6749 §4.1) registers its redirect URIs (`redirects`)
and may register where its users go after signing out (OpenID Connect RP-Initiated Logout). A
public client (RFC 6749 §2.1: a single-page or native app, which cannot keep a secret) has none:
it authenticates with its `client_id` alone (`token_endpoint_auth_method` `none`), may use only the
authorization code and refresh grants, and must use PKCE. Clients an operator creates are
first-party and do not ask their users' consent, unless created with `require_consent`; a user's
application (the developer portal) is a third party's and always asks.
"""

import contextlib
import time
from dataclasses import dataclass

from tokenservice.core import config, credentials, grant_types, problems, scopes
from tokenservice.oauth import redirects
from tokenservice.store import storage
from tokenservice.store.models import ClientModel


@dataclass(frozen=True)
class NewClient:
    client: ClientModel
    client_secret: str | None  # plaintext, shown once; None for a public client


@dataclass(frozen=True)
class Browser:
    """How a client of the authorization code grant meets the browser."""

    redirect_uris: tuple[str, ...] = ()
    post_logout_redirect_uris: tuple[str, ...] = ()
    public: bool = False
    require_consent: bool = False
    pkce_optional: bool = False
    require_mfa: bool = False  # its users must sign in with TOTP (those without are sent to turn it on)


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


def _grant_types(allowed_grants: str | None, browser: Browser) -> str:
    """The client's grant types, in a stable order, checked against what it registers."""
    default = grant_types.PUBLIC if browser.public else grant_types.DEFAULT
    kinds = (allowed_grants or " ".join(default)).split()
    unknown = sorted(set(kinds) - set(grant_types.ALL))
    if unknown or not kinds:
        raise problems.Invalid(f"grant types must be among: {' '.join(grant_types.ALL)}")
    if browser.public and set(kinds) - set(grant_types.PUBLIC):
        raise problems.Invalid(f"a public client may use only: {' '.join(grant_types.PUBLIC)}")
    coded = grant_types.AUTHORIZATION_CODE in kinds
    if coded and not browser.redirect_uris:
        raise problems.Invalid("the authorization_code grant needs --redirect-uris")
    if browser.redirect_uris and not coded:
        raise problems.Invalid("--redirect-uris needs the authorization_code grant")
    if browser.post_logout_redirect_uris and not coded:
        raise problems.Invalid("--post-logout-redirect-uris needs the authorization_code grant")
    if browser.public and browser.pkce_optional:
        raise problems.Invalid("a public client must use PKCE")
    return " ".join(kind for kind in grant_types.ALL if kind in kinds)


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
    browser: Browser = Browser(),
    replace: bool = False,
) -> NewClient:
    if not name.strip() or len(name) > 200:
        raise problems.Invalid("a client name of 1 to 200 characters is required")
    kinds = _grant_types(allowed_grants, browser)
    secret = credentials.new_client_secret()
    client = ClientModel(
        client_id=client_id or credentials.new_client_id(),
        name=name.strip(),
        secret_hash=credentials.digest(secret),  # a public client's: nobody ever knows it
        scope=scopes.canonical_list(scope),
        grant_types=kinds,
        introspect_any=introspect_any,
        token_format=_token_format(token_format),
        audience=_audience(audience),
        access_ttl=_ttl(access_ttl, config.ACCESS_TTL, "--access-ttl"),
        refresh_ttl=_ttl(refresh_ttl, config.REFRESH_TTL, "--refresh-ttl"),
        created_at=int(time.time()),
        redirect_uris=redirects.valid_list(browser.redirect_uris, private_schemes=True),
        post_logout_redirect_uris=redirects.valid_list(
            browser.post_logout_redirect_uris, private_schemes=True
        ),
        public=browser.public or None,
        require_consent=browser.require_consent or None,
        pkce_optional=browser.pkce_optional or None,
        require_mfa=browser.require_mfa or None,
    )
    store(client, replace)
    return NewClient(client, None if browser.public else secret)


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
        # the authorization code flow
        "redirect_uris": sorted(client.redirect_uris or ()),
        "post_logout_redirect_uris": sorted(client.post_logout_redirect_uris or ()),
        "public": bool(client.public),
        "token_endpoint_auth_method": "none" if client.public else "client_secret_basic",
        "require_consent": needs_consent(client),
        "pkce_required": not client.pkce_optional,
        "require_mfa": requires_mfa(client),
    }


def requires_mfa(client: ClientModel) -> bool:
    """Whether the client's users must sign in with a second factor: created so (`--require-mfa`),
    or the stack requires it (REQUIRE_MFA) — of every client but the portal's own, where users turn
    it on."""
    if client.require_mfa:
        return True
    return config.REQUIRE_MFA.on() and client.client_id != config.PORTAL_CLIENT_ID.value()


def needs_consent(client: ClientModel) -> bool:
    """Whether the client asks its users' consent: a user's application (a third party's) always,
    an operator's (first-party) client only when created so."""
    return bool(client.owner or client.require_consent)


def rotate_secret(client_id: str) -> NewClient:
    """A new secret; the old one stops working at once. Issued tokens stay valid."""
    found = storage.get(ClientModel, client_key(client_id))
    if found is not None and found.public:
        raise problems.Invalid(f"client {client_id} is public: it has no secret")
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
