"""Races over HTTP against `make run` on DynamoDB Local, which applies each request atomically as
DynamoDB does (in-process moto does not, so the functional tests can only serialise requests).
Every request of a race is released at once by a barrier."""

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.e2e.conftest import needs_dynamodb_local, password_token, tokenctl

RACERS = 8
pytestmark = needs_dynamodb_local


def race(request, count: int = RACERS) -> list:
    """`request(index)` from `count` threads released together; their results in order."""
    barrier = threading.Barrier(count)

    def run(index: int):
        barrier.wait()
        return request(index)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def create_user(api, username: str, password: str) -> None:
    """A user with scope read, through tokenctl."""
    args = ("user", "create", username, "--scopes", "read", "--password-stdin")
    created = tokenctl(api, *args, stdin=password)
    assert created.returncode == 0, created.stderr


def test_concurrent_refreshes_of_one_token_give_one_success_and_revoke_the_family(local_api):
    demo, url = local_api.demo, local_api.url
    auth = (demo["client_id"], demo["client_secret"])
    refresh_token = password_token(local_api, scope="read").json()["refresh_token"]
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    answers = race(lambda _: requests.post(f"{url}/token", data=form, auth=auth, timeout=30))

    assert sorted(answer.status_code for answer in answers) == [200] + [400] * (RACERS - 1)
    assert {answer.json()["error"] for answer in answers if answer.status_code == 400} == {"invalid_grant"}
    (winner,) = (answer.json() for answer in answers if answer.status_code == 200)
    bearer = {"Authorization": f"Bearer {winner['access_token']}"}
    assert requests.get(f"{url}/orders", headers=bearer, timeout=30).status_code == 401  # reuse detected


def test_concurrent_password_grants_of_one_user_all_succeed_and_register_once(local_api):
    created = tokenctl(local_api, "client", "create", "--name", "Race", "--scopes", "read", "--json")
    client = json.loads(created.stdout)
    create_user(local_api, "rita", "rita's pass")
    form = {"grant_type": "password", "username": "rita", "password": "rita's pass", "scope": "read"}
    auth = (client["client_id"], client["client_secret"])
    answers = race(lambda _: requests.post(f"{local_api.url}/token", data=form, auth=auth, timeout=30))

    assert [answer.status_code for answer in answers] == [200] * RACERS
    assert len({answer.json()["access_token"] for answer in answers}) == RACERS
    stats = json.loads(tokenctl(local_api, "stats", "--client", client["client_id"], "--json").stdout)
    assert stats["registered_users"] == 1


def test_concurrent_wrong_passwords_are_all_counted_and_lock_the_user(local_api):
    create_user(local_api, "lou", "lou's pass")
    answers = race(lambda _: password_token(local_api, username="lou", password="a wrong guess"), count=12)

    assert {(answer.status_code, answer.json()["error"]) for answer in answers} == {(400, "invalid_grant")}
    assert password_token(local_api, username="lou", password="lou's pass").status_code == 400  # locked
    users = json.loads(tokenctl(local_api, "user", "list", "--json").stdout)
    assert next(user for user in users if user["username"] == "lou")["locked_until"] is not None


def test_concurrent_sign_ups_of_one_name_create_one_account(signup_api):
    demo, url = signup_api.demo, signup_api.url
    auth = (demo["client_id"], demo["client_secret"])

    def sign_up(index: int) -> requests.Response:
        form = {"username": "sam", "password": f"sam's passphrase {index}"}
        return requests.post(f"{url}/signup", data=form, auth=auth, timeout=30)

    answers = race(sign_up)
    assert sorted(answer.status_code for answer in answers) == [201] + [409] * (RACERS - 1)
