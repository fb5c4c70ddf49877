"""What the authorization server publishes about itself: RFC 8414 metadata, OpenID Connect
discovery, and the public signing keys (RFC 7517), none of them authenticated."""

import time

from tokenservice.core import config, grant_types
from tokenservice.registry import registry
from tokenservice.web.endpoint import oauth_endpoint
from tokenservice.web.http import Request, json_response

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
