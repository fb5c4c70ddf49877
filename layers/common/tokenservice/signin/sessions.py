"""Login sessions (single sign-on, OpenID Connect Core §3.1.2.3): who signed in to this browser and
when, so a second authorization in the same browser skips the password.

The item is keyed by the SHA-256 of the cookie's value (never the value) and holds the user, the
time they authenticated (`auth_time`, for `max_age` and the ID token) and their credential version.
A session counts while it is unexpired (LOGIN_SESSION_SECONDS after the sign-in) and its user
exists, is enabled and has that credential version: disabling a user, changing their password or
their roles ends their sessions at once, as it ends their tokens. Every sign-in makes a new
session id (an id from before is never reused: no session fixation); logging out deletes it.
"""

from dataclasses import dataclass

from pynamodb.models import Model

from tokenservice.core import credentials
from tokenservice.signin import cookies
from tokenservice.store import storage
from tokenservice.store.models import LoginSessionModel, UserModel, login_session_key
from tokenservice.web.http import Request

LOGIN_SESSION_SECONDS = 8 * 3600


@dataclass(frozen=True)
class LoginSession:
    user: UserModel
    auth_time: int
    amr: str = "pwd"  # how: "pwd", or "pwd otp" (a second factor too)

    @property
    def username(self) -> str:
        return self.user.username


def presented(request: Request) -> str | None:
    return cookies.read(request, cookies.SESSION)


def lookup_keys(session_id: str | None) -> list[tuple[type[Model], str | None]]:
    """What to read to know a browser's session: its item and the user its cookie names."""
    if session_id is None:
        return [(LoginSessionModel, None), (UserModel, None)]
    return [
        (LoginSessionModel, login_session_key(session_id)),
        (UserModel, credentials.token_username(session_id)),
    ]


def counting(item: LoginSessionModel | None, user: UserModel | None, now: float) -> LoginSession | None:
    """The session, as read with its user, while it counts; else None."""
    if item is None or user is None or item.expires_at <= now or item.subject != user.username:
        return None
    if user.disabled or int(user.credential_version or 0) != int(item.credential_version or 0):
        return None
    return LoginSession(user, int(item.auth_time), item.amr or "pwd")


def new(user: UserModel, auth_time: int, now: int, amr: str = "pwd") -> tuple[str, dict, str]:
    """A new session for a user who just authenticated: its id, the transaction item that stores
    it, and the Set-Cookie header that gives the browser its id."""
    session_id = credentials.new_token(user.username)
    item = LoginSessionModel(
        login_session_key(session_id),
        subject=user.username,
        auth_time=auth_time,
        amr=amr,
        credential_version=int(user.credential_version or 0),
        created_at=now,
        expires_at=now + LOGIN_SESSION_SECONDS,
    )
    cookie = cookies.set_cookie(cookies.SESSION, session_id, LOGIN_SESSION_SECONDS)
    return session_id, {"Put": storage.put_new_request(item)}, cookie


def ending(session_id: str) -> dict:
    """The transaction item that ends a session (whether or not it still exists)."""
    return {"Delete": storage.remove_request(LoginSessionModel, login_session_key(session_id))}


def end(request: Request) -> str:
    """Log the browser out: its session ends; returns the Set-Cookie header that clears the cookie."""
    session_id = presented(request)
    if session_id is not None:
        storage.delete(LoginSessionModel, login_session_key(session_id))
    return cookies.clear(cookies.SESSION)
