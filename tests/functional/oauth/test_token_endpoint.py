"""POST /token through the real handler, with moto standing in for DynamoDB."""

import base64
import hashlib
import json
from urllib.parse import urlencode

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Provisioned, handler, login, token_event
from tokenservice.store import storage
from tokenservice.store.models import UserModel
from tokenservice.users import passwords

token_handler = handler("token")


def call(lambda_context, body: dict | str, authorization=None, **kw) -> tuple[int, dict, dict]:
    if isinstance(body, dict):
        body = urlencode(body)
    response = token_handler(token_event(body, authorization, **kw), lambda_context)
    return response["statusCode"], response["headers"], json.loads(response["body"])


def password_form(p: Provisioned, **extra) -> dict:
    return {"grant_type": "password", "username": p.username, "password": p.password, **extra}


def test_password_grant_returns_wso2_shaped_token_response(provisioned, lambda_context):
    status, headers, body = call(lambda_context, password_form(provisioned), provisioned.basic)
    assert status == 200
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "default"
    assert len(body["access_token"]) >= 43 and len(body["refresh_token"]) >= 43
    assert body["access_token"] != body["refresh_token"]
    assert headers["Content-Type"] == "application/json"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Pragma"] == "no-cache"


def test_password_grant_accepts_client_secret_post(provisioned, lambda_context):
    form = password_form(
        provisioned, client_id=provisioned.client_id, client_secret=provisioned.client_secret
    )
    status, _, body = call(lambda_context, form)
    assert status == 200 and body["token_type"] == "Bearer"


def test_basic_credentials_are_form_decoded_per_rfc6749_2_3_1(aws, lambda_context):
    from tokenservice import admin

    new = admin.create_client("odd id", "read", client_id="my:app id")
    admin.create_user("bob", "a long password", "read")
    raw = f"my%3Aapp+id:{new.client_secret}"
    auth = "Basic " + base64.b64encode(raw.encode()).decode()
    status, _, body = call(
        lambda_context, {"grant_type": "password", "username": "bob", "password": "a long password"}, auth
    )
    assert status == 200, body


def test_password_grant_accepts_base64_encoded_body(provisioned, lambda_context):
    event = token_event(
        base64.b64encode(urlencode(password_form(provisioned)).encode()).decode(), provisioned.basic
    )
    event["isBase64Encoded"] = True
    response = token_handler(event, lambda_context)
    assert response["statusCode"] == 200


@pytest.mark.parametrize(
    ("client_scopes", "user_scopes", "requested", "issued"),
    [
        ("read update", "read update", "read update", "read update"),
        ("read update", "read update", "update read", "read update"),
        ("read update", "read update", "read", "read"),
        ("read update", "read", "read update", "read"),
        ("read", "read update", "read update", "read"),
        ("read update", "read update", "read admin", "read"),
        ("read update", "read update", "admin", "default"),
        ("read update", "read update", None, "default"),
        ("read update", "read update", "default", "default"),
    ],
)
def test_issued_scope_is_requested_and_user_and_client_scopes(
    aws, lambda_context, client_scopes, user_scopes, requested, issued
):
    p = Provisioned(client_scopes=client_scopes, user_scopes=user_scopes)
    form = password_form(p, **({"scope": requested} if requested else {}))
    status, _, body = call(lambda_context, form, p.basic)
    assert status == 200
    assert body["scope"] == issued


def test_wrong_password_is_invalid_grant(provisioned, lambda_context):
    form = password_form(provisioned, password="not the password")
    status, _, body = call(lambda_context, form, provisioned.basic)
    assert status == 400
    assert body["error"] == "invalid_grant"


def test_unknown_user_answers_exactly_like_a_wrong_password(provisioned, lambda_context):
    wrong = call(lambda_context, password_form(provisioned, password="nope nope"), provisioned.basic)
    unknown = call(lambda_context, password_form(provisioned, username="mallory"), provisioned.basic)
    assert unknown == wrong


def test_disabled_user_is_invalid_grant(provisioned, lambda_context):
    from tokenservice.store import storage
    from tokenservice.store.models import UserModel

    user = storage.get(UserModel, provisioned.username)
    user.disabled = True
    storage.save(user)
    status, _, body = call(lambda_context, password_form(provisioned), provisioned.basic)
    assert (status, body["error"]) == (400, "invalid_grant")


