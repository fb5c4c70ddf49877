"""POST /token with grant_type=authorization_code (RFC 6749 §4.1.3, RFC 7636 §4.6): a code works
once, within its minute, for its client, its redirect URI and its PKCE verifier; a replay revokes
what it issued; public clients name themselves; the ID token (OpenID Connect Core §3.1.3.6)."""

import base64
import hashlib
import json
import time

import pytest

from tests.conftest import bearer_works, post_form
from tests.functional.signin.conftest import (
    ISSUER,
    PASSWORD,
    USERNAME,
    attempt,
    code_client,
    code_for,
    exchange,
)
from tokenservice import admin
from tokenservice.core import credentials
from tokenservice.store import storage
from tokenservice.store.models import AuthorizationCodeModel, TokenModel, code_key


def claims(id_token: str) -> dict:
    """An ID token's claims, its signature checked with the published keys (PyJWT)."""
    import jwt

    from tokenservice.jose import signing

    header = jwt.get_unverified_header(id_token)
    jwk = signing.settings(fresh=True).verification_keys(time.time())[header["kid"]]
    key = jwt.PyJWK(jwk).key
    assert header["typ"] == "JWT" and header["alg"] == "ES256"
    return jwt.decode(
        id_token,
        key,
        algorithms=["ES256"],
        audience=jwt.decode(id_token, options={"verify_signature": False})["aud"],
        issuer=ISSUER,
    )


def at_hash(access_token: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(access_token.encode()).digest()[:16]).rstrip(b"=").decode()


@pytest.fixture
def trial(user, signing):
    return attempt(code_client())


def test_a_code_and_its_verifier_get_tokens_and_an_id_token(browser, trial, lambda_context):
    got = code_for(browser, trial)
    status, headers, body = exchange(lambda_context, trial, got["code"])
    assert status == 200 and headers["Cache-Control"] == "no-store"
    assert set(body) == {"access_token", "token_type", "expires_in", "scope", "refresh_token", "id_token"}
    assert body["scope"] == "openid read"
    identity = claims(body["id_token"])
    assert (
        identity["iss"] == ISSUER
        and identity["sub"] == USERNAME
        and identity["aud"] == trial.client.client_id
    )
    assert identity["nonce"] == trial.nonce and identity["at_hash"] == at_hash(body["access_token"])
    assert identity["iat"] <= time.time() < identity["exp"] and abs(identity["auth_time"] - time.time()) < 60
    assert bearer_works(lambda_context, body["access_token"])


def test_without_openid_there_is_no_id_token(browser, user, lambda_context):
    trial = attempt(code_client(), scope="read")
    status, _, body = exchange(lambda_context, trial, code_for(browser, trial)["code"])
    assert status == 200 and "id_token" not in body and body["scope"] == "read"


def test_the_scope_is_narrowed_as_the_password_grant_narrows_it(browser, user, signing, lambda_context):
    client = code_client(scope="read")  # the client may not have update
    trial = attempt(client, scope="openid read update admin")  # the user may not have admin
    status, _, body = exchange(lambda_context, trial, code_for(browser, trial)["code"])
    assert (status, body["scope"]) == (200, "openid read")


def test_a_code_works_once_and_its_replay_revokes_what_it_issued(browser, trial, lambda_context):
    code = code_for(browser, trial)["code"]
    status, _, first = exchange(lambda_context, trial, code)
    assert status == 200
    status, _, again = exchange(lambda_context, trial, code)
    assert (status, again["error"]) == (400, "invalid_grant")
    assert not bearer_works(lambda_context, first["access_token"])
    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    assert post_form(lambda_context, "/token", refresh, trial.client.basic)[0] == 400


def test_a_replay_after_a_refresh_revokes_the_refreshed_tokens_too(browser, trial, lambda_context):
    code = code_for(browser, trial)["code"]
    _, _, first = exchange(lambda_context, trial, code)
    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    _, _, second = post_form(lambda_context, "/token", refresh, trial.client.basic)
    assert exchange(lambda_context, trial, code)[0] == 400
    assert not bearer_works(lambda_context, second["access_token"])


