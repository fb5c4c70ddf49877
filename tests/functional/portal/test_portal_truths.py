"""The portal says what is true and offers only what an application may have (issue 19 finding
9): its own scope is not an application scope, the delete dialog knows whether JWT access tokens
outlive a deletion, and `/portal/` (a trailing slash) is redirected to the page."""

import pytest

from tests.functional.portal.conftest import signed_up
from tokenservice.portal.portal_client import SESSION_SCOPE


def test_the_portals_own_scope_is_not_offered_as_an_application_scope(browser):
    session = signed_up(browser).request("GET", "/portal/session").json()
    assert SESSION_SCOPE not in session["scopes"] and "read" in session["scopes"]


def test_an_application_cannot_be_given_the_portals_own_scope(browser):
    signed_up(browser)
    created = browser.request(
        "POST", "/portal/applications", {"name": "Shop", "scope": f"read {SESSION_SCOPE}"}
    )
    assert (created.status, created.json()["error"]) == (400, "invalid_scope")


@pytest.mark.parametrize(
    "token_format,check,outlive", [("opaque", "false", False), ("jwt", "false", True), ("jwt", "true", False)]
)
def test_the_session_says_whether_access_tokens_outlive_a_deletion(
    browser, monkeypatch, token_format, check, outlive
):
    monkeypatch.setenv("ACCESS_TOKEN_FORMAT", token_format)
    monkeypatch.setenv("JWT_REVOCATION_CHECK", check)
    session = signed_up(browser).request("GET", "/portal/session").json()
    assert session["access_tokens_outlive_deletion"] is outlive and session["access_token_seconds"] == 3600


def test_the_delete_dialog_tells_the_truth_about_jwts(browser):
    script = browser.request("GET", "/portal/app.js").text
    assert "stay valid until they expire" in script and "access_tokens_outlive_deletion" in script


def test_the_portal_with_a_trailing_slash_redirects_to_the_page(browser):
    redirected = browser.request("GET", "/portal/")
    assert redirected.status == 301 and redirected.header("Location") == "../portal"
    assert browser.request("GET", "/portal").status == 200
