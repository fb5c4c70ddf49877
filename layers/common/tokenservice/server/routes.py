"""The token function's routes: the authorization server's endpoints, and WSO2 Key Manager's paths
for them (docs/migrating-from-wso2.md).

`WSO2_PATHS` names, for a resource of this table, the path a WSO2 client calls for it; each gets
the same endpoint, methods and rules. A path listed for a resource the table does not serve is
ignored, so `/userinfo` → `/oauth2/userinfo` and `/authorize` → `/oauth2/authorize` are one line
each once those endpoints exist (with their events in template.yaml, which a test holds equal to
this table).
"""

from collections.abc import Mapping

from tokenservice.web.routing import Router

ROUTES = {
    ("POST", "/token"): "tokenservice.server.token:token",
    ("POST", "/revoke"): "tokenservice.server.token:revoke",
    ("POST", "/introspect"): "tokenservice.server.token:introspect",
    ("GET", "/.well-known/oauth-authorization-server"): "tokenservice.server.discovery:metadata",
    ("GET", "/.well-known/openid-configuration"): "tokenservice.server.discovery:openid_configuration",
    ("GET", "/.well-known/jwks.json"): "tokenservice.server.discovery:jwks",
    ("POST", "/signup"): "tokenservice.server.signup:signup",
}

WSO2_PATHS = {
    "/token": "/oauth2/token",
    "/revoke": "/oauth2/revoke",
    "/introspect": "/oauth2/introspect",
    "/.well-known/jwks.json": "/oauth2/jwks",
}


def aliases(routes: Mapping[tuple[str, str], str], paths: Mapping[str, str]) -> dict[tuple[str, str], str]:
    """The routes again under the other paths `paths` gives their resources."""
    return {
        (method, paths[resource]): target
        for (method, resource), target in routes.items()
        if resource in paths
    }


ROUTER = Router({**ROUTES, **aliases(ROUTES, WSO2_PATHS)})