@pytest.mark.parametrize(
    "overrides",
    [
        {"code_verifier": "the-wrong-verifier-the-wrong-verifier-the-wrong"},
        {"code_verifier": None},
        {"code_verifier": "short"},
        {"redirect_uri": "https://app.example.com/callback/"},
        {"redirect_uri": "https://app.example.com/other"},
        {"redirect_uri": None},
        {"code": "YWxpY2U.an-unknown-code-an-unknown-code-an-unknown"},
    ],
)
def test_a_wrong_verifier_redirect_uri_or_code_is_invalid_grant(browser, trial, lambda_context, overrides):
    code = code_for(browser, trial)["code"]
    status, _, body = exchange(lambda_context, trial, overrides.pop("code", code), **overrides)
    assert (status, body["error"]) == (400, "invalid_grant")
    assert "the-wrong" not in body["error_description"] and "callback/" not in body["error_description"]
    assert exchange(lambda_context, trial, code)[0] == 200  # a refused try does not spend it


def test_a_code_issued_without_pkce_takes_no_verifier(browser, user, signing, lambda_context):
    trial = attempt(code_client(pkce_optional=True))
    code = code_for(browser, trial, code_challenge=None, code_challenge_method=None)["code"]
    assert exchange(lambda_context, trial, code)[2]["error"] == "invalid_grant"  # a verifier: a downgrade
    assert exchange(lambda_context, trial, code, code_verifier=None)[0] == 200


def test_another_clients_code_is_invalid_grant(browser, trial, lambda_context):
    code = code_for(browser, trial)["code"]
    other = code_client()
    stolen = attempt(other)
    stolen.verifier = trial.verifier
    status, _, body = exchange(lambda_context, stolen, code)
    assert (status, body["error"]) == (400, "invalid_grant")


def test_a_code_lives_a_minute(browser, trial, lambda_context):
    code = code_for(browser, trial)["code"]
    record = storage.get(AuthorizationCodeModel, code_key(code))
    assert record.expires_at - record.issued_at == 60
    storage.update(
        AuthorizationCodeModel, code_key(code), [AuthorizationCodeModel.expires_at.set(int(time.time()) - 1)]
    )
    assert exchange(lambda_context, trial, code)[2]["error"] == "invalid_grant"


def test_codes_are_stored_as_hashes_only(browser, trial, aws):
    code = code_for(browser, trial)["code"]
    dump = json.dumps(aws.scan(TableName=TokenModel.Meta.table_name)["Items"])
    assert code not in dump and code.split(".")[1] not in dump
    assert credentials.digest(code) in dump


def test_a_disabled_user_or_a_new_password_voids_their_codes(browser, trial, lambda_context):
    code = code_for(browser, trial)["code"]
    admin.set_password(USERNAME, "another fine passphrase")
    assert exchange(lambda_context, trial, code)[2]["error"] == "invalid_grant"


def test_the_exchange_is_one_read_and_one_transaction(browser, trial, lambda_context, observed):
    code = code_for(browser, trial)["code"]
    from tokenservice.jose import signing

    signing.signer(time.time())  # the signing key decrypted already (once per execution environment)
    observed.clear()
    assert exchange(lambda_context, trial, code)[0] == 200
    assert observed == ["BatchGetItem", "TransactWriteItems"]


def test_a_refresh_gets_a_new_id_token_with_the_original_auth_time_and_no_nonce(
    browser, trial, lambda_context
):
    _, _, first = exchange(lambda_context, trial, code_for(browser, trial)["code"])
    original = claims(first["id_token"])
    time.sleep(1)
    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    status, _, second = post_form(lambda_context, "/token", refresh, trial.client.basic)
    assert status == 200 and second["refresh_token"] != first["refresh_token"]  # rotated
    renewed = claims(second["id_token"])
    assert renewed["auth_time"] == original["auth_time"] and renewed["iat"] > original["iat"]
    assert (renewed["sub"], renewed["aud"], renewed["iss"]) == (
        original["sub"],
        original["aud"],
        original["iss"],
    )
    assert "nonce" not in renewed and renewed["at_hash"] == at_hash(second["access_token"])


