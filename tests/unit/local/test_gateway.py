"""The local API Gateway emulator: routing, authorizer outcomes and gateway responses."""

import json

import pytest

from localrun import template
from localrun.gateway import Gateway, policy_decision

ARN = "arn:aws:execute-api:us-east-1:123456789012:local/v1"


def test_policy_needs_an_allow_and_deny_wins():
    allow = {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": [f"{ARN}/GET/*"]}
    deny = {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": f"{ARN}/GET/orders"}
    assert policy_decision({"Statement": [allow]}, f"{ARN}/GET/orders") == "Allow"
    assert policy_decision({"Statement": [allow, deny]}, f"{ARN}/GET/orders") != "Allow"
    assert policy_decision({"Statement": [allow]}, f"{ARN}/POST/orders") != "Allow"
    assert policy_decision({"Statement": []}, f"{ARN}/GET/orders") != "Allow"


class FakeAuthorizer:
    def __init__(self, outcome):
        self.outcome = outcome
        self.calls = 0

    def __call__(self, event, context):
        self.calls += 1
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


class EchoHandler:
    def __call__(self, event, context):
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(event)}


@pytest.fixture
def gateway():
    gw = Gateway(template.load())
    for route in gw.routes:
        route.function.handler = EchoHandler()
    return gw


def set_authorizer(gw: Gateway, outcome) -> FakeAuthorizer:
    fake = FakeAuthorizer(outcome)
    for route in gw.routes:
        if route.authorizer:
            route.authorizer.function.handler = fake
    return fake


def allow_all(context=None):
    statement = {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": f"{ARN}/*"}
    return {"principalId": "alice", "policyDocument": {"Statement": [statement]}, "context": context or {}}


BEARER = [("Authorization", "Bearer abc")]


def test_unknown_route_is_the_templates_missing_authentication_token_response(gateway):
    response = gateway.handle("GET", "/nowhere", [], b"", "127.0.0.1")
    assert response.status == 404


def test_missing_or_malformed_bearer_header_is_401_without_calling_the_authorizer(gateway):
    fake = set_authorizer(gateway, allow_all())
    for headers in ([], [("Authorization", "Basic abc")], [("Authorization", "Bearer two words")]):
        response = gateway.handle("GET", "/orders", headers, b"", "127.0.0.1")
        assert response.status == 401
        assert ("WWW-Authenticate", 'Bearer realm="tokenservice"') in response.headers
    assert fake.calls == 0


def test_authorizer_raising_unauthorized_is_401(gateway):
    set_authorizer(gateway, Exception("Unauthorized"))
    assert gateway.handle("GET", "/orders", BEARER, b"", "127.0.0.1").status == 401


def test_authorizer_deny_is_403_with_insufficient_scope(gateway):
    set_authorizer(gateway, {"principalId": "a", "policyDocument": {"Statement": []}})
    response = gateway.handle("GET", "/orders", BEARER, b"", "127.0.0.1")
    assert response.status == 403
    assert ("WWW-Authenticate", 'Bearer error="insufficient_scope"') in response.headers


@pytest.mark.parametrize("outcome", [RuntimeError("boom"), {"no": "policy"}, None])
def test_authorizer_failing_otherwise_is_500(gateway, outcome):
    set_authorizer(gateway, outcome)
    assert gateway.handle("GET", "/orders", BEARER, b"", "127.0.0.1").status == 500


def test_authorizer_is_called_on_every_request_no_caching(gateway):
    fake = set_authorizer(gateway, allow_all())
    for _ in range(3):
        gateway.handle("GET", "/orders", BEARER, b"", "127.0.0.1")
    assert fake.calls == 3


def test_integration_gets_a_rest_proxy_event_with_the_authorizer_context(gateway):
    set_authorizer(gateway, allow_all({"username": "alice", "scope": "read", "n": 1, "ok": True}))
    response = gateway.handle("GET", "/orders?a=1&a=2", [*BEARER, ("Host", "x")], b"", "10.0.0.1")
    event = json.loads(response.body)
    assert event["httpMethod"] == "GET" and event["resource"] == "/orders" and event["path"] == "/orders"
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"]}
    authorizer = event["requestContext"]["authorizer"]
    assert authorizer["principalId"] == "alice" and authorizer["username"] == "alice"
    assert authorizer["n"] == "1" and authorizer["ok"] == "true"
    assert event["requestContext"]["identity"]["sourceIp"] == "10.0.0.1"


def test_public_route_skips_the_authorizer_and_passes_binary_bodies_base64(gateway):
    fake = set_authorizer(gateway, allow_all())
    event = json.loads(gateway.handle("POST", "/token", [], b"\xff\x00", "127.0.0.1").body)
    assert fake.calls == 0
    assert event["isBase64Encoded"] is True and event["body"] == "/wA="


def _crash(event, context):
    raise RuntimeError("boom")


def test_handler_crash_is_502_on_the_rest_api(gateway):
    set_authorizer(gateway, allow_all())
    next(r for r in gateway.routes if r.resource == "/orders").function.handler = _crash
    assert gateway.handle("GET", "/orders", BEARER, b"", "127.0.0.1").status == 502


def test_handler_crash_is_500_on_the_http_api(gateway):
    next(r for r in gateway.routes if r.resource == "/token").function.handler = _crash
    response = gateway.handle("POST", "/token", [], b"", "127.0.0.1")
    assert (response.status, json.loads(response.body)) == (500, {"message": "Internal Server Error"})


def test_the_authorization_server_is_the_http_api_in_payload_format_1(gateway):
    event = json.loads(gateway.handle("POST", "/token", [], b"x=1", "127.0.0.1").body)
    assert event["version"] == "1.0"
    assert (event["resource"], event["path"], event["httpMethod"]) == ("/token", "/token", "POST")
    assert event["requestContext"]["apiId"] == "local-http"
    assert event["requestContext"]["stage"] == "$default"


def test_an_unknown_method_on_an_http_api_path_is_the_http_apis_404(gateway):
    response = gateway.handle("PUT", "/portal/session", [], b"", "127.0.0.1")
    assert (response.status, json.loads(response.body)) == (404, {"message": "Not Found"})


def test_the_bearer_challenge_names_the_realm_the_functions_are_given(monkeypatch):
    monkeypatch.setenv("AUTH_REALM", "shop")  # what make run passes the functions for AuthRealm
    gw = Gateway(template.load())
    response = gw.handle("GET", "/orders", [], b"", "127.0.0.1")
    assert response.status == 401
    assert dict(response.headers)["WWW-Authenticate"] == 'Bearer realm="shop"'


def _respond(gateway, response: dict, resource: str = "/token") -> None:
    next(r for r in gateway.routes if r.resource == resource).function.handler = lambda event, context: (
        response
    )


def test_proxy_responses_have_their_headers_remapped_as_a_rest_api_does(gateway):
    headers = {
        "WWW-Authenticate": 'Basic realm="x"',
        "Server": "lambda",
        "Date": "yesterday",
        "Authorization": "secret-ish",
        "Pragma": "no-cache",
        "Cache-Control": "no-store",
        "Transfer-Encoding": "chunked",
        "X-Custom": "kept",
    }
    set_authorizer(gateway, allow_all())
    _respond(gateway, {"statusCode": 401, "headers": headers, "body": "{}"}, "/orders")
    sent = dict(gateway.handle("GET", "/orders", BEARER, b"", "127.0.0.1").headers)
    for name in ("WWW-Authenticate", "Server", "Date", "Authorization"):
        assert name not in sent and sent[f"x-amzn-Remapped-{name}"] == headers[name]
    assert (sent["Pragma"], sent["Cache-Control"], sent["X-Custom"]) == ("no-cache", "no-store", "kept")
    assert "Transfer-Encoding" not in sent


def test_the_http_api_passes_the_functions_headers_through(gateway):
    headers = {"WWW-Authenticate": 'Basic realm="x"', "Pragma": "no-cache", "Transfer-Encoding": "chunked"}
    _respond(gateway, {"statusCode": 401, "headers": headers, "body": "{}"})
    sent = dict(gateway.handle("POST", "/token", [], b"", "127.0.0.1").headers)
    assert (sent["WWW-Authenticate"], sent["Pragma"]) == ('Basic realm="x"', "no-cache")
    assert not any(name.lower().startswith("x-amzn-remapped") for name in sent)
    assert "Transfer-Encoding" not in sent


def test_gateway_generated_responses_are_not_remapped(gateway):
    response = gateway.handle("GET", "/orders", [], b"", "127.0.0.1")
    assert dict(response.headers)["WWW-Authenticate"].startswith("Bearer")


def test_a_denial_says_why_in_the_authorizers_words(gateway):
    explicit = {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": [f"{ARN}/*"]}
    because = {"denied": 'Not subscribed "here"'}
    set_authorizer(
        gateway, {"principalId": "a", "policyDocument": {"Statement": [explicit]}, "context": because}
    )
    denied = json.loads(gateway.handle("GET", "/orders", BEARER, b"", "127.0.0.1").body)
    set_authorizer(gateway, {"principalId": "a", "policyDocument": {"Statement": []}})
    unnamed = json.loads(gateway.handle("GET", "/orders", BEARER, b"", "127.0.0.1").body)
    assert denied["error"] == unnamed["error"] == "insufficient_scope"  # one response type on AWS
    assert denied["error_description"] == 'Not subscribed "here"'  # $context.authorizer.denied
    assert unnamed["error_description"] == ""  # no such context value: API Gateway substitutes ""


@pytest.mark.parametrize("outcome,status,error", [(RuntimeError("boom"), 500, "server_error")])
def test_other_gateway_errors_are_oauth_json_too(gateway, outcome, status, error):
    set_authorizer(gateway, outcome)
    response = gateway.handle("GET", "/orders", BEARER, b"", "127.0.0.1")
    assert (response.status, json.loads(response.body)["error"]) == (status, error)
    assert dict(response.headers)["Cache-Control"] == "no-store"


def test_a_too_large_payload_is_413_in_oauth_json_on_the_rest_api(gateway):
    response = gateway.handle("POST", "/orders", [], b"x" * (10 * 1024 * 1024 + 1), "127.0.0.1")
    assert (response.status, json.loads(response.body)["error"]) == (413, "invalid_request")


def test_a_too_large_payload_is_the_http_apis_413_on_the_authorization_server(gateway):
    response = gateway.handle("POST", "/token", [], b"x" * (10 * 1024 * 1024 + 1), "127.0.0.1")
    assert (response.status, json.loads(response.body)) == (413, {"message": "Request Entity Too Large"})