@pytest.mark.parametrize(
    "authorization",
    [
        "wrong-secret",
        "unknown-client",
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic ",
        "Bearer abc",
    ],
)
def test_bad_client_credentials_are_invalid_client_with_basic_challenge(
    provisioned, lambda_context, authorization
):
    if authorization == "wrong-secret":
        authorization = "Basic " + base64.b64encode(f"{provisioned.client_id}:nope".encode()).decode()
    elif authorization == "unknown-client":
        authorization = "Basic " + base64.b64encode(f"nobody:{provisioned.client_secret}".encode()).decode()
    status, headers, body = call(lambda_context, password_form(provisioned), authorization)
    assert status == 401
    assert body["error"] == "invalid_client"
    assert headers["WWW-Authenticate"].startswith("Basic realm=")


def test_missing_client_authentication_is_invalid_client(provisioned, lambda_context):
    status, headers, body = call(lambda_context, password_form(provisioned))
    assert (status, body["error"]) == (401, "invalid_client")
    assert "WWW-Authenticate" in headers


def test_two_client_authentication_methods_are_invalid_request(provisioned, lambda_context):
    form = password_form(
        provisioned, client_id=provisioned.client_id, client_secret=provisioned.client_secret
    )
    status, _, body = call(lambda_context, form, provisioned.basic)
    assert (status, body["error"]) == (400, "invalid_request")


def test_client_without_password_grant_is_unauthorized_client(aws, lambda_context):
    p = Provisioned(grant_types="client_credentials")
    status, _, body = call(lambda_context, password_form(p), p.basic)
    assert (status, body["error"]) == (400, "unauthorized_client")


def test_unknown_grant_type_is_unsupported_grant_type(provisioned, lambda_context):
    status, _, body = call(lambda_context, password_form(provisioned, grant_type="magic"), provisioned.basic)
    assert (status, body["error"]) == (400, "unsupported_grant_type")


@pytest.mark.parametrize("missing", ["grant_type", "username", "password"])
def test_missing_parameter_is_invalid_request(provisioned, lambda_context, missing):
    form = password_form(provisioned)
    del form[missing]
    status, _, body = call(lambda_context, form, provisioned.basic)
    assert (status, body["error"]) == (400, "invalid_request")


def test_repeated_parameter_is_invalid_request(provisioned, lambda_context):
    body = urlencode(password_form(provisioned)) + "&username=other"
    status, _, answer = call(lambda_context, body, provisioned.basic)
    assert (status, answer["error"]) == (400, "invalid_request")


@pytest.mark.parametrize("content_type", ["application/json", None, "text/plain"])
def test_wrong_content_type_is_invalid_request(provisioned, lambda_context, content_type):
    status, _, body = call(
        lambda_context, password_form(provisioned), provisioned.basic, content_type=content_type
    )
    assert (status, body["error"]) == (400, "invalid_request")


def test_malformed_scope_is_invalid_scope(provisioned, lambda_context):
    status, _, body = call(
        lambda_context, password_form(provisioned, scope='read "update"'), provisioned.basic
    )
    assert (status, body["error"]) == (400, "invalid_scope")


def test_tokens_are_stored_only_as_sha256_hashes(provisioned, lambda_context, aws):
    _, _, body = call(lambda_context, password_form(provisioned, scope="read"), provisioned.basic)
    everything = aws.scan(TableName="tokenservice-tokens")["Items"]
    dump = json.dumps(everything)
    assert body["access_token"] not in dump and body["refresh_token"] not in dump
    items = [item for item in everything if item["kind"]["S"] != "registration"]
    hashes = {item["token_hash"]["S"] for item in items}
    assert hashes == {hashlib.sha256(body[k].encode()).hexdigest() for k in ("access_token", "refresh_token")}
    kinds = {item["kind"]["S"]: item for item in items}
    assert set(kinds) == {"access", "refresh"}
    assert kinds["access"]["grant_id"] == kinds["refresh"]["grant_id"]
    assert kinds["access"]["username"]["S"] == provisioned.username
    assert kinds["access"]["scope"]["S"] == "read"


def test_passwords_and_client_secrets_are_stored_hashed(provisioned, aws):
    users = json.dumps(aws.scan(TableName="tokenservice-users")["Items"])
    clients = json.dumps(aws.scan(TableName="tokenservice-clients")["Items"])
    assert provisioned.password not in users and "$argon2id$" in users
    assert provisioned.client_secret not in clients


