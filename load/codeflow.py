"""`make load`'s code-flow mix, over HTTP with http.client (no browser): a worker's browser cookies
kept by hand, the hosted login page's form filled in from its HTML, the codes exchanged.

One cycle: GET /authorize without a login session (the login page), POST /login (303 with a
code), the code exchanged (POST /token, authorization_code), GET /authorize again with the login
session (302 with a code at once), that code exchanged, GET /userinfo with the access token. Every
access token issued is checked afterwards: stored, and still good (GET /userinfo answers 200)."""

import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qsl, urlencode, urlsplit

from load.common import USERINFO, Issued, bearer
from load.connection import Connection

REDIRECT = "http://127.0.0.1:9/callback"  # registered, never contacted: the worker reads the Location
LOGIN_PAGE = "GET /authorize (login page)"
LOGIN = "POST /login"
SESSION = "GET /authorize (login session)"
EXCHANGE = "POST /token (authorization_code)"
ROUTES = (LOGIN_PAGE, LOGIN, SESSION, EXCHANGE, USERINFO)
_HIDDEN = re.compile(r'name="(transaction|client_id|csrf_token)" value="([^"]*)"')


def provision_client() -> tuple[str, str]:
    """A confidential code-flow client for the mix: (client_id, client_secret)."""
    from tokenservice import admin
    from tokenservice.oauth import clients

    browser = clients.Browser(redirect_uris=(REDIRECT,))
    new = admin.create_client("make load code flow", "openid read", "authorization_code", browser=browser)
    return new.client.client_id, new.client_secret


class CodeFlowWorker:
    """One worker's browser (its cookies) and the client it signs in to."""

    def __init__(self, connection: Connection, client: tuple[str, str], user: tuple[str, str]):
        self.connection, self.client, self.user = connection, client, user
        self.cookies: dict[str, str] = {}

    def _headers(self) -> dict[str, str]:
        jar = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        return {"Cookie": jar} if jar else {}

    def _keep(self, headers: list[tuple[str, str]]) -> None:
        for name, value in headers:
            if name.lower() == "set-cookie":
                key, _, rest = value.split(";", 1)[0].partition("=")
                self.cookies[key] = rest

    def _authorize(self, route: str, expect: int):
        self.verifier = secrets.token_urlsafe(48)
        digest = hashlib.sha256(self.verifier.encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        query = {"response_type": "code", "client_id": self.client[0], "redirect_uri": REDIRECT}
        query |= {"scope": "openid read", "code_challenge": challenge, "code_challenge_method": "S256"}
        status, headers, body = self.connection.exchange(
            route, "GET", "/authorize?" + urlencode(query), expect, headers=self._headers()
        )
        self._keep(headers)
        return status, headers, body

    def _code(self, headers: list[tuple[str, str]]) -> str | None:
        location = next((value for name, value in headers if name.lower() == "location"), "")
        return dict(parse_qsl(urlsplit(location).query)).get("code")

    def _exchange(self, code: str | None, issued: Issued) -> str | None:
        if code is None:
            return None
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
        form |= {"code_verifier": self.verifier, "client_id": self.client[0], "client_secret": self.client[1]}
        status, tokens = self.connection.call(EXCHANGE, "POST", "/token", 200, form)
        if status != 200:
            return None
        issued.code_access.append(tokens["access_token"])
        return tokens["access_token"]

    def cycle(self, issued: Issued) -> None:
        self.cookies.pop("login-session", None)  # signed out: the login page again
        status, _, page = self._authorize(LOGIN_PAGE, 200)
        if status != 200:
            return
        form = dict(_HIDDEN.findall(page.decode("utf-8", "replace")))
        form |= {"username": self.user[0], "password": self.user[1]}
        status, headers, _ = self.connection.exchange(LOGIN, "POST", "/login", 303, form, self._headers())
        self._keep(headers)
        if status != 303 or self._exchange(self._code(headers), issued) is None:
            return
        status, headers, _ = self._authorize(SESSION, 302)
        access = self._exchange(self._code(headers), issued) if status == 302 else None
        if access is not None:
            self.connection.call(USERINFO, "GET", "/userinfo", 200, headers=bearer(access))
