"""Issue 9's races for real: threads against `make run` on DynamoDB Local (real conditions and
transactions), never through anything that serialises requests."""

import base64
import json
import secrets
import threading
import time

import pytest
import requests

from tests.e2e.conftest import needs_dynamodb_local, tokenctl

pytestmark = needs_dynamodb_local


@pytest.fixture
def account(local_api):
    """A fresh user (and the demo client): (username, password)."""
    username, password = f"racer-{secrets.token_hex(4)}", f"race passphrase {secrets.token_hex(4)}"
    created = tokenctl(
        local_api, "user", "create", username, "--scopes", "read", "--password-stdin", stdin=password
    )
    assert created.returncode == 0, created.stderr
    return username, password


def token(api, username: str, password: str) -> requests.Response:
    demo = api.demo
    form = {"grant_type": "password", "username": username, "password": password, "scope": "read"}
    return requests.post(
        f"{api.url}/token", data=form, auth=(demo["client_id"], demo["client_secret"]), timeout=60
    )


def at_once(count: int, work) -> list:
    """Run `work(i)` in `count` threads released together; their results in order."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int):
        barrier.wait()
        results[index] = work(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_thirty_concurrent_guesses_and_the_right_password_cannot_beat_the_lock(local_api, account):
    username, password = account
    statuses = at_once(
        31, lambda i: token(local_api, username, password if i == 30 else f"wrong {i}").status_code
    )
    assert set(statuses) <= {200, 400} and statuses[:30].count(200) == 0
    # The lock fired and stands: the right password is refused now, whatever it got in the burst.
    assert token(local_api, username, password).status_code == 400
    listed = json.loads(tokenctl(local_api, "user", "list", "--json").stdout)
    assert next(u for u in listed if u["username"] == username)["locked_until"] is not None


def test_ten_concurrent_logins_of_one_user_all_succeed(local_api, account):
    username, password = account
    statuses = at_once(10, lambda _: token(local_api, username, password).status_code)
    assert statuses == [200] * 10
    stats = json.loads(tokenctl(local_api, "stats", "--client", local_api.demo["client_id"], "--json").stdout)
    assert [u["username"] for u in stats["users"]].count(username) == 1


def _login_loops(api, username, password, stop: threading.Event, issued: list) -> list[threading.Thread]:
    """Six clients logging in and refreshing as fast as they can, recording every token they get."""
    demo = api.demo

    def loop():
        session = requests.Session()
        session.auth = (demo["client_id"], demo["client_secret"])
        while not stop.is_set():
            answer = session.post(
                f"{api.url}/token",
                data={"grant_type": "password", "username": username, "password": password, "scope": "read"},
                timeout=60,
            )
            if answer.status_code != 200:
                continue
            tokens = answer.json()
            issued.append(tokens)
            refreshed = session.post(
                f"{api.url}/token",
                data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
                timeout=60,
            )
            if refreshed.status_code == 200:
                issued.append(refreshed.json())

    threads = [threading.Thread(target=loop) for _ in range(6)]
    for thread in threads:
        thread.start()
    return threads


def _nothing_accepts(api, issued: list[dict]) -> None:
    demo = api.demo
    auth = (demo["client_id"], demo["client_secret"])
    for tokens in issued:
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert requests.get(f"{api.url}/whoami", headers=bearer, timeout=30).status_code == 401
        for kind in ("access_token", "refresh_token"):
            answer = requests.post(
                f"{api.url}/introspect", data={"token": tokens[kind]}, auth=auth, timeout=30
            )
            assert answer.json() == {"active": False}
        refreshed = requests.post(
            f"{api.url}/token",
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
            auth=auth,
            timeout=30,
        )
        assert refreshed.status_code == 400


@pytest.mark.parametrize("change", ["disable", "set-password"])
def test_a_disable_or_password_change_racing_six_login_loops_leaves_no_live_token(local_api, account, change):
    username, password = account
    stop, issued = threading.Event(), []
    threads = _login_loops(local_api, username, password, stop, issued)
    while len(issued) < 12:
        time.sleep(0.05)
    if change == "disable":
        result = tokenctl(local_api, "user", "disable", username)
    else:
        result = tokenctl(
            local_api, "user", "set-password", username, "--password-stdin", stdin="a replaced passphrase"
        )
    assert result.returncode == 0, result.stderr
    time.sleep(0.5)  # the loops keep trying after the change
    stop.set()
    for thread in threads:
        thread.join()
    assert len(issued) >= 12
    _nothing_accepts(local_api, issued)


def test_a_client_delete_racing_logins_leaves_no_live_token(local_api, account):
    username, password = account
    created = tokenctl(local_api, "client", "create", "--name", "Doomed", "--scopes", "read", "--json")
    client = json.loads(created.stdout)
    basic = base64.b64encode(f"{client['client_id']}:{client['client_secret']}".encode()).decode()
    stop, issued = threading.Event(), []

    def loop():
        while not stop.is_set():
            answer = requests.post(
                f"{local_api.url}/token",
                data={"grant_type": "password", "username": username, "password": password, "scope": "read"},
                headers={"Authorization": f"Basic {basic}"},
                timeout=60,
            )
            if answer.status_code == 200:
                issued.append(answer.json())

    threads = [threading.Thread(target=loop) for _ in range(4)]
    for thread in threads:
        thread.start()
    while len(issued) < 8:
        time.sleep(0.05)
    deleted = tokenctl(local_api, "client", "delete", client["client_id"], "--json")
    stop.set()
    for thread in threads:
        thread.join()
    assert deleted.returncode == 0, deleted.stderr
    for tokens in issued:
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert requests.get(f"{local_api.url}/whoami", headers=bearer, timeout=30).status_code == 401
