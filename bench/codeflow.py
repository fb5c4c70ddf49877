"""The authorization code flow's request paths for `make bench`, through the real token handler in
this process: /authorize with a login session (the code at once), /authorize without one (the
login page), the login page's form, and the code's exchange (with its ID token)."""

import re
import secrets
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit

from bench.requests import BENCH_PASSWORD, WARM_REQUESTS, Bench, PathResult, measure

REDIRECT = "https://bench.example/callback"
FORM_FIELDS = ("transaction", "client_id", "csrf_token")


class CodeFlow:
    """A code-flow client of the bench's user, and one browser's cookies."""

    def __init__(self, bench: Bench):
        from tokenservice import admin
        from tokenservice.oauth import clients, codes

        self.bench = bench
        browser = clients.Browser(redirect_uris=(REDIRECT,))
        new = admin.create_client("bench code flow", "read", "authorization_code", browser=browser)
        self.client_id, self.basic = new.client.client_id, Bench._basic(new)
        self.verifier = secrets.token_urlsafe(48)
        self.challenge = codes.s256(self.verifier)
        self.cookies: dict[str, str] = {}

    def event(self, method: str, path: str, query: str = "", form: dict | None = None, cookies=None) -> dict:
        from localrun.events import ProxyRequest, proxy_event

        jar = self.cookies if cookies is None else cookies
        headers = [("Host", "bench.example"), ("Cookie", "; ".join(f"{k}={v}" for k, v in jar.items()))]
        body = b""
        if form is not None:
            headers.append(("Content-Type", "application/x-www-form-urlencoded"))
            body = urlencode(form).encode()
        return proxy_event(ProxyRequest(method, path, query, headers, body), resource=path, stage="v1")

    def call(self, event: dict, expect: int, jar: dict | None = None) -> dict:
        response = self.bench.token_handler(event, self.bench.context)
        assert response["statusCode"] == expect, response["body"][:300]
        for cookie in (response.get("multiValueHeaders") or {}).get("Set-Cookie", []):
            name, _, value = cookie.split(";", 1)[0].partition("=")
            (self.cookies if jar is None else jar)[name] = value
        return response

    def authorize(self, jar: dict | None = None) -> dict:
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": REDIRECT,
            "scope": "openid read",
            "state": "bench",
            "code_challenge": self.challenge,
            "code_challenge_method": "S256",
        }
        return self.event("GET", "/authorize", urlencode(query), cookies=jar)

    def login_event(self, page: dict, jar: dict) -> dict:
        fields = dict(re.findall(r'name="(transaction|client_id|csrf_token)" value="([^"]*)"', page["body"]))
        form = {**fields, "username": self.bench.username, "password": BENCH_PASSWORD}
        return self.event("POST", "/login", form=form, cookies=jar)

    def code(self) -> str:
        response = self.call(self.authorize(), 302)
        return dict(parse_qsl(urlsplit(response["headers"]["Location"]).query))["code"]

    def exchange_event(self, code: str) -> dict:
        from localrun.events import token_event

        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
        return token_event(urlencode({**form, "code_verifier": self.verifier}), self.basic)


def _pages(flow: CodeFlow, count: int) -> list[tuple[dict, dict]]:
    """Login pages, each of its own browser (binding cookie), ready to be submitted."""
    pages = []
    for _ in range(count):
        jar: dict[str, str] = {}
        pages.append((flow.call(flow.authorize(jar), 200, jar), jar))
    return pages


def _each(events: list[dict], flow: CodeFlow, expect: int) -> Callable[[], object]:
    pending = iter(events)
    return lambda: flow.call(next(pending), expect, {})


def code_flow_paths(bench: Bench) -> list[PathResult]:
    flow = CodeFlow(bench)
    page, jar = _pages(flow, 1)[0]
    flow.cookies = jar
    flow.call(flow.login_event(page, jar), 303)  # signed in: the browser has its login session
    flow.call(flow.exchange_event(flow.code()), 200)  # the signing key decrypted, as in a warm sandbox
    with_session = measure("authorize, login session", lambda: flow.call(flow.authorize(), 302), bench.meter)
    without = measure("authorize, login page", lambda: flow.call(flow.authorize({}), 200, {}), bench.meter)
    logins = [flow.login_event(page, jar) for page, jar in _pages(flow, WARM_REQUESTS)]
    login = measure("login page, password", _each(logins, flow, 303), bench.meter)
    exchanges = [flow.exchange_event(flow.code()) for _ in range(WARM_REQUESTS)]
    exchange = measure("code exchange", _each(exchanges, flow, 200), bench.meter)
    return [with_session, without, login, exchange]
