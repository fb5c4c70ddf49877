"""A user's applications follow their owner: disabled owner, suspended keys; fewer roles, fewer
scopes; an operator's deletion of one of their clients; and the races between those changes and
grants in flight (the other party injected between a grant's read and its write)."""

import base64

import pytest

from tests.conftest import Provisioned, bearer_works, login, post_form
from tests.functional.oauth.test_races import before_the_write
from tokenservice import admin
from tokenservice.portal import applications
from tokenservice.registry import registry
from tokenservice.store import storage
from tokenservice.store.models import ClientModel, UserModel

CLIENT_CREDENTIALS = {"grant_type": "client_credentials"}


def keys(owner: str, scope: str, name: str = "Shop") -> tuple[applications.Application, str]:
    """A new application of the owner's with generated production keys, and their Basic header."""
    app = applications.create(owner, name, scope)
    new = applications.generate_keys(owner, app.id, applications.PRODUCTION)
    return app, "Basic " + base64.b64encode(f"{new.client_id}:{new.client_secret}".encode()).decode()


@pytest.fixture
def owner(aws) -> str:
    registry.define_scope("reports", roles=["analyst"])
    admin.create_user("olga", "a long passphrase for olga", "read", roles="subscriber analyst")
    return "olga"


def test_a_disabled_owners_applications_get_no_token_and_their_tokens_stop(lambda_context, owner):
    _, basic = keys(owner, "read")
    status, _, issued = post_form(lambda_context, "/token", CLIENT_CREDENTIALS, basic)
    assert status == 200 and bearer_works(lambda_context, issued["access_token"])
    other = Provisioned()  # another user, signing in through the owner's application
    form = {"grant_type": "password", "username": other.username, "password": other.password}

    admin.disable_user(owner)
    assert not bearer_works(lambda_context, issued["access_token"])
    status, headers, body = post_form(lambda_context, "/token", CLIENT_CREDENTIALS, basic)
    assert (status, body["error"]) == (401, "invalid_client") and "WWW-Authenticate" in headers
    assert post_form(lambda_context, "/token", form, basic)[2]["error"] == "invalid_client"

    admin.enable_user(owner)  # the keys work again; the tokens revoked meanwhile stay revoked
    status, _, again = post_form(lambda_context, "/token", CLIENT_CREDENTIALS, basic)
    assert status == 200 and bearer_works(lambda_context, again["access_token"])
    assert not bearer_works(lambda_context, issued["access_token"])


def test_an_owner_who_loses_a_role_takes_its_scopes_from_their_applications(lambda_context, owner):
    app, basic = keys(owner, "read reports")
    _, _, reports = post_form(lambda_context, "/token", {**CLIENT_CREDENTIALS, "scope": "reports"}, basic)
    assert reports["scope"] == "reports"

    admin.set_roles(owner, "subscriber")
    assert storage.get(ClientModel, app.clients[applications.PRODUCTION].client_id).scope == "read"
    assert not bearer_works(lambda_context, reports["access_token"])
    _, _, narrowed = post_form(lambda_context, "/token", {**CLIENT_CREDENTIALS, "scope": "reports"}, basic)
    assert narrowed["scope"] == "default"
    read = {**CLIENT_CREDENTIALS, "scope": "read reports"}
    assert post_form(lambda_context, "/token", read, basic)[2]["scope"] == "read"


def test_a_role_change_that_keeps_the_scopes_leaves_the_applications_alone(lambda_context, owner):
    _, basic = keys(owner, "read")
    _, _, issued = post_form(lambda_context, "/token", CLIENT_CREDENTIALS, basic)
    admin.set_roles(owner, "subscriber")  # "read" is the owner's own scope: nothing to take
    assert bearer_works(lambda_context, issued["access_token"])


def _suspend(owner: str):
    def disable():
        storage.update(UserModel, owner, [UserModel.disabled.set(True)])
        applications.follow_owner(storage.get(UserModel, owner))

    return disable