def test_client_token_lifetime_is_used(aws, lambda_context):
    p = Provisioned(access_ttl=600)
    _, _, body = call(lambda_context, password_form(p), p.basic)
    assert body["expires_in"] == 600


def test_service_default_lifetime_applies_to_clients_without_their_own(
    provisioned, lambda_context, monkeypatch
):
    monkeypatch.setenv("DEFAULT_ACCESS_TTL", "900")
    _, _, body = call(lambda_context, password_form(provisioned), provisioned.basic)
    assert body["expires_in"] == 900


def test_client_without_refresh_grant_gets_no_refresh_token(aws, lambda_context):
    p = Provisioned(grant_types="password")
    status, _, body = call(lambda_context, password_form(p), p.basic)
    assert status == 200 and "refresh_token" not in body


def fail(client, operation: str, code: str) -> None:
    """Make every call of one DynamoDB operation fail as AWS would (the rest stays moto)."""

    def raise_error(**_):
        raise ClientError({"Error": {"Code": code, "Message": "injected"}}, operation)

    client.meta.events.register(f"before-call.dynamodb.{operation}", raise_error)


@pytest.mark.parametrize(
    "code", ["ProvisionedThroughputExceededException", "ThrottlingException", "InternalServerError"]
)
def test_database_unavailable_is_503_temporarily_unavailable(provisioned, lambda_context, aws, code):
    fail(aws, "BatchGetItem", code)
    status, headers, body = call(lambda_context, password_form(provisioned), provisioned.basic)
    assert (status, body["error"]) == (503, "temporarily_unavailable")
    assert headers["Retry-After"].isdigit()


def test_failed_token_write_is_503_and_stores_nothing(provisioned, lambda_context, aws):
    fail(aws, "TransactWriteItems", "ThrottlingException")
    status, _, body = call(lambda_context, password_form(provisioned), provisioned.basic)
    assert (status, body["error"]) == (503, "temporarily_unavailable")
    assert aws.scan(TableName="tokenservice-tokens")["Count"] == 0


def test_a_permanent_database_error_is_a_plain_500_not_a_retry(provisioned, lambda_context, aws):
    fail(aws, "BatchGetItem", "ResourceNotFoundException")
    status, headers, body = call(lambda_context, password_form(provisioned), provisioned.basic)
    assert (status, body["error"]) == (500, "server_error")
    assert "Retry-After" not in headers


def test_a_transaction_cancelled_by_throttling_is_503(provisioned, lambda_context, aws):
    def cancel(**_):
        response = {
            "Error": {"Code": "TransactionCanceledException", "Message": "injected"},
            "CancellationReasons": [{"Code": "ThrottlingError"}, {"Code": "None"}],
        }
        raise ClientError(response, "TransactWriteItems")

    aws.meta.events.register("before-call.dynamodb.TransactWriteItems", cancel)
    status, _, body = call(lambda_context, password_form(provisioned), provisioned.basic)
    assert (status, body["error"]) == (503, "temporarily_unavailable")


def test_a_repeated_parameter_is_invalid_request_even_when_one_copy_is_empty(provisioned, lambda_context):
    body = urlencode({"grant_type": "password", "username": "alice", "password": provisioned.password})
    response = handler("token")(token_event(body + "&scope=&scope=read", provisioned.basic), lambda_context)
    assert (response["statusCode"], json.loads(response["body"])["error"]) == (400, "invalid_request")


def test_a_hash_with_weaker_parameters_is_upgraded_on_the_next_login(provisioned, lambda_context, aws):
    from argon2 import PasswordHasher, extract_parameters

    user = storage.get(UserModel, provisioned.username)
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(
        provisioned.password
    )
    storage.save(user)
    assert login(lambda_context, provisioned)[0] == 200
    upgraded = storage.get(UserModel, provisioned.username).password_hash
    assert extract_parameters(upgraded).memory_cost == passwords.MEMORY_COST_KIB
    assert login(lambda_context, provisioned)[0] == 200


def test_usernames_are_looked_up_in_their_canonical_form(provisioned, lambda_context):
    for spelling in ("ALICE", "Alice", "\uff41\uff4c\uff49\uff43\uff45"):
        status, _, body = login(lambda_context, provisioned, username=spelling)
        assert status == 200, body
