"""The developer portal's backend for frontend through the API Gateway emulator in-process: the page
and its security headers, sessions (cookie, hashes only, sign-out, disable), CSRF, sign-up and
sign-in under the lockout and enumeration rules, applications, keys and "Generate access token"."""

import json
import re

import pytest

from tests.functional.gateway_client import Browser
from tests.functional.portal.conftest import (
    PASSWORD,
    STATIC,
    signed_up,
)
from tokenservice import admin
from tokenservice.core import credentials
from tokenservice.store import storage
from tokenservice.store.models import SessionModel, TokenModel

# -- the page ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", STATIC)
def test_the_page_and_its_assets_carry_a_strict_content_security_policy(browser, path):
    response = browser.request("GET", path)
    assert response.status == 200
    policy = dict(part.split(" ", 1) for part in response.header("Content-Security-Policy").split("; "))
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == policy["style-src"] == policy["connect-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["base-uri"] == "'none'"
    assert "unsafe" not in response.header("Content-Security-Policy")
    assert response.header("X-Frame-Options") == "DENY"
    assert response.header("Referrer-Policy") == "no-referrer"
    assert response.header("X-Content-Type-Options") == "nosniff"
    assert response.header("Strict-Transport-Security") == "max-age=31536000"


def test_the_page_is_html_with_its_script_and_styles_on_this_origin_and_nothing_inline(browser):
    page = browser.request("GET", "/portal")
    assert page.header("Content-Type") == "text/html; charset=utf-8"
    html = page.text
    assert re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S) == [(' src="portal/app.js" defer', "")]
    assert "<style" not in html and " style=" not in html and " on" + "click=" not in html
    assert re.search(r"(?:src|href)=\"(?:https?:)?//", html) is None  # no third-party origin, no CDN
    assert browser.request("GET", "/portal/app.js").header("Content-Type") == "text/javascript; charset=utf-8"
    assert browser.request("GET", "/portal/app.css").header("Content-Type") == "text/css; charset=utf-8"


def test_every_input_of_the_page_has_a_label(browser):
    html = browser.request("GET", "/portal").text
    inputs = re.findall(r"<input[^>]*\bid=\"([^\"]+)\"", html)
    labelled = set(re.findall(r"<label[^>]*\bfor=\"([^\"]+)\"", html))
    assert inputs and set(inputs) <= labelled
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html


def test_the_page_source_holds_no_secret_and_the_script_no_web_storage(browser, portal_secret):
    for path in STATIC:
        assert portal_secret not in browser.request("GET", path).text
    script = browser.request("GET", "/portal/app.js").text
    code = "\n".join(line for line in script.splitlines() if not line.strip().startswith("//"))
    for unwanted in ("localStorage", "sessionStorage", "document.cookie", "innerHTML", "eval("):
        assert unwanted not in code


# -- sessions ----------------------------------------------------------------------------------


def portal_cookie(response) -> str:
    (cookie,) = [c for c in response.headers_named("Set-Cookie") if "portal-session=" in c]
    return cookie


def test_sign_in_sets_an_httponly_secure_strict_cookie_and_gives_the_browser_no_token(browser):
    assert browser.sign_up("carol", PASSWORD).status == 201
    response = browser.sign_in("carol", PASSWORD)
    cookie = portal_cookie(browser.callback)
    assert (browser.callback.status, browser.callback.header("Location")) == (303, browser.origin + "/portal")
    assert not {"access_token", "refresh_token", "code"} & set(browser.callback.header("Location"))
    name_value, *attributes = cookie.split("; ")
    assert name_value.startswith("__Host-portal-session=")
    assert {"Path=/", "HttpOnly", "Secure", "SameSite=Strict"} <= set(attributes)
    assert "Domain" not in cookie
    body = response.json()
    assert body["signed_in"] and body["username"] == "carol" and body["may_manage_applications"]
    assert not {"access_token", "refresh_token"} & set(body)
    assert body["scopes"] == ["read"]  # what an application may ask for (never the portal's own scope)


def test_the_session_is_stored_as_hashes_only(browser):
    signed_up(browser)
    session_id = browser.cookies["__Host-portal-session"]
    items = [item for item in storage.scan(SessionModel, SessionModel.kind == "session")]
    assert [item.token_hash for item in items] == ["session:" + credentials.digest(session_id)]
    dump = json.dumps(storage.dynamodb().scan(TableName=TokenModel.Meta.table_name)["Items"])
    assert session_id not in dump and browser.csrf not in dump
    (access,) = [
        r for r in storage.scan(TokenModel) if r.client_id == "developer-portal" and r.kind == "access"
    ]
    assert items[0].access_hash == access.token_hash and access.scope == "apim:subscribe"


