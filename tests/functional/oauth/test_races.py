"""Issue 9's interleavings, made deterministic: the other party's write is injected at the exact
moment between a grant's read and its write (a botocore hook), against moto.

The same races are run for real, with threads against `make run` on DynamoDB Local, in
tests/e2e/oauth/test_races_e2e.py.
"""

import json
import time

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from tests.conftest import bearer_works, login, post_form
from tokenservice import admin
from tokenservice.core import credentials
from tokenservice.store import storage
from tokenservice.store.models import RegistrationModel, TokenModel, UserModel, registration_key


def before_the_write(aws, action, operation="TransactWriteItems", times=1):
    """Run `action` just before the next `times` calls of `operation` (the race's other party)."""
    remaining = [times]

    def hook(**_):
        if remaining[0] > 0:
            remaining[0] -= 1
            action()

    aws.meta.events.register(f"before-call.dynamodb.{operation}", hook)


def refresh(ctx, p, refresh_token, **extra):
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra}
    return post_form(ctx, "/token", form, p.basic)


def introspect(ctx, p, token):
    return post_form(ctx, "/introspect", {"token": token}, p.basic)[2]


def user(p) -> UserModel:
    return storage.get(UserModel, p.username)


def stored_tokens(username: str) -> list[TokenModel]:
    return [t for t in storage.scan(TokenModel) if t.username == username and t.kind in ("access", "refresh")]


# -- 1. lockout ------------------------------------------------------------------------------------


def set_failures(p, count: int):
    return lambda: storage.update(UserModel, p.username, [UserModel.failed_attempts.set(count)])


def test_a_right_password_judged_after_the_threshold_was_reached_is_refused(provisioned, lambda_context, aws):
    before_the_write(aws, set_failures(provisioned, 5))  # concurrent guesses counted meanwhile
    status, _, body = login(lambda_context, provisioned)
    assert (status, body["error"]) == (400, "invalid_grant")
    assert stored_tokens(provisioned.username) == []


def test_a_right_password_judged_below_the_threshold_succeeds_and_resets_the_count(
    provisioned, lambda_context, aws
):
    before_the_write(aws, set_failures(provisioned, 4))
    assert login(lambda_context, provisioned)[0] == 200
    assert user(provisioned).failed_attempts == 0


def test_a_success_racing_a_lock_does_not_clear_it(provisioned, lambda_context, aws):
    locked_until = int(time.time()) + 900
    before_the_write(
        aws,
        lambda: storage.update(UserModel, provisioned.username, [UserModel.locked_until.set(locked_until)]),
    )
    assert login(lambda_context, provisioned)[0] == 400
    assert user(provisioned).locked_until == locked_until
    assert login(lambda_context, provisioned)[0] == 400  # the lock stands


# -- 2. disable, password change, client delete ----------------------------------------------------


def test_a_login_racing_a_disable_mints_no_token(provisioned, lambda_context, aws):
    before_the_write(aws, lambda: admin.disable_user(provisioned.username))
    status, _, body = login(lambda_context, provisioned)
    assert (status, body["error"]) == (400, "invalid_grant")
    assert stored_tokens(provisioned.username) == []


def test_a_login_racing_a_password_change_mints_no_token(provisioned, lambda_context, aws):
    before_the_write(aws, lambda: admin.set_password(provisioned.username, "a brand new passphrase"))
    assert login(lambda_context, provisioned)[0] == 400
    assert stored_tokens(provisioned.username) == []


def test_a_refresh_racing_a_disable_mints_no_token_and_ends_the_family(provisioned, lambda_context, aws):
    _, _, first = login(lambda_context, provisioned)
    before_the_write(aws, lambda: admin.disable_user(provisioned.username))
    status, _, body = refresh(lambda_context, provisioned, first["refresh_token"])
    assert (status, body["error"]) == (400, "invalid_grant")
    assert {t.token_hash for t in stored_tokens(provisioned.username)} == {
        credentials.digest(first["access_token"]),
        credentials.digest(first["refresh_token"]),
    }
    admin.enable_user(provisioned.username)
    assert refresh(lambda_context, provisioned, first["refresh_token"])[0] == 400  # enabling revives nothing


