"""The store review's findings over HTTP against `make run` with JWT access tokens (DynamoDB
Local): a disabled owner's application's JWT is refused where subscriptions are read, and an API
deleted and imported again keeps applying its subscriptions' tiers."""

import time

import pytest

from tests.e2e.conftest import needs_dynamodb_local, start_make_run, tokenctl
from tests.e2e.store.test_store_e2e import OPENAPI, App, Developer


@pytest.fixture(scope="module")
def api():
    yield from start_make_run(
        {"SELF_SIGNUP_ENABLED": "true", "RULES_CACHE_SECONDS": "0", "ACCESS_TOKEN_FORMAT": "jwt"}
    )


@needs_dynamodb_local
def test_a_disabled_owners_application_jwt_is_refused_on_an_api_requiring_subscriptions(api):
    imported = tokenctl(api, "api", "import", OPENAPI, "--api", "local", "--subscriptions", "required")
    assert imported.returncode == 0, imported.stderr
    app = App(Developer(api))
    assert app.bearer["Authorization"].count(".") == 2  # a JWT: no record check by default
    assert app.subscribe("Gold").status_code == 201
    assert app.whoami().status_code == 200
    assert tokenctl(api, "user", "disable", app.developer.username).returncode == 0
    refused = app.whoami()
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_token"
    assert tokenctl(api, "user", "enable", app.developer.username).returncode == 0
    assert app.whoami().status_code == 200


@needs_dynamodb_local
def test_an_api_deleted_and_imported_again_keeps_throttling_its_subscriptions(api):
    assert tokenctl(api, "api", "import", OPENAPI, "--api", "local").returncode == 0  # not required
    assert tokenctl(api, "tier", "create", "OneBurst", "--rate", "1", "--burst", "1").returncode == 0
    app = App(Developer(api), "Throttled")
    assert app.subscribe("OneBurst").status_code == 201
    time.sleep(1.1)
    assert tokenctl(api, "api", "delete", "local").returncode == 0
    assert tokenctl(api, "api", "import", OPENAPI, "--api", "local").returncode == 0
    assert [app.whoami().status_code for _ in range(2)] == [200, 429]
