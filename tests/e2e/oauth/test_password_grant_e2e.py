"""The password grant end to end through `make run`: curl, requests-oauthlib, authlib, tokenctl."""

import json
import subprocess

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session as AuthlibSession
from oauthlib.oauth2 import LegacyApplicationClient
from requests_oauthlib import OAuth2Session

from tests.e2e.conftest import password_token, tokenctl


@pytest.fixture(autouse=True)
def _plain_http_is_fine_on_loopback(monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # requests-oauthlib refuses http:// otherwise


def test_the_printed_curl_command_returns_a_wso2_shaped_token(local_api):
    result = subprocess.run(
        ["bash", "-c", local_api.curl + " -s"], capture_output=True, text=True, timeout=30
    )
    body = json.loads(result.stdout)
    assert set(body) == {"scope", "token_type", "expires_in", "refresh_token", "access_token"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600


def test_the_seed_curl_without_scope_gets_default(local_api):
    demo = local_api.demo
    result = subprocess.run(
        [
            "curl",
            "-k",
            "-s",
            "-d",
            f"grant_type=password&username={demo['username']}&password={demo['password']}",
            "-H",
            f"Authorization: Basic {_basic(demo)}",
            "-H",
            "Content-Type: application/x-www-form-urlencoded",
            f"{local_api.url}/token",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert json.loads(result.stdout)["scope"] == "default"


def _basic(demo) -> str:
    import base64

    return base64.b64encode(f"{demo['client_id']}:{demo['client_secret']}".encode()).decode()


def test_requests_oauthlib_password_grant_then_orders(local_api):
    demo = local_api.demo
    session = OAuth2Session(
        client=LegacyApplicationClient(client_id=demo["client_id"]), scope=["read", "update"]
    )
    token = session.fetch_token(
        token_url=f"{local_api.url}/token",
        username=demo["username"],
        password=demo["password"],
        client_id=demo["client_id"],
        client_secret=demo["client_secret"],
        scope="read update",  # requests-oauthlib sends the session's scope only when given here
    )
    assert token["token_type"] == "Bearer" and token["scope"] == ["read", "update"]
    assert session.get(f"{local_api.url}/orders", timeout=10).status_code == 200
    created = session.post(f"{local_api.url}/orders", json={"item": "tea"}, timeout=10)
    assert created.status_code == 201 and created.json()["created_by"] == demo["username"]


def test_authlib_read_token_may_get_but_not_post_orders(local_api):
    demo = local_api.demo
    session = AuthlibSession(demo["client_id"], demo["client_secret"], scope="read")
    token = session.fetch_token(
        f"{local_api.url}/token", username=demo["username"], password=demo["password"]
    )
    assert token["scope"] == "read"
    assert session.get(f"{local_api.url}/orders", timeout=10).status_code == 200
    denied = session.post(f"{local_api.url}/orders", json={"item": "tea"}, timeout=10)
    assert denied.status_code == 403
    assert denied.headers["WWW-Authenticate"] == 'Bearer error="insufficient_scope"'


def test_authlib_client_secret_post(local_api):
    demo = local_api.demo
    session = AuthlibSession(
        demo["client_id"],
        demo["client_secret"],
        scope="read update",
        token_endpoint_auth_method="client_secret_post",
    )
    token = session.fetch_token(
        f"{local_api.url}/token", username=demo["username"], password=demo["password"]
    )
    assert token["scope"] == "read update"
    assert session.get(f"{local_api.url}/whoami", timeout=10).json()["username"] == demo["username"]


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-real-token", "Basic abc"])
def test_missing_or_bad_token_is_401_with_bearer_challenge(local_api, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = requests.get(f"{local_api.url}/orders", headers=headers, timeout=10)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_wrong_password_is_400_invalid_grant(local_api):
    response = password_token(local_api, password="wrong password")
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_wrong_secret_is_401_invalid_client(local_api):
    demo = local_api.demo
    response = requests.post(
        f"{local_api.url}/token",
        data={"grant_type": "password", "username": demo["username"], "password": demo["password"]},
        auth=(demo["client_id"], "wrong-secret"),
        timeout=10,
    )
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    # RFC 6749 §5.2: the challenge of the scheme the client used. The token endpoint is on the HTTP
    # API, which passes it through as it is (a REST API would remap it to x-amzn-Remapped-...).
    assert response.headers["WWW-Authenticate"].startswith('Basic realm="tokenservice"')
    assert not any(name.lower().startswith("x-amzn-remapped") for name in response.headers)
    assert response.headers["Pragma"] == "no-cache" and response.headers["Cache-Control"] == "no-store"


def test_tokenctl_provisions_a_client_and_user_that_can_get_tokens_and_nothing_leaks(local_api):
    created = tokenctl(local_api, "client", "create", "--name", "Shop", "--scopes", "read", "--json")
    assert created.returncode == 0, created.stderr
    client = json.loads(created.stdout)
    user = tokenctl(
        local_api,
        "user",
        "create",
        "carol",
        "--scopes",
        "read update",
        "--password-stdin",
        stdin="carol's long passphrase\n",
    )
    assert user.returncode == 0, user.stderr

    response = requests.post(
        f"{local_api.url}/token",
        data={
            "grant_type": "password",
            "username": "carol",
            "password": "carol's long passphrase",
            "scope": "read update",
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
        },
        timeout=10,
    )
    body = response.json()
    assert response.status_code == 200 and body["scope"] == "read"  # the client only has read
    whoami = requests.get(
        f"{local_api.url}/whoami", headers={"Authorization": f"Bearer {body['access_token']}"}, timeout=10
    )
    assert whoami.json() == {"username": "carol", "client_id": client["client_id"], "scope": "read"}

    requests.post(
        f"{local_api.url}/token",
        data={
            "grant_type": "password",
            "username": "carol",
            "password": "wrong guess",
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
        },
        timeout=10,
    )
    log = local_api.log()
    for secret in (
        client["client_secret"],
        "carol's long passphrase",
        "wrong guess",
        body["access_token"],
        body["refresh_token"],
    ):
        assert secret not in log
