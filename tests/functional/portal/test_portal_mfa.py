"""Two-step verification in the portal: turning TOTP on (the secret as text and as a QR code made
locally, a first code, ten recovery codes once), signing in with it, turning it off with a code."""

import base64

import pytest

from tests import otp
from tests.functional.gateway_client import Browser, gateway
from tests.functional.portal.conftest import PASSWORD, signed_up
from tests.functional.signin.conftest import hidden
from tokenservice import admin


@pytest.fixture
def signing(aws):
    import boto3

    from tokenservice.deploy import deployment

    kms_key = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]
    return deployment.set_up_signing("https://portal.example.test", kms_key)


@pytest.fixture
def carol(browser, signing) -> Browser:
    return signed_up(browser)


def turn_on(browser: Browser) -> tuple[str, list[str]]:
    enrolment = browser.request("POST", "/portal/mfa/enrol").json()
    otp.wait_for_fresh_step()
    confirmed = browser.request("POST", "/portal/mfa/confirm", {"code": otp.code(enrolment["secret"])})
    assert confirmed.status == 200, confirmed.json()
    return enrolment["secret"], confirmed.json()["recovery_codes"]


def sign_in_with_code(browser: Browser, code: str):
    """The portal's sign-in through the hosted pages: the password, then the code."""
    page = browser.sign_in("carol", PASSWORD)
    assert 'name="code"' in page.text, page.text[:300]
    form = {name: hidden(page.text, name) for name in ("transaction", "client_id", "csrf_token", "username")}
    answer = browser.request("POST", "/login", form={**form, "step": "code", "code": code})
    if answer.status not in (302, 303):
        return answer
    browser.follow(answer)
    session = browser.request("GET", "/portal/session")
    browser.csrf = session.json().get("csrf_token")
    return session


def test_two_step_verification_is_off_at_first(carol):
    assert carol.request("GET", "/portal/mfa").json() == {
        "totp": False,
        "enabled_at": None,
        "recovery_codes_left": 0,
    }


def test_enrolment_shows_the_secret_as_text_and_as_a_local_svg_qr_code(carol):
    enrolment = carol.request("POST", "/portal/mfa/enrol")
    assert enrolment.status == 200
    body = enrolment.json()
    assert len(otp.secret_bytes(body["secret"])) == 20
    assert (
        body["otpauth_uri"].startswith("otpauth://totp/")
        and f"secret={body['secret']}" in body["otpauth_uri"]
    )
    prefix = "data:image/svg+xml;base64,"
    assert body["qr_code"].startswith(prefix)
    assert base64.b64decode(body["qr_code"][len(prefix) :]).startswith(b"<svg")
    assert enrolment.header("Cache-Control") == "no-store"


def test_a_first_valid_code_turns_it_on_with_ten_recovery_codes(carol):
    _, recovery = turn_on(carol)
    assert len(recovery) == 10 and len(set(recovery)) == 10
    status = carol.request("GET", "/portal/mfa").json()
    assert status["totp"] is True and status["recovery_codes_left"] == 10


def test_a_wrong_first_code_leaves_it_off(carol):
    enrolment = carol.request("POST", "/portal/mfa/enrol").json()
    wrong = str((int(otp.code(enrolment["secret"])) + 5) % 1_000_000).zfill(6)
    refused = carol.request("POST", "/portal/mfa/confirm", {"code": wrong})
    assert refused.status == 400 and refused.json()["error"] == "invalid_request"
    assert carol.request("GET", "/portal/mfa").json()["totp"] is False


def test_enrolment_needs_the_sessions_csrf_token(carol):
    carol.csrf = "wrong"
    assert carol.request("POST", "/portal/mfa/enrol").status in (401, 403)


def test_after_turning_it_on_the_sign_in_asks_for_a_code(carol):
    secret, _ = turn_on(carol)
    carol.request("POST", "/portal/signout")
    otp.wait_for_fresh_step()
    session = sign_in_with_code(carol, otp.code(secret, offset_steps=1))
    assert session.json()["signed_in"] is True


def test_turning_it_off_needs_a_right_code(carol):
    secret, _ = turn_on(carol)
    refused = carol.request("POST", "/portal/mfa/disable", {"code": "000000"})
    assert refused.status == 400
    assert admin.mfa_status("carol")["totp"] is True
    otp.wait_for_fresh_step()
    assert (
        carol.request("POST", "/portal/mfa/disable", {"code": otp.code(secret, offset_steps=1)}).status == 200
    )
    assert admin.mfa_status("carol")["totp"] is False
    carol.request("POST", "/portal/signout")
    assert Browser(gateway()).sign_in("carol", PASSWORD).json()["signed_in"] is True
