"""The portal signs in through the code flow, as its own first-party client: to /authorize with
state and PKCE, back to its callback, which must be this browser's sign-in (state, its cookie),
this issuer's (iss), and completes only with a good code."""

from urllib.parse import parse_qs, urlencode, urlsplit

from tests.functional.gateway_client import Browser
from tests.functional.portal.conftest import PASSWORD, signed_up
from tokenservice import admin


def query_of(location: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


def test_sign_in_starts_the_code_flow_with_state_and_pkce(browser):
    response = browser.request("GET", "/portal/login?login_hint=carol")
    assert response.status == 303
    location = response.header("Location")
    assert location.startswith(f"{browser.origin}/authorize?")
    query = query_of(location)
    assert query["client_id"] == "developer-portal" and query["response_type"] == "code"
    assert query["redirect_uri"] == f"{browser.origin}/portal/callback"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert len(query["state"]) == 43 and query["scope"] == "apim:subscribe"
    assert query["login_hint"] == "carol"
    (cookie,) = response.headers_named("Set-Cookie")
    assert cookie.startswith("__Host-portal-signin=")
    assert {"HttpOnly", "Secure", "SameSite=Lax", "Path=/", "Max-Age=600"} <= set(cookie.split("; "))
    assert cookie.split(";")[0].split("=", 1)[1] not in location  # state and verifier are derived from it


def test_the_login_hint_fills_in_the_username(browser):
    page = browser.follow(browser.request("GET", "/portal/login?login_hint=carol"))
    assert 'value="carol"' in page.text and "Developer portal" in page.text


def test_the_portals_first_party_client_asks_no_consent(browser):
    signed_up(browser)
    assert (
        browser.callback.status == 303 and browser.callback.header("Location") == browser.origin + "/portal"
    )


def callback(browser: Browser, **query) -> str:
    response = browser.request("GET", "/portal/callback?" + urlencode(query))
    assert response.status == 303
    return response.header("Location")


def answer_for(browser: Browser, username: str = "carol") -> dict[str, str]:
    """A real authorization response for the portal, not yet delivered to its callback."""
    admin.create_user(username, PASSWORD, "read", roles="subscriber", replace=True)
    page = browser.follow(browser.request("GET", "/portal/login"))
    return query_of(browser.log_in(page, username, PASSWORD).header("Location"))


def test_a_callback_another_browser_started_does_not_sign_in(browser):
    attacker = Browser(browser.gateway)
    answer = answer_for(attacker, "mallory")  # the attacker's own code, for a login CSRF
    victim = Browser(browser.gateway)
    assert callback(victim, **answer).endswith("/portal?signin=failed")
    assert victim.request("GET", "/portal/session").json()["signed_in"] is False


def test_a_callback_with_a_wrong_state_or_issuer_or_an_error_does_not_sign_in(browser):
    answer = answer_for(browser)
    for tampered in (
        {**answer, "state": "x" * 43},
        {**answer, "iss": "https://evil.example"},
        {k: v for k, v in answer.items() if k != "iss"},
        {"error": "access_denied", "state": answer["state"], "iss": answer["iss"]},
    ):
        pending = dict(browser.cookies)
        assert callback(browser, **tampered).endswith("/portal?signin=failed")
        browser.cookies = pending  # the same sign-in, tried again with another answer
    assert callback(browser, **answer) == browser.origin + "/portal"  # the real answer still works
    assert browser.request("GET", "/portal/session").json()["username"] == "carol"


def test_a_replayed_callback_does_not_sign_in_twice(browser):
    answer = answer_for(browser)
    pending = dict(browser.cookies)
    assert callback(browser, **answer) == browser.origin + "/portal"
    browser.cookies = {**browser.cookies, **pending}
    assert callback(browser, **answer).endswith("/portal?signin=failed")  # the code works once


def test_signing_out_of_the_portal_signs_out_of_the_service(browser):
    signed_up(browser)
    assert browser.request("POST", "/portal/signout").status == 204
    page = browser.follow(browser.request("GET", "/portal/login"))
    assert page.status == 200 and "Sign in" in page.text  # the password again, not a silent sign-in
