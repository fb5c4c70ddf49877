"""The custom resource that provisions the portal's own client at deployment (against moto, with a
local HTTP server standing in for CloudFormation's presigned response URL)."""

from tests.conftest import handler, post_form
from tokenservice.store import storage
from tokenservice.store.models import ClientModel


def event(kind: str, url: str, client_id: str = "shop-portal", physical_id: str | None = None, **extra):
    properties = {"ClientId": client_id, "Issuer": "", "DefaultIssuer": DEFAULT_ISSUER, **extra}
    answer = {
        "RequestType": kind,
        "ResponseURL": url,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/shop/x",
        "RequestId": "r1",
        "LogicalResourceId": "PortalClient",
        "ResourceProperties": properties,
    }
    if physical_id:
        answer["PhysicalResourceId"] = physical_id
    return answer


DEFAULT_ISSUER = "https://abcdef1234.execute-api.us-east-1.amazonaws.com/v1"


def authenticates(ctx, client_id: str, secret: str) -> int:
    """The token endpoint's answer to the client's secret: 400 unauthorized_client when the secret
    is right (the client may use the code flow only), 401 when it is not."""
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    status, _, body = post_form(ctx, "/token", form)
    return status, body["error"]


def test_create_provisions_a_code_flow_client_for_the_portals_callback_and_answers_its_secret_masked(
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
    assert (client.grant_types, client.scope, int(client.access_ttl)) == (
        "authorization_code",
        "apim:subscribe",
        3600,
    )
    assert client.redirect_uris == {f"{DEFAULT_ISSUER}/portal/callback"} and not client.public
    assert not client.owner and not client.require_consent  # first-party: no consent page
    secret = answer["Data"]["ClientSecret"]
    assert authenticates(lambda_context, "shop-portal", secret) == (400, "unauthorized_client")


def test_a_configured_issuer_places_the_portals_callback(aws, lambda_context, cloudformation):
    url, _ = cloudformation
    handler("portal_client")(event("Create", url, Issuer="https://auth.example.com/"), lambda_context)
    client = storage.get(ClientModel, "shop-portal")
    assert client.redirect_uris == {"https://auth.example.com/portal/callback"}


def test_update_gives_a_new_secret_and_delete_removes_the_client(aws, lambda_context, cloudformation):
    url, answers = cloudformation
    function = handler("portal_client")
    function(event("Create", url), lambda_context)
    function(event("Update", url, physical_id="shop-portal"), lambda_context)
    first, second = (answer["Data"]["ClientSecret"] for answer in answers)
    assert first != second
    assert authenticates(lambda_context, "shop-portal", first)[0] == 401
    assert authenticates(lambda_context, "shop-portal", second)[0] == 400
    function(event("Delete", url, physical_id="shop-portal"), lambda_context)
    assert answers[-1]["Status"] == "SUCCESS" and storage.get(ClientModel, "shop-portal") is None


def test_a_failure_is_reported_to_cloudformation_not_left_waiting(aws, lambda_context, cloudformation):
    url, answers = cloudformation
    handler("portal_client")(event("Create", url, client_id=""), lambda_context)
    assert answers[0]["Status"] == "FAILED" and answers[0]["Reason"]
    assert "ClientSecret" not in answers[0]["Data"]