def test_on_make_runs_plain_http_the_cookie_is_not_secure(browser, monkeypatch):
    from tokenservice.portal import portal_client

    monkeypatch.setenv("ISSUER", "http://127.0.0.1:3000")
    local = portal_client.provision("developer-portal", "http://127.0.0.1:3000")  # as make run does
    monkeypatch.setenv("PORTAL_CLIENT_SECRET", local.client_secret)
    browser.host = "127.0.0.1:3000"
    assert browser.request("GET", "/portal").header("Strict-Transport-Security") is None
    response = browser.request(
        "POST",
        "/portal/signup",
        {"username": "carol", "password": PASSWORD},
        {"X-CSRF-Token": "x", "Origin": "http://127.0.0.1:3000"},
        origin=False,
    )
    assert response.status == 201
    browser.scheme = "http"
    assert browser.sign_in("carol", PASSWORD).status == 200
    cookie = portal_cookie(browser.callback)
    assert cookie.startswith("portal-session=") and "Secure" not in cookie
    assert {"HttpOnly", "SameSite=Strict"} <= set(cookie.split("; "))
    assert browser.request("GET", "/portal/session", origin=False).json()["username"] == "carol"


def test_the_session_answers_who_is_signed_in(browser):
    assert browser.request("GET", "/portal/session").json() == {"signed_in": False, "signup_enabled": True}
    signed_up(browser)
    session = browser.request("GET", "/portal/session").json()
    assert session["username"] == "carol" and session["csrf_token"] == browser.csrf


def test_a_forged_or_missing_cookie_is_no_session(browser):
    signed_up(browser)
    browser.cookies["__Host-portal-session"] = credentials.new_token()  # right shape, unknown
    assert browser.request("GET", "/portal/session").json()["signed_in"] is False
    response = browser.request("GET", "/portal/applications")
    assert (response.status, response.json()["error"]) == (401, "login_required")


def test_sign_out_revokes_the_sessions_token_and_a_replayed_cookie_is_refused(browser):
    signed_up(browser)
    stolen = dict(browser.cookies)
    response = browser.request("POST", "/portal/signout")
    assert response.status == 204
    cleared = response.headers_named("Set-Cookie")
    assert any(cookie.startswith("__Host-portal-session=; Path=/; Max-Age=0") for cookie in cleared)
    assert any(cookie.startswith("__Host-login-session=; Path=/") for cookie in cleared)  # the SSO too
    browser.cookies = stolen
    assert browser.request("GET", "/portal/applications").status == 401
    (access,) = [
        r for r in storage.scan(TokenModel) if r.client_id == "developer-portal" and r.kind == "access"
    ]
    assert access.revoked


def test_a_session_ends_when_its_token_expires(browser):
    import time

    signed_up(browser)
    (access,) = [
        r for r in storage.scan(TokenModel) if r.client_id == "developer-portal" and r.kind == "access"
    ]
    assert access.expires_at - time.time() > 3500  # the portal client's hour
    storage.update(TokenModel, access.token_hash, [TokenModel.expires_at.set(int(time.time()) - 1)])
    response = browser.request("GET", "/portal/applications")
    assert (response.status, response.json()["error"]) == (401, "login_required")


def test_signing_in_again_ends_the_previous_session(browser):
    signed_up(browser)
    first = dict(browser.cookies)
    assert browser.sign_in("carol", PASSWORD).status == 200
    assert browser.cookies != first
    browser.cookies = first
    assert browser.request("GET", "/portal/session").json()["signed_in"] is False


def test_disabling_the_user_or_changing_their_password_ends_their_sessions(browser):
    signed_up(browser)
    admin.disable_user("carol")
    assert browser.request("GET", "/portal/applications").status == 401
    admin.enable_user("carol")
    assert browser.sign_in("carol", PASSWORD).status == 200
    admin.set_password("carol", "another fine passphrase")
    assert browser.request("GET", "/portal/session").json()["signed_in"] is False


# -- CSRF --------------------------------------------------------------------------------------


def test_state_changing_calls_need_the_sessions_csrf_token(browser):
    signed_up(browser)
    good = browser.csrf
    for token in ("", "sign-in", good[:-1] + ("A" if good[-1] != "A" else "B"), "é", good[:-1] + "é"):
        response = browser.request("POST", "/portal/applications", {"name": "Shop"}, {"X-CSRF-Token": token})
        assert (response.status, response.json()["error"]) == (403, "access_denied")
    assert browser.request("GET", "/portal/applications").json()["applications"] == []
    assert browser.request("POST", "/portal/applications", {"name": "Shop"}).status == 201


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}],
)
def test_requests_from_another_site_are_refused(browser, headers):
    signed_up(browser)
    response = browser.request(
        "POST", "/portal/applications", {"name": "Shop"}, headers, origin="Origin" not in headers
    )
    assert (response.status, response.json()["error"]) == (403, "access_denied")
    fresh = Browser(browser.gateway)  # not signed in: the login page is shown
    page = fresh.follow(fresh.request("GET", "/portal/login"))
    sign_in = fresh.log_in(page, "carol", PASSWORD, headers, origin="Origin" not in headers)
    assert sign_in.status == 403 and "Sign-in cannot continue" in sign_in.text


