"""Developer-portal sessions: the backend-for-frontend pattern of *OAuth 2.0 for Browser-Based
Applications* (draft-ietf-oauth-browser-based-apps §6.1), and its CSRF defences.

- Signing in is a password grant of the portal's own confidential client (the token endpoint's
  own code: lockout, the same answer for every refusal, credential versions). The browser gets
  only a random session id (256 bits) in a cookie that scripts cannot read: `HttpOnly; Secure;
  SameSite=Strict`, named with the `__Host-` prefix (no Domain, Path=/: this host only).
- The session item is keyed by the SHA-256 of that id and holds the user and the SHA-256 of the
  sign-in's access token. Neither the id nor the token is stored anywhere, so a dump of the tables
  signs nobody in; the token's plaintext is dropped as soon as it is issued: the portal acts
  in-process, on the token's record.
- A session counts while its access token does: unexpired (an hour), unrevoked, its user enabled
  and at the credential version it was issued under. Signing out revokes the token and deletes the
  item; disabling a user, changing their password or their roles, or deleting the portal client
  (`tokenctl client delete`) ends their sessions at once.
- CSRF: a state-changing request must carry `X-CSRF-Token`: HMAC-SHA256 keyed by the session id,
  which the page reads from GET /portal/session (another site can read neither that answer nor
  the cookie), and must not come from another origin (`Origin`, `Sec-Fetch-Site`); sign-up and
  sign-in, before any session, need the header too (a custom header: no cross-site form can send
  it, and no cross-origin script may without a CORS preflight this API never grants).
  SameSite=Strict keeps the cookie off cross-site requests besides.
- make run serves plain http on 127.0.0.1, where some browsers (Safari) drop `Secure` cookies: there
  (its ISSUER is an http loopback URL, which the template cannot be given) the cookie is
  `portal-session`, without `Secure` or the prefix. Everywhere else it is `Secure`.
"""

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from tokenservice.core.errors import AccessDenied, LoginRequired
from tokenservice.oauth import revocation
from tokenservice.store import records, storage
from tokenservice.store.models import SessionModel, TokenModel, UserModel, session_key
from tokenservice.web.http import Request, local_http

SECURE_COOKIE = "__Host-portal-session"
LOCAL_COOKIE = "portal-session"
CSRF_HEADER = "x-csrf-token"
SESSION_ID_BYTES = 32
SESSION_ID_LENGTH = 43  # base64url of 32 bytes


@dataclass(frozen=True)
class Session:
    session_id: str  # the cookie's value: never logged, never stored
    user: UserModel
    record: TokenModel  # the sign-in's access token
    expires_at: int

    @property
    def username(self) -> str:
        return self.user.username

    @property
    def csrf_token(self) -> str:
        return csrf_token(self.session_id)


def cookie_name() -> str:
    return LOCAL_COOKIE if local_http() else SECURE_COOKIE


def _cookie(value: str, max_age: int) -> str:
    attributes = [f"{cookie_name()}={value}", "Path=/", f"Max-Age={max_age}", "HttpOnly", "SameSite=Strict"]
    if not local_http():
        attributes.append("Secure")
    return "; ".join(attributes)


def set_cookie(session: Session) -> str:
    """The Set-Cookie header that gives the browser its session id."""
    return _cookie(session.session_id, max(0, session.expires_at - int(time.time())))


def clear_cookie() -> str:
    return _cookie("", 0)


def presented_id(request: Request) -> str | None:
    """The session id the request's cookie carries, if it has the shape of one."""
    for part in request.headers.get("cookie", "").split(";"):
        name, equals, value = part.strip().partition("=")
        if equals and name == cookie_name() and len(value) == SESSION_ID_LENGTH:
            return value
    return None


def csrf_token(session_id: str) -> str:
    digest = hmac.new(session_id.encode("ascii"), b"portal csrf", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def start(record: TokenModel, user: UserModel) -> Session:
    """A new session for a sign-in's access token (a new id: a presented one is never reused)."""
    session_id = secrets.token_urlsafe(SESSION_ID_BYTES)
    storage.create(
        SessionModel(
            session_key(session_id),
            subject=record.username,
            access_hash=record.token_hash,
            created_at=int(time.time()),
            expires_at=int(record.expires_at),
        )
    )
    return Session(session_id, user, record, int(record.expires_at))


def current(request: Request) -> Session | None:
    """The request's session while it counts (two strongly consistent reads), else None."""
    session_id = presented_id(request)
    if session_id is None:
        return None
    item = storage.get(SessionModel, session_key(session_id))
    if item is None or item.expires_at <= time.time():
        return None
    record, user = storage.get_many([(TokenModel, item.access_hash), (UserModel, item.subject)])
    if not records.is_active(record, records.ACCESS) or record.username != item.subject:
        return None
    if not records.accepts(user, record):
        return None
    return Session(session_id, user, record, int(item.expires_at))


def require(request: Request) -> Session:
    session = current(request)
    if session is None:
        raise LoginRequired()
    return session


def end(session: Session) -> None:
    """Sign out: the token is revoked and the session item deleted."""
    revocation.revoke(session.record.token_hash)
    storage.delete(SessionModel, session_key(session.session_id))


def check_origin(request: Request) -> None:
    """A state-changing request comes from the portal's own page: it carries the CSRF header, and
    the browser does not say that another origin sent it."""
    origin = request.headers.get("origin")
    site = request.headers.get("sec-fetch-site")
    if origin is not None and origin != request.origin():
        raise AccessDenied()
    if site is not None and site != "same-origin":
        raise AccessDenied()
    if not request.headers.get(CSRF_HEADER):
        raise AccessDenied()


def check_csrf(request: Request, session: Session) -> None:
    """Also, its CSRF token is the session's."""
    check_origin(request)
    presented = request.headers.get(CSRF_HEADER, "").encode("utf-8", "surrogateescape")
    if not hmac.compare_digest(presented, session.csrf_token.encode("ascii")):
        raise AccessDenied()
