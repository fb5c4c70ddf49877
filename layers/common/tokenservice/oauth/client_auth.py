"""Client authentication at the token endpoint (RFC 6749 §2.3.1).

Two methods: HTTP Basic (`client_secret_basic`: base64 of `id:secret`, each part
form-urlencoded first) and `client_id` + `client_secret` in the body (`client_secret_post`).
Using both at once is `invalid_request`; any failure to authenticate is `invalid_client` (401).
A public client (RFC 6749 §2.1, `token_endpoint_auth_method` `none`) has no secret: it names
itself with `client_id` in the body alone, and only a public client may; its grants are the
authorization code (with PKCE) and the refresh token.

`authenticate_token_endpoint_client` is the one step every client-authenticated endpoint takes:
read the client (and the one item the endpoint needs with it, in the same round trip), check
its secret, check it may use the grant.
"""

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote_plus

from pynamodb.models import Model

from tokenservice.core import credentials
from tokenservice.core.errors import InvalidClient, InvalidRequest, UnauthorizedClient
from tokenservice.core.text import has_control_characters
from tokenservice.store import storage
from tokenservice.store.models import ClientModel, UserModel
from tokenservice.web.http import Request


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    client_secret: str | None  # None: a public client naming itself


def presented(request: Request) -> tuple[dict[str, str], ClientCredentials]:
    """The form of a client-authenticated request and the client credentials it presents."""
    form = request.form()
    return form, extract(request.headers, form)


def extract(headers: Mapping[str, str], form: Mapping[str, str]) -> ClientCredentials:
    """The credentials a request presents, without looking anything up."""
    authorization = headers.get("authorization", "").strip()
    if authorization:
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic":
            raise InvalidClient("Client authentication must use HTTP Basic or client_secret_post")
        if "client_secret" in form:
            raise InvalidRequest("Use one client authentication method, not both")
        client_id, client_secret = _decode_basic(encoded.strip())
        if form.get("client_id", client_id) != client_id:
            raise InvalidRequest("client_id in the body does not match the Authorization header")
        return ClientCredentials(client_id, client_secret)
    client_id, client_secret = form.get("client_id"), form.get("client_secret")
    if not client_id:
        raise InvalidClient("Client authentication is required")
    _check_length(client_id, client_secret or "")
    return ClientCredentials(client_id, client_secret)


def _decode_basic(encoded: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, ValueError) as error:
        raise InvalidClient("The Basic credentials are not valid base64 of UTF-8 text") from error
    raw_id, colon, raw_secret = decoded.partition(":")
    client_id, client_secret = unquote_plus(raw_id), unquote_plus(raw_secret)
    if not colon or not client_id or not client_secret:
        raise InvalidClient("The Basic credentials must be client_id:client_secret")
    _check_length(client_id, client_secret)
    return client_id, client_secret


def _check_length(client_id: str, client_secret: str) -> None:
    if len(client_id) > credentials.MAX_LENGTH or len(client_secret) > credentials.MAX_LENGTH:
        raise InvalidClient()
    if has_control_characters(client_id + client_secret):
        raise InvalidClient()


def authenticate(presented: ClientCredentials, client: ClientModel | None) -> ClientModel:
    """The client, when the secret matches (constant time, also for unknown clients) — or, with no
    secret presented, when it is a public client — and it is not suspended (an application whose
    owner is disabled). A public client presenting a secret is refused: it has none."""
    if presented.client_secret is None:
        if client is None or not client.public:
            raise InvalidClient("Client authentication is required")
    elif not credentials.matches(presented.client_secret, client.secret_hash if client else None):
        raise InvalidClient()
    if client.suspended or (client.public and presented.client_secret is not None):
        raise InvalidClient()
    return client


def unchanged(client: ClientModel) -> dict | None:
    """For an application's client (one with an owner), the transaction item that holds a grant to
    the client being as it was read: not deleted, re-keyed, suspended or narrowed meanwhile (its
    owner deleted it, generated new keys, was disabled or lost a role). Operators' clients: None."""
    if not client.owner:
        return None
    scope = ClientModel.scope == client.scope
    if not client.scope:
        scope = ClientModel.scope.does_not_exist() | scope
    condition = (ClientModel.secret_hash == client.secret_hash) & scope & ~(ClientModel.suspended == True)  # noqa: E712
    return {"ConditionCheck": storage.condition_check_request(ClientModel, client.client_id, condition)}


def owner_enabled(client: ClientModel, username: str | None = None) -> dict | None:
    """For an application's client, the transaction item that holds a grant to the client's owner
    existing and being enabled: keys of a disabled owner never issue a token, whether or not the
    disable has suspended them yet. None for operators' clients, and when the grant's own user is
    the owner (the grant's condition on that user holds it already)."""
    if not client.owner or client.owner == username:
        return None
    enabled = UserModel.username.exists() & ~(UserModel.disabled == True)  # noqa: E712
    return {"ConditionCheck": storage.condition_check_request(UserModel, client.owner, enabled)}


def require_grant_type(client: ClientModel, grant_type: str) -> None:
    if grant_type not in client.grant_types.split():
        raise UnauthorizedClient(f"This client may not use the {grant_type} grant")


def authenticate_token_endpoint_client(
    presented: ClientCredentials,
    grant_type: str | None = None,
    *also: tuple[type[Model], str | None],
) -> tuple[ClientModel, ...]:
    """The authenticated client, allowed `grant_type` (when given), then the items `also` names
    ((model, key) each; None for one that does not exist or has no key), all read in one
    consistent round trip."""
    client, *others = storage.get_many([(ClientModel, presented.client_id), *also])
    client = authenticate(presented, client)
    if grant_type is not None:
        require_grant_type(client, grant_type)
    return client, *others
