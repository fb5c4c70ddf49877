"""The developer portal's page, script and styles, and the headers every portal answer carries.

A static page with no inline script or style and nothing from another origin, so the
Content-Security-Policy can be `default-src 'none'` with scripts, styles and fetches from 'self'
only; it may not be framed (`frame-ancestors 'none'`, `X-Frame-Options: DENY`) and sends no Referer.
This module is what the portal function imports at its cold start: it loads nothing else.
"""

import functools
from collections.abc import Mapping
from pathlib import Path

from tokenservice.web import pages
from tokenservice.web.http import cors_headers

STATIC = Path(__file__).resolve().parent / "static"

CONTENT_SECURITY_POLICY = pages.policy(
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",  # the QR code of a TOTP secret, made by the portal function (portal.mfa)
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
)

# resource → (file in the static directory, Content-Type)
ASSETS = {
    "/portal": ("index.html", "text/html; charset=utf-8"),
    "/portal/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/portal/app.css": ("app.css", "text/css; charset=utf-8"),
}


def security_headers() -> dict[str, str]:
    return pages.security_headers(CONTENT_SECURITY_POLICY)


@functools.cache
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def asset(event: Mapping) -> dict:
    """GET /portal, /portal/app.js, /portal/app.css. API Gateway routes `/portal/` (a trailing
    slash) to `/portal` too, where the page's relative links would break: it is redirected."""
    if str(event.get("resource")) == "/portal" and str(event.get("path") or "").endswith("/"):
        headers = {"Location": "../portal", "Cache-Control": "no-cache"}
        return {"statusCode": 301, "headers": headers, "body": ""}
    name, content_type = ASSETS[str(event.get("resource"))]
    return {
        "statusCode": 200,
        "headers": {"Content-Type": content_type, "Cache-Control": "no-cache"},
        "body": _read(STATIC / name),
    }


def finish(event: Mapping, response: dict) -> None:
    """Every portal answer, errors included: the security headers, CORS for this API's origin only,
    and no HTTP authentication challenge: the page calls its backend with a session cookie, and a
    challenge (the Basic one of a refused application secret) would make the browser prompt for a
    password (the HTTP API passes the functions' headers through; the REST API renamed this one)."""
    response["headers"].update({**security_headers(), **cors_headers(event)})
    response["headers"].pop("WWW-Authenticate", None)
