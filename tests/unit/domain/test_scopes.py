import pytest

from tokenservice.core import scopes
from tokenservice.core.errors import InvalidScope


def test_parse_splits_on_spaces_and_ignores_empty_tokens():
    assert scopes.parse("read  update") == {"read", "update"}
    assert scopes.parse(None) == frozenset() and scopes.parse("") == frozenset()


@pytest.mark.parametrize("value", ['read "x"', "read\\write", "read\tupdate", "läsa", "read\x00", "a" * 1025])
def test_parse_rejects_characters_outside_rfc6749_3_3(value):
    with pytest.raises(InvalidScope):
        scopes.parse(value)


def test_grant_is_the_intersection_of_all_parties():
    assert scopes.grant(
        frozenset({"read", "update", "admin"}), frozenset({"read", "update"}), frozenset({"read"})
    ) == {"read"}


def test_default_is_never_granted_as_a_real_scope():
    assert scopes.grant(frozenset({"default"}), frozenset({"default"})) == frozenset()


def test_empty_grant_formats_as_default():
    assert scopes.format_scope(frozenset()) == "default"
    assert scopes.format_scope(frozenset({"update", "read"})) == "read update"


def test_default_scope_carries_no_permissions():
    assert scopes.permissions("default") == frozenset()
    assert scopes.permissions("read update") == {"read", "update"}
