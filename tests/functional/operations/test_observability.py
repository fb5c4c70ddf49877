"""Metrics (EMF on stdout), correlation ids, and the Tracer kept off the cold start."""

import json
import subprocess
import sys

import pytest

from tests.conftest import handler, load_event, login, post_form
from tokenservice.core import observability


def metrics(capfd) -> list[tuple[str, dict]]:
    """(metric name, dimensions) of every EMF document printed so far."""
    out, _ = capfd.readouterr()
    found = []
    for line in out.splitlines():
        if '"_aws"' not in line:
            continue
        document = json.loads(line)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            dimensions = {key: document[key] for group in directive["Dimensions"] for key in group}
            found += [(metric["Name"], dimensions) for metric in directive["Metrics"]]
    return found


def names(capfd) -> list[str]:
    return [name for name, _ in metrics(capfd)]


def test_tokens_issued_are_counted_by_grant_type(provisioned, lambda_context, capfd):
    capfd.readouterr()
    login(lambda_context, provisioned)
    post_form(lambda_context, "/token", {"grant_type": "client_credentials"}, provisioned.basic)
    issued = [dims for name, dims in metrics(capfd) if name == observability.TOKENS_ISSUED]
    assert [d["grant_type"] for d in issued] == ["password", "client_credentials"]
    assert all(d["service"] for d in issued)


def test_refusals_and_lockouts_are_counted(provisioned, lambda_context, capfd, monkeypatch):
    monkeypatch.setenv("LOCKOUT_THRESHOLD", "2")
    capfd.readouterr()
    login(lambda_context, provisioned, password="wrong password")
    login(lambda_context, provisioned, password="wrong password")
    post_form(lambda_context, "/token", {"grant_type": "client_credentials"}, "Basic bm9ib2R5Om5vdGhpbmc=")
    counted = names(capfd)
    assert counted.count(observability.INVALID_GRANT) == 2
    assert counted.count(observability.LOCKOUTS) == 1
    assert counted.count(observability.INVALID_CLIENT) == 1


def test_refresh_token_reuse_is_counted(provisioned, lambda_context, capfd):
    _, _, tokens = login(lambda_context, provisioned)
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    post_form(lambda_context, "/token", form, provisioned.basic)
    capfd.readouterr()
    post_form(lambda_context, "/token", form, provisioned.basic)
    assert observability.REFRESH_REUSE in names(capfd)


def test_server_errors_are_counted_for_the_alarm(provisioned, lambda_context, capfd, aws):
    def throttle(**_):
        from botocore.exceptions import ClientError

        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "injected"}}, "BatchGetItem")

    aws.meta.events.register("before-call.dynamodb.BatchGetItem", throttle)
    capfd.readouterr()
    assert login(lambda_context, provisioned)[0] == 503
    assert names(capfd) == [observability.SERVER_ERRORS]


def test_authorizer_allow_deny_and_unauthorized_are_counted(provisioned, lambda_context, capfd):
    _, _, tokens = login(lambda_context, provisioned, scope="read")
    capfd.readouterr()
    for method, token in (
        ("GET", tokens["access_token"]),
        ("POST", tokens["access_token"]),
        ("GET", "bogus"),
    ):
        event = load_event("authorizer_token")
        event["authorizationToken"] = f"Bearer {token}"
        event["methodArn"] = f"arn:aws:execute-api:us-east-1:123456789012:abcdef1234/v1/{method}/orders"
        try:
            handler("authorizer")(event, lambda_context)
        except Exception as error:
            assert str(error) == "Unauthorized"
    assert names(capfd) == [
        observability.AUTHORIZER_ALLOW,
        observability.AUTHORIZER_DENY,
        observability.AUTHORIZER_UNAUTHORIZED,
    ]


def test_logs_carry_the_api_gateway_request_id_as_correlation_id(provisioned, lambda_context, monkeypatch):
    import io

    from functions.token.app import logger

    buffer = io.StringIO()
    monkeypatch.setattr(logger.registered_handler, "stream", buffer)
    login(lambda_context, provisioned, password="wrong password")
    logs = [json.loads(line) for line in buffer.getvalue().splitlines()]
    request_id = load_event("token_password")["requestContext"]["requestId"]
    assert logs and all(entry["correlation_id"] == request_id for entry in logs)


@pytest.mark.parametrize("enabled", ["false", "true"])
def test_the_tracer_is_imported_only_when_switched_on(enabled):
    code = (
        "import sys, functions.token.app, functions.authorizer.app, functions.orders.app;"
        "print('aws_xray_sdk' in sys.modules)"
    )
    env = {"TRACER_ENABLED": enabled, "AWS_LAMBDA_FUNCTION_NAME": "test", "AWS_DEFAULT_REGION": "us-east-1"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    tracer_loaded = result.stdout.split()[0] == "True"
    assert tracer_loaded is (enabled == "true")
