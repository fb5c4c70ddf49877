"""The portal's applications, keys and "Generate access token" through the API Gateway emulator
in-process."""

import pytest

from tests.functional.gateway_client import Browser, gateway
from tests.functional.portal.conftest import PASSWORD, application_with_keys, generate_token, signed_up
from tokenservice.portal import pages, portal_client

# -- applications, keys and access tokens ---------------------------------------------------------


def test_generate_access_token_with_client_credentials_calls_the_api(browser):
    signed_up(browser)
    app, keys = application_with_keys(browser)
    response = generate_token(browser, app, keys["client_secret"], scope="read")
    assert response.status == 200 and response.header("Cache-Control") == "no-store"
    token = response.json()
    assert token["scope"] == "read" and token["expires_in"] == 3600 and "refresh_token" not in token
    orders = browser.request("GET", "/orders", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert orders.status == 200


def test_generate_access_token_with_the_password_grant_is_the_signed_in_users(browser):
    signed_up(browser)
    app, keys = application_with_keys(browser)
    token = generate_token(
        browser, app, keys["client_secret"], grant_type="password", password=PASSWORD, scope="read"
    )
    assert token.status == 200 and token.json()["refresh_token"]
    whoami = browser.request(
        "GET", "/whoami", headers={"Authorization": f"Bearer {token.json()['access_token']}"}
    )
    assert whoami.json()["username"] == "carol" and whoami.json()["client_id"] == keys["client_id"]
    listed = browser.request("GET", "/portal/applications").json()["applications"][0]
    assert listed["registered_users"] == 1


def test_generate_access_token_keeps_the_grants_rules(browser, monkeypatch):
    monkeypatch.setenv("LOCKOUT_THRESHOLD", "2")
    signed_up(browser)
    app, keys = application_with_keys(browser)
    wrong_secret = generate_token(browser, app, "not-the-secret-" + "x" * 30)
    assert (wrong_secret.status, wrong_secret.json()["error"]) == (401, "invalid_client")
    for _ in range(2):
        wrong = generate_token(
            browser, app, keys["client_secret"], grant_type="password", password="nope nope nope"
        )
        assert (wrong.status, wrong.json()["error"]) == (400, "invalid_grant")
    locked = generate_token(browser, app, keys["client_secret"], grant_type="password", password=PASSWORD)
    assert (locked.status, locked.json()["error"]) == (400, "invalid_grant")
    missing = generate_token(browser, app, keys["client_secret"], grant_type="password")
    assert missing.status == 400
    refresh = generate_token(browser, app, keys["client_secret"], grant_type="refresh_token")
    assert (refresh.status, refresh.json()["error"]) == (400, "invalid_request")


def test_generating_a_token_needs_the_environments_keys(browser):
    signed_up(browser)
    app, keys = application_with_keys(browser)
    response = generate_token(browser, app, keys["client_secret"], environment="sandbox")
    assert response.status == 400 and "sandbox keys first" in response.json()["error_description"]


def test_regenerated_keys_refuse_the_old_secret(browser):
    signed_up(browser)
    app, old = application_with_keys(browser)
    new = browser.request(
        "POST", f"/portal/applications/{app['id']}/keys", {"environment": "production"}
    ).json()
    refused = generate_token(browser, app, old["client_secret"])
    assert (refused.status, refused.json()["error"]) == (401, "invalid_client")
    # no challenge: the browser would prompt for a password (the HTTP API passes headers through)
    assert refused.headers_named("WWW-Authenticate") == []
    assert not [name for name, _ in refused.raw.headers if name.lower().startswith("x-amzn-remapped")]
    assert generate_token(browser, app, new["client_secret"]).status == 200


def test_a_user_never_sees_or_touches_another_users_applications(browser, portal_secret):
    signed_up(browser)
    app, keys = application_with_keys(browser)
    other = signed_up(Browser(gateway()), "dave")
    assert other.request("GET", "/portal/applications").json()["applications"] == []
    for method, path, body in (
        ("DELETE", f"/portal/applications/{app['id']}", None),
        ("POST", f"/portal/applications/{app['id']}/keys", {"environment": "production"}),
        (
            "POST",
            f"/portal/applications/{app['id']}/token",
            {
                "environment": "production",
                "grant_type": "client_credentials",
                "client_secret": keys["client_secret"],
            },
        ),
    ):
        response = other.request(method, path, body)
        assert (response.status, response.json()["error"]) == (404, "not_found")
    assert len(browser.request("GET", "/portal/applications").json()["applications"]) == 1


def test_deleting_an_application_from_the_portal_revokes_its_tokens(browser):
    signed_up(browser)
    app, keys = application_with_keys(browser)
    token = generate_token(browser, app, keys["client_secret"], scope="read").json()["access_token"]
    deleted = browser.request("DELETE", f"/portal/applications/{app['id']}")
    assert (deleted.status, deleted.json()["revoked_tokens"]) == (200, 1)
    assert browser.request("GET", "/orders", headers={"Authorization": f"Bearer {token}"}).status == 401


@pytest.mark.parametrize(
    "body",
    [
        {"environment": "production", "grant_type": "client_credentials"},
        {"environment": "production", "grant_type": "client_credentials", "client_secret": 5},
        {"environment": "prod", "grant_type": "client_credentials", "client_secret": "x"},
        {"environment": "production", "grant_type": "client_credentials", "client_secret": "x", "extra": "1"},
        {
            "environment": "production",
            "grant_type": "client_credentials",
            "client_secret": "x",
            "scope": "a\\b",
        },
    ],
)
def test_bad_token_requests_are_400(browser, body):
    signed_up(browser)
    app, _ = application_with_keys(browser)
    response = browser.request("POST", f"/portal/applications/{app['id']}/token", body)
    assert response.status == 400 and response.json()["error"] in ("invalid_request", "invalid_scope")


def test_the_session_scope_is_the_applications_apis_scope_in_openapi():
    from tokenservice.registry import openapi

    document = openapi.load(openapi.SAMPLE)
    scopes = {r.scope for r in openapi.access_rules(document) if r.path.startswith("/applications")}
    assert scopes == {portal_client.SESSION_SCOPE}
    assert openapi.scope_roles(document)[portal_client.SESSION_SCOPE] == ["subscriber"]
    assert pages.security_headers()["X-Frame-Options"] == "DENY"
