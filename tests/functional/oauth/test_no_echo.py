"""No error description repeats a submitted value (grant type, scope, username, token, a
parameter's or member's name): it names the parameter, not its content (issue 19 finding 2)."""

import json
from urllib.parse import quote

import pytest

from tests.conftest import handler, post_form, token_event

MARK = "SECRETx9q"  # what a client sent; never in an answer


def raw_post(ctx, resource: str, body: str, authorization: str | None) -> dict:
    response = handler("token")(token_event(body, authorization, resource=resource), ctx)
    return {"status": response["statusCode"], "body": response["body"]}


@pytest.mark.parametrize(
    "body",
    [
        f"grant_type=password;password={MARK}",
        f"grant_type={MARK}",
        f"grant_type=client_credentials&scope=read%20{MARK}%22",
        f"grant_type=password&username={MARK}&password={MARK}",
        f"grant_type=refresh_token&refresh_token={MARK}",
        f"grant_type=password&{MARK}=1&{MARK}=2",
        f"grant_type=password&{MARK}=%01",
        f"grant_type=password&scope=%01{MARK}",
    ],
)
def test_token_endpoint_errors_never_repeat_what_was_sent(provisioned, lambda_context, body):
    answer = raw_post(lambda_context, "/token", body, provisioned.basic)
    assert 400 <= answer["status"] < 500 and MARK not in answer["body"]


@pytest.mark.parametrize("resource", ["/revoke", "/introspect"])
def test_revocation_and_introspection_never_repeat_the_token(provisioned, lambda_context, resource):
    answer = raw_post(lambda_context, resource, f"token={MARK}&{MARK}=1&{MARK}=2", provisioned.basic)
    assert MARK not in answer["body"]


def test_an_unsupported_grant_type_is_named_not_quoted(provisioned, lambda_context):
    status, _, body = post_form(
        lambda_context, "/token", {"grant_type": f"password;password={MARK}"}, provisioned.basic
    )
    assert (status, body["error"]) == (400, "unsupported_grant_type")
    assert "grant_type" in body["error_description"] and MARK not in body["error_description"]


def test_sign_up_errors_never_repeat_the_username(provisioned, lambda_context, monkeypatch):
    monkeypatch.setenv("SELF_SIGNUP_ENABLED", "true")
    for form in (
        {"username": f" {MARK}", "password": "a long passphrase"},
        {"username": MARK, "password": MARK},
    ):
        body = "&".join(f"{key}={quote(value)}" for key, value in form.items())
        answer = raw_post(lambda_context, "/signup", body, provisioned.basic)
        assert answer["status"] == 400 and MARK not in answer["body"]


def test_the_json_apis_never_repeat_an_unknown_member(portal_browser):
    answer = portal_browser.request(
        "POST", "/portal/signup", {"username": "x", "password": "y", MARK: 1}, {"X-CSRF-Token": "sign-in"}
    )
    assert answer.status == 400 and MARK not in answer.text


def test_an_application_scope_the_owner_may_not_have_is_not_quoted(portal_browser):
    from tests.functional.portal.conftest import signed_up

    signed_up(portal_browser)
    answer = portal_browser.request("POST", "/portal/applications", {"name": "Shop", "scope": f"read {MARK}"})
    assert answer.status == 400 and json.loads(answer.text)["error"] == "invalid_scope"
    assert MARK not in answer.text


@pytest.fixture
def portal_browser(aws, monkeypatch):
    from tests.functional.gateway_client import HOST, Browser, gateway
    from tokenservice.portal import portal_client

    new = portal_client.provision("developer-portal", f"https://{HOST}")
    monkeypatch.setenv("PORTAL_CLIENT_ID", new.client.client_id)
    monkeypatch.setenv("PORTAL_CLIENT_SECRET", new.client_secret)
    monkeypatch.setenv("SELF_SIGNUP_ENABLED", "true")
    return Browser(gateway())
