"""Discovery (RFC 8414 metadata, OpenID discovery) names only what is served, both documents from
one source; an outage of the registry is 503 with Retry-After and no-store, never a cached 200
with a garbage URL nor a 502 (issue 19 finding 4)."""

import json

import pytest

from tests.conftest import handler, token_event
from tokenservice.server.routes import ROUTER

DOCUMENTS = ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"]
ENDPOINTS = [*DOCUMENTS, "/.well-known/jwks.json"]


def get(ctx, path: str) -> dict:
    event = {**token_event("", None, resource=path), "httpMethod": "GET"}
    return handler("token")(event, ctx)


def document(ctx, path: str) -> dict:
    response = get(ctx, path)
    assert response["statusCode"] == 200
    return json.loads(response["body"])


def test_both_documents_say_the_same(aws, lambda_context):
    metadata, openid = (document(lambda_context, path) for path in DOCUMENTS)
    assert metadata == openid


@pytest.mark.parametrize("path", DOCUMENTS)
def test_discovery_names_the_code_flow_and_no_implicit_one(aws, lambda_context, path):
    served = document(lambda_context, path)
    assert served["response_types_supported"] == ["code"]  # no implicit flow, no hybrid one
    assert served["code_challenge_methods_supported"] == ["S256"]  # no plain PKCE
    assert served["authorization_endpoint"] == served["issuer"] + "/authorize"
    assert served["id_token_signing_alg_values_supported"] == ["ES256"]
    assert set(served["grant_types_supported"]) == {
        "password",
        "refresh_token",
        "client_credentials",
        "authorization_code",
    }


@pytest.mark.parametrize("path", DOCUMENTS)
def test_every_url_discovery_names_is_a_route_the_token_function_serves(aws, lambda_context, path):
    served = document(lambda_context, path)
    resources = {resource for _, resource in ROUTER.routes()}
    urls = [value for name, value in served.items() if name.endswith(("_endpoint", "_uri"))]
    assert urls and all(url.startswith(served["issuer"] + "/") for url in urls)
    assert {url[len(served["issuer"]) :] for url in urls} <= resources


@pytest.fixture
def registry_down(aws):
    """DynamoDB unreachable: every call fails as botocore fails when it cannot connect."""
    from botocore.exceptions import EndpointConnectionError

    def unreachable(**_):
        raise EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")

    aws.meta.events.register("before-call.dynamodb", unreachable)


@pytest.mark.parametrize("issuer", ["", "https://auth.example.com"])
@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_registry_outage_is_a_503_that_no_cache_keeps(
    registry_down, lambda_context, monkeypatch, path, issuer
):
    monkeypatch.setenv("ISSUER", issuer)
    response = get(lambda_context, path)
    assert response["statusCode"] == 503
    assert response["headers"]["Retry-After"] and response["headers"]["Cache-Control"] == "no-store"
    assert json.loads(response["body"])["error"] == "temporarily_unavailable"
