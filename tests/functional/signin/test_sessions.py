"""Single sign-on: a login session lets a second authorization in the same browser skip the
password; prompt=login forces it, prompt=none never shows a page, max_age bounds the session's
age; disable, a new password and new roles end sessions as they end tokens."""

import time

import pytest

from tests.functional.gateway_client import Browser
from tests.functional.signin.conftest import (
    ISSUER,
    PASSWORD,
    USERNAME,
    answer,
    attempt,
    code_client,
    code_for,
    exchange,
)
from tokenservice import admin
from tokenservice.store import storage
from tokenservice.store.models import LoginSessionModel


@pytest.fixture
def signed_in(browser, user, signing):
    """A browser that signed in once (through the login page)."""
    client = code_client()
    code_for(browser, attempt(client))
    return client


def test_a_second_authorization_skips_the_password(browser, signed_in, lambda_context):
    trial = attempt(signed_in)
    response = browser.request("GET", trial.path())
    assert response.status == 302  # no page: straight back with a code
    got = answer(response)
    assert (got["state"], got["iss"]) == (trial.state, ISSUER)
    assert exchange(lambda_context, trial, got["code"])[0] == 200


def test_the_session_serves_every_client_in_the_browser(browser, signed_in):
    other = attempt(code_client(name="Another app"))
    assert "code" in answer(browser.request("GET", other.path()))


def test_with_a_session_authorize_reads_once_and_writes_only_the_code(browser, signed_in, observed):
    trial = attempt(signed_in)
    observed.clear()
    assert browser.request("GET", trial.path()).status == 302
    assert observed == ["BatchGetItem", "PutItem"]


def test_without_a_session_authorize_reads_once_and_writes_only_the_transaction(browser, user, observed):
    trial = attempt(code_client())
    observed.clear()
    assert browser.request("GET", trial.path()).status == 200
    assert observed == ["BatchGetItem", "PutItem"]


def test_prompt_login_shows_the_login_page_despite_a_session(browser, signed_in):
    page = browser.request("GET", attempt(signed_in).path(prompt="login"))
    assert page.status == 200 and "Sign in" in page.text


def test_prompt_none_without_a_session_is_login_required(browser, user):
    trial = attempt(code_client())
    got = answer(browser.request("GET", trial.path(prompt="none")))
    assert (got["error"], got["state"], got["iss"]) == ("login_required", trial.state, ISSUER)


def test_prompt_none_with_a_session_answers_with_a_code(browser, signed_in):
    assert "code" in answer(browser.request("GET", attempt(signed_in).path(prompt="none")))


def test_max_age_exceeded_asks_for_the_password_again(browser, signed_in, lambda_context):
    (session,) = storage.scan(LoginSessionModel, LoginSessionModel.kind == "login-session")
    storage.update(
        LoginSessionModel, session.token_hash, [LoginSessionModel.auth_time.set(int(time.time()) - 120)]
    )
    assert browser.request("GET", attempt(signed_in).path(max_age="300")).status == 302
    assert browser.request("GET", attempt(signed_in).path(max_age="60")).status == 200
    got = answer(browser.request("GET", attempt(signed_in).path(max_age="60", prompt="none")))
    assert got["error"] == "login_required"


def test_the_id_token_names_when_the_user_authenticated(browser, signed_in, lambda_context):
    import jwt

    (session,) = storage.scan(LoginSessionModel, LoginSessionModel.kind == "login-session")
    trial = attempt(signed_in)
    _, _, body = exchange(
        lambda_context, trial, answer(browser.request("GET", trial.path(max_age="3600")))["code"]
    )
    assert jwt.decode(body["id_token"], options={"verify_signature": False})["auth_time"] == session.auth_time


@pytest.mark.parametrize(
    "change",
    [
        lambda: admin.disable_user(USERNAME),
        lambda: admin.set_password(USERNAME, "another fine passphrase"),
        lambda: admin.set_roles(USERNAME, "auditor"),
    ],
)
def test_disable_new_password_and_new_roles_end_the_session(browser, signed_in, change):
    change()
    page = browser.request("GET", attempt(signed_in).path())
    assert page.status == 200 and "Sign in" in page.text
    assert answer(browser.request("GET", attempt(signed_in).path(prompt="none")))["error"] == "login_required"


def test_another_browser_has_no_session(browser, signed_in):
    assert Browser(browser.gateway).request("GET", attempt(signed_in).path()).status == 200


def test_the_session_is_stored_as_a_hash_only(browser, signed_in, aws):
    import json

    session_id = browser.cookies["__Host-login-session"]
    dump = json.dumps(aws.scan(TableName=LoginSessionModel.Meta.table_name)["Items"])
    assert session_id not in dump and session_id.split(".")[1] not in dump


def test_a_forged_session_cookie_is_no_session(browser, signed_in):
    from tokenservice.core import credentials

    browser.cookies["__Host-login-session"] = credentials.new_token(USERNAME)  # right shape, unknown
    assert browser.request("GET", attempt(signed_in).path()).status == 200


def test_on_make_runs_plain_http_the_cookies_are_not_secure(browser, user, monkeypatch):
    monkeypatch.setenv("ISSUER", "http://127.0.0.1:3000")
    browser.host, browser.scheme = "127.0.0.1:3000", "http"
    page = browser.request("GET", attempt(code_client()).path())
    (cookie,) = page.headers_named("Set-Cookie")
    assert cookie.startswith("login-browser=") and "Secure" not in cookie
    response = browser.log_in(page, USERNAME, PASSWORD)
    (session,) = [c for c in response.headers_named("Set-Cookie") if c.startswith("login-session=")]
    assert "Secure" not in session and {"HttpOnly", "SameSite=Lax"} <= set(session.split("; "))
    assert page.header("Strict-Transport-Security") is None
