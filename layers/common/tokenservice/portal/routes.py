"""The portal function's routes (the page and its backend for frontend) and the Applications
function's routes (the Applications API); each answer gets its headers from `finish`."""

from collections.abc import Mapping

from tokenservice.portal import pages
from tokenservice.web.http import cors_headers
from tokenservice.web.routing import Router

PORTAL = "tokenservice.portal.portal"
STORE = "tokenservice.portal.store"
APPLICATIONS_API = "tokenservice.portal.applications_api"
SUBSCRIPTIONS_API = "tokenservice.portal.subscriptions_api"

PORTAL_ROUTER = Router(
    {
        **{("GET", resource): "tokenservice.portal.pages:asset" for resource in pages.ASSETS},
        ("GET", "/portal/session"): f"{PORTAL}:session_state",
        ("POST", "/portal/signup"): f"{PORTAL}:signup",
        ("GET", "/portal/login"): f"{PORTAL}:login",
        ("GET", "/portal/callback"): f"{PORTAL}:callback",
        ("POST", "/portal/signout"): f"{PORTAL}:signout",
        ("GET", "/portal/applications"): f"{PORTAL}:list_applications",
        ("POST", "/portal/applications"): f"{PORTAL}:create_application",
        ("DELETE", "/portal/applications/{id}"): f"{PORTAL}:delete_application",
        ("POST", "/portal/applications/{id}/keys"): f"{PORTAL}:generate_keys",
        ("POST", "/portal/applications/{id}/token"): f"{PORTAL}:access_token",
        ("GET", "/portal/apis"): f"{STORE}:catalogue",
        ("GET", "/portal/applications/{id}/subscriptions"): f"{STORE}:list_subscriptions",
        ("POST", "/portal/applications/{id}/subscriptions"): f"{STORE}:subscribe",
        ("DELETE", "/portal/applications/{id}/subscriptions/{api}"): f"{STORE}:unsubscribe",
        ("GET", "/portal/applications/{id}/usage"): f"{STORE}:usage",
        ("GET", "/portal/mfa"): "tokenservice.portal.mfa:status",
        ("POST", "/portal/mfa/enrol"): "tokenservice.portal.mfa:enrol",
        ("POST", "/portal/mfa/confirm"): "tokenservice.portal.mfa:confirm",
        ("POST", "/portal/mfa/disable"): "tokenservice.portal.mfa:disable",
    },
    finish=pages.finish,
)


def _cors(event: Mapping, response: dict) -> None:
    response["headers"].update(cors_headers(event))


APPLICATIONS_ROUTER = Router(
    {
        ("GET", "/applications"): f"{APPLICATIONS_API}:list_applications",
        ("POST", "/applications"): f"{APPLICATIONS_API}:create_application",
        ("DELETE", "/applications/{id}"): f"{APPLICATIONS_API}:delete_application",
        ("POST", "/applications/{id}/keys"): f"{APPLICATIONS_API}:keys",
        ("GET", "/apis"): f"{SUBSCRIPTIONS_API}:catalogue",
        ("GET", "/applications/{id}/subscriptions"): f"{SUBSCRIPTIONS_API}:list_subscriptions",
        ("POST", "/applications/{id}/subscriptions"): f"{SUBSCRIPTIONS_API}:subscribe",
        ("DELETE", "/applications/{id}/subscriptions/{api}"): f"{SUBSCRIPTIONS_API}:unsubscribe",
        ("GET", "/applications/{id}/usage"): f"{SUBSCRIPTIONS_API}:usage",
    },
    finish=_cors,
)
