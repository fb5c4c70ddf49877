"""The refresh retry grace (REFRESH_RETRY_GRACE_SECONDS): a client whose refresh reply was lost may
present the just-rotated refresh token again within the window and get a fresh pair, the lost
pair revoked; outside it, or once the lost pair was used, reuse revokes the family as always.
(Races over HTTP against DynamoDB Local: tests/e2e/oauth/test_refresh_retry_e2e.py.)"""

import pytest

from tests.conftest import bearer_works, login
from tests.functional.oauth.test_races import introspect, refresh
from tokenservice.core import credentials
from tokenservice.store import storage
from tokenservice.store.models import TokenModel


@pytest.fixture
def grace(monkeypatch):
    monkeypatch.setenv("REFRESH_RETRY_GRACE_SECONDS", "30")


def rotated(ctx, client) -> tuple[dict, dict]:
    """A login's tokens, and the reply of their refresh (the reply the client never got)."""
    first = login(ctx, client)[2]
    lost = refresh(ctx, client, first["refresh_token"])[2]
    assert "refresh_token" in lost
    return first, lost


def test_without_the_grace_a_retry_revokes_the_family(provisioned, lambda_context):
    first, lost = rotated(lambda_context, provisioned)
    status, _, body = refresh(lambda_context, provisioned, first["refresh_token"])
    assert (status, body["error"]) == (400, "invalid_grant")
    assert introspect(lambda_context, provisioned, lost["refresh_token"]) == {"active": False}


def test_within_the_grace_a_retry_gets_a_fresh_pair_and_the_lost_pair_is_revoked(
    provisioned, lambda_context, grace
):
    first, lost = rotated(lambda_context, provisioned)
    status, _, again = refresh(lambda_context, provisioned, first["refresh_token"])
    assert status == 200 and again["refresh_token"] != lost["refresh_token"]
    assert not bearer_works(lambda_context, lost["access_token"])
    assert introspect(lambda_context, provisioned, lost["refresh_token"]) == {"active": False}
    assert bearer_works(lambda_context, again["access_token"])
    assert refresh(lambda_context, provisioned, again["refresh_token"])[0] == 200  # the family goes on


def test_a_reply_lost_twice_can_be_retried_twice(provisioned, lambda_context, grace):
    first, _ = rotated(lambda_context, provisioned)
    second_try = refresh(lambda_context, provisioned, first["refresh_token"])[2]
    status, _, third_try = refresh(lambda_context, provisioned, first["refresh_token"])
    assert status == 200 and not bearer_works(lambda_context, second_try["access_token"])
    assert refresh(lambda_context, provisioned, third_try["refresh_token"])[0] == 200


def test_once_the_lost_pair_was_used_a_retry_is_reuse_and_revokes_the_family(
    provisioned, lambda_context, grace
):
    first, lost = rotated(lambda_context, provisioned)
    _, _, later = refresh(lambda_context, provisioned, lost["refresh_token"])  # the reply was not lost
    assert refresh(lambda_context, provisioned, first["refresh_token"])[2]["error"] == "invalid_grant"
    assert not bearer_works(lambda_context, later["access_token"])
    assert introspect(lambda_context, provisioned, later["refresh_token"]) == {"active": False}


def test_after_the_window_a_retry_revokes_the_family(provisioned, lambda_context, grace):
    first, lost = rotated(lambda_context, provisioned)
    key = credentials.digest(first["refresh_token"])
    storage.update(TokenModel, key, [TokenModel.used_at.set(int(storage.get(TokenModel, key).used_at) - 31)])
    assert refresh(lambda_context, provisioned, first["refresh_token"])[2]["error"] == "invalid_grant"
    assert not bearer_works(lambda_context, lost["access_token"])