@pytest.mark.parametrize("change", ["disable", "set-password"])
def test_tokens_stop_counting_at_once_even_when_the_sweep_misses_them(
    provisioned, lambda_context, aws, monkeypatch, change
):
    from tokenservice.oauth import revocation

    _, _, tokens = login(lambda_context, provisioned)
    monkeypatch.setattr(revocation, "user_tokens", lambda username, **_: [])  # a lagging index
    if change == "disable":
        admin.disable_user(provisioned.username)
    else:
        admin.set_password(provisioned.username, "a brand new passphrase")
    assert not bearer_works(lambda_context, tokens["access_token"])
    assert introspect(lambda_context, provisioned, tokens["access_token"]) == {"active": False}
    assert introspect(lambda_context, provisioned, tokens["refresh_token"]) == {"active": False}
    assert refresh(lambda_context, provisioned, tokens["refresh_token"])[0] == 400


def test_a_user_token_for_a_deleted_user_does_not_count(provisioned, lambda_context):
    _, _, tokens = login(lambda_context, provisioned)
    storage.delete(UserModel, provisioned.username)
    assert not bearer_works(lambda_context, tokens["access_token"])


def test_client_delete_sweeps_again_for_tokens_written_by_requests_in_flight(
    provisioned, lambda_context, monkeypatch
):
    _, _, before = login(lambda_context, provisioned)
    admin.delete_client(provisioned.client_id)
    # a grant that had read the client before the delete writes its tokens after the first sweep
    late = storage.get(TokenModel, credentials.digest(before["access_token"]))
    late.token_hash, late.revoked = credentials.digest("written late"), False
    storage.save(late)
    assert storage.get(TokenModel, late.token_hash).revoked is False
    from tokenservice.core import config

    monkeypatch.setattr(config, "MAX_REQUEST_SECONDS", 0)
    assert admin.settle_deleted_client(provisioned.client_id) == 1
    assert storage.get(TokenModel, late.token_hash).revoked is True


# -- the session cap ------------------------------------------------------------------------------


def test_a_family_cannot_be_refreshed_beyond_the_session_cap(provisioned, lambda_context, monkeypatch):
    monkeypatch.setenv("MAX_SESSION_SECONDS", "600")
    _, _, first = login(lambda_context, provisioned)
    record = storage.get(TokenModel, credentials.digest(first["refresh_token"]))
    assert record.expires_at <= record.auth_time + 600  # the sliding expiry never passes the cap
    record.auth_time -= 601  # the family started over ten minutes ago
    storage.save(record)
    status, _, body = refresh(lambda_context, provisioned, first["refresh_token"])
    assert (status, body["error"]) == (400, "invalid_grant")


def test_refresh_keeps_the_familys_start_as_auth_time(provisioned, lambda_context):
    _, _, first = login(lambda_context, provisioned)
    started = storage.get(TokenModel, credentials.digest(first["access_token"])).auth_time
    time.sleep(1.1)
    _, _, second = refresh(lambda_context, provisioned, first["refresh_token"])
    assert storage.get(TokenModel, credentials.digest(second["refresh_token"])).auth_time == started


# -- 3. a lost response ---------------------------------------------------------------------------


def lose_the_first_response(aws, operation="TransactWriteItems"):
    """The first `operation` reaches DynamoDB and commits, but its response is lost: botocore sees a
    read timeout and retries the same request."""
    from moto.core.models import botocore_stubber

    state = {"lost": 0}

    def deliver_then_lose(request, event_name, **kwargs):
        if state["lost"]:
            return None  # later attempts: moto answers as usual
        state["lost"] += 1
        botocore_stubber(request=request, event_name=event_name, **kwargs)  # the write happens
        raise ReadTimeoutError(endpoint_url=request.url)

    aws.meta.events.register_first(f"before-send.dynamodb.{operation}", deliver_then_lose)
    return state


