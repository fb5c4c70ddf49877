"""The hosted login page's form (POST /login): the password grant's rules for passwords (one
answer for every refusal, the same cost, the lockout), CSRF, a form that belongs to one browser and
one step, and the one write that signs the user in."""

import time

import pytest

from tests.functional.gateway_client import Browser, hidden
from tests.functional.signin.conftest import PASSWORD, USERNAME, answer, attempt, code_client, form_of
from tokenservice import admin
from tokenservice.store import storage
from tokenservice.store.models import (
    LoginSessionModel,
    LoginTransactionModel,
    UserModel,
    login_transaction_key,
)

BAD = "Invalid username or password."


def login_page(browser: Browser, client=None):
    page = browser.request("GET", attempt(client or code_client()).path())
    assert page.status == 200
    return page


def test_the_right_password_sends_the_browser_back_with_a_code_and_a_login_session(browser, user):
    trial = attempt(code_client())
    page = browser.request("GET", trial.path())
    response = browser.log_in(page, USERNAME, PASSWORD)
    assert response.status == 303  # a GET follows: the password is never posted again
    got = answer(response)
    assert got["state"] == trial.state and got["code"].startswith("YWxpY2U.")  # it names its user
    (cookie,) = [c for c in response.headers_named("Set-Cookie") if c.startswith("__Host-login-session=")]
    assert {"Path=/", "HttpOnly", "Secure", "SameSite=Lax", "Max-Age=28800"} <= set(cookie.split("; "))
    assert storage.get(LoginTransactionModel, login_transaction_key(hidden(page.text, "transaction"))) is None


def test_a_wrong_password_and_an_unknown_user_get_the_same_page_at_the_same_cost(browser, user, observed):
    page = login_page(browser)
    observed.clear()
    wrong = browser.log_in(page, USERNAME, "not the password at all")
    wrong_calls = list(observed)
    observed.clear()
    unknown = browser.log_in(page, "nobody", "not the password at all")
    assert wrong.status == unknown.status == 400 and BAD in wrong.text and BAD in unknown.text
    assert wrong_calls == observed == ["BatchGetItem", "argon2", "UpdateItem"]  # the failure counted
    assert not wrong.headers_named("Set-Cookie") and wrong.header("Location") is None
    assert "not the password" not in wrong.text and f'value="{USERNAME}"' in wrong.text
    assert storage.get(UserModel, USERNAME).failed_attempts == 1


def test_a_disabled_user_gets_the_page_a_wrong_password_gets(browser, user):
    admin.disable_user(USERNAME)
    response = browser.log_in(login_page(browser), USERNAME, PASSWORD)
    assert response.status == 400 and BAD in response.text


def test_the_lockout_holds_at_the_login_page(browser, user, monkeypatch):
    monkeypatch.setenv("LOCKOUT_THRESHOLD", "3")
    page = login_page(browser)
    for _ in range(3):
        assert browser.log_in(page, USERNAME, "not the password at all").status == 400
    locked = browser.log_in(page, USERNAME, PASSWORD)
    assert locked.status == 400 and BAD in locked.text  # locked: the right password too
    assert storage.get(UserModel, USERNAME).locked_until > time.time()
    admin.enable_user(USERNAME)  # an administrator lifts it
    assert browser.log_in(page, USERNAME, PASSWORD).status == 303


def test_locked_out_by_the_password_grant_is_locked_out_here(browser, user, monkeypatch, lambda_context):
    from tests.conftest import post_form

    monkeypatch.setenv("LOCKOUT_THRESHOLD", "2")
    password_client = admin.create_client("Password app", "read", "password")
    form = {"grant_type": "password", "username": USERNAME, "password": "wrong wrong wrong"}
    form |= {"client_id": password_client.client.client_id, "client_secret": password_client.client_secret}
    for _ in range(2):
        assert post_form(lambda_context, "/token", form)[0] == 400
    assert browser.log_in(login_page(browser), USERNAME, PASSWORD).status == 400


