"""SnapStart's hooks, called in order as the runtime would: before the snapshot, then after a
restore. The handlers keep working, and nothing random, secret or connection-bound survives."""

import random

import boto3
import pytest

from tests.conftest import Provisioned, bearer_works, login
from tokenservice.core import caching
from tokenservice.deploy import deployment, snapstart
from tokenservice.jose import keyset, signing
from tokenservice.store import dynamo
from tokenservice.users import passwords


@pytest.fixture
def signing_keys(aws):
    kms_key = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]
    return deployment.set_up_signing("https://auth.example.com", kms_key)


def test_outside_lambda_no_hook_is_registered():
    assert snapstart.register(snapstart.prime_token_function) is False


def test_the_runtimes_hooks_get_prime_and_restore(monkeypatch):
    import sys
    import types

    registered = []
    hooks = types.ModuleType("snapshot_restore_py")
    hooks.register_before_snapshot = lambda function: registered.append(("before", function))
    hooks.register_after_restore = lambda function: registered.append(("after", function))
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", hooks)
    assert snapstart.register(snapstart.prime_authorizer) is True
    assert registered == [("before", snapstart.prime_authorizer), ("after", snapstart.restored)]


def test_a_primed_then_restored_token_function_works_and_keeps_nothing_secret(
    signing_keys, lambda_context, monkeypatch
):
    client = Provisioned(token_format="jwt")
    snapstart.prime_token_function()
    login(lambda_context, client)  # the private key is decrypted and kept in memory
    assert signing._private_key.cache_info().currsize >= 1
    dummy = passwords.dummy_hash()
    closed = []
    monkeypatch.setattr(dynamo.client()._endpoint.http_session, "close", lambda: closed.append(True))
    state = random.getstate()

    snapstart.restored()

    assert closed == [True]  # no connection from before the snapshot is reused
    assert signing._private_key.cache_info().currsize == 0  # the decrypted key is gone
    assert passwords.dummy_hash() != dummy  # made anew, from new randomness
    assert random.getstate() != state
    status, _, body = login(lambda_context, client, scope="read")
    assert status == 200 and bearer_works(lambda_context, body["access_token"])


def test_a_restored_authorizer_keeps_the_public_keys_and_reads_the_rules_again(
    signing_keys, lambda_context, aws
):
    client = Provisioned(token_format="jwt")
    token = login(lambda_context, client, scope="read")[2]["access_token"]
    caching.clear_all()
    snapstart.prime_authorizer()
    assert bearer_works(lambda_context, token)
    snapstart.restored()
    assert isinstance(keyset.cached(), keyset.Settings)  # public keys: right however old
    calls = []
    aws.meta.events.register("before-call.dynamodb", lambda model, params, **_: calls.append(params))
    assert bearer_works(lambda_context, token)
    assert [list(map(str, c.get("Key", {}).values())) for c in calls]  # the rules, read again
    assert all("signing" not in str(call) for call in calls)  # not the keys


def test_prime_imports_what_requests_use_and_builds_the_client(aws, signing_keys):
    import sys

    calls = []
    aws.meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))
    snapstart.prime_token_function()
    assert {"tokenservice.server.token", "tokenservice.oauth.grants", "argon2", "jwt"} <= set(sys.modules)
    assert dynamo.client.cache_info().currsize == 1 and "GetItem" in calls  # resolved by a real read
