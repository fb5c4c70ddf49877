"""What the authorization server publishes about itself: RFC 8414 metadata, OpenID Connect
discovery, and the public signing keys (RFC 7517), none of them authenticated.

Both discovery documents come from one source, `SERVED`: the endpoints this server has (paths
under the issuer) and what they support. They name only what is served: there is no authorization
endpoint yet, so `response_types_supported` is empty (no implicit flow, RFC 8414 §2) and no ID-token
algorithm is advertised. A flow added later (the authorization code with PKCE, OpenID Connect's
ID tokens and UserInfo) adds its endpoint and values to `SERVED`, and both documents show it.

A registry outage (the signing settings, the scopes) is `503 temporarily_unavailable` with
`Retry-After` and `no-store` (`oauth_endpoint`): never a cached 200 that names a broken URL.
"""

import time
from dataclasses import dataclass, field

from tokenservice.core import config, grant_types
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
        "token_endpoint": "/token",
        "revocation_endpoint": "/revoke",
        "introspection_endpoint": "/introspect",
        "jwks_uri": "/.well-known/jwks.json",
    },
    values={
        "grant_types_supported": list(grant_types.ALL),
        "response_types_supported": [],  # no authorization endpoint: no response type is served
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "introspection_endpoint_auth_methods_supported": AUTH_METHODS,
    },
)


def issuer(request: Request) -> str:
    """The issuer: ISSUER when configured, else the one the signing keys are for (set at deployment),
    else this API's own URL as API Gateway knows it."""
    configured = config.ISSUER.value()
    if configured:
        return configured.rstrip("/")
    from tokenservice.jose import signing

    settings = signing.settings()
    return settings.issuer if settings else request.issuer()


def discovery_document(request: Request) -> dict:
    """The one document both discovery URLs answer with."""
    base = issuer(request)
    endpoints = {name: f"{base}{path}" for name, path in SERVED.endpoints.items()}
    return {"issuer": base, **endpoints, **SERVED.values, "scopes_supported": registry.scope_names()}


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
