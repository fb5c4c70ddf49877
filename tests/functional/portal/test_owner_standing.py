"""Every Applications API call checks its owner's standing (exists, enabled, at the credential
version of the token, roles still granting the route's scope) with the application reads, on
opaque and JWT stacks alike; and keys of a disabled owner never issue tokens (issue 19 finding 1).

Requests go through the API Gateway emulator in-process: the authorizer, then the Applications
function, as a client's curl would."""

import base64
import json

import pytest

from tests.conftest import post_form
from tests.functional.gateway_client import Response, gateway
from tests.functional.oauth.test_races import before_the_write
from tokenservice import admin
from tokenservice.portal import applications
from tokenservice.store import storage
from tokenservice.store.models import UserModel
from tokenservice.users import accounts

PASSWORD = "a long passphrase for sam"
PORTAL_SCOPE = "apim:subscribe"


@pytest.fixture(params=["opaque", "jwt"])
def stack(request, aws, monkeypatch):
    """A stack whose access tokens are opaque or JWTs (ACCESS_TOKEN_FORMAT), a developer with the
    role `subscriber` (bound to apim:subscribe), and a client such as make run's demo client."""
    if request.param == "jwt":
        import boto3

        from tokenservice.deploy import deployment

        monkeypatch.setenv("ACCESS_TOKEN_FORMAT", "jwt")
        kms_key = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]
        deployment.set_up_signing("https://auth.example.com", kms_key)
    new = admin.create_client("Demo", f"read {PORTAL_SCOPE}")
    admin.create_user("sam", PASSWORD, "read", roles="subscriber")
    basic = "Basic " + base64.b64encode(f"{new.client.client_id}:{new.client_secret}".encode()).decode()
    return gateway(), basic


def developer_token(lambda_context, basic: str) -> str:
    form = {
        "grant_type": "password",
        "username": "sam",
        "password": PASSWORD,
        "scope": f"read {PORTAL_SCOPE}",
    }
    status, _, body = post_form(lambda_context, "/token", form, basic)
    assert status == 200 and PORTAL_SCOPE in body["scope"]
    return body["access_token"]


def call(gw, token: str, method: str, path: str, body: dict | None = None) -> Response:
    headers = [("Host", "127.0.0.1"), ("Authorization", f"Bearer {token}")]
    payload = b""
    if body is not None:
        headers.append(("Content-Type", "application/json"))
        payload = json.dumps(body).encode()
    return Response(gw.handle(method, path, headers, payload, "203.0.113.9"))


def new_app(gw, token: str, name: str = "Shop") -> str:
    created = call(gw, token, "POST", "/applications", {"name": name, "scope": "read"})
    assert created.status == 201, created.json()
    return created.json()["id"]


def every_call(gw, token: str, app_id: str) -> dict[str, int]:
    return {
        "list": call(gw, token, "GET", "/applications").status,
        "create": call(gw, token, "POST", "/applications", {"name": "Other", "scope": "read"}).status,
        "keys": call(gw, token, "POST", f"/applications/{app_id}/keys", {"environment": "sandbox"}).status,
        "delete": call(gw, token, "DELETE", f"/applications/{app_id}").status,
    }


def test_a_disabled_developer_can_neither_create_applications_nor_generate_keys(stack, lambda_context):
    gw, basic = stack
    token = developer_token(lambda_context, basic)
    app_id = new_app(gw, token)
    admin.disable_user("sam")
    assert every_call(gw, token, app_id) == {"list": 401, "create": 401, "keys": 401, "delete": 401}
    refused = call(gw, token, "POST", "/applications", {"name": "Other"})
    assert refused.json()["error"] == "invalid_token"
    challenge = refused.header("WWW-Authenticate") or refused.header("x-amzn-Remapped-WWW-Authenticate")
    assert challenge.startswith("Bearer ")  # the gateway's (opaque) or the function's own (JWT)
    assert [app.name for app in applications.owned_by(storage.get(UserModel, "sam"))] == ["Shop"]


def test_a_developer_whose_roles_are_removed_can_no_longer_manage_applications(stack, lambda_context):
    gw, basic = stack
    token = developer_token(lambda_context, basic)
    app_id = new_app(gw, token)
    admin.set_roles("sam", "")
    assert every_call(gw, token, app_id) == {"list": 401, "create": 401, "keys": 401, "delete": 401}


def test_a_scope_no_longer_bound_to_the_developers_role_refuses_the_call(stack, lambda_context):
    gw, basic = stack
    token = developer_token(lambda_context, basic)
    app_id = new_app(gw, token)
    admin.define_scope(PORTAL_SCOPE, "administrator")  # sam's role no longer grants it
    statuses = every_call(gw, token, app_id)
    assert statuses == {"list": 403, "create": 403, "keys": 403, "delete": 403}
    refused = call(gw, token, "GET", "/applications")
    assert refused.json()["error"] == "insufficient_scope"


def test_a_revoked_token_cannot_manage_applications_even_as_a_jwt(stack, lambda_context):
    gw, basic = stack
    token = developer_token(lambda_context, basic)
    status, _, _ = post_form(lambda_context, "/revoke", {"token": token}, basic)
    assert status == 200
    # an opaque token is refused by the authorizer itself; a JWT passes it, and is refused here
    assert call(gw, token, "GET", "/applications").status == 401


def test_a_disable_racing_an_application_creation_leaves_no_usable_keys(stack, lambda_context, aws):
    gw, basic = stack
    token = developer_token(lambda_context, basic)
    before_the_write(aws, lambda: accounts.disable("sam"))  # between the reads and the write
    created = call(gw, token, "POST", "/applications", {"name": "Racer", "scope": "read"})
    assert created.status == 401
    assert [app.name for app in applications.owned_by(storage.get(UserModel, "sam"))] == []


def test_a_disable_racing_a_key_generation_issues_no_secret(stack, lambda_context, aws):
    gw, basic = stack
    token = developer_token(lambda_context, basic)
    app_id = new_app(gw, token)
    before_the_write(aws, lambda: accounts.disable("sam"))
    generated = call(gw, token, "POST", f"/applications/{app_id}/keys", {"environment": "production"})
    assert generated.status == 401 and "client_secret" not in generated.json()


def test_keys_of_a_disabled_owner_issue_no_token_even_before_their_clients_are_suspended(
    stack, lambda_context
):
    gw, basic = stack
    token = developer_token(lambda_context, basic)
    app_id = new_app(gw, token)
    keys = call(gw, token, "POST", f"/applications/{app_id}/keys", {"environment": "production"}).json()
    app_basic = "Basic " + base64.b64encode(f"{keys['client_id']}:{keys['client_secret']}".encode()).decode()
    assert post_form(lambda_context, "/token", {"grant_type": "client_credentials"}, app_basic)[0] == 200
    accounts.disable("sam")  # the disable alone, as if tokenctl stopped before suspending the keys
    status, _, body = post_form(lambda_context, "/token", {"grant_type": "client_credentials"}, app_basic)
    assert (status, body["error"]) == (401, "invalid_client")
