"""The portal's fixtures: its client provisioned as make run and the stack do, and a browser
through the API Gateway emulator in-process; helpers to sign up and to make keys and tokens."""

import pytest

from tests.functional.gateway_client import HOST, Browser, gateway
from tokenservice.portal import portal_client

PASSWORD = "a fine long passphrase"
STATIC = ["/portal", "/portal/app.js", "/portal/app.css"]


@pytest.fixture
def portal_secret(aws, monkeypatch) -> str:
    """The portal's client, provisioned as make run and the stack do; its secret in the environment."""
    new = portal_client.provision("developer-portal", f"https://{HOST}")
    monkeypatch.setenv("PORTAL_CLIENT_ID", new.client.client_id)
    monkeypatch.setenv("PORTAL_CLIENT_SECRET", new.client_secret)
    monkeypatch.setenv("SELF_SIGNUP_ENABLED", "true")
    return new.client_secret


@pytest.fixture
def browser(portal_secret) -> Browser:
    return Browser(gateway())


def signed_up(browser: Browser, username: str = "carol") -> Browser:
    assert browser.sign_up(username, PASSWORD).status == 201
    assert browser.sign_in(username, PASSWORD).status == 200
    return browser


def application_with_keys(browser: Browser, name: str = "Shop", scope: str = "read") -> tuple[dict, dict]:
    app = browser.request("POST", "/portal/applications", {"name": name, "scope": scope}).json()
    keys = browser.request("POST", f"/portal/applications/{app['id']}/keys", {"environment": "production"})
    assert keys.status == 200, keys.json()
    return app, keys.json()


def generate_token(browser: Browser, app: dict, secret: str, **fields):
    body = {
        "environment": "production",
        "grant_type": "client_credentials",
        "client_secret": secret,
        **fields,
    }
    return browser.request("POST", f"/portal/applications/{app['id']}/token", body)
