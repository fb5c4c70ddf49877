"""An imported user who must change their password (WSO2's UM_REQUIRE_CHANGE) signs in to the
portal in a real browser: the hosted login page asks for a new password, and then the old one no
longer works."""

import csv
import secrets

import requests

from tests.e2e.conftest import tokenctl
from tests.e2e.portal.test_portal_browser_e2e import Portal, pytestmark
from tests.functional.migration.conftest import EXAMPLE

__all__ = ["pytestmark"]  # the driver fixture is tests/e2e/conftest.py's
OLD_PASSWORD = "an-old-wso2-password"
NEW_PASSWORD = "a brand new portal passphrase"


def imported_user(api, tmp_path) -> str:
    username = f"pat-{secrets.token_hex(3)}"
    salt = EXAMPLE.carbon_salt()
    with open(tmp_path / "users.csv", "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["UM_USER_NAME", "UM_USER_PASSWORD", "UM_SALT_VALUE", "UM_REQUIRE_CHANGE", "ROLES"])
        writer.writerow([username, EXAMPLE.carbon_hash(OLD_PASSWORD, salt), salt, "true", "subscriber"])
    done = tokenctl(api, "import", "wso2-users", str(tmp_path / "users.csv"))
    assert done.returncode == 0, done.stderr
    return username


def test_the_login_page_asks_for_a_new_password_then_signs_in_with_it(driver, local_api, tmp_path):
    username = imported_user(local_api, tmp_path)
    portal = Portal(driver, local_api.url)
    driver.get(f"{local_api.url}/portal")
    portal.visible("#signin").click()  # to the hosted login page (the code flow)
    portal.type("#username", username)
    portal.type("#password", OLD_PASSWORD)
    portal.find("form button[type=submit]").click()
    portal.visible("#new_password")  # asked for a new one, the current one typed again
    assert "must be changed" in portal.find(".problem").text
    assert portal.find("#password").get_attribute("value") == ""
    assert not any(cookie["name"].endswith("login-session") for cookie in driver.get_cookies())
    portal.screenshot("08-new-password-asked")

    portal.type("#password", OLD_PASSWORD)
    portal.type("#new_password", NEW_PASSWORD)
    portal.find("form button[type=submit]").click()
    portal.visible("#apps")  # back in the portal, signed in
    portal.says("who-name", username)

    demo = local_api.demo
    old = {"grant_type": "password", "username": username, "password": OLD_PASSWORD}
    refused = requests.post(
        f"{local_api.url}/token", data=old, auth=(demo["client_id"], demo["client_secret"])
    )
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_grant")
    new = {**old, "password": NEW_PASSWORD}
    accepted = requests.post(
        f"{local_api.url}/token", data=new, auth=(demo["client_id"], demo["client_secret"])
    )
    assert accepted.status_code == 200
