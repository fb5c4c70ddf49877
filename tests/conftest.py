"""Shared fixtures: API Gateway events from events/, moto-backed tables, provisioning."""

import base64
import importlib
import json

import pytest

from localrun.events import LambdaContext, load_event, token_event

__all__ = ["load_event", "token_event"]

# The context every functional test passes to a handler.
FakeLambdaContext = LambdaContext


def handler(function: str):
    """A Lambda handler, imported as functions.<function>.app (never functions/ on sys.path)."""
    return importlib.import_module(f"functions.{function}.app").lambda_handler


@pytest.fixture
def lambda_context():
    return FakeLambdaContext()


@pytest.fixture
def aws(monkeypatch):
    """moto's mock_aws with the template's tables, dummy credentials, no endpoint override."""
    from moto import mock_aws

    from tokenservice.core import caching
    from tokenservice.store import storage

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    storage.dynamodb.cache_clear()
    caching.clear_all()  # a fresh database is a fresh execution environment
    with mock_aws():
        from localrun.tables import ensure_tables

        ensure_tables(storage.dynamodb())
        register_sample_api()
        yield storage.dynamodb()
    storage.dynamodb.cache_clear()


SAMPLE_API_IDS = ("abcdef1234", "local")  # the API ids of the recorded events and of make run


def register_sample_api() -> None:
    """The sample API's rules (openapi.yaml) in the registry, as the stack's loader puts them."""
    from tokenservice.registry import openapi, registry

    for api_id in SAMPLE_API_IDS:
        registry.import_api(api_id, openapi.load(openapi.SAMPLE))


@pytest.fixture
def atomic_requests(aws, monkeypatch):
    """DynamoDB applies each request atomically; moto in-process does not, so serialise requests
    (threads still interleave between them, which is the race that matters)."""
    import threading

    lock = threading.Lock()
    make_api_call = aws._make_api_call

    def locked(operation, params):
        with lock:
            return make_api_call(operation, params)

    monkeypatch.setattr(aws, "_make_api_call", locked)


class Provisioned:
    """A client and a user created through the admin module, with their plaintext secrets."""

    def __init__(self, client_scopes="read update", user_scopes="read update", grant_types=None, **client_kw):
        from tokenservice import admin

        self.password = "correct horse battery staple"
        self.username = "alice"
        new = admin.create_client("Test app", client_scopes, grant_types, **client_kw)
        self.client_id = new.client.client_id
        self.client_secret = new.client_secret
        admin.create_user(self.username, self.password, user_scopes)

    @property
    def basic(self) -> str:
        return "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()


@pytest.fixture
def provisioned(aws) -> Provisioned:
    return Provisioned()


def post_form(lambda_context, resource: str, form: dict, authorization: str | None = None, **kw):
    """POST a form to one of the authorization server's endpoints: (status, headers, JSON or None)."""
    from urllib.parse import urlencode

    response = handler("token")(
        token_event(urlencode(form), authorization, resource=resource, **kw), lambda_context
    )
    body = json.loads(response["body"]) if response["body"] else None
    return response["statusCode"], response["headers"], body


def login(
    ctx, p: "Provisioned", password: str | None = None, username: str | None = None, scope: str | None = None
):
    """A password grant for a provisioned client and user: (status, headers, JSON)."""
    form = {"grant_type": "password", "username": username or p.username, "password": password or p.password}
    if scope:
        form["scope"] = scope
    return post_form(ctx, "/token", form, p.basic)


def bearer_works(ctx, token: str, method_arn: str | None = None) -> bool:
    """Whether the authorizer accepts the token (it raises exactly "Unauthorized" otherwise)."""
    event = load_event("authorizer_token")
    event["authorizationToken"] = f"Bearer {token}"
    if method_arn:
        event["methodArn"] = method_arn
    try:
        handler("authorizer")(event, ctx)
    except Exception as error:
        assert str(error) == "Unauthorized"
        return False
    return True


@pytest.fixture
def cloudformation():
    """A stand-in for a custom resource's ResponseURL: (its URL, the bodies PUT to it)."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    answers: list[dict] = []

    class Answer(BaseHTTPRequestHandler):
        def do_PUT(self):
            answers.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/answer", answers
    server.shutdown()


@pytest.fixture
def observed(aws, monkeypatch):
    """What an outside observer's timing depends on: DynamoDB round trips and argon2
    verifications, in order."""
    from argon2 import PasswordHasher

    calls: list[str] = []
    aws.meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))
    verify = PasswordHasher.verify

    def counting_verify(self, hash_, password):
        calls.append("argon2")
        return verify(self, hash_, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    return calls
