"""The TOKEN authorizer through its real handler, with moto standing in for DynamoDB."""

import time

import pytest
from botocore.exceptions import ClientError

from localrun.gateway import policy_decision
from tests.conftest import handler, load_event
from tokenservice import admin
from tokenservice.authorizer import authorizer
from tokenservice.core import credentials
from tokenservice.oauth import tokens
from tokenservice.registry import openapi
from tokenservice.store import storage
from tokenservice.store.models import TokenModel, UserModel

SAMPLE_RULES = openapi.access_rules(openapi.load(openapi.SAMPLE))

authorizer_handler = handler("authorizer")
API = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/v1"


def issue(scope="read update", username="alice", **kw) -> str:
    """A token as a grant issues it, for an existing user (a token counts only while its user does)."""
    if username is not None and storage.get(UserModel, username) is None:
        admin.create_user(username, "a long password", scope)
    issued = tokens.issue(
        client_id="client-1",
        username=username,
        scope=scope,
        grant_type="password",
        access_ttl=3600,
        refresh_ttl=60,
        **kw,
    )
    tokens.save(issued.records)
    return issued.access_token


def authorize(lambda_context, authorization: str, method="GET", path="orders") -> dict:
    event = load_event("authorizer_token")
    event["authorizationToken"] = authorization
    event["methodArn"] = f"{API}/{method}/{path}"
    return authorizer_handler(event, lambda_context)


def allowed_routes(policy: dict) -> set[tuple[str, str]]:
    return {
        (route.method, route.path)
        for route in SAMPLE_RULES
        if policy_decision(policy["policyDocument"], route.resource(API).replace("*", "x")) == "Allow"
    }


def test_read_update_token_policy_allows_every_route_its_scopes_allow(aws, lambda_context):
    result = authorize(lambda_context, f"Bearer {issue('read update')}")
    assert allowed_routes(result) == {("GET", "/orders"), ("POST", "/orders"), ("GET", "/whoami")}


def test_policy_is_the_same_whichever_route_was_called(aws, lambda_context):
    token = issue("read")
    first = authorize(lambda_context, f"Bearer {token}", "GET", "orders")
    second = authorize(lambda_context, f"Bearer {token}", "POST", "orders")
    assert first["policyDocument"] == second["policyDocument"]


def test_read_token_is_denied_post_orders_but_allowed_get(aws, lambda_context):
    result = authorize(lambda_context, f"Bearer {issue('read')}", "POST", "orders")
    assert allowed_routes(result) == {("GET", "/orders"), ("GET", "/whoami")}
    assert policy_decision(result["policyDocument"], f"{API}/POST/orders") != "Allow"


def test_default_scope_token_may_only_call_whoami(aws, lambda_context):
    result = authorize(lambda_context, f"Bearer {issue('default')}")
    assert allowed_routes(result) == {("GET", "/whoami")}


def test_policy_never_covers_other_apis_or_stages(aws, lambda_context):
    result = authorize(lambda_context, f"Bearer {issue('read update')}")
    other = "arn:aws:execute-api:us-east-1:123456789012:otherapi/v1/GET/orders"
    assert policy_decision(result["policyDocument"], other) != "Allow"
    assert policy_decision(result["policyDocument"], f"{API[:-2]}v2/GET/orders") != "Allow"


def test_context_carries_username_client_and_scope(aws, lambda_context):
    result = authorize(lambda_context, f"Bearer {issue('read')}")
    assert result["principalId"] == "alice"
    assert result["context"] == {
        "username": "alice",
        "client_id": "client-1",
        "scope": "read",
        "denied": authorizer.NO_SCOPE,  # for the ACCESS_DENIED gateway response of the routes it denies
    }


@pytest.mark.parametrize(
    "authorization",
    [
        "",
        "Bearer",
        "Bearer ",
        "Basic abc",
        "Bearer not a token",
        "Bearer " + "a" * 600,
        "Bearer unknown-token",
    ],
)
def test_missing_or_unknown_token_raises_unauthorized(aws, lambda_context, authorization):
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorize(lambda_context, authorization)


