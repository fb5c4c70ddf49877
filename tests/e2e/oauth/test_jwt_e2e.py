"""JWT access tokens end to end: `ACCESS_TOKEN_FORMAT=jwt make run` issues RFC 9068 tokens that an
independent JOSE library (joserfc) verifies from /.well-known/jwks.json; tokenctl rotates the keys
with nothing but AWS_ENDPOINT_URL_DYNAMODB; older tokens stay valid."""

import json
import time

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.e2e.conftest import password_token, start_make_run, tokenctl


@pytest.fixture(scope="module")
def jwt_api():
    yield from start_make_run({"ACCESS_TOKEN_FORMAT": "jwt", "RULES_CACHE_SECONDS": "1"})


def key_set(api) -> KeySet:
    return KeySet.import_key_set(requests.get(f"{api.url}/.well-known/jwks.json", timeout=10).json())


def whoami(api, token: str) -> requests.Response:
    return requests.get(f"{api.url}/whoami", headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_the_token_endpoint_issues_jwts_that_verify_from_the_served_jwks(jwt_api):
    body = password_token(jwt_api, scope="read").json()
    token = jwt.decode(body["access_token"], key_set(jwt_api), algorithms=["ES256"])
    assert token.header["typ"] == "at+jwt"
    assert token.claims["iss"] == jwt_api.url == token.claims["aud"]
    assert token.claims["sub"] == jwt_api.demo["username"] and token.claims["scope"] == "read"
    assert (
        requests.get(
            f"{jwt_api.url}/orders", headers={"Authorization": f"Bearer {body['access_token']}"}, timeout=10
        ).status_code
        == 200
    )
    assert whoami(jwt_api, body["access_token"]).json()["username"] == jwt_api.demo["username"]


def test_discovery_is_what_a_jwt_authorizer_reads(jwt_api):
    discovery = requests.get(f"{jwt_api.url}/.well-known/openid-configuration", timeout=10).json()
    assert discovery["issuer"] == jwt_api.url
    assert requests.get(discovery["jwks_uri"], timeout=10).json()["keys"]


def test_rotation_signs_new_tokens_with_the_new_key_and_keeps_older_ones_valid(jwt_api):
    older = password_token(jwt_api, scope="read").json()["access_token"]
    rotated = tokenctl(jwt_api, "keys", "rotate", "--json")
    assert rotated.returncode == 0, rotated.stderr
    new_kid = json.loads(rotated.stdout)["kid"]
    published = key_set(jwt_api)  # published at once
    assert {key.kid for key in published.keys} >= {new_kid, jwt.decode(older, published).header["kid"]}
    time.sleep(1.5)  # the token function signs with the new key within RULES_CACHE_SECONDS
    newer = password_token(jwt_api, scope="read").json()["access_token"]
    assert jwt.decode(newer, published).header["kid"] == new_kid
    assert jwt.decode(older, published).header["kid"] != new_kid
    assert whoami(jwt_api, older).status_code == 200 and whoami(jwt_api, newer).status_code == 200
    listed = json.loads(tokenctl(jwt_api, "keys", "list", "--json").stdout)
    assert {key["kid"]: key["state"] for key in listed}[new_kid] == "active"
    assert sorted(key["state"] for key in listed) == ["active", "retired"]


def test_a_tampered_jwt_is_401(jwt_api):
    token = password_token(jwt_api, scope="read").json()["access_token"]
    header, payload, signature = token.split(".")
    assert whoami(jwt_api, f"{header}.{payload}.{signature[::-1]}").status_code == 401


def test_per_client_format_wins_over_the_default(jwt_api):
    created = tokenctl(
        jwt_api,
        "client",
        "create",
        "--name",
        "Opaque",
        "--scopes",
        "read",
        "--token-format",
        "opaque",
        "--json",
    )
    client = json.loads(created.stdout)
    answer = requests.post(
        f"{jwt_api.url}/token",
        data={"grant_type": "client_credentials", "scope": "read"},
        auth=(client["client_id"], client["client_secret"]),
        timeout=10,
    ).json()
    assert (
        answer["access_token"].count(".") == 0 and whoami(jwt_api, answer["access_token"]).status_code == 200
    )