@pytest.mark.parametrize("grant", ["client_credentials", "password"])
def test_a_grant_racing_the_owners_disable_mints_no_token(lambda_context, aws, owner, grant):
    _, basic = keys(owner, "read")
    other = Provisioned()
    form = {"grant_type": grant}
    if grant == "password":
        form |= {"username": other.username, "password": other.password}
    before_the_write(aws, _suspend(owner))  # the client was read before the suspension
    status, _, body = post_form(lambda_context, "/token", form, basic)
    assert status in (400, 401) and "access_token" not in body


def test_a_refresh_racing_the_owners_disable_mints_no_token(lambda_context, aws, owner):
    _, basic = keys(owner, "read")
    other = Provisioned()
    form = {"grant_type": "password", "username": other.username, "password": other.password}
    _, _, first = post_form(lambda_context, "/token", form, basic)
    before_the_write(aws, _suspend(owner))
    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    status, _, body = post_form(lambda_context, "/token", refresh, basic)
    assert (status, body["error"]) == (400, "invalid_grant")


def test_a_grant_racing_new_keys_mints_no_token(lambda_context, aws, owner):
    app, basic = keys(owner, "read")
    regenerate = lambda: applications.generate_keys(owner, app.id, applications.PRODUCTION)  # noqa: E731
    before_the_write(aws, regenerate)
    status, _, body = post_form(lambda_context, "/token", CLIENT_CREDENTIALS, basic)
    assert (status, body["error"]) == (401, "invalid_client")


def test_a_grant_racing_the_applications_deletion_mints_no_token(lambda_context, aws, owner):
    app, basic = keys(owner, "read")
    before_the_write(aws, lambda: applications.delete(owner, app.id))
    status, _, body = post_form(lambda_context, "/token", CLIENT_CREDENTIALS, basic)
    assert (status, body["error"]) == (401, "invalid_client")


def test_an_operators_clients_are_not_held_by_a_condition(lambda_context, aws, provisioned):
    """Only applications' clients carry the extra ConditionCheck (it costs write units)."""
    sent = []
    aws.meta.events.register(
        "before-parameter-build.dynamodb.TransactWriteItems",
        lambda params, **_: sent.append([next(iter(item)) for item in params["TransactItems"]]),
    )
    assert login(lambda_context, provisioned)[0] == 200
    assert post_form(lambda_context, "/token", CLIENT_CREDENTIALS, provisioned.basic)[0] == 200
    assert sent == [["Put", "Put", "Update", "Put"], ["Put"]]


def test_an_application_outlives_the_operators_deletion_of_one_of_its_clients(owner):
    app = applications.create(owner, "Shop", "read")
    admin.delete_client(app.clients[applications.PRODUCTION].client_id)
    (left,) = applications.owned(owner)
    assert (left.id, left.name, set(left.clients)) == (app.id, "Shop", {applications.SANDBOX})
    applications.delete(owner, app.id)
    assert applications.owned(owner) == []
    applications.create(owner, "Shop", "read")  # the name is free again


def test_deleting_both_clients_of_an_application_frees_its_name(owner):
    app = applications.create(owner, "Shop", "read")
    for client in app.clients.values():
        admin.delete_client(client.client_id)
    assert applications.owned(owner) == []
    user = storage.get(UserModel, owner)
    assert not user.application_names and not user.application_clients
    applications.create(owner, "shop", "read")


def test_operators_see_whose_application_a_client_is(owner):
    app = applications.create(owner, "Shop", "read")
    documents = {d["client_id"]: d for d in map(admin.client_document, admin.list_clients())}
    production = documents[app.clients[applications.PRODUCTION].client_id]
    assert (production["owner"], production["application_id"], production["environment"]) == (
        owner,
        app.id,
        applications.PRODUCTION,
    )
    admin.disable_user(owner)
    assert admin.client_document(storage.get(ClientModel, production["client_id"]))["suspended"] is True
