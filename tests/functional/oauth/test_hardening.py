"""Brute-force lockout, user enumeration, bad input and round-trip budgets of the token endpoint."""

import base64
import threading
import time

import pytest

from tests.conftest import Provisioned, handler, login, post_form, token_event
from tokenservice.store import storage
from tokenservice.store.models import UserModel


def user(p: Provisioned) -> UserModel:
    return storage.get(UserModel, p.username)


def fail(ctx, p: Provisioned, times: int) -> None:
    for _ in range(times):
        assert login(ctx, p, password="wrong password")[0] == 400


# -- lockout --------------------------------------------------------------------------------


def test_five_failures_lock_the_user_even_with_the_right_password(provisioned, lambda_context):
    wrong = login(lambda_context, provisioned, password="wrong password")
    fail(lambda_context, provisioned, 4)
    locked = login(lambda_context, provisioned)
    assert locked == wrong  # same status, headers and body as a wrong password
    assert user(provisioned).locked_until > time.time() + 800


def test_the_lock_expires(provisioned, lambda_context):
    fail(lambda_context, provisioned, 5)
    record = user(provisioned)
    record.locked_until = int(time.time()) - 1
    storage.save(record)
    assert login(lambda_context, provisioned)[0] == 200


def test_a_success_resets_the_counter(provisioned, lambda_context):
    fail(lambda_context, provisioned, 4)
    assert user(provisioned).failed_attempts == 4
    assert login(lambda_context, provisioned)[0] == 200
    assert user(provisioned).failed_attempts == 0
    fail(lambda_context, provisioned, 4)
    assert login(lambda_context, provisioned)[0] == 200  # 4 + 4 failures never locked


def test_repeated_lockouts_double_the_lock_up_to_the_cap(provisioned, lambda_context, monkeypatch):
    monkeypatch.setenv("LOCKOUT_SECONDS", "100")
    monkeypatch.setenv("LOCKOUT_MAX_SECONDS", "300")
    periods = []
    for _ in range(4):
        fail(lambda_context, provisioned, 5)
        record = user(provisioned)
        periods.append(round(record.locked_until - time.time(), -1))
        record.locked_until = int(time.time()) - 1  # let it expire, keep the lockout count
        storage.save(record)
    assert periods == [100, 200, 300, 300]


def test_thresholds_come_from_the_environment(provisioned, lambda_context, monkeypatch):
    monkeypatch.setenv("LOCKOUT_THRESHOLD", "2")
    fail(lambda_context, provisioned, 2)
    assert login(lambda_context, provisioned)[0] == 400


def test_threshold_zero_disables_lockout(provisioned, lambda_context, monkeypatch):
    monkeypatch.setenv("LOCKOUT_THRESHOLD", "0")
    fail(lambda_context, provisioned, 8)
    assert login(lambda_context, provisioned)[0] == 200


def test_concurrent_failures_are_all_counted(provisioned, lambda_context, atomic_requests, monkeypatch):
    monkeypatch.setenv("LOCKOUT_THRESHOLD", "100")
    barrier = threading.Barrier(8)

    def attempt():
        barrier.wait()
        login(lambda_context, provisioned, password="wrong password")

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert user(provisioned).failed_attempts == 8


# -- enumeration ------------------------------------------------------------------------------


def test_unknown_disabled_locked_and_wrong_password_are_indistinguishable(
    provisioned, lambda_context, observed
):
    from tokenservice import admin

    admin.create_user("disabled-user", "a long password", "read")
    disabled = storage.get(UserModel, "disabled-user")
    disabled.disabled = True
    storage.save(disabled)
    admin.create_user("locked-user", "a long password", "read")
    locked = storage.get(UserModel, "locked-user")
    locked.locked_until = int(time.time()) + 600
    storage.save(locked)

    outcomes = {}
    for case, username, password in [
        ("wrong", provisioned.username, "wrong password"),
        ("unknown", "nobody-here", "a long password"),
        ("disabled", "disabled-user", "a long password"),
        ("locked", "locked-user", "a long password"),
    ]:
        observed.clear()
        outcomes[case] = (
            login(lambda_context, provisioned, password=password, username=username),
            list(observed),
        )
    responses = {case: response for case, (response, _) in outcomes.items()}
    traces = {case: trace for case, (_, trace) in outcomes.items()}
    assert len({repr(r) for r in responses.values()}) == 1, responses
    assert len({tuple(t) for t in traces.values()}) == 1, traces
    assert traces["unknown"].count("argon2") == 1


