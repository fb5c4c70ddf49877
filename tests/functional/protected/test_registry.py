"""The API registry end to end in-process: tokenctl api/scope/user roles, role-bound scopes in the
password grant, and the authorizer serving any registered API (moto)."""

import io
import json
import time

import pytest

from localrun.gateway import policy_decision
from tests.conftest import Provisioned, handler, load_event, login
from tokenctl.cli import main
from tokenservice.core import scopes
from tokenservice.registry import rules

ARN = "arn:aws:execute-api:us-east-1:123456789012:{api}/v1"


def run(capsys, monkeypatch, *argv, stdin=""):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def authorize(ctx, token: str, api: str, method: str = "GET", path: str = "items") -> dict:
    event = load_event("authorizer_token")
    event["authorizationToken"] = f"Bearer {token}"
    event["methodArn"] = f"{ARN.format(api=api)}/{method}/{path}"
    return handler("authorizer")(event, ctx)


def decision(policy: dict, api: str, method: str, path: str) -> str | None:
    return policy_decision(policy["policyDocument"], f"{ARN.format(api=api)}/{method}/{path}")


DOCUMENT = """
openapi: 3.0.3
info: {title: Inventory, version: "1"}
components:
  securitySchemes:
    auth:
      type: oauth2
      flows:
        clientCredentials:
          tokenUrl: https://auth.example.com/token
          scopes: {inventory:read: Read the inventory, inventory:write: Change the inventory}
    key: {type: apiKey, in: header, name: X-Key}
security: [{auth: [inventory:read]}]
paths:
  /items:
    get: {responses: {"200": {description: ok}}}
    post:
      security: [{auth: [inventory:write]}]
      responses: {"201": {description: ok}}
  /items/{id}:
    get: {responses: {"200": {description: ok}}}
    x-amazon-apigateway-any-method:
      security: [{auth: [inventory:write]}]
      responses: {"200": {description: ok}}
  /health:
    get:
      security: [{key: []}]
      responses: {"200": {description: ok}}
  /me:
    get:
      security: [{auth: []}]
      responses: {"200": {description: ok}}
"""


@pytest.fixture
def inventory(aws, tmp_path, capsys, monkeypatch):
    path = tmp_path / "inventory.yaml"
    path.write_text(DOCUMENT)
    code, out, err = run(capsys, monkeypatch, "api", "import", str(path), "--api", "inv123", "--json")
    assert code == 0, err
    return json.loads(out)


def test_import_turns_each_operations_oauth2_scopes_into_a_rule(inventory):
    assert inventory["api_id"] == "inv123" and inventory["name"] == "Inventory"
    assert {(r["method"], r["path"], r["scope"]) for r in inventory["rules"]} == {
        ("GET", "/items", "inventory:read"),
        ("POST", "/items", "inventory:write"),
        ("GET", "/items/{id}", "inventory:read"),
        ("ANY", "/items/{id}", "inventory:write"),
        ("GET", "/me", "-"),
    }  # /health is not the authorizer's (an API key scheme)


def test_import_defines_the_documents_scopes_and_keeps_their_roles(inventory, capsys, monkeypatch, tmp_path):
    run(capsys, monkeypatch, "scope", "create", "inventory:read", "--roles", "clerk")
    path = tmp_path / "again.yaml"
    path.write_text(DOCUMENT)
    run(capsys, monkeypatch, "api", "import", str(path), "--api", "inv123")
    listed = {s["name"]: s for s in json.loads(run(capsys, monkeypatch, "scope", "list", "--json")[1])}
    assert listed["inventory:read"]["roles"] == ["clerk"]
    assert listed["inventory:write"]["description"] == "Change the inventory"