def test_sign_up_needs_the_csrf_header_too_and_password_sign_in_is_gone(browser):
    response = browser.request("POST", "/portal/signup", {"username": "carol", "password": PASSWORD})
    assert (response.status, response.json()["error"]) == (403, "access_denied")
    signin = browser.request("POST", "/portal/signin", {"username": "carol", "password": PASSWORD})
    assert signin.status == 404  # the portal signs in only through the hosted login page


def test_cors_is_answered_only_for_the_portals_own_origin(browser):
    own = browser.request("GET", "/portal/session")
    assert own.header("Access-Control-Allow-Origin") == "https://portal.example.test"
    foreign = browser.request(
        "GET", "/portal/session", headers={"Origin": "https://evil.example"}, origin=False
    )
    assert foreign.header("Access-Control-Allow-Origin") is None and foreign.header("Vary") == "Origin"


# -- sign-up and sign-in rules ------------------------------------------------------------------


def test_portal_sign_up_gives_the_subscriber_role_and_sign_in_the_applications_scope(browser):
    signed_up(browser)
    user = admin.user_document(storage.get(admin.UserModel, "carol"))
    assert (user["scope"], user["roles"]) == ("read", ["subscriber"])


def test_sign_up_is_404_unless_enabled(browser, monkeypatch):
    monkeypatch.setenv("SELF_SIGNUP_ENABLED", "false")
    response = browser.sign_up("carol", PASSWORD)
    assert (response.status, response.json()["error"]) == (404, "not_found")
    assert browser.request("GET", "/portal/session").json()["signup_enabled"] is False


@pytest.mark.parametrize(
    "username,password,status,error",
    [
        ("erin", "short", 400, "invalid_request"),
        ("erin-the-great", "ERIN-THE-GREAT", 400, "invalid_request"),
        ("erin", "iloveyou", 400, "invalid_request"),
        ("car\u200bol", PASSWORD, 400, "invalid_request"),
        ("CAROL", PASSWORD, 409, "user_exists"),
    ],
)
def test_sign_up_keeps_the_identity_rules(browser, username, password, status, error):
    assert browser.sign_up("carol", PASSWORD).status == 201
    response = browser.sign_up(username, password)
    assert (response.status, response.json()["error"]) == (status, error)


def test_sign_in_answers_unknown_users_and_wrong_passwords_alike(browser):
    assert browser.sign_up("carol", PASSWORD).status == 201
    wrong = browser.sign_in("carol", "not the password at all")
    unknown = browser.sign_in("nobody", "not the password at all")
    assert wrong.status == unknown.status == 400
    assert "Invalid username or password." in wrong.text and "Invalid username or password." in unknown.text
    assert "nobody" in unknown.text and "not the password" not in unknown.text  # the name kept only
    assert not wrong.headers_named("Set-Cookie")


def test_sign_in_keeps_the_lockout(browser, monkeypatch):
    monkeypatch.setenv("LOCKOUT_THRESHOLD", "3")
    assert browser.sign_up("carol", PASSWORD).status == 201
    for _ in range(3):
        assert browser.sign_in("carol", "not the password at all").status == 400
    locked = browser.sign_in("carol", PASSWORD)
    assert locked.status == 400 and "Invalid username or password." in locked.text
    admin.enable_user("carol")  # an administrator lifts it
    assert browser.sign_in("carol", PASSWORD).status == 200


def test_a_user_without_the_subscriber_role_may_sign_in_but_not_manage_applications(browser):
    admin.create_user("dora", PASSWORD, "read update")  # no roles, as before this feature
    session = browser.sign_in("dora", PASSWORD).json()
    assert session["may_manage_applications"] is False
    response = browser.request("GET", "/portal/applications")
    assert (response.status, response.json()["error"]) == (403, "insufficient_scope")
    assert browser.request("POST", "/portal/applications", {"name": "Shop"}).status == 403


def test_the_portal_follows_the_registrys_rule_for_this_api(browser):
    from tokenservice.core import caching
    from tokenservice.registry import registry, rules

    signed_up(browser)
    registry.set_rule("local", rules.rule("GET", "/applications", "admin"))
    caching.clear_all()
    assert browser.request("GET", "/portal/applications").status == 403
    assert browser.request("GET", "/portal/session").json()["may_manage_applications"] is False