# -- round-trip budgets --------------------------------------------------------------------------


def test_password_grant_success_is_two_round_trips_even_with_a_counter_to_reset(
    provisioned, lambda_context, observed
):
    login(lambda_context, provisioned, password="wrong password")
    observed.clear()
    assert login(lambda_context, provisioned)[0] == 200
    assert [c for c in observed if c != "argon2"] == ["BatchGetItem", "TransactWriteItems"]
    assert user(provisioned).failed_attempts == 0
    observed.clear()
    assert login(lambda_context, provisioned)[0] == 200
    assert [c for c in observed if c != "argon2"] == ["BatchGetItem", "TransactWriteItems"]


def test_refresh_grant_is_two_round_trips(provisioned, lambda_context, observed):
    _, _, tokens = login(lambda_context, provisioned)
    observed.clear()
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    assert post_form(lambda_context, "/token", form, provisioned.basic)[0] == 200
    assert observed == ["BatchGetItem", "TransactWriteItems"]


# -- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"])
@pytest.mark.parametrize("resource", ["/token", "/revoke", "/introspect"])
def test_wrong_methods_are_405_invalid_request(lambda_context, method, resource):
    event = token_event("", resource=resource)
    event["httpMethod"] = method
    response = handler("token")(event, lambda_context)
    assert response["statusCode"] == 405
    assert response["headers"]["Allow"] == "POST"


@pytest.mark.parametrize(
    "body,error",
    [
        ("grant_type=password&username=a%00b&password=x", "invalid_request"),
        ("grant_type=password&username=a&password=x&scope=read%0Aupdate", "invalid_scope"),
        ("grant_type=password&username=" + "a" * 5000 + "&password=x", "invalid_request"),
        ("grant_type=password&grant_type=password&username=a&password=x", "invalid_request"),
        ("grant_type=password&username=%FF&password=x", "invalid_request"),
    ],
)
def test_malformed_bodies_are_the_right_4xx(provisioned, lambda_context, body, error):
    response = handler("token")(token_event(body, provisioned.basic), lambda_context)
    assert response["statusCode"] == 400
    assert f'"error": "{error}"' in response["body"]


def test_non_utf8_base64_body_is_invalid_request(provisioned, lambda_context):
    event = token_event(
        base64.b64encode(b"grant_type=password&username=\xff\xfe").decode(), provisioned.basic
    )
    event["isBase64Encoded"] = True
    response = handler("token")(event, lambda_context)
    assert response["statusCode"] == 400 and "invalid_request" in response["body"]


def test_unexpected_failure_is_a_plain_500_without_a_traceback(provisioned, lambda_context, monkeypatch):
    def broken(*_args, **_kw):
        raise RuntimeError("internal detail that must not leak")

    monkeypatch.setattr(storage, "get_many", broken)
    response = handler("token")(
        token_event("grant_type=password&username=a&password=b", provisioned.basic), lambda_context
    )
    assert response["statusCode"] == 500
    assert "internal detail" not in response["body"] and "Traceback" not in response["body"]


def test_an_over_long_username_is_a_wrong_password_but_client_authentication_comes_first(
    provisioned, lambda_context
):
    long_name = "\U0001f600" * 600  # 2,400 UTF-8 bytes: more than any user has, or DynamoDB keys allow
    assert login(lambda_context, provisioned, username=long_name)[2]["error"] == "invalid_grant"
    form = {"grant_type": "password", "username": long_name, "password": "x"}
    assert post_form(lambda_context, "/token", form, "Basic " + "eDp5")[2]["error"] == "invalid_client"


@pytest.mark.parametrize(
    "body",
    [
        "grant_type=xyzzy-grant",
        "grant_type=password&xyzzy-name=1&xyzzy-name=2",
        "grant_type=password&xyzzy-name=a%01b",
    ],
)
def test_error_descriptions_never_repeat_a_submitted_value(provisioned, lambda_context, body):
    response = handler("token")(token_event(body, provisioned.basic), lambda_context)
    assert response["statusCode"] == 400 and "xyzzy" not in response["body"]
