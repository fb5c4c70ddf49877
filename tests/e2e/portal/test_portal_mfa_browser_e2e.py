"""Two-step verification in a real browser against `make run` (Debian's Chromium through
Selenium): a newcomer signs up, turns TOTP on in the portal (the QR code shown, the key read off
the page, a first code computed from it as an authenticator app would), sees the recovery codes
once, signs out, and signs in again with the password and a code. Screenshots under
test-output/portal/."""

import secrets
import time

from tests import otp
from tests.e2e.conftest import needs_chromium
from tests.e2e.portal.test_portal_browser_e2e import PASSWORD, Portal

pytestmark = needs_chromium


def sign_up_and_in(portal: Portal, url: str, username: str) -> None:
    portal.driver.get(f"{url}/portal")
    portal.visible("#signup-form")
    portal.type("#signup-username", username)
    portal.type("#signup-password", PASSWORD)
    portal.find("#signup-form button[type=submit]").click()
    portal.visible("#password")
    portal.type("#password", PASSWORD)
    portal.find("form button[type=submit]").click()
    portal.visible("#apps")
    portal.says("who-name", username)


def test_a_newcomer_turns_on_totp_and_signs_in_with_password_and_code(driver, signup_api):
    portal = Portal(driver, signup_api.url)
    username = f"totp-{secrets.token_hex(3)}"
    sign_up_and_in(portal, signup_api.url, username)
    portal.says("mfa-state", "Two-step verification is off")

    portal.visible("#mfa-enable").click()
    portal.visible("#mfa-enrol")
    secret = portal.text("mfa-secret")
    assert len(otp.secret_bytes(secret)) == 20
    qr = driver.execute_script(
        "const img = document.getElementById('mfa-qr'); return [img.src.slice(0, 26), img.naturalWidth]"
    )
    assert qr[0] == "data:image/svg+xml;base64," and qr[1] > 0  # drawn: the CSP lets it in
    portal.screenshot("06-two-step-qr-code")
    otp.wait_for_fresh_step()
    portal.type("#mfa-confirm-code", otp.code(secret))
    portal.find("#mfa-confirm-form button[type=submit]").click()
    portal.visible("#mfa-recovery")
    recovery = portal.text("mfa-recovery-codes").split()
    assert len(recovery) == 10
    portal.screenshot("07-two-step-recovery-codes")
    portal.find("#mfa-recovery-done").click()
    portal.says("mfa-state", "Two-step verification is on")

    portal.find("#signout").click()
    portal.visible("#welcome")
    portal.find("#signin").click()
    portal.visible("#password")
    portal.type("#username", username)
    portal.type("#password", PASSWORD)
    portal.find("form button[type=submit]").click()
    portal.visible("#code")  # the second step: the code page
    portal.screenshot("08-two-step-code-page")
    portal.type("#code", otp.code(secret, offset_steps=1))  # a later step than the one confirmed
    portal.find("form button[type=submit]").click()
    portal.visible("#apps")
    portal.says("who-name", username)
    assert driver.current_url == f"{signup_api.url}/portal"


def test_a_wrong_code_at_sign_in_is_refused_on_the_page(driver, signup_api):
    portal = Portal(driver, signup_api.url)
    username = f"totp-{secrets.token_hex(3)}"
    sign_up_and_in(portal, signup_api.url, username)
    portal.visible("#mfa-enable").click()
    secret = portal.visible("#mfa-secret").text
    otp.wait_for_fresh_step()
    confirmed_at = time.time()
    portal.type("#mfa-confirm-code", otp.code(secret, confirmed_at))
    portal.find("#mfa-confirm-form button[type=submit]").click()
    portal.visible("#mfa-recovery")
    portal.find("#signout").click()
    portal.visible("#welcome")
    portal.find("#signin").click()
    portal.type("#username", username)
    portal.type("#password", PASSWORD)
    portal.find("form button[type=submit]").click()
    portal.visible("#code")
    portal.type("#code", otp.code(secret, confirmed_at))  # the code used to confirm: a replay
    portal.find("form button[type=submit]").click()
    portal.says("title", "Two-step verification")
    assert "That code is not right" in driver.page_source
