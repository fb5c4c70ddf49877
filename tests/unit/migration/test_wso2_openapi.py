"""WSO2's OpenAPI extensions as registry rules and scope-role bindings (carbon-apimgt's formats)."""

import pytest

from tokenservice.registry import openapi

WSO2_4X = {
    "openapi": "3.0.1",
    "info": {"title": "Orders", "version": "1"},
    "security": [{"default": []}],
    "paths": {
        "/orders": {
            "get": {"security": [{"default": ["orders:read"]}]},
            "post": {"security": [{"default": ["orders:write"]}], "x-auth-type": "Application User"},
        },
        "/whoami": {"get": {"security": [{"default": []}]}},
        "/health": {"get": {"security": [{"default": []}], "x-auth-type": "None"}},
        "/catalog": {"get": {}},
    },
    "components": {
        "securitySchemes": {
            "default": {
                "type": "oauth2",
                "flows": {
                    "implicit": {
                        "authorizationUrl": "https://test.com",
                        "scopes": {"orders:read": "Read", "orders:write": "Write"},
                        "x-scopes-bindings": {
                            "orders:read": "Internal/subscriber,manager",
                            "orders:write": "manager",
                        },
                    }
                },
            }
        }
    },
}

WSO2_2X = {
    "swagger": "2.0",
    "info": {"title": "Legacy", "version": "1"},
    "paths": {
        "/items": {
            "get": {"x-auth-type": "Application & Application User", "x-scope": "items_read"},
            "delete": {"x-auth-type": "Application & Application User"},
            "options": {"x-auth-type": "None"},
        }
    },
    "x-wso2-security": {
        "apim": {
            "x-wso2-scopes": [
                {
                    "name": "items_read",
                    "description": "Read items",
                    "key": "items_read",
                    "roles": "admin, clerk",
                }
            ]
        }
    },
}


def rules_of(document):
    return {(rule.method, rule.path): rule.scope for rule in openapi.access_rules(document)}


def test_operations_default_scopes_become_rules_and_default_empty_is_any_valid_token():
    assert rules_of(WSO2_4X) == {
        ("GET", "/orders"): "orders:read",
        ("POST", "/orders"): "orders:write",
        ("GET", "/whoami"): "-",
        ("GET", "/catalog"): "-",  # the document's security: [{default: []}]
    }


def test_public_operations_get_no_rule_and_are_noted():
    notes = []
    assert ("GET", "/health") not in {(r.method, r.path) for r in openapi.access_rules(WSO2_4X, notes)}
    assert any("/health" in note and "public" in note for note in notes)
    assert any("POST /orders" in note and "Application User" in note for note in notes)


def test_x_scopes_bindings_bind_comma_separated_roles():
    assert openapi.scope_roles(WSO2_4X) == {
        "orders:read": ["Internal/subscriber", "manager"],
        "orders:write": ["manager"],
    }


def test_legacy_x_wso2_security_scopes_and_x_scope_operations():
    assert rules_of(WSO2_2X) == {("GET", "/items"): "items_read", ("DELETE", "/items"): "-"}
    assert openapi.scope_roles(WSO2_2X) == {"items_read": ["admin", "clerk"]}
    assert openapi.scope_descriptions(WSO2_2X) == {"items_read": "Read items"}


def test_a_document_that_is_neither_openapi_3_nor_swagger_2_is_refused():
    with pytest.raises(openapi.InvalidDocument):
        openapi.access_rules({"swagger": "1.2", "paths": {}})
