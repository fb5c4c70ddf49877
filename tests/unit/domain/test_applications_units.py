"""Pure rules behind the Applications API: JSON bodies, application names, the registry's
x-scope-roles."""

import pytest

from tokenservice.core.errors import InvalidRequest
from tokenservice.portal import applications
from tokenservice.registry import openapi
from tokenservice.web import http


def request(body: bytes = b"", content_type: str = "application/json", **headers) -> http.Request:
    event = {"httpMethod": "POST", "path": "/x", "headers": {"Content-Type": content_type, **headers}}
    event["body"] = body.decode()
    return http.Request.from_event(event)


def test_json_bodies_are_objects_with_unique_members():
    assert request(b'{"a": "1"}').json() == {"a": "1"}
    for body in (b"[]", b'"x"', b'{"a": 1, "a": 2}', b"{", b'{"a": Infinity}', b"[" * 3000 + b"]" * 3000):
        with pytest.raises(InvalidRequest):
            request(body).json()
    with pytest.raises(InvalidRequest):
        request(b'{"a": "1"}', "application/x-www-form-urlencoded").json()
    with pytest.raises(InvalidRequest):
        request(b'{"a": "' + b"x" * 9000 + b'"}').json()


def test_json_fields_are_bounded_strings_known_and_present():
    assert http.json_fields({"a": "1", "b": ""}, required=("a",), optional=("b",)) == {"a": "1"}
    for document in ({"a": 1}, {"a": "x" * 1025}, {"a": "x\x00"}, {"a": "1", "c": "2"}, {"a": ""}, {}):
        with pytest.raises(InvalidRequest):
            http.json_fields(document, required=("a",), optional=("b",))


@pytest.mark.parametrize("name", ["Shop", "My shop 2", "Café ☕", "x" * 70])
def test_good_application_names(name):
    assert applications.valid_name(name) == name


@pytest.mark.parametrize(
    "name", ["", " Shop", "Shop ", "Sh  op", "x" * 71, "Sh\u200bop", "Sh\nop", "Sh\u202eop"]
)
def test_bad_application_names(name):
    with pytest.raises(InvalidRequest):
        applications.valid_name(name)


def test_names_compare_in_one_canonical_form():
    assert (
        applications.canonical_name("SHOP")
        == applications.canonical_name("\uff53\uff48\uff4f\uff50")
        == "shop"
    )


def test_x_scope_roles_binds_roles_and_must_be_well_formed():
    scheme = {"type": "oauth2", "flows": {}, "x-scope-roles": {"a:b": ["r1", "r2"]}}
    document = {"openapi": "3.0.3", "components": {"securitySchemes": {"o": scheme}}}
    assert openapi.scope_roles(document) == {"a:b": ["r1", "r2"]}
    for bad in (["r1"], {"a:b": "r1"}, {"a:b": [1]}):
        scheme["x-scope-roles"] = bad
        with pytest.raises(openapi.InvalidDocument):
            openapi.scope_roles(document)
