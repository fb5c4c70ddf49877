"""The portal signs in through the authorization code flow (RFC 6749 §4.1, RFC 7636), as its own
first-party confidential client: one hosted login page for the whole service.

`GET /portal/login` sends the browser to `/authorize` with a fresh `state` and PKCE challenge;
the hosted login page authenticates the user; `GET /portal/callback` checks the answer and
exchanges the code in-process (the token endpoint's own grant, with the portal's secret, which
never leaves this function), and the portal's session begins (`portal.callback`).

Nothing is stored for a sign-in in progress: the browser holds a random secret in an HttpOnly
cookie (`__Host-portal-signin`, SameSite=Lax: it must come back on the redirect to the callback,
a top-level GET, and lives ten minutes), and `state` and the PKCE `code_verifier` are HMACs of it.
Another site can neither read that cookie nor compute them, so it can neither forge the callback
(a login CSRF) nor use a stolen code. The callback also checks the issuer (RFC 9207).
"""

import base64
import hashlib
import hmac
from urllib.parse import urlencode

from tokenservice.core import config, credentials, grant_types
from tokenservice.core.errors import AccessDenied
from tokenservice.oauth import codes, tokens
from tokenservice.oauth import issuer as issuers
from tokenservice.oauth.client_auth import ClientCredentials
from tokenservice.oauth.grants.dispatch import for_type
from tokenservice.portal.portal_client import CALLBACK, SESSION_SCOPE
from tokenservice.web.http import Request, local_http

PENDING = ("__Host-portal-signin", "portal-signin")
PENDING_SECONDS = 600


def portal_credentials() -> ClientCredentials:
    """The portal's own client credentials, from the environment (never from a request)."""
    secret = config.PORTAL_CLIENT_SECRET.value()
    if not secret:
        raise RuntimeError("PORTAL_CLIENT_SECRET is not set: the portal's client was not provisioned")
    return ClientCredentials(config.PORTAL_CLIENT_ID.value(), secret)


def _derived(secret: str, purpose: str) -> str:
    digest = hmac.new(secret.encode("ascii"), f"portal sign-in {purpose}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _cookie_name() -> str:
    return PENDING[1] if local_http() else PENDING[0]


def pending_cookie(value: str, max_age: int) -> str:
    attributes = [f"{_cookie_name()}={value}", "Path=/", f"Max-Age={max_age}", "HttpOnly", "SameSite=Lax"]
    return "; ".join(attributes if local_http() else [*attributes, "Secure"])


def _pending(request: Request) -> str | None:
    for part in request.headers.get("cookie", "").split(";"):
        name, equals, value = part.strip().partition("=")
        if equals and name == _cookie_name() and len(value) == 43:
            return value
    return None


def callback_uri(request: Request) -> str:
    """The portal's redirect URI, as its client registered it: under the issuer (ISSUER, else this
    API's own URL)."""
    return request.issuer() + CALLBACK


def start(request: Request, login_hint: str | None) -> tuple[str, str]:
    """Where to send the browser to sign in, and the Set-Cookie header of the sign-in's secret."""
    secret = credentials.new_token()
    query = {
        "response_type": "code",
        "client_id": config.PORTAL_CLIENT_ID.value(),
        "redirect_uri": callback_uri(request),
        "scope": SESSION_SCOPE,
        "state": _derived(secret, "state"),
        "code_challenge": codes.s256(_derived(secret, "verifier")),
        "code_challenge_method": "S256",
    }
    if login_hint and len(login_hint) <= 128:
        query["login_hint"] = login_hint
    return f"{request.issuer()}/authorize?{urlencode(query)}", pending_cookie(secret, PENDING_SECONDS)


def finish(request: Request, query: dict[str, str]) -> tokens.IssuedTokens:
    """The tokens of the sign-in the callback answers: AccessDenied when it is not this browser's
    (state), not this issuer's (iss), or the user did not sign in; the grant's errors when the code
    is not good."""
    secret = _pending(request)
    state = query.get("state", "")
    if secret is None or not hmac.compare_digest(state.encode(), _derived(secret, "state").encode()):
        raise AccessDenied("This sign-in was not started in this browser")
    if query.get("iss") != issuers.of(request) or "error" in query or not query.get("code"):
        raise AccessDenied("The sign-in did not complete")
    form = {
        "code": query["code"],
        "redirect_uri": callback_uri(request),
        "code_verifier": _derived(secret, "verifier"),
    }
    return for_type(grant_types.AUTHORIZATION_CODE).issue(form, portal_credentials())
