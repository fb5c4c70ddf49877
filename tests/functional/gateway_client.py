"""Requests through the API Gateway emulator in-process (the real handlers, the authorizer and the
template's routes, moto behind them), sent as a browser sends them: a cookie jar, an Origin, forms;
redirects followed on this host; the hosted login page filled in as a user fills it in."""

import json
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

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


def hidden(html: str, name: str) -> str:
    """The value of a page's hidden form field."""
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden {name} in the page"
    return match.group(1)


FORM_FIELDS = ("transaction", "client_id", "csrf_token")


@dataclass
class Browser:
    """One browser: its cookies (name → value), its origin, the portal's CSRF token once signed in."""

    gateway: Gateway
    host: str = HOST
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str | None = None
    scheme: str = "https"
    callback: Response | None = None  # the portal's last sign-in callback
    answered: str | None = None  # where the hosted login page last sent the browser (with its code)

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.host}"

    def follow(self, response: Response, **kw) -> Response:
        """GET where a redirect points (on this host)."""
        assert response.status in (302, 303), (response.status, response.text[:300])
        parts = urlsplit(response.header("Location"))
        assert parts.netloc in ("", self.host), parts.netloc
        return self.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""), **kw)

    def log_in(self, page: Response, username: str, password: str, headers: dict | None = None, **kw):
        """Fill in and send the hosted login page."""
        form = {name: hidden(page.text, name) for name in FORM_FIELDS}
        form |= {"username": username, "password": password}
        return self.request("POST", "/login", form=form, headers=headers, **kw)

    def request(
        self,
        method: str,
        path: str,
        body=None,
        headers: dict | None = None,
        origin: bool = True,
        form: dict | None = None,
    ):
        sent = [("Host", self.host), ("Accept", "application/json")]
        if origin:
            sent.append(("Origin", self.origin))
        if self.cookies:
            sent.append(("Cookie", "; ".join(f"{name}={value}" for name, value in self.cookies.items())))
        payload = b""
        if body is not None:
            payload = json.dumps(body).encode("utf-8")
            sent.append(("Content-Type", "application/json"))
        if form is not None:
            payload = urlencode(form).encode("utf-8")
            sent.append(("Content-Type", "application/x-www-form-urlencoded"))
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
        """Sign in to the portal as its page does: to the hosted login page and back (the code flow;
        with a login session already, straight back). The portal's session document, or the login
        page's refusal."""
        answer = self.follow(self.request("GET", "/portal/login"))
        if answer.status == 200:  # the login page
            answer = self.log_in(answer, username, password)
        if answer.status not in (302, 303):
            return answer
        self.answered = answer.header("Location")
        self.callback = self.follow(answer)
        session = self.request("GET", "/portal/session")
        if session.json().get("signed_in"):
            self.csrf = session.json()["csrf_token"]
        return session

    def _anonymous(self) -> dict:
        return {} if self.csrf is not None else {"X-CSRF-Token": "sign-in"}


def gateway() -> Gateway:
    return Gateway(template.load())
