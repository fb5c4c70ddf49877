"""Two-step verification (TOTP) over HTTP against `make run` on DynamoDB Local: a user turns it on
through the portal's backend (as its page does), then signs in at the hosted login page with the
password and a code computed from the shown secret; and the race: two sign-ins with one code at
once, in two browsers — exactly one wins."""

import secrets
from urllib.parse import urljoin

import pytest

from tests import otp
from tests.e2e.conftest import needs_dynamodb_local, tokenctl
from tests.e2e.oauth.test_races_e2e import at_once
from tests.e2e.signin.conftest import Browser, Flow, answer, fields

PASSWORD = "a fine long passphrase"
# The codes of the current step and the next (the enrolment confirmed the previous one's): each
# later than the last accepted.
OFFSETS = (0, 1)


def portal_signed_in(api, username: str) -> tuple[Browser, dict]:
    """A browser signed in to the portal (through the hosted login page); its CSRF header."""
    browser = Browser(api)
    step = browser.get(f"{api.url}/portal/login")
    page = browser.get(urljoin(api.url, step.headers["Location"]))
    back = browser.log_in(page, username, PASSWORD)
    landed = browser.get(urljoin(api.url, back.headers["Location"]))
    assert landed.status_code in (302, 303), landed.text[:300]
    session = browser.session.get(f"{api.url}/portal/session", timeout=30).json()
    assert session["signed_in"], session
    return browser, {"X-CSRF-Token": session["csrf_token"], "Origin": api.url}


def turn_on_totp(api, username: str) -> str:
    browser, headers = portal_signed_in(api, username)
    enrolment = browser.session.post(f"{api.url}/portal/mfa/enrol", headers=headers, timeout=30)
    assert enrolment.status_code == 200, enrolment.text
    secret = enrolment.json()["secret"]
    otp.wait_for_fresh_step()
    confirmed = browser.session.post(
        f"{api.url}/portal/mfa/confirm", json={"code": otp.code(secret, offset_steps=-1)}, headers=headers
    )
    assert confirmed.status_code == 200, confirmed.text
    return secret


@pytest.fixture
def totp_user(local_api) -> tuple[str, str]:
    username = f"otp-{secrets.token_hex(3)}"
    made = tokenctl(
        local_api, "user", "create", username, "--scopes", "openid read", "--password-stdin", stdin=PASSWORD
    )
    assert made.returncode == 0, made.stderr
    return username, turn_on_totp(local_api, username)


def at_code_page(api, flow: Flow, username: str) -> tuple[Browser, object]:
    browser = Browser(api)
    page = browser.log_in(browser.get(flow.url()), username, PASSWORD)
    assert page.status_code == 200 and 'name="code"' in page.text, page.text[:300]
    return browser, page


def send_code(api, browser: Browser, page, username: str, code: str):
    form = {**fields(page), "step": "code", "username": username, "code": code}
    return browser.session.post(f"{api.url}/login", data=form, allow_redirects=False, timeout=30)


def test_password_and_code_sign_in_and_the_id_token_says_otp(local_api, web, callback, totp_user):
    import jwt

    client, _ = web
    username, secret = totp_user
    flow = Flow(local_api, client, callback.url)
    otp.wait_for_fresh_step()
    browser, page = at_code_page(local_api, flow, username)
    tokens = flow.exchange(answer(send_code(local_api, browser, page, username, otp.code(secret)))["code"])
    assert tokens.status_code == 200, tokens.text
    claims = jwt.decode(tokens.json()["id_token"], options={"verify_signature": False})
    assert (claims["amr"], claims["acr"]) == (["pwd", "otp"], "2")


@needs_dynamodb_local
def test_two_sign_ins_with_one_code_at_once_one_wins(local_api, web, callback, totp_user):
    client, _ = web
    username, secret = totp_user
    otp.wait_for_fresh_step(margin=12)
    for offset in OFFSETS:
        code = otp.code(secret, offset_steps=offset)
        flows = [Flow(local_api, client, callback.url) for _ in range(2)]
        pages = [at_code_page(local_api, flow, username) for flow in flows]
        answers = at_once(
            2, lambda i, code=code, pages=pages: send_code(local_api, *pages[i], username, code)
        )
        statuses = sorted(response.status_code for response in answers)
        assert statuses == [303, 400], [response.text[:200] for response in answers]


def test_the_password_grant_is_refused_for_a_totp_user_naming_the_code_flow(local_api, totp_user):
    import requests

    username, _ = totp_user
    demo = local_api.demo
    answer_ = requests.post(
        f"{local_api.url}/token",
        data={"grant_type": "password", "username": username, "password": PASSWORD},
        auth=(demo["client_id"], demo["client_secret"]),
        timeout=30,
    )
    assert answer_.status_code == 400
    assert answer_.json()["error"] == "invalid_grant"
    assert "authorization code flow" in answer_.json()["error_description"]
