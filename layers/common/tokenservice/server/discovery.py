"""What the authorization server publishes about itself: RFC 8414 metadata, OpenID Connect
discovery, and the public signing keys (RFC 7517), none of them authenticated.

Both discovery documents come from one source, `SERVED`: the endpoints this server has (paths
under the issuer) and what they support. They name only what is served: the authorization code
flow with PKCE (no implicit flow, RFC 8414 §2), OpenID Connect's ID tokens, UserInfo and logout.
A flow added later adds its endpoint and values to `SERVED`, and both documents show it.

A registry outage (the signing settings, the scopes) is `503 temporarily_unavailable` with
`Retry-After` and `no-store` (`oauth_endpoint`): never a cached 200 that names a broken URL.
"""

import time
from dataclasses import dataclass, field

from tokenservice.core import grant_types, scopes
from tokenservice.oauth import issuer as issuers
from tokenservice.registry import registry
from tokenservice.web.endpoint import oauth_endpoint
from tokenservice.web.http import Request, json_response

AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


@dataclass(frozen=True)
class Served:
    """What this server serves, as discovery names it: endpoints (metadata name → path under the
    issuer) and the other metadata values (name → value)."""

    endpoints: dict[str, str]
    values: dict[str, object] = field(default_factory=dict)


SERVED = Served(
    endpoints={
        "authorization_endpoint": "/authorize",
        "token_endpoint": "/token",
        "userinfo_endpoint": "/userinfo",
        "end_session_endpoint": "/logout",
        "revocation_endpoint": "/revoke",
        "introspection_endpoint": "/introspect",
        "jwks_uri": "/.well-known/jwks.json",
    },
    values={
        "grant_types_supported": list(grant_types.ALL),
        # the code flow alone (no implicit flow), PKCE with S256 only, the issuer in every
        # authorization response (RFC 9207), public clients (`none`)
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": True,
        "token_endpoint_auth_methods_supported": [*AUTH_METHODS, "none"],
        "revocation_endpoint_auth_methods_supported": [*AUTH_METHODS, "none"],
        "introspection_endpoint_auth_methods_supported": AUTH_METHODS,
        # OpenID Connect (Discovery 1.0 §3): ID tokens, UserInfo, RP-initiated logout
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "claims_supported": [
            "iss",
            "sub",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "at_hash",
            "amr",  # how the user signed in: pwd, otp (two-step verification)
            "acr",  # "1" one factor, "2" two
            "preferred_username",
        ],
        "acr_values_supported": ["1", "2"],
        "prompt_values_supported": ["none", "login"],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
    },
)


def issuer(request: Request) -> str:
    """The issuer: ISSUER when configured, else the one the signing keys are for (set at deployment),
    else this API's own URL as API Gateway knows it."""
    return issuers.of(request)


def discovery_document(request: Request) -> dict:
    """The one document both discovery URLs answer with."""
    base = issuer(request)
    endpoints = {name: f"{base}{path}" for name, path in SERVED.endpoints.items()}
    scopes_supported = sorted({*registry.scope_names(), *scopes.IDENTITY})
    return {"issuer": base, **endpoints, **SERVED.values, "scopes_supported": scopes_supported}


@oauth_endpoint
def metadata(request: Request) -> dict:
    """GET /.well-known/oauth-authorization-server (RFC 8414)."""
    return json_response(200, discovery_document(request), PUBLIC)


@oauth_endpoint
def openid_configuration(request: Request) -> dict:
    """GET /.well-known/openid-configuration: what API Gateway's JWT authorizers (and JOSE
    libraries) read, the issuer and where its keys are; the same document as the metadata."""
    return json_response(200, discovery_document(request), PUBLIC)


@oauth_endpoint
def jwks(request: Request) -> dict:
    """GET /.well-known/jwks.json (RFC 7517): the public keys of every published signing key."""
    from tokenservice.jose import signing

    settings = signing.settings(fresh=True)  # a rotated key is published at once
    keys = [key.jwk for key in settings.published(time.time())] if settings else []
    return json_response(200, {"keys": keys}, {"Cache-Control": "public, max-age=60"})


PUBLIC = {"Cache-Control": "public, max-age=300"}
