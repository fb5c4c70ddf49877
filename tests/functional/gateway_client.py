"""Requests through the API Gateway emulator in-process (the real handlers, the authorizer and the
template's routes, moto behind them), sent as a browser sends them: a cookie jar, an Origin."""

import json
from dataclasses import dataclass, field

from localrun import template
from localrun.gateway import Gateway, HttpResponse

HOST = "portal.example.test"


@dataclass
class Response:
    raw: HttpResponse

    @property
    def status(self) -> int:
        return self.raw.status

    def header(self, name: str) -> str | None:
        values = self.headers_named(name)
        return values[-1] if values else None

    def headers_named(self, name: str) -> list[str]:
        return [value for key, value in self.raw.headers if key.lower() == name.lower()]

    def json(self):
        return json.loads(self.raw.body) if self.raw.body else None

    @property
    def text(self) -> str:
        return self.raw.body.decode("utf-8")


@dataclass
class Browser:
    """One browser: its cookies (name → value), its origin, the portal's CSRF token once signed in."""

    gateway: Gateway
    host: str = HOST
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str | None = None

    @property
    def origin(self) -> str:
        return f"https://{self.host}"

    def request(self, method: str, path: str, body=None, headers: dict | None = None, origin: bool = True):
        sent = [("Host", self.host), ("Accept", "application/json")]
        if origin:
            sent.append(("Origin", self.origin))
        if self.cookies:
            sent.append(("Cookie", "; ".join(f"{name}={value}" for name, value in self.cookies.items())))
        payload = b""
        if body is not None:
            payload = json.dumps(body).encode("utf-8")
            sent.append(("Content-Type", "application/json"))
        if method != "GET" and self.csrf is not None and "X-CSRF-Token" not in (headers or {}):
            sent.append(("X-CSRF-Token", self.csrf))
        sent += list((headers or {}).items())
        response = Response(self.gateway.handle(method, path, sent, payload, "203.0.113.9"))
        for cookie in response.headers_named("Set-Cookie"):
            self._store(cookie)
        return response

    def _store(self, cookie: str) -> None:
        pair, *attributes = (part.strip() for part in cookie.split(";"))
        name, _, value = pair.partition("=")
        if "Max-Age=0" in attributes or not value:
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value

    # the portal's calls, as its page makes them

    def sign_up(self, username: str, password: str) -> Response:
        return self.request(
            "POST", "/portal/signup", {"username": username, "password": password}, self._anonymous()
        )

    def sign_in(self, username: str, password: str) -> Response:
        response = self.request(
            "POST", "/portal/signin", {"username": username, "password": password}, self._anonymous()
        )
        if response.status == 200:
            self.csrf = response.json()["csrf_token"]
        return response

    def _anonymous(self) -> dict:
        return {} if self.csrf is not None else {"X-CSRF-Token": "sign-in"}


def gateway() -> Gateway:
    return Gateway(template.load())
