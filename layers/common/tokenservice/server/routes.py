"""The token function's routes: the authorization server's endpoints, and WSO2 Key Manager's paths
for them (docs/migrating-from-wso2.md).

`WSO2_PATHS` names, for a resource of this table, the path a WSO2 client calls for it; each gets
the same endpoint, methods and rules (with their events in template.yaml, which a test holds equal
to this table).
"""

from collections.abc import Mapping

from tokenservice.store import dynamo
from tokenservice.web.routing import Router

ROUTES = {
    ("POST", "/token"): "tokenservice.server.token:token",
    ("POST", "/revoke"): "tokenservice.server.token:revoke",
    ("POST", "/introspect"): "tokenservice.server.token:introspect",
    ("GET", "/.well-known/oauth-authorization-server"): "tokenservice.server.discovery:metadata",
    ("GET", "/.well-known/openid-configuration"): "tokenservice.server.discovery:openid_configuration",
    ("GET", "/.well-known/jwks.json"): "tokenservice.server.discovery:jwks",
    ("POST", "/signup"): "tokenservice.server.signup:signup",
    # the authorization code flow and OpenID Connect (the browser's: the hosted pages)
    ("GET", "/authorize"): "tokenservice.server.authorize:authorize",
    ("POST", "/login"): "tokenservice.server.authorize:login",
    ("POST", "/consent"): "tokenservice.server.authorize:consent",
    ("GET", "/signin/style.css"): "tokenservice.server.authorize:stylesheet",
    ("GET", "/userinfo"): "tokenservice.server.userinfo:userinfo",
    ("GET", "/logout"): "tokenservice.server.logout:logout",
}

WSO2_PATHS = {
    "/token": "/oauth2/token",
    "/revoke": "/oauth2/revoke",
    "/introspect": "/oauth2/introspect",
    "/.well-known/jwks.json": "/oauth2/jwks",
    "/authorize": "/oauth2/authorize",
    "/userinfo": "/oauth2/userinfo",
}


def aliases(routes: Mapping[tuple[str, str], str], paths: Mapping[str, str]) -> dict[tuple[str, str], str]:
    """The routes again under the other paths `paths` gives their resources."""
    return {
        (method, paths[resource]): target
        for (method, resource), target in routes.items()
        if resource in paths
    }


# Where a browser script (a single-page app: a public client, which sends no Authorization header
# and has no secret) may read the answer from another origin: `*`, never with credentials — these
# answers set no cookie, and a script gets only what it sent the code, verifier or token for.
PUBLIC_CLIENT_RESOURCES = frozenset(
    {resource for path in ("/token", "/revoke") for resource in (path, WSO2_PATHS[path])}
)


def public_client_cors(event: Mapping, response: dict) -> None:
    headers = {str(name).lower() for name in (event.get("headers") or {})}
    if (
        event.get("resource") in PUBLIC_CLIENT_RESOURCES
        and "origin" in headers
        and "authorization" not in headers
    ):
        response["headers"]["Access-Control-Allow-Origin"] = "*"


ROUTER = Router({**ROUTES, **aliases(ROUTES, WSO2_PATHS)}, finish=public_client_cors)


# The endpoint most first requests are for: the token endpoint (the grants, PynamoDB, botocore).
FIRST_REQUEST = ("POST", "/token")


def initialise() -> None:
    """What the token function's first request needs whatever it asks, done at its init (the
    handler module's import) rather than in the request: the token endpoint's module and the
    DynamoDB client. Init is where SnapStart takes its snapshot and what provisioned concurrency
    pays ahead; on a plain cold start it is the same work, moved out of the first request's
    latency. Nothing here reads a secret or opens a connection (the client connects, and finds its
    credentials, at its first call)."""
    ROUTER.endpoint(ROUTES[FIRST_REQUEST])
    dynamo.client()