# -- public clients ------------------------------------------------------------------------------


def test_a_public_client_exchanges_with_its_client_id_and_verifier_alone(
    browser, user, signing, lambda_context
):
    trial = attempt(code_client(public=True))
    assert trial.client.client_secret is None
    status, _, body = exchange(lambda_context, trial, code_for(browser, trial)["code"])
    assert status == 200 and "id_token" in body
    refresh = {
        "grant_type": "refresh_token",
        "refresh_token": body["refresh_token"],
        "client_id": trial.client.client_id,
    }
    status, _, refreshed = post_form(lambda_context, "/token", refresh)
    assert status == 200 and refreshed["refresh_token"] != body["refresh_token"]


def test_a_public_client_may_not_use_a_secret_nor_a_confidential_client_go_without(
    browser, user, signing, lambda_context
):
    public = attempt(code_client(public=True))
    code = code_for(browser, public)["code"]
    status, _, body = exchange(lambda_context, public, code, client_secret="anything at all")
    assert (status, body["error"]) == (401, "invalid_client")
    confidential = attempt(code_client())
    code = code_for(browser, confidential)["code"]
    form = {"grant_type": "authorization_code", "code": code, "client_id": confidential.client.client_id}
    form |= {"redirect_uri": confidential.client.redirect_uri, "code_verifier": confidential.verifier}
    status, headers, body = post_form(lambda_context, "/token", form)
    assert (status, body["error"]) == (401, "invalid_client") and headers["WWW-Authenticate"].startswith(
        "Basic"
    )


def test_a_public_client_may_revoke_but_not_introspect(browser, user, signing, lambda_context):
    trial = attempt(code_client(public=True))
    _, _, body = exchange(lambda_context, trial, code_for(browser, trial)["code"])
    me = {"client_id": trial.client.client_id, "token": body["access_token"]}
    assert post_form(lambda_context, "/introspect", me)[0] == 401
    assert post_form(lambda_context, "/revoke", me)[0] == 200
    assert not bearer_works(lambda_context, body["access_token"])


def test_a_public_client_cannot_use_the_password_or_client_credentials_grant(user, lambda_context):
    client = code_client(public=True)
    for grant in (
        {"grant_type": "client_credentials"},
        {"grant_type": "password", "username": USERNAME, "password": PASSWORD},
    ):
        status, _, body = post_form(lambda_context, "/token", {**grant, "client_id": client.client_id})
        assert (status, body["error"]) == (400, "unauthorized_client")


def test_a_single_page_app_may_read_the_token_endpoints_answer_a_confidential_client_not(
    browser, user, signing, lambda_context
):
    from tests.functional.gateway_client import Browser

    spa = attempt(code_client(public=True))
    code = code_for(browser, spa)["code"]
    script = Browser(browser.gateway)  # the app's script on its own origin: no cookie, no Authorization
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": spa.client.redirect_uri}
    form |= {"code_verifier": spa.verifier, "client_id": spa.client.client_id}
    response = script.request(
        "POST", "/token", form=form, headers={"Origin": "https://app.example.com"}, origin=False
    )
    assert response.status == 200 and response.header("Access-Control-Allow-Origin") == "*"
    assert response.header("Access-Control-Allow-Credentials") is None
    confidential = attempt(code_client())
    code = code_for(browser, confidential)["code"]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": confidential.client.redirect_uri,
    }
    response = script.request(
        "POST",
        "/token",
        form={**form, "code_verifier": confidential.verifier},
        headers={"Origin": "https://app.example.com", "Authorization": confidential.client.basic},
        origin=False,
    )
    assert response.status == 200 and response.header("Access-Control-Allow-Origin") is None
