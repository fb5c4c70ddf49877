"""Who must sign in with a second factor: clients created with --require-mfa, and every client but
the portal's own when the stack sets RequireMfa (REQUIRE_MFA); users without TOTP are sent to
turn it on, and a login session without a second factor does not count for such a client."""

import pytest

from tests import otp
from tests.functional.signin.conftest import USERNAME, answer, attempt, code_client, form_of, log_in
from tokenservice.store import storage
from tokenservice.store.models import UserModel
from tokenservice.users import mfa, totp


@pytest.fixture
def enrolled(user, signing):
    secret, _ = mfa.begin(storage.get(UserModel, USERNAME))
    otp.wait_for_fresh_step()
    mfa.confirm(storage.get(UserModel, USERNAME), otp.code(totp.text(secret), offset_steps=-1))
    return totp.text(secret)


def login_answer(browser, client, **overrides):
    page = browser.request("GET", attempt(client).path(**overrides))
    if page.status != 200:
        return page
    return log_in(browser, page)


def test_a_client_that_requires_mfa_sends_a_user_without_totp_to_turn_it_on(browser, user):
    client = code_client(require_mfa=True)
    refused = login_answer(browser, client)
    assert refused.status == 403
    assert "Two-step verification required" in refused.text
    assert "/portal" in refused.text
    assert refused.header("Location") is None


def test_a_client_that_requires_mfa_asks_a_user_with_totp_for_the_code(browser, enrolled):
    page = login_answer(browser, code_client(require_mfa=True))
    assert page.status == 200 and 'name="code"' in page.text


def test_a_client_without_the_requirement_signs_in_a_user_without_totp(browser, user):
    assert "code" in answer(login_answer(browser, code_client()))


def test_the_stack_setting_requires_mfa_of_every_client(browser, user, monkeypatch):
    monkeypatch.setenv("REQUIRE_MFA", "true")
    assert login_answer(browser, code_client()).status == 403


def test_the_stack_setting_spares_the_portals_own_client(browser, user, monkeypatch):
    client = code_client()
    monkeypatch.setenv("REQUIRE_MFA", "true")
    monkeypatch.setenv("PORTAL_CLIENT_ID", client.client_id)
    assert "code" in answer(login_answer(browser, client))


def test_a_session_without_a_second_factor_does_not_count_for_a_client_that_requires_one(browser, enrolled):
    plain = code_client(name="Plain")
    page = login_answer(browser, plain)
    code_form = form_of(page, step="code", username=USERNAME, code=otp.code(enrolled))
    assert "code" in answer(browser.request("POST", "/login", form=code_form))  # a session with otp
    assert "code" in answer(browser.request("GET", attempt(plain).path()))  # counts for the plain one
    strict = code_client(name="Strict", require_mfa=True)
    assert "code" in answer(browser.request("GET", attempt(strict).path()))  # and for the strict one


def test_a_password_only_session_asks_again_for_a_client_that_requires_mfa(browser, user):
    assert "code" in answer(login_answer(browser, code_client(name="Plain")))
    strict = code_client(name="Strict", require_mfa=True)
    again = browser.request("GET", attempt(strict).path())
    assert again.status == 200 and 'name="password"' in again.text
    assert answer(browser.request("GET", attempt(strict).path(prompt="none")))["error"] == "login_required"
