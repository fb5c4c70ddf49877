"""The token endpoint (RFC 6749 §3.2), revocation (RFC 7009) and introspection (RFC 7662).

Each is client-authenticated (`client_auth`) and reads the client together with what it needs in
one round trip. Nothing here logs request bodies, headers or tokens.
"""

import time
from urllib.parse import quote

from aws_lambda_powertools import Logger

from tokenservice.core import credentials, observability
from tokenservice.core.errors import InvalidClient
from tokenservice.oauth import client_auth, revocation, tokens
from tokenservice.oauth.grants.dispatch import for_type
from tokenservice.store import records
from tokenservice.store.models import ClientModel, TokenModel, UserModel
from tokenservice.web.endpoint import oauth_endpoint
from tokenservice.web.http import Request, json_response, required

logger = Logger(child=True)


@oauth_endpoint
def token(request: Request) -> dict:
    """POST /token (RFC 6749 §3.2)."""
    form, presented = client_auth.presented(request)
    grant = for_type(form.get("grant_type"))
    issued = grant.issue(form, presented)
    observability.tally(observability.TOKENS_ISSUED, grant_type=grant.GRANT_TYPE)
    logger.debug(  # successes at DEBUG, refusals and errors at INFO (docs/operations.md)
        "Token issued",
        extra={"grant_type": grant.GRANT_TYPE, "client_id": presented.client_id, "scope": issued.scope},
    )
    return json_response(200, issued.body())


def _client_and_token(request: Request) -> tuple[ClientModel, TokenModel | None, UserModel | None, str]:
    """The authenticated client, the record of the `token` parameter and its user (one round trip),
    and the token."""
    form, presented = client_auth.presented(request)
    token = required(form, "token")
    client, record, user = client_auth.authenticate_token_endpoint_client(
        presented, None, *tokens.lookup_keys(token)
    )
    return client, record, tokens.user_of(record, user, token), token


@oauth_endpoint
def revoke(request: Request) -> dict:
    """POST /revoke (RFC 7009). Always 200 for an authenticated client, whatever the token.

    `token_type_hint` needs no honouring: the token's record says what it is. A client revokes
    only its own tokens; revoking a refresh token revokes its whole grant (access tokens too).
    As WSO2's revocation endpoint, a revocation names the token's user in `AuthorizedUser` (WSO2's
    RevokedAccessToken/RevokedRefreshToken would repeat tokens: never sent).
    """
    client, record, _, token = _client_and_token(request)
    if credentials.looks_like_jwt(token) and verified_jwt(token) is None:
        record = None  # a record found by an unverified (or malleated) JWT's jti is not enough
    headers = {}
    if record is not None and record.client_id == client.client_id:
        if record.kind == tokens.REFRESH:
            revocation.revoke_grant(record)
        elif not record.revoked:
            revocation.revoke(record.token_hash)
        logger.debug("Token revoked", extra={"client_id": client.client_id, "kind": record.kind})
        if record.username:
            headers["AuthorizedUser"] = quote(record.username, safe=_HEADER_SAFE)
    # RFC 7009 §2.2: the body says nothing, and is JSON as labelled
    return json_response(200, {}, headers)


# What a header value may carry as it is (printable ASCII but `%`); a Unicode username is
# percent-encoded (RFC 3986), as HTTP field values are ASCII in practice (RFC 9110 §5.5).
_HEADER_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) != "%")


INACTIVE = {"active": False}


@oauth_endpoint
def introspect(request: Request) -> dict:
    """POST /introspect (RFC 7662).

    A client sees its own tokens; a client flagged `introspect_any` (a resource server) also sees
    other clients' access tokens, never their refresh tokens. Anything else is `{"active": false}`.
    """
    client, record, user, token = _client_and_token(request)
    if client.public:  # RFC 7662 §2.1: introspection needs an authenticated client
        raise InvalidClient()
    visible = record is not None and (
        record.client_id == client.client_id or (record.kind == tokens.ACCESS and client.introspect_any)
    )
    if not visible or not records.is_active(record, record.kind) or not records.accepts(user, record):
        return json_response(200, INACTIVE)
    claims = {}
    if credentials.looks_like_jwt(token):
        claims = verified_jwt(token)
        if claims is None:  # a record found by an unverified jti is not enough
            return json_response(200, INACTIVE)
    answer = {
        "active": True,
        "scope": record.scope,
        "client_id": record.client_id,
        "token_type": "Bearer" if record.kind == tokens.ACCESS else "refresh_token",
        "exp": int(record.expires_at),
        "iat": int(record.issued_at),
        "sub": record.username or record.client_id,
    }
    if record.username:
        answer["username"] = record.username
    answer |= {claim: claims[claim] for claim in ("iss", "aud", "jti") if claim in claims}
    return json_response(200, answer)


def verified_jwt(token: str) -> dict | None:
    """The claims of a JWT access token signed by one of our keys, for our issuer (any audience)."""
    from tokenservice.jose import jwt_tokens, signing  # JWT only: kept off the opaque path

    settings = signing.settings()
    if settings is None:
        return None
    keys = {key.kid: key.jwk for key in settings.published(time.time())}
    return jwt_tokens.verify(token, keys, settings.issuer, None)
