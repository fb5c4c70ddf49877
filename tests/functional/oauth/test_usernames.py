"""Look-alike and client-id usernames are refused at every entry point that creates a username
(tokenctl's admin façade, POST /signup, the portal's sign-up) (issue 19 finding 6)."""

from urllib.parse import urlencode

import pytest

from tests.conftest import handler, token_event
from tokenservice import admin
from tokenservice.core import problems

PASSWORD = "a long passphrase for them"
LOOK_ALIKE = "d\u0435mo"  # a Cyrillic e (U+0435)


@pytest.fixture
def signup(provisioned, lambda_context, monkeypatch):
    monkeypatch.setenv("SELF_SIGNUP_ENABLED", "true")

    def sign_up(username: str) -> tuple[int, dict]:
        import json

        body = urlencode({"username": username, "password": PASSWORD})
        response = handler("token")(token_event(body, provisioned.basic, resource="/signup"), lambda_context)
        return response["statusCode"], json.loads(response["body"])

    return sign_up


def test_tokenctl_refuses_a_name_that_mixes_scripts(aws):
    admin.create_user("demo", PASSWORD)
    with pytest.raises(problems.Invalid, match="script"):
        admin.create_user(LOOK_ALIKE, PASSWORD)


def test_sign_up_refuses_a_name_that_mixes_scripts(signup):
    status, body = signup(LOOK_ALIKE)
    assert (status, body["error"]) == (400, "invalid_request") and "script" in body["error_description"]
    assert signup("ελληνικά")[0] == 201  # one script, not Latin: welcome


def test_the_portals_sign_up_refuses_a_name_that_mixes_scripts(aws, monkeypatch):
    from tests.functional.gateway_client import HOST, Browser, gateway
    from tokenservice.portal import portal_client

    new = portal_client.provision("developer-portal", f"https://{HOST}")
    monkeypatch.setenv("PORTAL_CLIENT_ID", new.client.client_id)
    monkeypatch.setenv("PORTAL_CLIENT_SECRET", new.client_secret)
    monkeypatch.setenv("SELF_SIGNUP_ENABLED", "true")
    assert Browser(gateway()).sign_up(LOOK_ALIKE, PASSWORD).status == 400


def test_a_username_equal_to_a_client_id_in_another_case_is_refused(aws, signup):
    client = admin.create_client("Shop", "read", client_id="ShopKey2024").client
    status, body = signup(client.client_id.lower())
    assert (status, body["error"]) == (409, "user_exists")
    with pytest.raises(problems.Exists):
        admin.create_user("SHOPKEY2024", PASSWORD)


def test_a_generated_client_id_is_reserved_as_a_username(aws, signup):
    client = admin.create_client("Shop", "read").client
    assert signup(client.client_id.lower())[0] == 409


def test_a_client_id_equal_to_a_username_in_another_case_is_refused(aws):
    admin.create_user("carol", PASSWORD)
    with pytest.raises(problems.Exists):
        admin.create_client("Carol's", "read", client_id="Carol")
    assert [user.username for user in admin.list_users()] == ["carol"]


def test_reserved_names_are_not_listed_as_users(aws):
    admin.create_client("Shop", "read", client_id="ShopKey2024")
    assert admin.list_users() == []
