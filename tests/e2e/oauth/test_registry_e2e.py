"""The API registry end to end over HTTP: `EXAMPLES=protected-api make run` serves a second API
behind the same authorizer; roles bind scopes; rule changes show within RULES_CACHE_SECONDS."""

import json
import secrets
import time

import pytest
import requests

from tests.e2e.conftest import start_make_run, tokenctl


@pytest.fixture(scope="module")
def api():
    yield from start_make_run({"EXAMPLES": "protected-api", "RULES_CACHE_SECONDS": "1"})


def run(api, *args, stdin=None) -> dict | list | None:
    result = tokenctl(api, *args, "--json", stdin=stdin)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else None


@pytest.fixture(scope="module")
def clerk(api):
    """A client for the inventory and a user whose only way to its scopes is the role "clerk"."""
    run(api, "scope", "create", "inventory:read", "--roles", "clerk manager")
    run(api, "scope", "create", "inventory:write", "--roles", "manager")
    client = run(
        api, "client", "create", "--name", "Inventory app", "--scopes", "inventory:read inventory:write"
    )
    username, password = f"clerk-{secrets.token_hex(3)}", f"clerk passphrase {secrets.token_hex(3)}"
    run(api, "user", "create", username, "--roles", "clerk", "--password-stdin", stdin=password)
    return client, username, password


def token(api, clerk, scope: str) -> dict:
    client, username, password = clerk
    answer = requests.post(
        f"{api.url}/token",
        data={"grant_type": "password", "username": username, "password": password, "scope": scope},
        auth=(client["client_id"], client["client_secret"]),
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def call(api, access_token: str, method: str, path: str) -> requests.Response:
    headers = {"Authorization": f"Bearer {access_token}"}
    return requests.request(method, f"{api.url}{path}", headers=headers, json={"name": "anvil"}, timeout=30)


def test_a_role_bound_scope_is_issued_and_enforced_on_a_second_api(api, clerk):
    issued = token(api, clerk, "inventory:read inventory:write")
    assert issued["scope"] == "inventory:read"  # write is bound to managers only
    assert call(api, issued["access_token"], "GET", "/protected-api/items").status_code == 200
    assert call(api, issued["access_token"], "GET", "/protected-api/items/A-1").status_code == 200
    denied = call(api, issued["access_token"], "POST", "/protected-api/items")
    assert denied.status_code == 403 and denied.json()["error"] == "insufficient_scope"
    assert call(api, issued["access_token"], "GET", "/orders").status_code == 403  # not the clerk's API


def test_a_new_rule_and_a_deleted_api_show_within_the_rules_cache_time(api, clerk):
    issued = token(api, clerk, "inventory:read")
    assert call(api, issued["access_token"], "GET", "/protected-api/items").status_code == 200
    run(api, "api", "rule", "protected-api", "GET", "/items", "inventory:write")
    time.sleep(1.5)
    assert call(api, issued["access_token"], "GET", "/protected-api/items").status_code == 403
    run(api, "api", "delete", "protected-api")
    time.sleep(1.5)
    assert (
        call(api, issued["access_token"], "GET", "/protected-api/items/A-1").status_code == 403
    )  # fail closed
    rules = run(api, "api", "import", "examples/protected-api/openapi.yaml", "--api", "protected-api")
    assert len(rules["rules"]) == 3
    time.sleep(1.5)
    assert call(api, issued["access_token"], "GET", "/protected-api/items").status_code == 200


def test_roles_reach_the_token_services_own_api_too(api):
    run(api, "scope", "create", "read", "--roles", "reader", "--description", "Read orders")
    username, password = f"reader-{secrets.token_hex(3)}", f"reader passphrase {secrets.token_hex(3)}"
    run(api, "user", "create", username, "--roles", "reader", "--password-stdin", stdin=password)
    demo = api.demo
    answer = requests.post(
        f"{api.url}/token",
        data={"grant_type": "password", "username": username, "password": password, "scope": "read update"},
        auth=(demo["client_id"], demo["client_secret"]),
        timeout=30,
    ).json()
    assert answer["scope"] == "read"
    assert call(api, answer["access_token"], "GET", "/orders").status_code == 200
    assert call(api, answer["access_token"], "POST", "/orders").status_code == 403