def test_a_success_resets_the_failures_and_upgrades_a_weak_hash_in_its_one_write(browser, user, observed):
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    storage.update(UserModel, USERNAME, [UserModel.password_hash.set(weak)])
    page = login_page(browser)
    browser.log_in(page, USERNAME, "not the password at all")
    observed.clear()
    assert browser.log_in(page, USERNAME, PASSWORD).status == 303
    assert observed == ["BatchGetItem", "argon2", "TransactWriteItems"]
    stored = storage.get(UserModel, USERNAME)
    assert stored.failed_attempts == 0 and stored.password_hash != weak


def test_an_empty_field_asks_again_without_counting_a_failure(browser, user):
    page = login_page(browser)
    response = browser.request("POST", "/login", form=form_of(page, username=USERNAME))
    assert response.status == 400 and "Enter your username and password." in response.text
    assert storage.get(UserModel, USERNAME).failed_attempts == 0


@pytest.mark.parametrize(
    "tamper",
    [
        {"csrf_token": ""},
        {"csrf_token": "forged-csrf-token-forged-csrf-token-forged"},
        {"transaction": "an-unknown-transaction"},
        {"client_id": "another-client"},
    ],
)
def test_a_form_without_its_csrf_token_or_transaction_is_refused_and_counts_nothing(browser, user, tamper):
    page = login_page(browser)
    response = browser.request(
        "POST", "/login", form={**form_of(page, username=USERNAME, password=PASSWORD), **tamper}
    )
    assert response.status in (400, 403) and response.header("Location") is None
    assert "Sign-in cannot continue" in response.text and not response.headers_named("Set-Cookie")
    assert storage.get(UserModel, USERNAME).failed_attempts == 0


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}],
)
def test_a_form_sent_from_another_site_is_refused(browser, user, headers):
    page = login_page(browser)
    response = browser.log_in(page, USERNAME, PASSWORD, headers, origin="Origin" not in headers)
    assert response.status == 403 and response.header("Location") is None


def test_a_form_from_another_browser_is_refused(browser, user):
    page = login_page(browser)
    other = Browser(browser.gateway)  # the attacker's, with its own binding cookie
    other.request("GET", attempt(code_client()).path())
    assert other.log_in(page, USERNAME, PASSWORD).status == 400
    cookieless = Browser(browser.gateway)
    assert cookieless.log_in(page, USERNAME, PASSWORD).status == 400
    assert browser.log_in(page, USERNAME, PASSWORD).status == 303  # its own browser still can


def test_a_form_sent_again_after_it_succeeded_is_refused(browser, user):
    page = login_page(browser)
    assert browser.log_in(page, USERNAME, PASSWORD).status == 303
    again = browser.log_in(page, USERNAME, PASSWORD)
    assert again.status == 400 and "expired" in again.text


def test_an_expired_transaction_is_refused(browser, user):
    page = login_page(browser)
    key = login_transaction_key(hidden(page.text, "transaction"))
    storage.update(LoginTransactionModel, key, [LoginTransactionModel.expires_at.set(int(time.time()) - 1)])
    assert browser.log_in(page, USERNAME, PASSWORD).status == 400


def test_signing_in_again_replaces_the_browsers_session(browser, user):
    trial = attempt(code_client())
    browser.log_in(browser.request("GET", trial.path()), USERNAME, PASSWORD)
    first = browser.cookies["__Host-login-session"]
    page = browser.request("GET", attempt(code_client()).path(prompt="login"))
    browser.log_in(page, USERNAME, PASSWORD)
    assert browser.cookies["__Host-login-session"] != first  # a new id: no session fixation
    sessions = list(storage.scan(LoginSessionModel, LoginSessionModel.kind == "login-session"))
    assert len(sessions) == 1  # the old one ended


def test_get_on_the_form_is_405(browser):
    response = browser.request("GET", "/login")
    assert (response.status, response.header("Allow")) == (405, "POST")