def test_a_password_grant_whose_write_response_is_lost_still_answers_its_tokens(
    provisioned, lambda_context, aws
):
    state = lose_the_first_response(aws)
    status, _, body = login(lambda_context, provisioned)
    assert state["lost"] == 1
    assert status == 200
    assert bearer_works(lambda_context, body["access_token"])
    assert refresh(lambda_context, provisioned, body["refresh_token"])[0] == 200


def test_a_refresh_whose_write_response_is_lost_is_not_a_reuse(provisioned, lambda_context, aws):
    _, _, first = login(lambda_context, provisioned)
    state = lose_the_first_response(aws)
    status, _, second = refresh(lambda_context, provisioned, first["refresh_token"])
    assert (state["lost"], status) == (1, 200)
    assert bearer_works(lambda_context, second["access_token"])
    assert refresh(lambda_context, provisioned, second["refresh_token"])[0] == 200  # the family lives on


def test_every_transaction_carries_an_idempotency_token(provisioned, lambda_context, aws):
    seen = []
    aws.meta.events.register(
        "before-parameter-build.dynamodb.TransactWriteItems",
        lambda params, **_: seen.append(params.get("ClientRequestToken")),
    )
    _, _, tokens = login(lambda_context, provisioned)
    refresh(lambda_context, provisioned, tokens["refresh_token"])
    assert len(seen) == 2 and all(seen) and len(set(seen)) == 2


# -- 4. no hot item per login ---------------------------------------------------------------------


def transactions(aws) -> list[list[dict]]:
    seen = []
    aws.meta.events.register(
        "before-parameter-build.dynamodb.TransactWriteItems",
        lambda params, **_: seen.append(params["TransactItems"]),
    )
    return seen


def registration_writes(items: list[dict]) -> list[dict]:
    return [i for i in items if json.dumps(i).find("registration:") >= 0]


def test_the_registration_is_written_on_the_first_login_then_at_most_hourly(provisioned, lambda_context, aws):
    seen = transactions(aws)
    assert login(lambda_context, provisioned)[0] == 200
    assert login(lambda_context, provisioned)[0] == 200
    assert [len(registration_writes(items)) for items in seen] == [1, 0]
    key = registration_key(provisioned.client_id, provisioned.username)
    storage.update(RegistrationModel, key, [RegistrationModel.last_at.set(int(time.time()) - 3601)])
    assert login(lambda_context, provisioned)[0] == 200
    assert len(registration_writes(seen[-1])) == 1
    assert time.time() - storage.get(RegistrationModel, key).last_at < 5
    assert admin.stats(provisioned.client_id)[0]["registered_users"] == 1


def test_two_first_logins_of_one_pair_both_succeed_and_count_once(provisioned, lambda_context, aws):
    key = registration_key(provisioned.client_id, provisioned.username)
    now = int(time.time())
    other = RegistrationModel(
        key, registered_client=provisioned.client_id, username=provisioned.username, first_at=now, last_at=now
    )
    before_the_write(aws, lambda: storage.create(other))  # the other first login commits first
    assert login(lambda_context, provisioned)[0] == 200
    assert admin.stats(provisioned.client_id)[0]["registered_users"] == 1


def conflict(**_):
    raise ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "injected"},
            "CancellationReasons": [{"Code": "TransactionConflict"}, {"Code": "None"}],
        },
        "TransactWriteItems",
    )


def test_a_transaction_conflict_is_retried_inside_the_request(provisioned, lambda_context, aws):
    before_the_write(aws, conflict)
    assert login(lambda_context, provisioned)[0] == 200


def test_conflicts_that_persist_are_503_temporarily_unavailable(provisioned, lambda_context, aws):
    before_the_write(aws, conflict, times=10)
    status, headers, body = login(lambda_context, provisioned)
    assert (status, body["error"]) == (503, "temporarily_unavailable")
    assert headers["Retry-After"].isdigit()
