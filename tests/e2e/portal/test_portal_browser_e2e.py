"""The developer portal in a real browser against `make run` (self sign-up on): Debian's Chromium,
driven by Selenium through Debian's chromedriver (both given by path: nothing is downloaded).

A newcomer signs up, signs in (at the hosted login page: the code flow), creates an application,
generates its production keys and an access
token, calls GET /orders with it, regenerates the keys and sees the old secret refused. A
screenshot of each screen is saved under test-output/portal/ (docs/portal.md shows two of them).
"""

import json
import secrets

import requests

from tests.e2e.conftest import ROOT, needs_chromium

SCREENSHOTS = ROOT / "test-output" / "portal"
PASSWORD = "a fine long passphrase"

pytestmark = needs_chromium


class Portal:
    """The page, as a user sees and works it."""

    def __init__(self, driver, url: str):
        from selenium.webdriver.support.ui import WebDriverWait

        self.driver, self.url = driver, url
        self.wait = WebDriverWait(driver, 20)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def find(self, selector: str):
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def text(self, element_id: str) -> str:
        return self.find(f"#{element_id}").text

    def visible(self, selector: str):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec

        return self.wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, selector)))

    def says(self, element_id: str, words: str) -> None:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec

        self.wait.until(ec.text_to_be_present_in_element((By.ID, element_id), words))

    def type(self, selector: str, text: str) -> None:
        field = self.find(selector)
        field.clear()
        field.send_keys(text)

    def screenshot(self, name: str) -> None:
        self.driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))

    def storage(self) -> list:
        return self.driver.execute_script(
            "return [localStorage.length, sessionStorage.length, document.cookie]"
        )


