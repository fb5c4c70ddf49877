"""The refresh retry grace under concurrency, over HTTP against `make run` on DynamoDB Local
(`REFRESH_RETRY_GRACE_SECONDS=5`): retries of one lost reply released together leave the family
exactly one live pair (the lost pair and every other retry's revoked) and it goes on; after the
window, a retry revokes the family."""

import time

import pytest
import requests

from tests.e2e.conftest import needs_dynamodb_local, start_make_run
from tests.e2e.oauth.test_races_e2e import at_once

pytestmark = needs_dynamodb_local
GRACE = 5


@pytest.fixture(scope="module")
def grace_api():
    yield from start_make_run({"REFRESH_RETRY_GRACE_SECONDS": str(GRACE)})


def post(api, resource: str, **form: str) -> requests.Response:
    demo = api.demo
    return requests.post(
        f"{api.url}{resource}", data=form, auth=(demo["client_id"], demo["client_secret"]), timeout=60
    )


def lost_reply(api) -> tuple[dict, dict]:
    """A login, and the reply of its refresh that the client never got."""
    demo = api.demo
    first = post(api, "/token", grant_type="password", username=demo["username"], password=demo["password"])
    lost = post(api, "/token", grant_type="refresh_token", refresh_token=first.json()["refresh_token"])
    assert lost.status_code == 200
    return first.json(), lost.json()


def active(api, token: str) -> bool:
    return post(api, "/introspect", token=token).json()["active"]


@pytest.mark.parametrize("retries", [2, 8])
def test_retries_of_one_lost_reply_at_once_leave_the_family_exactly_one_live_pair(grace_api, retries):
    first, lost = lost_reply(grace_api)
    answers = at_once(
        retries,
        lambda _: post(grace_api, "/token", grant_type="refresh_token", refresh_token=first["refresh_token"]),
    )
    assert {answer.status_code for answer in answers} <= {200, 400} and not [
        answer
        for answer in answers
        if answer.status_code == 400 and answer.json()["error"] != "invalid_grant"
    ]
    # A retry that reads the token after another committed is a retry of that one's (lost) reply:
    # several may succeed one after the other, each revoking the pair before it; never two at once.
    issued = [answer.json() for answer in answers if answer.status_code == 200]
    live = [pair for pair in issued if active(grace_api, pair["refresh_token"])]
    assert issued and len(live) == 1
    assert all(not active(grace_api, pair["access_token"]) for pair in issued if pair is not live[0])
    assert not active(grace_api, lost["access_token"]) and not active(grace_api, lost["refresh_token"])
    again = post(grace_api, "/token", grant_type="refresh_token", refresh_token=live[0]["refresh_token"])
    assert again.status_code == 200  # the family lives on


def test_after_the_window_a_retry_revokes_the_family(grace_api):
    first, lost = lost_reply(grace_api)
    time.sleep(GRACE + 1.5)
    retry = post(grace_api, "/token", grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert (retry.status_code, retry.json()["error"]) == (400, "invalid_grant")
    assert not active(grace_api, lost["refresh_token"]) and not active(grace_api, lost["access_token"])
