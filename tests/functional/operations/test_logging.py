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
    for function in ("token", "authorizer", "orders", "portal", "applications"):
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


def test_portal_flows_log_no_secret(aws, monkeypatch, debug_logs, capfd):
    """Sign-up, sign-in, keys, access tokens, sign-out: no password, secret, token, session id or
    CSRF token in the logs."""
    from urllib.parse import parse_qs, urlsplit

    from tests.functional.gateway_client import Browser, gateway
    from tokenservice.portal import portal_client

    portal = portal_client.provision("developer-portal", "https://portal.example.test")
    monkeypatch.setenv("PORTAL_CLIENT_SECRET", portal.client_secret)
    monkeypatch.setenv("SELF_SIGNUP_ENABLED", "true")
    password, wrong = "a fine long passphrase", "a wrong but long password"
    browser = Browser(gateway())
    browser.sign_up("carol", password)
    browser.sign_in("carol", wrong)
    browser.sign_in("carol", password)
    cookies = list(browser.cookies.values())  # the portal's session, the login session, the browser's binding
    code = parse_qs(urlsplit(browser.answered).query)["code"][0]
    app = browser.request("POST", "/portal/applications", {"name": "Shop", "scope": "read"}).json()
    keys = browser.request(
        "POST", f"/portal/applications/{app['id']}/keys", {"environment": "production"}
    ).json()
    path = f"/portal/applications/{app['id']}/token"
    request = {"environment": "production", "client_secret": keys["client_secret"], "scope": "read"}
    service = browser.request("POST", path, {**request, "grant_type": "client_credentials"}).json()
    user = browser.request("POST", path, {**request, "grant_type": "password", "password": password}).json()
    browser.request("POST", path, {**request, "grant_type": "password", "password": wrong})
    browser.request(
        "POST", path, {**request, "client_secret": "a-wrong-consumer-secret-xyz", "grant_type": "password"}
    )
    browser.request("GET", "/applications", headers={"Authorization": f"Bearer {user['access_token']}"})
    browser.request("POST", "/portal/signout")

    secrets_used = [password, wrong, portal.client_secret, *cookies, code, browser.csrf]
    secrets_used.append(keys["client_secret"])
    secrets_used += [
        "a-wrong-consumer-secret-xyz",
        service["access_token"],
        user["access_token"],
        user["refresh_token"],
    ]
    out, err = capfd.readouterr()
    logged = "\n".join(debug_logs.seen) + out + err
    assert "Signed in to the portal" in logged and "Token issued from the portal" in logged
    assert "Keys generated" in logged and "Request refused" in logged
    for secret in secrets_used:
        assert secret not in logged


def test_code_flow_logs_no_secret(aws, monkeypatch, debug_logs, capfd, lambda_context):
    """The hosted login page (a wrong and a right password), the code, its exchange and refresh,
    UserInfo, logout: no password, code, verifier, cookie, CSRF token or token in the logs."""
    import boto3

    from tests.functional.gateway_client import Browser, gateway, hidden
    from tests.functional.signin.conftest import answer, attempt, code_client, exchange
    from tokenservice import admin
    from tokenservice.deploy import deployment

    monkeypatch.setenv("ISSUER", "https://auth.example.com")
    kms_key = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]
    deployment.set_up_signing("https://auth.example.com", kms_key)
    password, wrong = "a fine long passphrase", "a wrong but long password"
    admin.create_user("carol", password, "read")
    client = code_client()
    trial = attempt(client)
    browser = Browser(gateway())
    page = browser.request("GET", trial.path())
    browser.log_in(page, "carol", wrong)
    code = answer(browser.log_in(page, "carol", password))["code"]
    cookies = list(browser.cookies.values())  # the login session's, the browser's binding
    assert len(cookies) == 2
    _, _, tokens = exchange(lambda_context, trial, code)
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    _, _, refreshed = post_form(lambda_context, "/token", refresh, client.basic)
    browser.request("GET", "/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    browser.request("GET", f"/logout?id_token_hint={tokens['id_token']}")

    secrets_used = [password, wrong, client.client_secret, code, trial.verifier, *cookies]
    secrets_used += [hidden(page.text, "csrf_token"), hidden(page.text, "transaction")]
    secrets_used += [
        tokens["access_token"],
        tokens["refresh_token"],
        tokens["id_token"],
        refreshed["refresh_token"],
    ]
    out, err = capfd.readouterr()
    logged = "\n".join(debug_logs.seen) + out + err
    assert (
        "Signed in at the login page" in logged and "Sign-in refused" in logged and "Token issued" in logged
    )
    for secret in secrets_used:
        assert secret not in logged
