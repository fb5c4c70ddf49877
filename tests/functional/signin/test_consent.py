"""Consent: a user's application (the developer portal's, a third party's) and an operator's client
created with --require-consent ask each user once per scope set, remembered; first-party clients do
not ask; prompt=none never shows the page."""

import pytest

from tests.functional.gateway_client import FORM_FIELDS, hidden
from tests.functional.signin.conftest import (
    ISSUER,
    REDIRECT,
    USERNAME,
    CodeClient,
    answer,
    attempt,
    code_client,
    code_for,
    exchange,
)
from tokenservice import admin
from tokenservice.portal import applications
from tokenservice.registry import registry
from tokenservice.store import storage
from tokenservice.store.models import ConsentModel, consent_key


@pytest.fixture
def third_party(user, signing) -> CodeClient:
    """A user's application from the developer portal, with its production keys and a redirect URI."""
    admin.create_user("owen", "a fine long passphrase", "read", roles="subscriber")
    registry.define_scope("read", (), "Read your orders")
    app = applications.create("owen", "Owen's <b>shop</b>", "read", REDIRECT)
    keys = applications.generate_keys("owen", app.id, applications.PRODUCTION)
    return CodeClient(keys.client_id, keys.client_secret, REDIRECT)


def consent_form(page, decision: str) -> dict:
    return {**{name: hidden(page.text, name) for name in FORM_FIELDS}, "decision": decision}


def test_a_third_partys_application_asks_after_the_password(browser, third_party):
    page = browser.request("GET", attempt(third_party).path())
    consent = browser.log_in(page, USERNAME, "correct horse battery staple")
    assert consent.status == 200 and "Allow access?" in consent.text
    assert "Owen&#x27;s &lt;b&gt;shop&lt;/b&gt;" in consent.text and "<b>shop" not in consent.text
    assert "Read your orders" in consent.text and "Know who you are" in consent.text
    assert consent.header("Content-Security-Policy").count("form-action 'self' https://app.example.com") == 1
    assert any(c.startswith("__Host-login-session=") for c in consent.headers_named("Set-Cookie"))


def test_allowing_answers_with_a_code_and_is_remembered(browser, third_party, lambda_context):
    trial = attempt(third_party)
    consent = browser.log_in(browser.request("GET", trial.path()), USERNAME, "correct horse battery staple")
    response = browser.request("POST", "/consent", form=consent_form(consent, "allow"))
    got = answer(response)
    assert response.status == 303 and (got["state"], got["iss"]) == (trial.state, ISSUER)
    assert exchange(lambda_context, trial, got["code"])[0] == 200
    stored = storage.get(ConsentModel, consent_key(third_party.client_id, USERNAME))
    assert stored.scope == "openid read"
    again = attempt(third_party)
    assert browser.request("GET", again.path()).status == 302  # asked once: straight back now
    assert "code" in answer(browser.request("GET", again.path(prompt="none")))


def test_a_wider_request_asks_again(browser, third_party):
    trial = attempt(third_party, scope="read")
    consent = browser.log_in(browser.request("GET", trial.path()), USERNAME, "correct horse battery staple")
    browser.request("POST", "/consent", form=consent_form(consent, "allow"))
    wider = browser.request("GET", attempt(third_party, scope="openid read").path())
    assert wider.status == 200 and "Allow access?" in wider.text  # signed in: the consent page alone


def test_denying_answers_access_denied(browser, third_party):
    trial = attempt(third_party)
    consent = browser.log_in(browser.request("GET", trial.path()), USERNAME, "correct horse battery staple")
    got = answer(browser.request("POST", "/consent", form=consent_form(consent, "deny")))
    assert (got["error"], got["state"], got["iss"]) == ("access_denied", trial.state, ISSUER)
    assert storage.get(ConsentModel, consent_key(third_party.client_id, USERNAME)) is None


def test_prompt_none_is_consent_required_until_the_user_allowed(browser, third_party):
    code_for(browser, attempt(code_client()))  # signed in, through a first-party client
    got = answer(browser.request("GET", attempt(third_party).path(prompt="none")))
    assert got["error"] == "consent_required"


def test_a_first_party_client_does_not_ask_and_one_created_to_ask_does(browser, user):
    assert "code" in code_for(browser, attempt(code_client()))
    asking = browser.request("GET", attempt(code_client(require_consent=True)).path())
    assert asking.status == 200 and "Allow access?" in asking.text


def test_the_consent_form_needs_its_csrf_token_and_its_browser(browser, third_party):
    from tests.functional.gateway_client import Browser

    consent = browser.log_in(
        browser.request("GET", attempt(third_party).path()), USERNAME, "correct horse battery staple"
    )
    forged = {**consent_form(consent, "allow"), "csrf_token": "forged"}
    assert browser.request("POST", "/consent", form=forged).status == 403
    other = Browser(browser.gateway)
    assert other.request("POST", "/consent", form=consent_form(consent, "allow")).status == 400
    assert browser.request("POST", "/consent", form=consent_form(consent, "allow")).status == 303


def test_signing_out_before_consenting_voids_the_consent_page(browser, third_party):
    consent = browser.log_in(
        browser.request("GET", attempt(third_party).path()), USERNAME, "correct horse battery staple"
    )
    browser.request("GET", "/logout")
    assert browser.request("POST", "/consent", form=consent_form(consent, "allow")).status == 400


def test_revoking_a_consent_asks_again_and_revokes_the_clients_tokens(browser, third_party, lambda_context):
    from tests.conftest import bearer_works
    from tokenservice.signin import consents

    trial = attempt(third_party)
    consent = browser.log_in(browser.request("GET", trial.path()), USERNAME, "correct horse battery staple")
    got = answer(browser.request("POST", "/consent", form=consent_form(consent, "allow")))
    _, _, tokens = exchange(lambda_context, trial, got["code"])
    assert consents.revoke(third_party.client_id, USERNAME) >= 2
    assert not bearer_works(lambda_context, tokens["access_token"])
    assert browser.request("GET", attempt(third_party).path()).status == 200  # asks again
