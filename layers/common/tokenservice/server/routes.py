"""The token function's routes: the authorization server's endpoints."""

from tokenservice.web.routing import Router

ROUTER = Router(
    {
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
)
