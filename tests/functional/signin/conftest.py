"""The authorization code flow's fixtures: clients of the grant (made as tokenctl makes them), a
browser through the API Gateway emulator in-process, and the steps a browser and a client take."""

import base64
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.conftest import post_form
from tests.functional.gateway_client import FORM_FIELDS, Browser, gateway, hidden
from tokenservice import admin
from tokenservice.oauth import clients

REDIRECT = "https://app.example.com/callback"
USERNAME = "alice"
PASSWORD = "correct horse battery staple"
ISSUER = "https://auth.example.com"


@dataclass(frozen=True)
class CodeClient:
    client_id: str
    client_secret: str | None
    redirect_uri: str

    @property
    def basic(self) -> str | None:
        if self.client_secret is None:
            return None
        return "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()


def code_client(
    scope: str = "read update", *, grants: str = "authorization_code refresh_token", **kw
) -> CodeClient:
    uris = kw.pop("redirect_uris", (REDIRECT,))
    new = admin.create_client(
        kw.pop("name", "Web app"), scope, grants, browser=clients.Browser(redirect_uris=tuple(uris), **kw)
    )
    return CodeClient(new.client.client_id, new.client_secret, uris[0])


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


@dataclass
class Attempt:
    """One authorization request: its client, PKCE pair, state and nonce."""

    client: CodeClient
    verifier: str
    challenge: str
    state: str
    nonce: str
    scope: str = "openid read"

    def query(self, **overrides) -> dict:
        query = {
            "response_type": "code",
            "client_id": self.client.client_id,
            "redirect_uri": self.client.redirect_uri,
            "scope": self.scope,
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": self.challenge,
            "code_challenge_method": "S256",
        }
        query.update(overrides)
        return {name: value for name, value in query.items() if value is not None}

    def path(self, **overrides) -> str:
        return "/authorize?" + urlencode(self.query(**overrides))


def attempt(client: CodeClient, scope: str = "openid read") -> Attempt:
    verifier, challenge = pkce()
    return Attempt(client, verifier, challenge, secrets.token_urlsafe(8), secrets.token_urlsafe(8), scope)


def form_of(page, **fields) -> dict:
    html = page.text
    form = {name: hidden(html, name) for name in FORM_FIELDS}
    return {**form, **fields}


def log_in(browser: Browser, page, username: str = USERNAME, password: str = PASSWORD):
    """Submit the login page as a user would."""
    return browser.request("POST", "/login", form=form_of(page, username=username, password=password))


def answer(response) -> dict[str, str]:
    """The query a redirect to the client carries."""
    assert response.status in (302, 303), (response.status, response.text[:300])
    return {name: values[0] for name, values in parse_qs(urlsplit(response.header("Location")).query).items()}


def exchange(lambda_context, trial: Attempt, code: str, **overrides):
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": trial.client.redirect_uri,
        "code_verifier": trial.verifier,
    }
    if trial.client.client_secret is None:
        form["client_id"] = trial.client.client_id
    form.update(overrides)
    form = {name: value for name, value in form.items() if value is not None}
    return post_form(lambda_context, "/token", form, trial.client.basic)


def code_for(browser: Browser, trial: Attempt, **overrides) -> dict[str, str]:
    """Through the login page to the code (straight to it with a login session)."""
    page = browser.request("GET", trial.path(**overrides))
    if page.status == 302:
        return answer(page)
    assert page.status == 200, page.text[:300]
    return answer(log_in(browser, page))


@pytest.fixture
def user(aws):
    return admin.create_user(USERNAME, PASSWORD, "read update")


@pytest.fixture
def browser(aws, monkeypatch) -> Browser:
    monkeypatch.setenv("ISSUER", ISSUER)
    return Browser(gateway())


@pytest.fixture
def signing(aws):
    """Signing as the stack sets it up: ID tokens are signed."""
    import boto3

    from tokenservice.deploy import deployment

    kms_key = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]
    return deployment.set_up_signing(ISSUER, kms_key)