def test_reimport_replaces_the_apis_rules(inventory, capsys, monkeypatch, tmp_path):
    path = tmp_path / "smaller.yaml"
    path.write_text(
        "openapi: 3.0.3\ninfo: {title: Inventory}\n"
        "components: {securitySchemes: {b: {type: http, scheme: bearer}}}\n"
        "paths: {/stock: {get: {security: [{b: []}]}}}\n"
    )
    code, out, _ = run(capsys, monkeypatch, "api", "import", str(path), "--api", "inv123", "--json")
    assert code == 0 and [(r["method"], r["path"], r["scope"]) for r in json.loads(out)["rules"]] == [
        ("GET", "/stock", "-")
    ]


def test_rule_adds_or_replaces_one_resource_and_rules_lists_them(inventory, capsys, monkeypatch):
    run(capsys, monkeypatch, "api", "rule", "inv123", "delete", "/items/{id}", "inventory:admin")
    run(capsys, monkeypatch, "api", "rule", "inv123", "GET", "/items", "-")
    _, out, _ = run(capsys, monkeypatch, "api", "rules", "inv123", "--json")
    found = {(r["method"], r["path"]): r["scope"] for r in json.loads(out)["rules"]}
    assert found[("DELETE", "/items/{id}")] == "inventory:admin" and found[("GET", "/items")] == "-"


@pytest.mark.parametrize(
    "argv",
    [
        ("api", "rule", "inv123", "FETCH", "/items", "read"),
        ("api", "rule", "inv123", "GET", "items", "read"),
        ("api", "rule", "inv123", "GET", "/items", 'bad"scope'),
        ("api", "rule", "bad id!", "GET", "/items", "read"),
        ("api", "rules", "nope"),
        ("api", "delete", "nope"),
        ("api", "import", "/no/such/file.yaml", "--api", "x"),
        ("scope", "create", "default", "--roles", "r"),
        ("scope", "create", "two words", "--roles", "r"),
    ],
)
def test_bad_registry_input_is_a_one_line_error(aws, capsys, monkeypatch, argv):
    code, out, err = run(capsys, monkeypatch, *argv)
    assert (
        code != 0 and out == "" and len(err.strip().splitlines()) == 1 and err.startswith("tokenctl: error:")
    )


# -- roles -----------------------------------------------------------------------------------------


@pytest.fixture
def clerk(aws, capsys, monkeypatch) -> Provisioned:
    """A user with no direct scope but the role "clerk", which may obtain inventory:read."""
    p = Provisioned(client_scopes="inventory:read inventory:write read", user_scopes="read")
    run(capsys, monkeypatch, "scope", "create", "inventory:read", "--roles", "clerk manager")
    run(capsys, monkeypatch, "scope", "create", "inventory:write", "--roles", "manager")
    code, _, err = run(capsys, monkeypatch, "user", "set-roles", p.username, "clerk")
    assert code == 0, err
    return p


def test_a_scope_bound_to_one_of_the_users_roles_is_issued(clerk, lambda_context):
    status, _, body = login(lambda_context, clerk, scope="inventory:read inventory:write read")
    assert status == 200
    assert scopes.parse(body["scope"]) == {"inventory:read", "read"}  # write is the manager's


def test_the_issued_scope_is_also_within_the_clients(clerk, lambda_context, capsys, monkeypatch):
    run(capsys, monkeypatch, "scope", "create", "audit", "--roles", "clerk")
    assert login(lambda_context, clerk, scope="audit")[2]["scope"] == "default"  # not the client's


def test_changing_roles_voids_tokens_and_the_next_login_gets_the_new_scopes(
    clerk, lambda_context, capsys, monkeypatch
):
    _, _, before = login(lambda_context, clerk, scope="inventory:read")
    run(capsys, monkeypatch, "user", "set-roles", clerk.username, "")
    from tests.conftest import bearer_works

    assert not bearer_works(lambda_context, before["access_token"])
    assert login(lambda_context, clerk, scope="inventory:read")[2]["scope"] == "default"


def test_user_create_takes_roles(aws, capsys, monkeypatch):
    code, out, err = run(
        capsys,
        monkeypatch,
        *("user", "create", "dora", "--roles", "clerk manager", "--password-stdin", "--json"),
        stdin="a long passphrase\n",
    )
    assert code == 0, err
    assert json.loads(out)["roles"] == ["clerk", "manager"] and json.loads(out)["scope"] == ""


