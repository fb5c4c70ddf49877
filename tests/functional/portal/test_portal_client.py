"""The custom resource that provisions the portal's own client at deployment (against moto, with a
local HTTP server standing in for CloudFormation's presigned response URL)."""

from tests.conftest import handler, post_form
from tokenservice.portal import portal_client
from tokenservice.store import storage
from tokenservice.store.models import ClientModel


def event(kind: str, url: str, client_id: str = "shop-portal", physical_id: str | None = None) -> dict:
    answer = {
        "RequestType": kind,
        "ResponseURL": url,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/shop/x",
        "RequestId": "r1",
        "LogicalResourceId": "PortalClient",
        "ResourceProperties": {"ClientId": client_id},
    }
    if physical_id:
        answer["PhysicalResourceId"] = physical_id
    return answer


def signs_in(ctx, client_id: str, secret: str) -> int:
    from tokenservice import admin

    admin.create_user("sam", "correct horse battery staple", "", roles="subscriber", replace=True)
    form = {
        "grant_type": "password",
        "username": "sam",
        "password": "correct horse battery staple",
        "scope": portal_client.SESSION_SCOPE,
        "client_id": client_id,
        "client_secret": secret,
    }
    status, _, body = post_form(ctx, "/token", form)
    return status, body


def test_create_provisions_a_password_only_client_and_answers_its_secret_masked(
    aws, lambda_context, cloudformation
):
    url, answers = cloudformation
    handler("portal_client")(event("Create", url), lambda_context)
    (answer,) = answers
    assert (answer["Status"], answer["PhysicalResourceId"], answer["NoEcho"]) == (
        "SUCCESS",
        "shop-portal",
        True,
    )
    client = storage.get(ClientModel, "shop-portal")
    assert (client.grant_types, client.scope, int(client.access_ttl)) == ("password", "apim:subscribe", 3600)
    status, body = signs_in(lambda_context, "shop-portal", answer["Data"]["ClientSecret"])
    assert (status, body["scope"], "refresh_token" in body) == (200, "apim:subscribe", False)


def test_update_gives_a_new_secret_and_delete_removes_the_client(aws, lambda_context, cloudformation):
    url, answers = cloudformation
    function = handler("portal_client")
    function(event("Create", url), lambda_context)
    function(event("Update", url, physical_id="shop-portal"), lambda_context)
    first, second = (answer["Data"]["ClientSecret"] for answer in answers)
    assert first != second
    assert signs_in(lambda_context, "shop-portal", first)[0] == 401
    assert signs_in(lambda_context, "shop-portal", second)[0] == 200
    function(event("Delete", url, physical_id="shop-portal"), lambda_context)
    assert answers[-1]["Status"] == "SUCCESS" and storage.get(ClientModel, "shop-portal") is None


def test_a_failure_is_reported_to_cloudformation_not_left_waiting(aws, lambda_context, cloudformation):
    url, answers = cloudformation
    handler("portal_client")(event("Create", url, client_id=""), lambda_context)
    assert answers[0]["Status"] == "FAILED" and answers[0]["Reason"]
    assert "ClientSecret" not in answers[0]["Data"]
