"""Registry rules: what a rule governs (as IAM matches it), validation, storage form, method ARNs,
and the OpenAPI import."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from localrun.gateway import policy_decision
from tokenservice.registry import openapi, rules

PREFIX = "arn:aws:execute-api:us-east-1:123456789012:abc123/v1"


def test_a_rule_governs_its_resource_and_params_match_any_characters_as_iam_does():
    item = rules.rule("GET", "/orders/{id}", "read")
    assert item.matches("GET", "/orders/42")
    assert item.matches("GET", "/orders/42/lines")  # IAM's * spans /: a deeper resource is governed too
    assert not item.matches("GET", "/orders")
    assert not item.matches("POST", "/orders/42")
    assert rules.rule("ANY", "/orders", "-").matches("DELETE", "/orders")


def test_a_call_must_satisfy_every_rule_that_governs_it():
    api_rules = [rules.rule("GET", "/orders/{id}", "read"), rules.rule("GET", "/orders/{id}/secret", "admin")]
    call = rules.MethodArn.parse(f"{PREFIX}/GET/orders/1/secret")
    assert not call.allowed(api_rules, frozenset({"read"}))
    assert call.allowed(api_rules, frozenset({"read", "admin"}))
    assert not rules.MethodArn.parse(f"{PREFIX}/GET/nowhere").allowed(api_rules, frozenset({"read", "admin"}))


@pytest.mark.parametrize(
    "method,path",
    [("FETCH", "/x"), ("GET", "x"), ("GET", "/a//b"), ("GET", "/a/*"), ("GET", "/a/{"), ("GET", "/{}")],
)
def test_bad_rules_are_refused(method, path):
    with pytest.raises(rules.InvalidRule):
        rules.rule(method, path, "read")


def test_rules_are_stored_compactly_and_read_back_the_same():
    api_rules = [rules.rule("get", "/a/{id}", "x y"), rules.rule("ANY", "/b", "-")]
    assert sorted(rules.decode(rules.encode(api_rules))) == sorted(api_rules)
    assert rules.rule("GET", "/b", "-").scope == "-" and rules.rule("GET", "/b", "y x").scope == "x y"


def test_a_method_arn_names_the_api_stage_method_and_path():
    call = rules.MethodArn.parse(f"{PREFIX}/POST/items/7")
    assert (call.api_id, call.stage, call.method, call.path, call.prefix) == (
        "abc123",
        "v1",
        "POST",
        "/items/7",
        PREFIX,
    )
    assert rules.MethodArn.parse("not-an-arn") is None


def test_an_api_with_no_rules_gets_a_policy_that_denies_everything():
    statements = rules.policy_statements([], PREFIX, frozenset({"read"}))
    assert policy_decision({"Statement": statements}, f"{PREFIX}/GET/anything") == "Deny"


SEGMENT = st.sampled_from(["a", "b", "{id}", "c"])
RULE = st.builds(
    lambda method, parts, scope: rules.rule(method, "/" + "/".join(parts), scope),
    st.sampled_from(["GET", "POST", "ANY"]),
    st.lists(SEGMENT, min_size=1, max_size=3),
    st.sampled_from(["-", "x", "y", "x y"]),
)
CALL = st.tuples(
    st.sampled_from(["GET", "POST", "PUT"]),
    st.lists(st.sampled_from(["a", "b", "c", "7"]), min_size=1, max_size=4),
)


@given(st.lists(RULE, max_size=6), st.sets(st.sampled_from(["x", "y"])), CALL)
def test_the_policy_answers_every_call_exactly_as_the_rules_do(api_rules, permissions, call):
    method, parts = call
    arn = f"{PREFIX}/{method}/{'/'.join(parts)}"
    statements = rules.policy_statements(api_rules, PREFIX, frozenset(permissions))
    expected = rules.MethodArn.parse(arn).allowed(api_rules, frozenset(permissions))
    assert (policy_decision({"Statement": statements}, arn) == "Allow") is expected


@pytest.mark.parametrize("document", [{"paths": {}}, {"swagger": "1.2", "paths": {}}, ["openapi", "3.0.0"]])
def test_openapi_import_needs_an_openapi_3_or_swagger_2_document(document):
    # Swagger 2.0 is read too: WSO2 API Manager 2.x's definitions are (docs/migrating-from-wso2.md)
    with pytest.raises(openapi.InvalidDocument):
        openapi.access_rules(document)


def test_operations_without_a_bearer_requirement_are_not_the_authorizers():
    document = {
        "openapi": "3.0.0",
        "components": {"securitySchemes": {"basic": {"type": "http", "scheme": "basic"}}},
        "paths": {"/token": {"post": {"security": [{"basic": []}, {}]}}, "/open": {"get": {}}},
    }
    assert openapi.access_rules(document) == []


def test_the_bundled_document_protects_exactly_the_sample_routes():
    found = {(r.method, r.path, r.scope) for r in openapi.access_rules(openapi.load(openapi.SAMPLE))}
    assert {("GET", "/orders", "read"), ("POST", "/orders", "update"), ("GET", "/whoami", "-")} <= found
