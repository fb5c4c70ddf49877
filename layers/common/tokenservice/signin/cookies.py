"""The authorization server's two cookies in the browser.

- The login session (`__Host-login-session`): a random id behind the user's name (as a user's
  tokens are), so the session and its user are read in one round trip; it lets a second
  authorization in the same browser skip the password (single sign-on).
- The browser binding (`__Host-login-browser`): a random id that binds each login transaction to
  the browser that started it; the login and consent forms carry a CSRF token derived from it,
  which another site can neither read nor compute.

Both are `HttpOnly` (no script reads them), `Secure`, `SameSite=Lax` (sent when another site
redirects the browser to /authorize, a top-level GET; never on another site's POST), `Path=/` and
without `Domain`: this host only. On make run's plain http to the loopback (where some browsers
drop `Secure` cookies) they are `login-session` and `login-browser`, without `Secure` or the prefix,
as the portal's cookie is.
"""

from tokenservice.core import credentials
from tokenservice.web.http import Request, local_http

SESSION = ("__Host-login-session", "login-session")
BROWSER = ("__Host-login-browser", "login-browser")
MAX_VALUE_LENGTH = 512  # a session's id names its user (up to 128 characters, base64url-encoded)
RANDOM_LENGTH = 43  # base64url of 32 bytes


def name(cookie: tuple[str, str]) -> str:
    return cookie[1] if local_http() else cookie[0]


def read(request: Request, cookie: tuple[str, str]) -> str | None:
    """The cookie's value in the request, when it has the shape of one of ours."""
    wanted = name(cookie)
    for part in request.headers.get("cookie", "").split(";"):
        key, equals, value = part.strip().partition("=")
        if equals and key == wanted and _well_formed(cookie, value):
            return value
    return None


def _well_formed(cookie: tuple[str, str], value: str) -> bool:
    if cookie is BROWSER:
        return len(value) == RANDOM_LENGTH and value.replace("-", "").replace("_", "").isalnum()
    _, dot, random = value.rpartition(".")
    return (
        len(value) <= MAX_VALUE_LENGTH
        and bool(dot)
        and len(random) == RANDOM_LENGTH
        and credentials.token_username(value) is not None
    )


def set_cookie(cookie: tuple[str, str], value: str, max_age: int | None = None) -> str:
    """A Set-Cookie header; without `max_age` the cookie ends with the browser session."""
    attributes = [f"{name(cookie)}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
    if max_age is not None:
        attributes.append(f"Max-Age={max(0, max_age)}")
    if not local_http():
        attributes.append("Secure")
    return "; ".join(attributes)


def clear(cookie: tuple[str, str]) -> str:
    return set_cookie(cookie, "", 0)


def new_browser_id() -> str:
    return credentials.new_token()