def test_expired_token_raises_unauthorized(aws, lambda_context):
    token = credentials.new_token()
    now = int(time.time())
    tokens.save(
        [
            TokenModel(
                token_hash=credentials.digest(token),
                kind="access",
                client_id="c",
                username="u",
                scope="read",
                grant_id="g",
                grant_type="password",
                issued_at=now - 7200,
                expires_at=now - 1,
            )
        ]
    )
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorize(lambda_context, f"Bearer {token}")


def test_revoked_token_raises_unauthorized(aws, lambda_context):
    token = issue("read")
    record = storage.get(TokenModel, credentials.digest(token))
    record.revoked = True
    storage.save(record)
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorize(lambda_context, f"Bearer {token}")


def test_refresh_token_is_not_an_access_token(aws, lambda_context):
    issued = tokens.issue(
        client_id="c", username="u", scope="read", grant_type="password", access_ttl=60, refresh_ttl=60
    )
    tokens.save(issued.records)
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorize(lambda_context, f"Bearer {issued.refresh_token}")


def test_storage_failure_fails_closed_with_an_error_not_a_policy(aws, lambda_context):
    token = issue("read")

    def throttle(**_):
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "injected"}}, "GetItem")

    aws.meta.events.register("before-call.dynamodb", throttle)
    with pytest.raises(Exception) as raised:
        authorize(lambda_context, f"Bearer {token}")
    assert str(raised.value) != "Unauthorized"  # 500 on API Gateway, never an Allow


def _calls(aws) -> list:
    calls = []
    aws.meta.events.register(
        "before-parameter-build.dynamodb", lambda model, params, **_: calls.append((model.name, params))
    )
    return calls


def test_a_users_token_is_checked_with_its_user_in_one_consistent_batch_get(aws, lambda_context):
    token = issue("read")
    authorize(lambda_context, f"Bearer {token}")  # the API's rules are now in memory
    calls = _calls(aws)
    authorize(lambda_context, f"Bearer {token}")
    assert [name for name, _ in calls] == ["BatchGetItem"]
    requested = calls[0][1]["RequestItems"]
    assert sorted(requested) == ["tokenservice-tokens", "tokenservice-users"]
    assert all(table["ConsistentRead"] is True for table in requested.values())


def test_a_clients_token_is_one_consistent_get_item(aws, lambda_context):
    token = issue("read", username=None)
    authorize(lambda_context, f"Bearer {token}")  # the API's rules are now in memory
    calls = _calls(aws)
    authorize(lambda_context, f"Bearer {token}")
    assert [name for name, _ in calls] == ["GetItem"]
    assert calls[0][1]["ConsistentRead"] is True


def test_under_sam_local_an_invalid_token_gets_a_deny_everything_policy_not_an_error(
    aws, lambda_context, monkeypatch
):
    monkeypatch.setenv("AWS_SAM_LOCAL", "true")  # sam local answers a raised authorizer error with 502
    policy = authorize(lambda_context, "Bearer not-a-token")
    assert allowed_routes(policy) == set()
    for method, path in [
        ("GET", "orders"),
        ("POST", "orders"),
        ("GET", "whoami"),
        ("DELETE", "anything/else"),
    ]:
        assert policy_decision(policy["policyDocument"], f"{API}/{method}/{path}") != "Allow"
    monkeypatch.delenv("AWS_SAM_LOCAL")
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorize(lambda_context, "Bearer not-a-token")


def test_on_a_rules_cache_miss_the_rules_come_in_the_same_round_trip(aws, lambda_context):
    token = issue("read")
    calls = _calls(aws)
    authorize(lambda_context, f"Bearer {token}")
    assert [name for name, _ in calls] == ["BatchGetItem"]
    assert sorted(calls[0][1]["RequestItems"]) == [
        "tokenservice-registry",
        "tokenservice-tokens",
        "tokenservice-users",
    ]
