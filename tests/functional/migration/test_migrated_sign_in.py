"""Imported users sign in with their WSO2 password through WSO2's paths, through the API Gateway
emulator (the template's routes, the real handlers, moto): the hash becomes argon2id in the same
write; a user who must change their password does so at the hosted login page (the portal's sign-in)."""

import base64
import json
from urllib.parse import urlencode

import pytest

from tests.functional.gateway_client import FORM_FIELDS, HOST, Browser, gateway, hidden
from tests.functional.migration.conftest import USER_COLUMNS, carbon_row, write_csv
from tokenservice import admin
from tokenservice.portal import portal_client
from tokenservice.store import storage
from tokenservice.store.models import UserModel

PASSWORD = "my-old-wso2-password"


@pytest.fixture
def imported(aws, tmp_path):
    rows = [carbon_row("alice", PASSWORD, roles="reader"), carbon_row("dave", PASSWORD, change=True)]
    admin.import_wso2_users(write_csv(tmp_path / "users.csv", USER_COLUMNS, rows))
    admin.define_scope("read", "reader")
    new = admin.create_client("Old app", "read", client_id="wU62DjlyDBnq87GlBwplfqvmAbAa")
    return new.client.client_id, new.client_secret


def post(path: str, form: dict, client: tuple[str, str]):
    basic = base64.b64encode(f"{client[0]}:{client[1]}".encode()).decode()
    headers = [("Host", "api.example.test"), ("Authorization", f"Basic {basic}")]
    headers.append(("Content-Type", "application/x-www-form-urlencoded"))
    response = gateway().handle("POST", path, headers, urlencode(form).encode(), "203.0.113.9")
    return response.status, dict(response.headers), json.loads(response.body) if response.body else None


def password_grant(path: str, client, username: str, password: str = PASSWORD, scope: str = "read"):
    return post(
        path, {"grant_type": "password", "username": username, "password": password, "scope": scope}, client
    )


def test_the_old_password_works_through_the_wso2_token_path_and_becomes_argon2id(imported):
    assert storage.get(UserModel, "alice").password_hash.startswith("wso2-sha256|")
    status, _, body = password_grant("/oauth2/token", imported, "alice")
    assert (status, body["scope"]) == (200, "read")
    assert storage.get(UserModel, "alice").password_hash.startswith("$argon2id$")
    status, _, body = password_grant("/token", imported, "alice")  # and again, now as argon2id
    assert (status, body["scope"]) == (200, "read")


def test_a_wrong_password_of_an_imported_user_is_refused_as_an_unknown_user(imported):
    wrong = password_grant("/oauth2/token", imported, "alice", "not-my-password")
    unknown = password_grant("/oauth2/token", imported, "nobody", "not-my-password")
    assert wrong[0] == unknown[0] == 400 and wrong[2] == unknown[2]
    assert storage.get(UserModel, "alice").password_hash.startswith("wso2-sha256|")


def test_a_user_who_must_change_their_password_gets_no_tokens(imported):
    status, _, body = password_grant("/oauth2/token", imported, "dave")
    assert (status, body["error"]) == (400, "invalid_grant")
    assert "portal" in body["error_description"] and "dave" not in body["error_description"]


def test_oauth2_revoke_and_introspect_are_the_same_endpoints(imported):
    _, _, tokens = password_grant("/oauth2/token", imported, "alice")
    status, _, body = post("/oauth2/introspect", {"token": tokens["access_token"]}, imported)
    assert (status, body["active"], body["username"]) == (200, True, "alice")
    status, headers, _ = post("/oauth2/revoke", {"token": tokens["refresh_token"]}, imported)
    assert (status, headers["AuthorizedUser"]) == (200, "alice")
    assert tokens["refresh_token"] not in json.dumps(headers) and tokens["access_token"] not in json.dumps(
        headers
    )
    assert post("/oauth2/introspect", {"token": tokens["access_token"]}, imported)[2] == {"active": False}


def test_oauth2_jwks_is_the_jwks(aws):
    paths = ("/oauth2/jwks", "/.well-known/jwks.json")
    answers = [
        gateway().handle("GET", path, [("Host", "api.example.test")], b"", "203.0.113.9") for path in paths
    ]
    assert answers[0].status == 200 and answers[0].body == answers[1].body


@pytest.fixture
def portal(imported, monkeypatch) -> Browser:
    new = portal_client.provision("developer-portal", f"https://{HOST}")
    monkeypatch.setenv("PORTAL_CLIENT_ID", new.client.client_id)
    monkeypatch.setenv("PORTAL_CLIENT_SECRET", new.client_secret)
    return Browser(gateway())


def login_page(browser: Browser):
    """The hosted login page, as the portal's Sign in link opens it (the code flow)."""
    page = browser.follow(browser.request("GET", "/portal/login"))
    assert page.status == 200 and 'name="password"' in page.text
    return page


def submit(browser: Browser, page, password: str, **extra):
    form = {name: hidden(page.text, name) for name in FORM_FIELDS}
    form |= {"username": "dave", "password": password, **extra}
    return browser.request("POST", "/login", form=form)


def test_the_login_page_asks_a_user_who_must_change_their_password_for_a_new_one(portal):
    asked = submit(portal, login_page(portal), PASSWORD)
    assert asked.status == 400 and 'name="new_password"' in asked.text and "must be changed" in asked.text
    assert PASSWORD not in asked.text  # the current password is typed again, never written back
    assert "__Host-login-session" not in portal.cookies  # not signed in
    assert storage.get(UserModel, "dave").must_change_password is True


def test_a_wrong_password_gets_no_hint_that_a_change_is_pending(portal):
    wrong = submit(portal, login_page(portal), "not-the-old-one")
    assert wrong.status == 400 and 'name="new_password"' not in wrong.text
    assert "Invalid username or password" in wrong.text


def test_with_a_new_password_the_login_page_changes_it_and_signs_the_user_in_to_the_portal(portal, imported):
    asked = submit(portal, login_page(portal), PASSWORD)
    back = submit(portal, asked, PASSWORD, new_password="a fresh portal passphrase")
    assert back.status == 303, back.text[:300]
    portal.follow(portal.follow(back))  # the portal's callback, then the portal
    session = portal.request("GET", "/portal/session").json()
    assert session["signed_in"] is True and session["username"] == "dave"
    user = storage.get(UserModel, "dave")
    assert user.password_hash.startswith("$argon2id$") and not user.must_change_password
    assert password_grant("/token", imported, "dave", "a fresh portal passphrase")[0] == 200
    assert password_grant("/token", imported, "dave")[0] == 400


def test_the_new_password_must_pass_the_policy_and_the_old_one_must_be_right(portal):
    page = submit(portal, login_page(portal), PASSWORD)
    same = submit(portal, page, PASSWORD, new_password=PASSWORD)
    assert same.status == 400 and 'name="new_password"' in same.text and "differ" in same.text
    common = submit(portal, page, PASSWORD, new_password="password")  # a common password
    assert common.status == 400 and 'name="new_password"' in common.text
    wrong = submit(portal, page, "not-the-old-one", new_password="a fresh portal passphrase")
    assert wrong.status == 400 and "Invalid username or password" in wrong.text
    assert storage.get(UserModel, "dave").must_change_password is True
