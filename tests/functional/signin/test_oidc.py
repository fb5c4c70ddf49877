"""OpenID Connect around the code flow: UserInfo, RP-initiated logout, and the discovery documents
that name exactly what is served."""

from urllib.parse import urlencode

import pytest

from tests.conftest import login, post_form
from tests.functional.signin.conftest import (
    ISSUER,
    USERNAME,
    answer,
    attempt,
    code_client,
    code_for,
    exchange,
)
from tokenservice import admin
from tokenservice.oauth import clients

APP = "https://app.example.com/"


@pytest.fixture
def tokens(browser, user, signing, lambda_context):
    client = code_client(post_logout_redirect_uris=(APP,))
    trial = attempt(client)
    status, _, body = exchange(lambda_context, trial, code_for(browser, trial)["code"])
    assert status == 200
    return client, body


def userinfo(browser, token: str | None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return browser.request("GET", "/userinfo", headers=headers)


# -- UserInfo ------------------------------------------------------------------------------------


def test_userinfo_names_the_tokens_user(browser, tokens):
    _, body = tokens
    response = userinfo(browser, body["access_token"])
    assert response.status == 200 and response.header("Cache-Control") == "no-store"
    assert response.json() == {"sub": USERNAME, "preferred_username": USERNAME}


def test_userinfo_without_a_token_or_with_a_dead_one_is_invalid_token(browser, tokens, lambda_context):
    client, body = tokens
    for token in (None, "not-a-token", "YWxpY2U.unknown-unknown-unknown-unknown-unknown-x"):
        response = userinfo(browser, token)
        assert (response.status, response.json()["error"]) == (401, "invalid_token")
        assert response.header("WWW-Authenticate").startswith("Bearer")  # the HTTP API passes it through
    post_form(lambda_context, "/revoke", {"token": body["access_token"]}, client.basic)
    assert userinfo(browser, body["access_token"]).status == 401


def test_userinfo_refuses_a_disabled_users_token(browser, tokens):
    _, body = tokens
    admin.disable_user(USERNAME)
    assert userinfo(browser, body["access_token"]).status == 401


def test_userinfo_needs_the_openid_scope(browser, user, lambda_context):
    p = admin.create_client("Password app", "read", "password")
    basic = (
        "Basic " + __import__("base64").b64encode(f"{p.client.client_id}:{p.client_secret}".encode()).decode()
    )
    form = {"grant_type": "password", "username": USERNAME, "password": "correct horse battery staple"}
    _, _, body = post_form(lambda_context, "/token", {**form, "scope": "read"}, basic)
    response = userinfo(browser, body["access_token"])
    assert (response.status, response.json()["error"]) == (403, "insufficient_scope")


def test_userinfo_takes_a_jwt_access_token(browser, user, signing, lambda_context):
    from tests.functional.signin.conftest import REDIRECT, CodeClient

    browsing = clients.Browser(redirect_uris=(REDIRECT,))
    new = admin.create_client("JWT app", "read", "authorization_code", token_format="jwt", browser=browsing)
    trial = attempt(CodeClient(new.client.client_id, new.client_secret, REDIRECT))
    _, _, body = exchange(lambda_context, trial, code_for(browser, trial)["code"])
    assert body["access_token"].count(".") == 2
    assert userinfo(browser, body["access_token"]).json()["sub"] == USERNAME


# -- logout --------------------------------------------------------------------------------------


def test_logout_with_a_hint_ends_the_session_and_goes_back_with_state(browser, tokens):
    client, body = tokens
    query = {"id_token_hint": body["id_token"], "post_logout_redirect_uri": APP, "state": "s1"}
    response = browser.request("GET", "/logout?" + urlencode(query))
    assert (response.status, response.header("Location")) == (302, APP + "?state=s1")
    cleared = [c for c in response.headers_named("Set-Cookie") if c.startswith("__Host-login-session=;")]
    assert cleared and "Max-Age=0" in cleared[0]
    assert answer(browser.request("GET", attempt(client).path(prompt="none")))["error"] == "login_required"


def test_logout_with_client_id_alone_goes_to_a_registered_uri(browser, tokens):
    client, _ = tokens
    query = {"client_id": client.client_id, "post_logout_redirect_uri": APP}
    assert browser.request("GET", "/logout?" + urlencode(query)).header("Location") == APP


def test_logout_without_a_redirect_shows_the_signed_out_page(browser, tokens):
    client, _ = tokens
    response = browser.request("GET", "/logout")
    assert response.status == 200 and "You are signed out." in response.text
    assert browser.request("GET", attempt(client).path()).status == 200  # the login page again


@pytest.mark.parametrize(
    "query",
    [
        {"post_logout_redirect_uri": APP},  # no client named
        {"client_id": "unknown", "post_logout_redirect_uri": APP},
        {"post_logout_redirect_uri": "https://evil.example/", "client_id": None},
        {"post_logout_redirect_uri": APP + "x", "client_id": None},
        {"id_token_hint": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."},  # not ours
    ],
)
def test_logout_never_redirects_where_the_client_did_not_register(browser, tokens, query):
    client, _ = tokens
    if "client_id" in query and query["client_id"] is None:
        query = {**query, "client_id": client.client_id}
    response = browser.request("GET", "/logout?" + urlencode(query))
    assert response.status == 400 and response.header("Location") is None
    assert "evil" not in response.text
    assert "code" in answer(browser.request("GET", attempt(client).path()))  # still signed in


def test_logout_refuses_a_hint_for_another_client(browser, tokens):
    _, body = tokens
    other = code_client(post_logout_redirect_uris=(APP,))
    query = {"id_token_hint": body["id_token"], "client_id": other.client_id, "post_logout_redirect_uri": APP}
    assert browser.request("GET", "/logout?" + urlencode(query)).status == 400


def test_an_access_token_is_no_id_token_hint(browser, tokens):
    _, body = tokens
    assert (
        browser.request("GET", "/logout?" + urlencode({"id_token_hint": body["access_token"]})).status == 400
    )


# -- discovery -----------------------------------------------------------------------------------


def document(browser, path: str) -> dict:
    response = browser.request("GET", path)
    assert response.status == 200
    return response.json()


def test_both_discovery_documents_name_the_code_flow_exactly_and_agree(browser, signing):
    openid = document(browser, "/.well-known/openid-configuration")
    oauth = document(browser, "/.well-known/oauth-authorization-server")
    for doc in (openid, oauth):
        assert doc["issuer"] == ISSUER
        assert doc["authorization_endpoint"] == f"{ISSUER}/authorize"
        assert doc["token_endpoint"] == f"{ISSUER}/token"
        assert doc["userinfo_endpoint"] == f"{ISSUER}/userinfo"
        assert doc["end_session_endpoint"] == f"{ISSUER}/logout"
        assert doc["response_types_supported"] == ["code"]
        assert doc["code_challenge_methods_supported"] == ["S256"]
        assert doc["authorization_response_iss_parameter_supported"] is True
        assert "none" in doc["token_endpoint_auth_methods_supported"]
        assert (
            "authorization_code" in doc["grant_types_supported"]
            and "implicit" not in doc["grant_types_supported"]
        )
        assert doc["id_token_signing_alg_values_supported"] == ["ES256"]
        assert {"openid", "profile"} <= set(doc["scopes_supported"])
        assert doc["request_uri_parameter_supported"] is False  # its default would be true
    shared = set(openid) & set(oauth)
    assert {name: openid[name] for name in shared} == {name: oauth[name] for name in shared}


def test_every_endpoint_discovery_names_is_served(browser, signing):
    from tokenservice.server.routes import ROUTER

    served = {resource for _, resource in ROUTER.routes()}
    doc = document(browser, "/.well-known/openid-configuration")
    for name, value in doc.items():
        if name.endswith("_endpoint") or name == "jwks_uri":
            assert value.removeprefix(ISSUER) in served, name


def test_the_password_grant_gives_an_id_token_only_where_openid_is_granted(aws, signing, lambda_context):
    from tests.conftest import Provisioned

    p = Provisioned(client_scopes="read openid", grant_types="password", user_scopes="read")
    assert "id_token" not in login(lambda_context, p, scope="openid read")[2]  # the user may not have openid
    admin.create_user(p.username, p.password, "read openid", replace=True)
    body = login(lambda_context, p, scope="openid read")[2]
    assert body["scope"] == "openid read" and "id_token" in body


# -- WSO2 Key Manager's paths --------------------------------------------------------------------


def test_wso2s_oauth2_userinfo_and_authorize_are_the_same_endpoints(browser, tokens):
    client, body = tokens
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    same = browser.request("GET", "/oauth2/userinfo", headers=headers)
    assert (same.status, same.json()) == (200, {"sub": USERNAME, "preferred_username": USERNAME})
    trial = attempt(client)
    signed_in = browser.request("GET", "/oauth2/authorize?" + urlencode(trial.query()))
    assert signed_in.status == 302 and answer(signed_in)["iss"] == ISSUER  # the login session counts
    stranger = browser.request("GET", "/oauth2/authorize?" + urlencode(trial.query(redirect_uri=APP)))
    assert stranger.status == 400 and "text/html" in stranger.header("Content-Type")  # a page, not a redirect
