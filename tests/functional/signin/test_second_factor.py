"""The second factor at the hosted login page: TOTP codes (RFC 6238) and recovery codes, after the
password, for users who turned it on; replays, skew, lockout, the password grant, the reset."""

import base64

import jwt
import pytest

from tests import otp
from tests.conftest import post_form
from tests.functional.gateway_client import Browser, gateway
from tests.functional.signin.conftest import (
    PASSWORD,
    USERNAME,
    answer,
    attempt,
    code_client,
    exchange,
    form_of,
    log_in,
)
from tokenservice import admin
from tokenservice.signin import cookies
from tokenservice.store import storage
from tokenservice.store.models import UserModel
from tokenservice.users import mfa, totp


@pytest.fixture
def enrolled(user, signing):
    """alice with TOTP on: (the secret as the portal shows it, her recovery codes)."""
    secret, _ = mfa.begin(storage.get(UserModel, USERNAME))
    shown = totp.text(secret)
    otp.wait_for_fresh_step()
    codes = mfa.confirm(storage.get(UserModel, USERNAME), otp.code(shown, offset_steps=-1))
    return shown, codes


@pytest.fixture
def client(aws):
    return code_client()


def code_page(browser, client, password=PASSWORD, **overrides):
    trial = attempt(client)
    page = browser.request("GET", trial.path(**overrides))
    assert page.status == 200, page.text[:300]
    return trial, log_in(browser, page, password=password)


def send_code(browser, page, code: str):
    return browser.request("POST", "/login", form=form_of(page, step="code", username=USERNAME, code=code))


def id_claims(body: dict) -> dict:
    return jwt.decode(body["id_token"], options={"verify_signature": False})


def test_a_user_with_totp_is_asked_for_a_code_after_the_password(browser, client, enrolled):
    _, page = code_page(browser, client)
    assert page.status == 200
    assert "Two-step verification" in page.text
    assert 'name="code"' in page.text
    assert cookies.SESSION not in browser.cookies  # no login session before the code


def test_the_password_and_a_current_code_sign_in_with_amr_pwd_otp(browser, client, enrolled, lambda_context):
    shown, _ = enrolled
    otp.wait_for_fresh_step()
    trial, page = code_page(browser, client)
    code = answer(send_code(browser, page, otp.code(shown)))["code"]
    status, _, body = exchange(lambda_context, trial, code)
    assert status == 200
    claims = id_claims(body)
    assert claims["amr"] == ["pwd", "otp"]
    assert claims["acr"] == "2"


def test_a_user_without_totp_gets_amr_pwd(browser, client, user, signing, lambda_context):
    trial, page = code_page(browser, client)
    status, _, body = exchange(lambda_context, trial, answer(page)["code"])
    assert status == 200
    assert id_claims(body)["amr"] == ["pwd"]
    assert id_claims(body)["acr"] == "1"


def test_a_wrong_password_is_refused_before_any_code_is_asked(browser, client, enrolled):
    _, page = code_page(browser, client, password="not the password")
    assert page.status == 400
    assert "Invalid username or password" in page.text
    assert 'name="code"' not in page.text


def test_a_wrong_code_shows_the_code_page_again(browser, client, enrolled):
    shown, _ = enrolled
    _, page = code_page(browser, client)
    wrong = str((int(otp.code(shown)) + 1) % 1_000_000).zfill(6)
    again = send_code(browser, page, wrong)
    assert again.status == 400
    assert "That code is not right" in again.text
    assert storage.get(UserModel, USERNAME).failed_attempts == 1


def test_a_code_one_step_old_is_accepted(browser, client, enrolled):
    shown, _ = enrolled
    otp.wait_for_fresh_step()
    _, page = code_page(browser, client)
    assert "code" in answer(send_code(browser, page, otp.code(shown, offset_steps=1)))


def test_a_code_two_steps_away_is_refused(browser, client, enrolled):
    shown, _ = enrolled
    otp.wait_for_fresh_step()
    _, page = code_page(browser, client)
    assert send_code(browser, page, otp.code(shown, offset_steps=-2)).status == 400
    assert send_code(browser, page, otp.code(shown, offset_steps=2)).status == 400


def test_a_code_used_once_is_refused_the_second_time(browser, client, enrolled):
    shown, _ = enrolled
    otp.wait_for_fresh_step()
    code = otp.code(shown, offset_steps=1)
    _, page = code_page(browser, client)
    assert "code" in answer(send_code(browser, page, code))
    other = Browser(gateway())
    _, page = code_page(other, client)
    replayed = send_code(other, page, code)
    assert replayed.status == 400
    assert "That code is not right" in replayed.text


def test_a_recovery_code_signs_in_once(browser, client, enrolled):
    _, recovery = enrolled
    _, page = code_page(browser, client)
    assert "code" in answer(send_code(browser, page, recovery[0].upper()))
    other = Browser(gateway())
    _, page = code_page(other, client)
    assert send_code(other, page, recovery[0]).status == 400
    assert len(storage.get(UserModel, USERNAME).recovery_codes) == 9


def test_wrong_codes_lock_the_account_as_wrong_passwords_do(browser, client, enrolled, monkeypatch):
    monkeypatch.setenv("LOCKOUT_THRESHOLD", "3")
    shown, _ = enrolled
    _, page = code_page(browser, client)
    for guess in ("000000", "111111", "222222"):
        send_code(browser, page, guess)
    assert storage.get(UserModel, USERNAME).locked_until is not None
    refused = send_code(browser, page, otp.code(shown))  # even the right code, now
    assert refused.status == 400
    _, page = code_page(Browser(gateway()), client)
    assert "Invalid username or password" in page.text  # and the password step says what it says


def test_a_right_password_does_not_reset_the_count_of_wrong_codes(browser, client, enrolled):
    _, page = code_page(browser, client)
    send_code(browser, page, "000000")
    code_page(Browser(gateway()), client)
    assert storage.get(UserModel, USERNAME).failed_attempts == 1


def test_prompt_login_asks_for_the_code_again(browser, client, enrolled):
    shown, _ = enrolled
    otp.wait_for_fresh_step()
    _, page = code_page(browser, client)
    answer(send_code(browser, page, otp.code(shown)))
    _, page = code_page(browser, client, prompt="login")
    assert 'name="code"' in page.text


def test_the_password_grant_is_refused_for_a_user_with_totp(enrolled, aws, lambda_context):
    new = admin.create_client("Script", "read", "password")
    basic = "Basic " + base64.b64encode(f"{new.client.client_id}:{new.client_secret}".encode()).decode()
    form = {"grant_type": "password", "username": USERNAME, "password": PASSWORD}
    status, _, body = post_form(lambda_context, "/token", form, basic)
    assert status == 400
    assert body["error"] == "invalid_grant"
    assert "authorization code flow" in body["error_description"]


def test_a_reset_ends_the_session_and_the_next_sign_in_asks_no_code(browser, client, enrolled):
    shown, _ = enrolled
    otp.wait_for_fresh_step()
    _, page = code_page(browser, client)
    answer(send_code(browser, page, otp.code(shown)))
    admin.reset_mfa(USERNAME)
    assert admin.mfa_status(USERNAME)["totp"] is False
    _, page = code_page(browser, client)  # the session ended: the login page again
    assert "code" in answer(page)  # and no code asked
