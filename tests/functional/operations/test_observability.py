"""Metrics (EMF on stdout), correlation ids, and the Tracer kept off the cold start."""

import json
import subprocess
import sys

import pytest

from tests.conftest import handler, load_event, login, post_form
from tokenservice.core import observability


@pytest.fixture(autouse=True)
def no_pending_tally(capfd):
    """Successes another test counted are written (and dropped) before this one starts."""
    observability.flush()
    capfd.readouterr()


def _total(value) -> float:
    """An EMF value: a number, or a list of them (Powertools writes a list)."""
    return sum(value) if isinstance(value, list) else value


def metrics(capfd) -> list[tuple[str, dict]]:
    """(metric name, dimensions) of every EMF document printed so far, once per counted value."""
    out, _ = capfd.readouterr()
    found = []
    for line in out.splitlines():
        if '"_aws"' not in line:
            continue
        document = json.loads(line)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            dimensions = {key: document[key] for group in directive["Dimensions"] for key in group}
            for metric in directive["Metrics"]:
                found += [(metric["Name"], dimensions)] * int(_total(document[metric["Name"]]))
    return found


def names(capfd) -> list[str]:
    return [name for name, _ in metrics(capfd)]


def test_tokens_issued_are_counted_by_grant_type(provisioned, lambda_context, capfd):
    capfd.readouterr()
    login(lambda_context, provisioned)
    post_form(lambda_context, "/token", {"grant_type": "client_credentials"}, provisioned.basic)
    post_form(lambda_context, "/token", {"grant_type": "client_credentials"}, provisioned.basic)
    observability.flush()
    issued = [dims for name, dims in metrics(capfd) if name == observability.TOKENS_ISSUED]
    assert sorted(d["grant_type"] for d in issued) == ["client_credentials", "client_credentials", "password"]
    assert all(d["service"] for d in issued)


def test_successes_write_no_metric_line_until_a_minute_has_passed(
    provisioned, lambda_context, capfd, monkeypatch
):
    clock = [1000.0]
    monkeypatch.setattr(observability.time, "monotonic", lambda: clock[0])
    post_form(lambda_context, "/token", {"grant_type": "client_credentials"}, provisioned.basic)
    post_form(lambda_context, "/token", {"grant_type": "client_credentials"}, provisioned.basic)
    assert capfd.readouterr().out == ""  # a success writes neither a log line nor a metric line
    clock[0] += observability.TALLY_SECONDS
    post_form(lambda_context, "/token", {"grant_type": "client_credentials"}, provisioned.basic)
    out = capfd.readouterr().out
    assert len(out.splitlines()) == 1  # one EMF line carrying the sum of the three
    assert _total(json.loads(out)[observability.TOKENS_ISSUED]) == 3


def test_successes_log_nothing_and_refusals_log_at_info(provisioned, lambda_context, monkeypatch):
    import io

    from functions.token.app import logger

    buffer = io.StringIO()
    monkeypatch.setattr(logger.registered_handler, "stream", buffer)
    login(lambda_context, provisioned)
    post_form(lambda_context, "/token", {"grant_type": "client_credentials"}, provisioned.basic)
    assert buffer.getvalue() == ""
    login(lambda_context, provisioned, password="wrong password")
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert [(line["level"], line["message"]) for line in lines] == [("INFO", "Request refused")]


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
    assert names(capfd) == [observability.AUTHORIZER_DENY, observability.AUTHORIZER_UNAUTHORIZED]
    observability.flush()
    assert [name for name in names(capfd) if name.startswith("Authorizer")] == [
        observability.AUTHORIZER_ALLOW
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


def test_an_authorized_call_writes_no_log_line(provisioned, lambda_context, capfd, monkeypatch):
    """At the template's log level (INFO), an allowed call costs no log bytes but Lambda's own."""
    import io

    from functions.authorizer.app import logger

    buffer = io.StringIO()
    monkeypatch.setattr(logger.registered_handler, "stream", buffer)
    _, _, tokens = login(lambda_context, provisioned, scope="read")
    event = load_event("authorizer_token")
    event["authorizationToken"] = f"Bearer {tokens['access_token']}"
    event["methodArn"] = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/v1/GET/orders"
    capfd.readouterr()
    policy = handler("authorizer")(event, lambda_context)
    assert policy["policyDocument"]["Statement"]
    out, err = capfd.readouterr()
    assert out == "" and err == "" and buffer.getvalue() == ""
