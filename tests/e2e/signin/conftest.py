"""The code flow over HTTP against `make run`: clients made with the installed tokenctl, a local
callback server standing in for a client's redirect URI, and a browser without JavaScript
(`requests` with a cookie jar) that fills in the hosted login page as a user does."""

import base64
import hashlib
import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests

from tests.e2e.conftest import tokenctl

FORM_FIELDS = ("transaction", "client_id", "csrf_token")


class Callback:
    """A client's redirect URI on this machine: it records every authorization response."""

    def __init__(self):
        self.answers: list[dict[str, str]] = []
        recorded = self.answers

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                parts = urlsplit(self.path)
                if parts.path == "/callback":  # not the browser's favicon.ico
                    recorded.append(dict(parse_qsl(parts.query)))
                body = b"<!doctype html><title>Back at the client</title><h1>Back at the client</h1>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/callback"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()


@pytest.fixture(scope="session")
def callback():
    server = Callback()
    yield server
    server.stop()


def make_client(api, redirect_uri: str, *options: str, scopes: str = "openid read update") -> dict:
    """A client of the code flow, made with the installed tokenctl as an operator makes one."""
    args = ["client", "create", "--name", "Browser app", "--scopes", scopes, "--redirect-uris", redirect_uri]
    if "--public" not in options:
        args += ["--grant-types", "authorization_code refresh_token"]
    result = tokenctl(api, *args, *options, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(
        b"="
    ).decode()


@dataclass
class Flow:
    """One authorization request of one client."""

    api: object
    client: dict
    redirect_uri: str
    scope: str = "openid read"
    verifier: str = ""
    challenge: str = ""
    state: str = field(default_factory=lambda: secrets.token_urlsafe(8))
    nonce: str = field(default_factory=lambda: secrets.token_urlsafe(8))

    def __post_init__(self):
        self.verifier, self.challenge = pkce()

    def url(self, **overrides) -> str:
        query = {
            "response_type": "code",
            "client_id": self.client["client_id"],
            "redirect_uri": self.redirect_uri,
            "scope": self.scope,
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": self.challenge,
            "code_challenge_method": "S256",
            **overrides,
        }
        return f"{self.api.url}/authorize?" + urlencode({k: v for k, v in query.items() if v is not None})

    def exchange(self, code: str, **overrides) -> requests.Response:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri}
        form |= {"code_verifier": self.verifier, **overrides}
        auth = None
        if "client_secret" in self.client:
            auth = (self.client["client_id"], self.client["client_secret"])
        else:
            form["client_id"] = self.client["client_id"]
        return requests.post(f"{self.api.url}/token", data=form, auth=auth, timeout=30)


def fields(page: requests.Response) -> dict[str, str]:
    found = dict(re.findall(r'name="(transaction|client_id|csrf_token)" value="([^"]*)"', page.text))
    assert set(found) == set(FORM_FIELDS), page.text[:500]
    return found


class Browser:
    """A browser without JavaScript: cookies, forms, and redirects it does not follow (to see them)."""

    def __init__(self, api):
        self.api = api
        self.session = requests.Session()

    def get(self, url: str) -> requests.Response:
        return self.session.get(url, allow_redirects=False, timeout=30)

    def log_in(self, page: requests.Response, username: str, password: str, **headers) -> requests.Response:
        form = {**fields(page), "username": username, "password": password}
        return self.session.post(
            f"{self.api.url}/login", data=form, headers=headers, allow_redirects=False, timeout=30
        )

    def code(self, flow: Flow, username: str, password: str, **overrides) -> dict[str, str]:
        """To the code: through the login page, or straight back with a login session."""
        response = self.get(flow.url(**overrides))
        if response.status_code == 200:
            response = self.log_in(response, username, password)
        return answer(response)


def answer(response: requests.Response) -> dict[str, str]:
    assert response.status_code in (302, 303), (response.status_code, response.text[:300])
    return dict(parse_qsl(urlsplit(response.headers["Location"]).query))


@pytest.fixture
def web(local_api, callback) -> tuple:
    """A confidential client with the callback as its redirect URI, and a browser."""
    client = make_client(local_api, callback.url, "--post-logout-redirect-uris", callback.url)
    return client, Browser(local_api)
