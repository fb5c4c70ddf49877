"""Issue 19's reproduction over HTTP against `make run`, on the opaque stack and on a JWT stack
(`SELF_SIGNUP_ENABLED=true ACCESS_TOKEN_FORMAT=jwt make run`): a developer who is disabled (or
loses their roles) can neither create applications nor generate keys with the token they still
hold, and the keys they made before issue no more tokens."""

import json
import secrets

import pytest
import requests

from tests.e2e.conftest import start_make_run, tokenctl

PASSWORD = "a fine long passphrase"


@pytest.fixture(scope="module")
def jwt_signup_api():
    yield from start_make_run({"SELF_SIGNUP_ENABLED": "true", "ACCESS_TOKEN_FORMAT": "jwt"})


@pytest.fixture(params=["signup_api", "jwt_signup_api"])
def api(request):
    return request.getfixturevalue(request.param)


def signed_up_developer(api) -> tuple[str, dict]:
    """A self-signed-up user (role subscriber) and the Authorization header of their token."""
    demo, username = api.demo, f"dev-{secrets.token_hex(3)}"
    auth = (demo["client_id"], demo["client_secret"])
    signed_up = requests.post(
        f"{api.url}/signup", data={"username": username, "password": PASSWORD}, auth=auth
    )
    assert signed_up.status_code == 201
    form = {
        "grant_type": "password",
        "username": username,
        "password": PASSWORD,
        "scope": "apim:subscribe read",
    }
    issued = requests.post(f"{api.url}/token", data=form, auth=auth, timeout=30).json()
    assert issued["scope"] == "apim:subscribe read"
    return username, {"Authorization": f"Bearer {issued['access_token']}"}


def application_with_keys(api, bearer: dict) -> tuple[str, tuple[str, str]]:
    app = requests.post(f"{api.url}/applications", json={"name": "Shop", "scope": "read"}, headers=bearer)
    assert app.status_code == 201
    keys = requests.post(
        f"{api.url}/applications/{app.json()['id']}/keys", json={"environment": "production"}, headers=bearer
    )
    assert keys.status_code == 200
    return app.json()["id"], (keys.json()["client_id"], keys.json()["client_secret"])


def client_credentials(api, keys: tuple[str, str]) -> int:
    return requests.post(f"{api.url}/token", data={"grant_type": "client_credentials"}, auth=keys).status_code


@pytest.mark.parametrize("change", [("user", "disable"), ("user", "set-roles")])
def test_a_disabled_or_deroled_developer_keeps_no_access_on_either_stack(api, change):
    username, bearer = signed_up_developer(api)
    app_id, keys = application_with_keys(api, bearer)
    assert client_credentials(api, keys) == 200
    args = [*change, username] + ([""] if change[1] == "set-roles" else [])
    assert tokenctl(api, *args).returncode == 0

    created = requests.post(f"{api.url}/applications", json={"name": "Again"}, headers=bearer, timeout=10)
    assert created.status_code == 401
    rekeyed = requests.post(
        f"{api.url}/applications/{app_id}/keys", json={"environment": "sandbox"}, headers=bearer, timeout=10
    )
    assert rekeyed.status_code == 401 and "client_secret" not in rekeyed.text
    listed = json.loads(tokenctl(api, "client", "list", "--json").stdout)
    mine = [client for client in listed if client["owner"] == username]
    assert [client["name"] for client in mine] == ["Shop", "Shop"]  # nothing new was created
    if change[1] == "disable":
        assert client_credentials(api, keys) == 401
        assert all(client["suspended"] for client in mine)
