"""No password, client secret, token or Authorization header ever reaches the logs, even at DEBUG."""

import base64
import contextlib
import logging

import pytest

from tests.conftest import Provisioned, handler, load_event, post_form


class EverythingHandler(logging.Handler):
    """Keeps every attribute of every record: message, args, extra fields, exception text."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        exception = logging.Formatter().formatException(record.exc_info) if record.exc_info else ""
        self.seen.append(f"{record.getMessage()} {record.__dict__!r} {exception}")


@pytest.fixture
def debug_logs():
    """Every logger at DEBUG (the functions' Powertools loggers and children, botocore, all),
    every record kept whole."""
    for function in ("token", "authorizer", "orders"):
        __import__(f"functions.{function}.app")  # create the Powertools loggers first
    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)] + [logging.root]
    levels = [(logger, logger.level) for logger in loggers if isinstance(logger, logging.Logger)]
    for logger, _ in levels:
        logger.setLevel(logging.DEBUG)
    handler = EverythingHandler()
    logging.root.addHandler(handler)
    yield handler
    logging.root.removeHandler(handler)
    for logger, level in levels:
        logger.setLevel(level)


def test_full_flows_log_no_secret(aws, lambda_context, debug_logs, capfd):
    p = Provisioned()
    secrets_used = [p.password, p.client_secret, p.basic, p.basic.split()[1]]
    ctx = lambda_context

    def authorize(token):
        event = load_event("authorizer_token")
        event["authorizationToken"] = f"Bearer {token}"
        with contextlib.suppress(Exception):  # Unauthorized is part of the flow
            handler("authorizer")(event, ctx)

    _, _, first = post_form(
        ctx,
        "/token",
        {"grant_type": "password", "username": "alice", "password": p.password, "scope": "read update"},
        p.basic,
    )
    _, _, second = post_form(
        ctx, "/token", {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}, p.basic
    )
    post_form(
        ctx, "/token", {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}, p.basic
    )
    _, _, service = post_form(ctx, "/token", {"grant_type": "client_credentials"}, p.basic)
    wrong = "a wrong but long password"
    post_form(ctx, "/token", {"grant_type": "password", "username": "alice", "password": wrong}, p.basic)
    post_form(ctx, "/token", {"grant_type": "password", "username": "nobody", "password": wrong}, p.basic)
    bad_secret = "Basic " + base64.b64encode(f"{p.client_id}:not-the-secret-xyz".encode()).decode()
    post_form(
        ctx, "/token", {"grant_type": "password", "username": "alice", "password": p.password}, bad_secret
    )
    post_form(ctx, "/introspect", {"token": second["access_token"]}, p.basic)
    authorize(second["access_token"])
    authorize(service["access_token"])
    authorize("garbage-token-value-123")
    post_form(ctx, "/revoke", {"token": second["refresh_token"]}, p.basic)
    authorize(second["access_token"])

    secrets_used += [wrong, "not-the-secret-xyz", bad_secret.split()[1], "garbage-token-value-123"]
    for tokens in (first, second, service):
        secrets_used += [v for k, v in tokens.items() if k in ("access_token", "refresh_token")]
    out, err = capfd.readouterr()
    logged = "\n".join(debug_logs.seen) + out + err
    assert "Token issued" in logged and "Request refused" in logged  # the logs were captured
    assert "DEBUG" in logged
    for secret in secrets_used:
        assert secret not in logged