# -- the authorizer serves any registered API ----------------------------------------------------


def test_a_second_api_is_protected_by_its_own_rules(inventory, clerk, lambda_context):
    token = login(lambda_context, clerk, scope="inventory:read")[2]["access_token"]
    policy = authorize(lambda_context, token, "inv123", "GET", "items")
    assert decision(policy, "inv123", "GET", "items") == "Allow"
    assert decision(policy, "inv123", "POST", "items") == "Deny"
    assert decision(policy, "inv123", "GET", "items/42") == "Deny"  # ANY /items/{id} needs write as well
    assert decision(policy, "inv123", "GET", "me") == "Allow"


def test_an_api_with_no_rules_is_denied_everything(clerk, lambda_context):
    token = login(lambda_context, clerk, scope="read")[2]["access_token"]
    policy = authorize(lambda_context, token, "unknown9", "GET", "anything")
    assert decision(policy, "unknown9", "GET", "anything") == "Deny"
    assert decision(policy, "unknown9", "POST", "else/where") == "Deny"


def test_a_rule_change_shows_within_the_rules_cache_time(
    inventory, clerk, lambda_context, capsys, monkeypatch
):
    monkeypatch.setenv("RULES_CACHE_SECONDS", "1")
    token = login(lambda_context, clerk, scope="inventory:read")[2]["access_token"]
    assert decision(authorize(lambda_context, token, "inv123"), "inv123", "GET", "items") == "Allow"
    run(capsys, monkeypatch, "api", "rule", "inv123", "GET", "/items", "inventory:write")
    assert decision(authorize(lambda_context, token, "inv123"), "inv123", "GET", "items") == "Allow"  # cached
    time.sleep(1.1)
    assert decision(authorize(lambda_context, token, "inv123"), "inv123", "GET", "items") == "Deny"


# -- one cached policy is right for every resource -------------------------------------------------

CACHE_SAFETY_RULES = [
    rules.rule("GET", "/items", "inventory:read"),
    rules.rule("POST", "/items", "inventory:write"),
    rules.rule("GET", "/items/{id}", "inventory:read"),
    rules.rule("ANY", "/items/{id}/notes", "notes"),
    rules.rule("DELETE", "/items/{id}", "inventory:admin"),
    rules.rule("GET", "/files/{path+}", "-"),
    rules.rule("ANY", "/admin", "inventory:admin"),
]
CALLS = [
    (method, path)
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
    for path in ("items", "items/42", "items/42/notes", "items/42/notes/7", "files/a/b/c", "admin", "other")
]


@pytest.mark.parametrize(
    "scope", ["inventory:read", "inventory:write", "inventory:read notes", "inventory:admin notes", "default"]
)
def test_one_cached_policy_answers_every_resource_of_the_api_as_its_rules_do(clerk, lambda_context, scope):
    from tokenservice.oauth import tokens
    from tokenservice.registry import registry

    registry.put_api("cache9", CACHE_SAFETY_RULES)
    issued = tokens.issue(
        client_id=clerk.client_id,
        username=None,
        scope=scope,
        grant_type="client_credentials",
        access_ttl=600,
        refresh_ttl=None,
    )
    tokens.save(issued.records)
    permissions = scopes.permissions(scope)
    cached = authorize(
        lambda_context, issued.access_token, "cache9", "GET", "items"
    )  # the first call's policy
    for method, path in CALLS:
        expected = rules.MethodArn.parse(f"{ARN.format(api='cache9')}/{method}/{path}").allowed(
            CACHE_SAFETY_RULES, permissions
        )
        fresh = authorize(lambda_context, issued.access_token, "cache9", method, path)
        assert (decision(cached, "cache9", method, path) == "Allow") is expected, (method, path)
        assert fresh["policyDocument"] == cached["policyDocument"], (method, path)
