"""The code flow in a real browser against `make run`: Debian's Chromium through Debian's
chromedriver (Selenium), for a confidential and a public client of the installed tokenctl, with a
local callback standing in for the client. Single sign-on, prompt=login, a wrong password, logout,
a phone's width; no Content-Security-Policy violation. Screenshots go to test-output/signin/."""

import json
from urllib.parse import urlencode

import jwt
import pytest
import requests

from tests.e2e.conftest import ROOT, needs_chromium
from tests.e2e.signin.conftest import Flow, make_client

pytestmark = needs_chromium
SCREENSHOTS = ROOT / "test-output" / "signin"


class Page:
    def __init__(self, driver):
        from selenium.webdriver.support.ui import WebDriverWait

        self.driver = driver
        self.wait = WebDriverWait(driver, 20)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def find(self, selector: str):
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def visible(self, selector: str):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec

        return self.wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, selector)))

    def at(self, url_prefix: str) -> None:
        self.wait.until(lambda driver: driver.current_url.startswith(url_prefix))

    def sign_in(self, username: str, password: str) -> None:
        self.visible("#username").clear()
        self.find("#username").send_keys(username)
        self.find("#password").send_keys(password)
        self.find("form button[type=submit]").click()

    def screenshot(self, name: str) -> None:
        self.driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))

    def csp_violations(self) -> list:
        return [
            entry for entry in self.driver.get_log("browser") if "Content Security Policy" in entry["message"]
        ]


@pytest.mark.parametrize("public", [False, True], ids=["confidential", "public"])
def test_a_browser_signs_in_and_the_client_gets_tokens_with_an_id_token(driver, local_api, callback, public):
    client = make_client(local_api, callback.url, *(["--public"] if public else []))
    flow = Flow(local_api, client, callback.url)
    page = Page(driver)
    driver.get(flow.url())
    page.visible("#password")
    assert "Browser app" in page.find(".lead").text
    page.screenshot("01-login-page" if not public else "01-login-page-public")
    page.sign_in(local_api.demo["username"], local_api.demo["password"])
    page.at(callback.url)
    answer = callback.answers[-1]
    assert (answer["state"], answer["iss"]) == (flow.state, local_api.url)
    tokens = flow.exchange(answer["code"])
    assert tokens.status_code == 200, tokens.text
    claims = jwt.decode(tokens.json()["id_token"], options={"verify_signature": False})
    assert (claims["sub"], claims["aud"], claims["nonce"]) == ("demo", client["client_id"], flow.nonce)
    cookies = {
        cookie["name"]: cookie for cookie in driver.get_cookies() if cookie["name"].startswith("login")
    }
    assert set(cookies) == {"login-session", "login-browser"}
    assert all(cookie["httpOnly"] and cookie["sameSite"] == "Lax" for cookie in cookies.values())
    assert page.csp_violations() == []


def test_single_sign_on_prompt_login_a_wrong_password_and_logout(driver, local_api, callback):
    client = make_client(local_api, callback.url, "--post-logout-redirect-uris", callback.url)
    page = Page(driver)
    first = Flow(local_api, client, callback.url)
    driver.get(first.url())
    page.sign_in(local_api.demo["username"], "not the password at all")
    page.visible(".problem")
    assert page.find(".problem").text == "Invalid username or password."
    page.screenshot("02-wrong-password")
    page.find("#password").send_keys(local_api.demo["password"])
    page.find("form button[type=submit]").click()
    page.at(callback.url)
    tokens = first.exchange(callback.answers[-1]["code"]).json()

    second = Flow(local_api, client, callback.url)
    driver.get(second.url())  # signed in: no page, straight back
    page.at(callback.url)
    assert callback.answers[-1]["state"] == second.state and "code" in callback.answers[-1]

    driver.get(Flow(local_api, client, callback.url).url(prompt="login"))
    page.visible("#password")  # the password again, despite the session

    query = {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": callback.url, "state": "bye"}
    driver.get(f"{local_api.url}/logout?{urlencode(query)}")
    page.at(callback.url)
    assert callback.answers[-1] == {"state": "bye"}
    driver.get(Flow(local_api, client, callback.url).url(prompt="none"))
    page.at(callback.url)
    assert callback.answers[-1]["error"] == "login_required"
    assert page.csp_violations() == []


def test_the_login_page_is_readable_on_a_phone(driver, local_api, callback):
    client = make_client(local_api, callback.url)
    driver.set_window_size(390, 844)
    driver.get(Flow(local_api, client, callback.url).url())
    page = Page(driver)
    page.visible("#password")
    widths = driver.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"the login page scrolls sideways on a phone: {json.dumps(widths)}"
    button = page.find("form button[type=submit]")
    assert button.size["width"] >= 300  # full width: easy to tap
    page.screenshot("03-login-page-phone")


def test_an_unregistered_redirect_uri_stays_on_an_error_page(driver, local_api, callback):
    client = make_client(local_api, callback.url)
    driver.get(Flow(local_api, client, callback.url + "/elsewhere").url())
    page = Page(driver)
    assert page.visible("h1").text == "Sign-in cannot continue"
    assert driver.current_url.startswith(f"{local_api.url}/authorize")
    assert requests.get(f"{local_api.url}/signin/style.css", timeout=10).status_code == 200
