"""The store in a real browser against `make run` (self sign-up on): Debian's Chromium through
Debian's chromedriver (both by path: nothing is downloaded).

make run's own API (`local`: GET /orders, scope read) is imported again with `--subscriptions
required`, and a tier of one request per second with bursts of two is created, both with tokenctl.
A developer signs up, creates an application with keys and an access token, finds /orders refused
(not subscribed), subscribes the application from the catalogue with that tier, calls /orders
until the 429s arrive (Retry-After, an OAuth-style body), sees the calls on the application's
usage chart and in its table, and unsubscribes. Screenshots under test-output/portal/ (store-*.png).
"""

import json
import secrets
import time

import pytest
import requests

from tests.e2e.conftest import needs_chromium, start_make_run, tokenctl
from tests.e2e.portal.test_portal_browser_e2e import Portal
from tests.e2e.portal.test_portal_mfa_browser_e2e import sign_up_and_in

pytestmark = needs_chromium

API = "local"  # make run's REST API id
TIER = "Trial"
SCOPE = "read"  # what a portal sign-up may give its applications, and what GET /orders needs


@pytest.fixture(scope="module")
def store_api():
    yield from start_make_run({"SELF_SIGNUP_ENABLED": "true"})


def run(api, *args: str) -> dict | list | None:
    result = tokenctl(api, *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else None


@pytest.fixture(scope="module")
def inventory(store_api):
    """make run's API needing subscriptions (its rules as they were), and a tier of 1 r/s, bursts of 2."""
    run(store_api, "api", "import", "openapi.yaml", "--api", API, "--subscriptions", "required")
    run(store_api, "tier", "create", TIER, "--rate", "1", "--burst", "2")
    return store_api  # make run reads what an API says of subscriptions on every call


def orders(api, access_token: str) -> requests.Response:
    headers = {"Authorization": f"Bearer {access_token}"}
    return requests.get(f"{api.url}/orders", headers=headers, timeout=30)


def sign_in(portal: Portal, driver, api) -> str:
    username = f"store-{secrets.token_hex(3)}"
    sign_up_and_in(portal, api.url, username)
    portal.says("who-name", username)
    return username


def application_token(portal: Portal) -> str:
    """A new application "Store app" with the inventory's scope, its keys and an access token."""
    portal.type("#create-name", "Store app")
    portal.find(f"#create-scopes input[value='{SCOPE}']").click()
    portal.find("#create-form button[type=submit]").click()
    portal.says("status", "Application Store app created")
    portal.find("button[aria-label='Generate production keys for Store app']").click()
    portal.visible("#keys")
    portal.find("#keys-token").click()
    portal.visible("#token-form")
    portal.find("#token-form button[type=submit]").click()
    portal.visible("#token-result")
    assert portal.text("token-scope") == SCOPE
    token = portal.text("token-value")
    portal.find("#token-back").click()
    portal.visible("#apps")
    return token


def subscribe_from_the_catalogue(portal: Portal) -> None:
    from selenium.webdriver.support.ui import Select

    card = f"#catalogue-list article[data-api='{API}']"
    portal.visible(card)
    text = portal.find(card).text
    assert "Subscriptions: required" in text
    rows = portal.find(card).find_elements("css selector", "table.tiers tbody tr")
    numbers = {
        row.find_element("css selector", "th").text.split("\n")[0]: [
            cell.text for cell in row.find_elements("css selector", "td")
        ]
        for row in rows
    }
    assert numbers[TIER] == ["1", "2", "None"], numbers  # requests per second, burst, quota
    assert numbers["Bronze"] == ["15", "30", "None"]
    form = portal.find(f"{card} form")
    Select(form.find_element("css selector", "select[id^='subscribe-app-']")).select_by_visible_text(
        "Store app"
    )
    Select(form.find_element("css selector", "select[id^='subscribe-tier-']")).select_by_value(TIER)
    portal.screenshot("store-01-catalogue")
    form.find_element("css selector", "button[type=submit]").click()
    portal.says("status", "Store app is subscribed to")
    portal.says("apps-list", TIER)


def calls_until_throttled(api, token: str) -> tuple[int, requests.Response]:
    """Calls in quick succession: the tier's burst passes, then 429 with Retry-After."""
    answers = [orders(api, token) for _ in range(6)]
    statuses = [answer.status_code for answer in answers]
    assert statuses[0] == 200 and 429 in statuses, statuses
    throttled = next(answer for answer in answers if answer.status_code == 429)
    return statuses.count(200), throttled


def usage_shown(portal: Portal, driver, calls: int) -> None:
    driver.refresh()
    portal.visible("#apps-list .usage")
    chart = portal.find("#apps-list .usage svg[role='img']")
    label = chart.get_attribute("aria-label")
    assert f"{calls} call" in label and "in total" in label, label
    assert len(chart.find_elements("css selector", "rect.bar")) >= 1
    table = portal.find("#apps-list .usage table")
    assert "Calls per day" in table.find_element("css selector", "caption").text
    headers = [th.text for th in table.find_elements("css selector", "thead th[scope='col']")]
    assert headers[0] == "Date" and headers[-1] == "Total" and len(headers) == 3, headers
    today = time.strftime("%Y-%m-%d", time.gmtime())
    (row,) = table.find_elements("css selector", "tbody tr")
    assert row.find_element("css selector", "th[scope='row']").text == today
    assert [td.text for td in row.find_elements("css selector", "td")] == [str(calls), str(calls)]
    total = table.find_elements("css selector", "tfoot td")
    assert [td.text for td in total] == [str(calls), str(calls)]
    title = "document.querySelector('#apps-list .usage').previousElementSibling"  # "Usage, the last 30 days"
    driver.execute_script(f"{title}.scrollIntoView()")
    portal.screenshot("store-02-usage-chart")


def test_a_developer_subscribes_calls_into_the_tiers_429_sees_the_usage_and_unsubscribes(driver, inventory):
    api = inventory
    portal = Portal(driver, api.url)
    sign_in(portal, driver, api)
    token = application_token(portal)
    refused = orders(api, token)
    assert (refused.status_code, refused.json()["error"]) == (403, "insufficient_scope")
    assert "subscribed" in refused.json()["error_description"]  # it says why

    subscribe_from_the_catalogue(portal)
    assert "Subscribed: Store app (Trial)" in portal.find(f"#catalogue-list article[data-api='{API}']").text
    passed, throttled = calls_until_throttled(api, token)
    assert int(throttled.headers["Retry-After"]) >= 1
    assert throttled.json()["error"]  # an OAuth-style JSON body
    usage_shown(portal, driver, passed)

    portal.find("button[aria-label^='Unsubscribe Store app from ']").click()
    portal.says("status", "Store app is no longer subscribed to")
    portal.says("apps-list", "Not subscribed to any API")
    time.sleep(1.5)  # RULES_CACHE_SECONDS
    assert orders(api, token).status_code == 403
    violations = [e for e in driver.get_log("browser") if "Content Security Policy" in e["message"]]
    assert violations == []


def test_the_store_is_readable_on_a_phone(driver, inventory):
    api = inventory
    portal = Portal(driver, api.url)
    driver.set_window_size(390, 844)
    sign_in(portal, driver, api)
    portal.type("#create-name", "Phone app")
    portal.find("#create-form button[type=submit]").click()
    portal.says("apps-list", "Usage, the last 30 days")
    portal.visible(f"#catalogue-list article[data-api='{API}']")
    widths = driver.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"the store scrolls sideways on a phone: {json.dumps(widths)}"
    driver.execute_script("document.getElementById('catalogue-title').scrollIntoView()")
    portal.screenshot("store-03-catalogue-phone")
