"""The hosted pages: the login page, the consent page, and a message page (an error that cannot go
back to the client, a signed-out notice), on the authorization server's own origin.

Plain HTML forms that work without JavaScript, from templates in `static/`; every value written
into a page is HTML-escaped here. No script at all, no inline style, nothing from another origin:
the Content-Security-Policy is `default-src 'none'` with the stylesheet from 'self', `form-action`
allowing this origin and the one redirect URI the form's answer may send the browser to, and
`frame-ancestors 'none'` (with `X-Frame-Options: DENY`: no clickjacking). Pages are never cached
(they hold CSRF tokens) and send a Referer to this origin only.
"""

import functools
import html
from collections.abc import Iterable, Mapping
from pathlib import Path
from string import Template

from tokenservice.core.errors import OAuthError
from tokenservice.web import pages
from tokenservice.web.http import NO_STORE

STATIC = Path(__file__).resolve().parent / "static"
STYLESHEET = "/signin/style.css"
# The page's URL (the authorization request: its state, its PKCE challenge) never leaves this origin,
# and a form posted to this origin still names its Origin (under no-referrer a browser sends
# `Origin: null`, which the forms' origin check could not tell from another site's).
REFERRER_POLICY = "same-origin"
HTML = "text/html; charset=utf-8"


def content_security_policy(form_targets: Iterable[str] | None) -> str:
    """The pages' CSP; `form_targets`: the sources a form's answer may redirect to (None: no form)."""
    form_action = "'none'" if form_targets is None else " ".join(("'self'", *form_targets))
    return pages.policy(
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self'",
        f"form-action {form_action}",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )


@functools.cache
def _template(name: str) -> Template:
    return Template((STATIC / name).read_text(encoding="utf-8"))


def render(name: str, markup: Mapping[str, str] | None = None, **values: str) -> str:
    """A template with `values` HTML-escaped and `markup` (already HTML, built here) as it is."""
    escaped = {key: html.escape(str(value), quote=True) for key, value in values.items()}
    return _template(name).substitute({**escaped, **(markup or {})})


def respond(
    status: int, body: str, *, form_targets: Iterable[str] | None = None, cookies: Iterable[str] = ()
) -> dict:
    """A page as a Lambda proxy response, with its security headers and cookies."""
    headers = {
        "Content-Type": HTML,
        **NO_STORE,
        **pages.security_headers(content_security_policy(form_targets)),
        "Referrer-Policy": REFERRER_POLICY,
    }
    response = {"statusCode": status, "headers": headers, "body": body}
    cookies = list(cookies)
    if cookies:
        response["multiValueHeaders"] = {"Set-Cookie": cookies}
    return response


def message(status: int, title: str, text: str, base: str | None, *, cookies: Iterable[str] = ()) -> dict:
    """A page that only says something (`base`: the API's base path; None when unknown, then the
    stylesheet is named relative to the page, right for every page but an alias's)."""
    stylesheet = STYLESHEET.lstrip("/") if base is None else base + STYLESHEET
    role = "alert" if status >= 400 else "status"
    body = render("message.html", title=title, text=text, stylesheet=stylesheet, role=role)
    return respond(status, body, cookies=cookies)


def error_page(error: OAuthError) -> dict:
    """How a page's endpoint answers an error that cannot go back to the client (the renderer of
    `oauth_endpoint`): what went wrong, never a value the request sent."""
    page = message(error.status_code, "Sign-in cannot continue", error.description, None)
    page["headers"].update(error.headers())
    return page


def problem(text: str | None) -> str:
    return f'<p class="problem" role="alert">{html.escape(text)}</p>' if text else ""


def scope_items(descriptions: Iterable[tuple[str | None, str]]) -> str:
    """The consent page's list: each scope (None: no scope's name) with what it allows."""
    items = []
    for name, text in descriptions:
        parts = [f"<code>{html.escape(name)}</code>"] if name else []
        parts += [html.escape(text)] if text else []
        items.append(f"<li>{' — '.join(parts)}</li>")
    return "\n".join(items)


def stylesheet(event: Mapping) -> dict:
    """GET /signin/style.css."""
    return {
        "statusCode": 200,
        "headers": {
            "Content-Type": "text/css; charset=utf-8",
            "Cache-Control": "public, max-age=300",
            **pages.BROWSER_HEADERS,
        },
        "body": (STATIC / "style.css").read_text(encoding="utf-8"),
    }
