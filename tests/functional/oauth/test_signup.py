"""POST /signup: off by default, client-authenticated, NIST password policy, 409 on a taken name."""

import threading

import pytest

from tests.conftest import Provisioned, post_form
from tokenservice.store import storage
from tokenservice.store.models import UserModel
from tokenservice.users import passwords


@pytest.fixture
def enabled(monkeypatch):
    monkeypatch.setenv("SELF_SIGNUP_ENABLED", "true")


def signup(ctx, p: Provisioned, username="carol", password="a fine long passphrase", **kw):
    return post_form(ctx, "/signup", {"username": username, "password": password}, p.basic, **kw)


def test_signup_is_not_available_unless_enabled(provisioned, lambda_context):
    status, _, body = signup(lambda_context, provisioned)
    assert (status, body["error"]) == (404, "not_found")
    assert storage.get(UserModel, "carol") is None


def test_signup_creates_a_user_with_the_default_scopes_who_can_log_in(provisioned, lambda_context, enabled):
    status, _, body = signup(lambda_context, provisioned)
    assert (status, body) == (201, {"username": "carol", "scope": "read"})
    assert passwords.verify(storage.get(UserModel, "carol").password_hash, "a fine long passphrase")
    form = {
        "grant_type": "password",
        "username": "carol",
        "password": "a fine long passphrase",
        "scope": "read update",
    }
    status, _, tokens = post_form(lambda_context, "/token", form, provisioned.basic)
    assert (status, tokens["scope"]) == (200, "read")


def test_signup_scopes_are_configurable(provisioned, lambda_context, enabled, monkeypatch):
    monkeypatch.setenv("SIGNUP_SCOPES", "read update")
    assert signup(lambda_context, provisioned)[2]["scope"] == "read update"


def test_signup_requires_client_authentication(provisioned, lambda_context, enabled):
    status, _, body = post_form(
        lambda_context, "/signup", {"username": "carol", "password": "a fine long passphrase"}
    )
    assert (status, body["error"]) == (401, "invalid_client")


def test_signup_needs_a_client_allowed_the_password_grant(aws, lambda_context, enabled):
    p = Provisioned(grant_types="client_credentials")
    assert signup(lambda_context, p)[2]["error"] == "unauthorized_client"


@pytest.mark.parametrize(
    "username,password",
    [
        ("carol", "short"),
        ("carol", "carol"),
        ("Carol", "CAROL"),
        ("carol", "x" * 1025),
        ("", "long enough one"),
    ],
)
def test_weak_passwords_and_bad_usernames_are_400_with_a_clear_description(
    provisioned, lambda_context, enabled, username, password
):
    status, _, body = signup(lambda_context, provisioned, username=username, password=password)
    assert (status, body["error"]) == (400, "invalid_request")
    assert body["error_description"]


def test_unicode_and_long_passwords_are_allowed(provisioned, lambda_context, enabled):
    assert signup(lambda_context, provisioned, password="pässwörd ✓ 密码 " * 4)[0] == 201


def test_taken_username_is_409(provisioned, lambda_context, enabled):
    status, _, body = signup(lambda_context, provisioned, username="alice")
    assert (status, body["error"]) == (409, "user_exists")
    assert passwords.verify(storage.get(UserModel, "alice").password_hash, provisioned.password)


def test_a_race_on_one_name_creates_exactly_one_account(
    provisioned, lambda_context, enabled, atomic_requests
):
    barrier, statuses = threading.Barrier(4), []

    def attempt(n):
        barrier.wait()
        statuses.append(
            signup(lambda_context, provisioned, username="dave", password=f"password number {n}")[0]
        )

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 409, 409, 409]


def test_signup_names_are_canonical_so_case_and_width_variants_are_taken(
    provisioned, lambda_context, enabled
):
    status, _, body = signup(lambda_context, provisioned, "Carol", "a fine long passphrase")
    assert (status, body["username"]) == (201, "carol")
    for variant in ("CAROL", "\uff43\uff41\uff52\uff4f\uff4c"):
        assert signup(lambda_context, provisioned, variant, "another long passphrase")[0] == 409
    form = {"grant_type": "password", "username": "CaRoL", "password": "a fine long passphrase"}
    assert post_form(lambda_context, "/token", form, provisioned.basic)[0] == 200


def test_signup_refuses_invisible_characters_and_common_passwords(provisioned, lambda_context, enabled):
    for username, password in (("car\u200bol", "a fine long passphrase"), ("carol", "iloveyou")):
        status, _, body = signup(lambda_context, provisioned, username, password)
        assert (status, body["error"]) == (400, "invalid_request")


def test_a_user_may_not_take_a_client_id_as_name(provisioned, lambda_context, enabled):
    from tokenservice import admin

    admin.create_client("Named", "read", client_id="shop-app")
    status, _, body = signup(lambda_context, provisioned, "shop-app", "a fine long passphrase")
    assert (status, body["error"]) == (409, "user_exists")
