"""Operations end to end: self sign-up switched on for `make run`, the statistic and user
disabling through tokenctl against its embedded DynamoDB."""

import json

import requests

from tests.e2e.conftest import tokenctl


def test_signup_is_404_when_not_enabled(local_api):
    demo = local_api.demo
    response = requests.post(
        f"{local_api.url}/signup",
        data={"username": "erin", "password": "erin's passphrase"},
        auth=(demo["client_id"], demo["client_secret"]),
        timeout=10,
    )
    assert response.status_code == 404


def test_signup_then_token_then_stats_then_disable(signup_api):
    demo, url = signup_api.demo, signup_api.url
    auth = (demo["client_id"], demo["client_secret"])
    created = requests.post(
        f"{url}/signup", data={"username": "erin", "password": "erin's passphrase"}, auth=auth
    )
    assert created.status_code == 201 and created.json() == {"username": "erin", "scope": "read"}
    again = requests.post(
        f"{url}/signup", data={"username": "erin", "password": "another passphrase"}, auth=auth
    )
    assert again.status_code == 409

    token = requests.post(
        f"{url}/token",
        data={"grant_type": "password", "username": "erin", "password": "erin's passphrase"},
        auth=auth,
    ).json()["access_token"]
    stats = tokenctl(signup_api, "stats", "--client", demo["client_id"], "--json")
    assert stats.returncode == 0, stats.stderr
    assert [user["username"] for user in json.loads(stats.stdout)["users"]] == ["erin"]

    disabled = tokenctl(signup_api, "user", "disable", "erin")
    assert disabled.returncode == 0, disabled.stderr
    bearer = {"Authorization": f"Bearer {token}"}
    assert requests.get(f"{url}/whoami", headers=bearer, timeout=10).status_code == 401
    listed = json.loads(tokenctl(signup_api, "user", "list", "--json").stdout)
    assert {user["username"]: user["disabled"] for user in listed}["erin"] is True
