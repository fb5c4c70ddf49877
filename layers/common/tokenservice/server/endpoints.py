"""The HTTP endpoints of the authorization server, as functions of an API Gateway event.

`oauth_endpoint` is the one place where errors become responses: OAuth errors answer with
their own status and JSON (RFC 6749 §5.2), anything unexpected is logged and answered with a
plain `server_error`, never a traceback. Nothing here logs request bodies, headers or tokens.
"""

import functools
import time
from collections.abc import Callable, Mapping

from aws_lambda_powertools import Logger

from tokenservice.core import config, credentials, grant_types, observability
from tokenservice.core.errors import (
    NotFound,
    OAuthError,
    ServerError,
    TemporarilyUnavailable,
)
from tokenservice.oauth import client_auth, grants, revocation, tokens
from tokenservice.registry import registry
from tokenservice.store import records
from tokenservice.store.models import ClientModel, TokenModel, UserModel
from tokenservice.users import self_signup
from tokenservice.web.http import NO_STORE, Request, error_response, json_response, required

logger = Logger(child=True)
REFUSAL_METRICS = {
    "invalid_grant": observability.INVALID_GRANT,
    "invalid_client": observability.INVALID_CLIENT,
}


def oauth_endpoint(endpoint: Callable[[Request], dict]) -> Callable[[Mapping], dict]:
    @functools.wraps(endpoint)
    def handle(event: Mapping) -> dict:
        try:
            return endpoint(Request.from_event(event))
        except TemporarilyUnavailable as error:
            cause = type(error.__cause__).__name__ if error.__cause__ else None
            logger.warning("Storage unavailable", extra={"cause": cause})
            observability.count(observability.SERVER_ERRORS)
            return error_response(error)
        except OAuthError as error:
            logger.info("Request refused", extra={"error": error.error, "status": error.status_code})
            if error.error in REFUSAL_METRICS:
                observability.count(REFUSAL_METRICS[error.error])
            return error_response(error)
        except Exception:
            logger.exception("Unexpected error")
            observability.count(observability.SERVER_ERRORS)
            return error_response(ServerError())

    return handle


@oauth_endpoint
def token(request: Request) -> dict:
    """POST /token (RFC 6749 §3.2)."""
    form, presented = client_auth.presented(request)
    grant = grants.for_type(form.get("grant_type"))
    issued = grant.issue(form, presented)
    observability.count(observability.TOKENS_ISSUED, grant_type=grant.GRANT_TYPE)
    logger.info(
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
    """
    client, record, _, _ = _client_and_token(request)
    if record is not None and record.client_id == client.client_id:
        if record.kind == tokens.REFRESH:
            revocation.revoke_grant(record)
        elif not record.revoked:
            revocation.revoke(record.token_hash)
        logger.info("Token revoked", extra={"client_id": client.client_id, "kind": record.kind})
    return {"statusCode": 200, "headers": dict(NO_STORE), "body": ""}


INACTIVE = {"active": False}


@oauth_endpoint
def introspect(request: Request) -> dict:
    """POST /introspect (RFC 7662).

    A client sees its own tokens; a client flagged `introspect_any` (a resource server) also sees
    other clients' access tokens, never their refresh tokens. Anything else is `{"active": false}`.
    """
    client, record, user, token = _client_and_token(request)
    visible = record is not None and (
        record.client_id == client.client_id or (record.kind == tokens.ACCESS and client.introspect_any)
    )
    if not visible or not records.is_active(record, record.kind) or not records.accepts(user, record):
        return json_response(200, INACTIVE)
    claims = {}
    if credentials.looks_like_jwt(token):
        claims = _verified_jwt(token)
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


def _verified_jwt(token: str) -> dict | None:
    """The claims of a JWT access token signed by one of our keys, for our issuer (any audience)."""
    from tokenservice.jose import jwt_tokens, signing

    settings = signing.settings()
    if settings is None:
        return None
    keys = {key.kid: key.jwk for key in settings.published(time.time())}
    return jwt_tokens.verify(token, keys, settings.issuer, None)


@oauth_endpoint
def signup(request: Request) -> dict:
    """POST /signup: self sign-up, when SELF_SIGNUP_ENABLED=true (WSO2: "if enabled by an admin").

    Client-authenticated (a client allowed the password grant); form `username`, `password`.
    Passwords follow NIST SP 800-63B (8 to 1024 characters, any Unicode, not the username).
    A taken username is 409; a conditional write makes a race on one name create one account.
    """
    if not config.SELF_SIGNUP_ENABLED.on():
        raise NotFound()
    form, presented = client_auth.presented(request)
    username, password = required(form, "username"), required(form, "password")
    (client,) = client_auth.authenticate_token_endpoint_client(presented, grant_types.PASSWORD)
    user = self_signup.sign_up(username, password)
    logger.info("User signed up", extra={"client_id": client.client_id, "username": user.username})
    return json_response(201, {"username": user.username, "scope": user.scope})


AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


@oauth_endpoint
def issuer(request: Request) -> str:
    """The issuer: ISSUER when configured, else the one the signing keys are for (set at deployment),
    else this API's own URL as API Gateway knows it."""
    configured = config.ISSUER.value()
    if configured:
        return configured.rstrip("/")
    from tokenservice.jose import signing

    settings = signing.settings()
    return settings.issuer if settings else request.issuer()


def metadata(request: Request) -> dict:
    """GET /.well-known/oauth-authorization-server (RFC 8414): the issuer and the endpoints under it."""
    base = issuer(request)
    document = {
        "issuer": base,
        "token_endpoint": f"{base}/token",
        "revocation_endpoint": f"{base}/revoke",
        "introspection_endpoint": f"{base}/introspect",
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "grant_types_supported": list(grant_types.ALL),
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "introspection_endpoint_auth_methods_supported": AUTH_METHODS,
        "scopes_supported": registry.scope_names(),
    }
    return json_response(200, document, PUBLIC)


def openid_configuration(request: Request) -> dict:
    """GET /.well-known/openid-configuration: the discovery document API Gateway's JWT authorizers
    (and JOSE libraries) read: the issuer and where its keys are. No ID tokens are issued."""
    base = issuer(request)
    document = {
        "issuer": base,
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "token_endpoint": f"{base}/token",
        "grant_types_supported": list(grant_types.ALL),
        "scopes_supported": registry.scope_names(),
        "response_types_supported": ["token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
    }
    return json_response(200, document, PUBLIC)


def jwks(request: Request) -> dict:
    """GET /.well-known/jwks.json (RFC 7517): the public keys of every published signing key."""
    from tokenservice.jose import signing

    settings = signing.settings(fresh=True)  # a rotated key is published at once
    keys = [key.jwk for key in settings.published(time.time())] if settings else []
    return json_response(200, {"keys": keys}, {"Cache-Control": "public, max-age=60"})


PUBLIC = {"Cache-Control": "public, max-age=300"}
