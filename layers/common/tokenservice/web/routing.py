"""The token function's routes: API Gateway resource → (method, endpoint).

The endpoints (`endpoints`, and with them botocore, PynamoDB and argon2) are loaded when the first
request needs them, not when the function module is imported: SnapStart priming loads them before
the snapshot, and without SnapStart the first request pays what the import would have.
"""

import importlib
from collections.abc import Mapping

from tokenservice.core.errors import MethodNotAllowed, NotFound
from tokenservice.web.http import error_response

# resource → (the method it takes, the name of its function in `endpoints`)
ROUTES: dict[str, tuple[str, str]] = {
    "/token": ("POST", "token"),
    "/revoke": ("POST", "revoke"),
    "/introspect": ("POST", "introspect"),
    "/.well-known/oauth-authorization-server": ("GET", "metadata"),
    "/.well-known/openid-configuration": ("GET", "openid_configuration"),
    "/.well-known/jwks.json": ("GET", "jwks"),
    "/signup": ("POST", "signup"),
}


def endpoint(name: str):
    return getattr(importlib.import_module("tokenservice.server.endpoints"), name)


def dispatch(event: Mapping) -> dict:
    """Route an API Gateway event to its endpoint by resource; other methods get 405."""
    method, name = ROUTES.get(str(event.get("resource", "")), (None, None))
    if name is None:
        return error_response(NotFound())
    if str(event.get("httpMethod", "")).upper() != method:
        return error_response(MethodNotAllowed())
    return endpoint(name)(event)