def test_a_newcomer_goes_from_sign_up_to_a_working_access_token(driver, signup_api):
    portal = Portal(driver, signup_api.url)
    username = f"newcomer-{secrets.token_hex(3)}"
    driver.get(f"{signup_api.url}/portal")
    portal.visible("#signup-form")
    portal.screenshot("01-sign-up-and-sign-in")

    portal.type("#signup-username", username)
    portal.type("#signup-password", PASSWORD)
    portal.find("#signup-form button[type=submit]").click()
    portal.visible("#password")  # the hosted login page, the new account's name filled in
    assert driver.current_url.startswith(f"{signup_api.url}/authorize?")
    assert portal.find("#username").get_attribute("value") == username
    portal.screenshot("01b-hosted-login-page")

    portal.type("#password", PASSWORD)
    portal.find("form button[type=submit]").click()
    portal.visible("#apps")
    portal.says("who-name", username)
    assert driver.current_url == f"{signup_api.url}/portal"
    cookies = {cookie["name"]: cookie for cookie in driver.get_cookies()}
    assert set(cookies) == {"portal-session", "login-session", "login-browser"}
    assert (cookies["portal-session"]["httpOnly"], cookies["portal-session"]["sameSite"]) == (True, "Strict")
    assert all(cookie["httpOnly"] for cookie in cookies.values())
    assert portal.storage() == [0, 0, ""]  # scripts see no cookie, nothing stored

    portal.type("#create-name", "Shop")
    portal.find("#create-scopes input[value='read']").click()
    portal.find("#create-form button[type=submit]").click()
    portal.says("status", "Application Shop created")
    portal.says("apps-list", "Registered users: 0")
    portal.screenshot("02-my-applications")

    portal.find("button[aria-label='Generate production keys for Shop']").click()
    portal.visible("#keys")
    client_id, old_secret = portal.text("keys-id"), portal.text("keys-secret")
    assert len(client_id) == 28 and len(old_secret) == 43
    portal.screenshot("03-keys-generated")

    portal.find("#keys-token").click()
    portal.visible("#token-form")
    assert portal.find("#token-secret").get_attribute("value") == old_secret  # kept in the page's memory
    portal.find("#token-form button[type=submit]").click()
    portal.visible("#token-result")
    token = portal.text("token-value")
    assert portal.text("token-scope") == "read"
    assert portal.text("token-expiry").startswith("3600 seconds")
    assert f"Authorization: Bearer {token}" in portal.text("token-curl")
    assert f"{signup_api.url}/orders" in portal.text("token-curl")
    driver.execute_script("document.getElementById('token-result-title').scrollIntoView()")
    portal.screenshot("04-access-token")

    orders = requests.get(
        f"{signup_api.url}/orders", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert orders.status_code == 200 and orders.json()["orders"]

    portal.find("#token-back").click()
    portal.visible("#apps")
    portal.find("button[aria-label='Regenerate production keys for Shop']").click()
    portal.visible("#keys")
    new_secret = portal.text("keys-secret")
    assert portal.text("keys-id") == client_id and new_secret != old_secret
    portal.screenshot("05-keys-regenerated")

    portal.find("#keys-token").click()
    portal.visible("#token-form")
    portal.type("#token-secret", old_secret)
    portal.find("#token-form button[type=submit]").click()
    portal.visible("#problem")
    portal.says("problem", "Client authentication failed")
    portal.screenshot("06-old-secret-refused")
    refused = requests.post(
        f"{signup_api.url}/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, old_secret),
        timeout=10,
    )
    assert (refused.status_code, refused.json()["error"]) == (401, "invalid_client")
    accepted = requests.post(
        f"{signup_api.url}/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, new_secret),
        timeout=10,
    )
    assert accepted.status_code == 200

    served = "".join(
        requests.get(f"{signup_api.url}{path}", timeout=10).text for path in ("/portal", "/portal/app.js")
    )
    assert old_secret not in served and new_secret not in served and token not in served
    assert portal.storage() == [0, 0, ""]
    violations = [
        entry for entry in driver.get_log("browser") if "Content Security Policy" in entry["message"]
    ]
    assert violations == []


def test_the_portal_works_from_the_keyboard_alone(driver, signup_api):
    from selenium.webdriver.common.keys import Keys

    portal = Portal(driver, signup_api.url)
    username = f"keyboard-{secrets.token_hex(3)}"
    requests.post(
        f"{signup_api.url}/portal/signup",
        json={"username": username, "password": PASSWORD},
        headers={"X-CSRF-Token": "test"},
        timeout=10,
    ).raise_for_status()
    driver.get(f"{signup_api.url}/portal")
    portal.visible("#signin")
    assert driver.switch_to.active_element.get_attribute("id") == "welcome-title"  # focus on the screen
    driver.switch_to.active_element.send_keys(Keys.TAB)
    assert driver.switch_to.active_element.get_attribute("id") == "signin"  # the link to sign in
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    portal.visible("#password")  # the hosted login page, the username field focused
    assert driver.switch_to.active_element.get_attribute("id") == "username"
    driver.switch_to.active_element.send_keys(username, Keys.TAB)
    assert driver.switch_to.active_element.get_attribute("id") == "password"
    driver.switch_to.active_element.send_keys(PASSWORD, Keys.ENTER)  # the form, from the keyboard
    portal.says("who-name", username)
    # focus follows the screen (once its applications are listed: the name shows before they are)
    portal.wait.until(lambda browser: browser.switch_to.active_element.get_attribute("id") == "apps-title")


def test_the_portal_is_readable_on_a_phone(driver, signup_api):
    portal = Portal(driver, signup_api.url)
    username = f"phone-{secrets.token_hex(3)}"
    session = requests.Session()
    session.post(
        f"{signup_api.url}/portal/signup",
        json={"username": username, "password": PASSWORD},
        headers={"X-CSRF-Token": "test"},
        timeout=10,
    ).raise_for_status()
    driver.set_window_size(390, 844)
    driver.get(f"{signup_api.url}/portal")
    portal.visible("#signin").click()
    portal.visible("#password")
    widths = driver.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"the login page scrolls sideways on a phone: {json.dumps(widths)}"
    portal.screenshot("07a-hosted-login-page-phone")
    portal.type("#username", username)
    portal.type("#password", PASSWORD)
    portal.find("form button[type=submit]").click()
    portal.visible("#apps")
    portal.type("#create-name", "Phone app")
    portal.find("#create-form button[type=submit]").click()
    portal.says("apps-list", "Phone app")
    widths = driver.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"the page scrolls sideways on a phone: {json.dumps(widths)}"
    portal.screenshot("07-phone")
