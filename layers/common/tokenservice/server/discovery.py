"""What the authorization server publishes about itself: RFC 8414 metadata, OpenID Connect
discovery, and the public signing keys (RFC 7517), none of them authenticated."""

import time

from tokenservice.core import grant_types, scopes
from tokenservice.oauth import issuer as issuers
from tokenservice.registry import registry
from tokenservice.web.endpoint import oauth_endpoint
from tokenservice.web.http import Request, json_response

AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


@oauth_endpoint
def issuer(request: Request) -> str:
    """The issuer: ISSUER when configured, else the one the signing keys are for (set at deployment),
    else this API's own URL as API Gateway knows it."""
    return issuers.of(request)


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
    return json_response(200, document | code_flow_members(base), PUBLIC)


def openid_configuration(request: Request) -> dict:
    """GET /.well-known/openid-configuration (OpenID Connect Discovery 1.0): the issuer, where its
    keys are (API Gateway's JWT authorizers read it), the code flow and OpenID Connect."""
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
    return json_response(200, document | code_flow_members(base), PUBLIC)


def jwks(request: Request) -> dict:
    """GET /.well-known/jwks.json (RFC 7517): the public keys of every published signing key."""
    from tokenservice.jose import signing

    settings = signing.settings(fresh=True)  # a rotated key is published at once
    keys = [key.jwk for key in settings.published(time.time())] if settings else []
    return json_response(200, {"keys": keys}, {"Cache-Control": "public, max-age=60"})


PUBLIC = {"Cache-Control": "public, max-age=300"}
CLAIMS = ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "preferred_username"]


def code_flow_members(base: str) -> dict:
    """What the authorization code flow and OpenID Connect add to both documents (RFC 8414 §2,
    RFC 9207 §3, OpenID Connect Discovery 1.0 §3), and where they replace what the documents had:
    exactly what is served — the code flow alone (no implicit flow), PKCE with S256 only, the
    issuer in every authorization response, public clients (`none`)."""
    return {
        "authorization_endpoint": f"{base}/authorize",
        "userinfo_endpoint": f"{base}/userinfo",
        "end_session_endpoint": f"{base}/logout",
        "revocation_endpoint": f"{base}/revoke",
        "introspection_endpoint": f"{base}/introspect",
        "grant_types_supported": list(grant_types.ALL),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": True,
        "token_endpoint_auth_methods_supported": [*AUTH_METHODS, "none"],
        "revocation_endpoint_auth_methods_supported": [*AUTH_METHODS, "none"],
        "introspection_endpoint_auth_methods_supported": AUTH_METHODS,
        "scopes_supported": sorted({*registry.scope_names(), *scopes.IDENTITY}),
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "claims_supported": CLAIMS,
        "prompt_values_supported": ["none", "login"],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
    }
