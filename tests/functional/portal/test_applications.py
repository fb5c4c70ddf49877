"""The Applications API (`/applications`) through the API Gateway emulator in-process: the bearer
authorizer with the registry's rule (scope apim:subscribe), the owner from the token, limits, names,
Production and Sandbox keys, deletion and its revocation (moto)."""

import threading

import pytest

from tests.conftest import post_form
from tests.functional.gateway_client import Browser, gateway
from tokenservice import admin
from tokenservice.store import storage
from tokenservice.store.models import ClientModel

PASSWORD = "correct horse battery staple"


class Developer:
    """A user with the subscriber role and an access token for the Applications API."""

    def __init__(self, ctx, console: admin.NewClient, username: str, roles: str | None = "subscriber"):
        admin.create_user(username, PASSWORD, "read", roles=roles)
        self.username = username
        self.basic = (console.client.client_id, console.client_secret)
        form = {
            "grant_type": "password",
            "username": username,
            "password": PASSWORD,
            "scope": "apim:subscribe",
        }
        status, _, body = post_form(ctx, "/token", form, _basic(*self.basic))
        assert status == 200, body
        self.token = body["access_token"]
        self.scope = body["scope"]
        self.browser = Browser(gateway())

    def call(self, method: str, path: str, body=None, **headers):
        headers.setdefault("Authorization", f"Bearer {self.token}")
        return self.browser.request(method, path, body, headers, origin=False)

    def create(self, name: str = "Shop", scope: str = "read") -> dict:
        response = self.call("POST", "/applications", {"name": name, "scope": scope})
        assert response.status == 201, response.json()
        return response.json()

    def keys(self, app_id: str, environment: str = "production"):
        return self.call("POST", f"/applications/{app_id}/keys", {"environment": environment})


def _basic(client_id: str, secret: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def token_with(ctx, client_id: str, secret: str, **form) -> tuple[int, dict]:
    status, _, body = post_form(
        ctx, "/token", {"grant_type": "client_credentials", **form}, _basic(client_id, secret)
    )
    return status, body


@pytest.fixture
def console(aws) -> admin.NewClient:
    """A first-party client that may ask for the Applications API's scope."""
    return admin.create_client("Console", "read update apim:subscribe")


@pytest.fixture
def alice(lambda_context, console) -> Developer:
    return Developer(lambda_context, console, "alice")


@pytest.fixture
def bob(lambda_context, console) -> Developer:
    return Developer(lambda_context, console, "bob")


def test_a_subscriber_creates_lists_and_deletes_their_applications(alice):
    assert alice.scope == "apim:subscribe"  # bound to the role subscriber by openapi.yaml's x-scope-roles
    app = alice.create("Shop", "read")
    assert app["name"] == "Shop" and app["scope"] == "read" and app["registered_users"] == 0
    assert app["keys"] == {"production": None, "sandbox": None}
    listing = alice.call("GET", "/applications")
    assert listing.status == 200 and listing.header("Cache-Control") == "no-store"
    assert listing.json() == {"applications": [app], "limit": 10}
    deleted = alice.call("DELETE", f"/applications/{app['id']}")
    assert (deleted.status, deleted.json()["deleted"]) == (200, True)
    assert alice.call("GET", "/applications").json()["applications"] == []


def test_the_scope_is_the_registrys_rule_enforced_by_the_authorizer(lambda_context, console):
    outsider = Developer(lambda_context, console, "olga", roles=None)
    assert outsider.scope == "default"  # no role bound to apim:subscribe
    response = outsider.call("GET", "/applications")
    assert (response.status, response.json()["error"]) == (403, "insufficient_scope")
    assert response.header("WWW-Authenticate") == 'Bearer error="insufficient_scope"'


def test_without_a_valid_token_it_is_401(alice):
    for authorization in (None, "Bearer not-a-token-at-all"):
        response = alice.browser.request(
            "GET", "/applications", headers={"Authorization": authorization} if authorization else {}
        )
        assert (response.status, response.json()["error"]) == (401, "invalid_token")


def test_a_clients_own_token_speaks_for_no_user_and_gets_403(lambda_context, console):
    status, body = token_with(
        lambda_context, console.client.client_id, console.client_secret, scope="apim:subscribe"
    )
    assert (status, body["scope"]) == (200, "apim:subscribe")
    browser = Browser(gateway())
    response = browser.request(
        "GET", "/applications", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert (response.status, response.json()["error"]) == (403, "insufficient_scope")


def test_a_user_never_sees_or_touches_another_users_applications(alice, bob):
    mine = alice.create("Shop")
    theirs = bob.create("Shop")  # one name, two owners
    assert [app["id"] for app in alice.call("GET", "/applications").json()["applications"]] == [mine["id"]]
    for method, path, body in (
        ("DELETE", f"/applications/{mine['id']}", None),
        ("POST", f"/applications/{mine['id']}/keys", {"environment": "production"}),
    ):
        response = bob.call(method, path, body)
        assert (response.status, response.json()["error"]) == (404, "not_found")
    assert [app["id"] for app in alice.call("GET", "/applications").json()["applications"]] == [mine["id"]]
    assert [app["id"] for app in bob.call("GET", "/applications").json()["applications"]] == [theirs["id"]]


def test_an_application_may_ask_only_for_scopes_its_owner_may_obtain(alice):
    response = alice.call("POST", "/applications", {"name": "Greedy", "scope": "read update"})
    assert (response.status, response.json()["error"]) == (400, "invalid_scope")
    assert "update" not in response.json()["error_description"]  # never repeats what was sent
    from tokenservice.registry import registry

    registry.define_scope("reports", roles=["subscriber"])  # bound to one of alice's roles
    role_bound = alice.call("POST", "/applications", {"name": "Manager", "scope": "reports read"})
    assert role_bound.status == 201 and role_bound.json()["scope"] == "read reports"
    plain = alice.call("POST", "/applications", {"name": "Plain"})
    assert plain.status == 201 and plain.json()["scope"] == ""


def test_a_user_may_have_at_most_the_configured_number_of_applications(alice, monkeypatch):
    monkeypatch.setenv("APPLICATIONS_PER_USER", "2")
    alice.create("One")
    alice.create("Two")
    response = alice.call("POST", "/applications", {"name": "Three"})
    assert (response.status, response.json()["error"]) == (409, "application_limit")
    assert alice.call("GET", "/applications").json()["limit"] == 2
    first = alice.call("GET", "/applications").json()["applications"][0]
    alice.call("DELETE", f"/applications/{first['id']}")
    assert alice.call("POST", "/applications", {"name": "Three"}).status == 201  # room again


def test_names_are_unique_per_owner_in_one_canonical_form(alice):
    alice.create("Shop")
    for variant in ("Shop", "SHOP", "\uff33\uff48\uff4f\uff50"):  # fullwidth "Shop"
        response = alice.call("POST", "/applications", {"name": variant})
        assert (response.status, response.json()["error"]) == (409, "application_exists")


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "x" * 71},
        {"name": " Shop"},
        {"name": "Sh  op"},
        {"name": "Sho\u200bp"},
        {"name": "Sho\x07p"},
        {"name": 7},
        {"name": "Shop", "owner": "bob"},
        {"name": "Shop", "scope": "bad\\scope"},
        {},
        [],
    ],
)
def test_bad_applications_are_400_with_a_reason(alice, body):
    response = alice.call("POST", "/applications", body)
    assert response.status == 400
    assert (
        response.json()["error"] in ("invalid_request", "invalid_scope")
        and response.json()["error_description"]
    )


@pytest.mark.parametrize(
    "payload,content_type",
    [
        ("{not json", "application/json"),
        ('{"name": "a", "name": "b"}', "application/json"),
        ('{"name": "Shop"}', "text/plain"),
        ("[" * 5000 + "]" * 5000, "application/json"),
        ('{"name": NaN}', "application/json"),
    ],
)
def test_malformed_bodies_are_400(alice, payload, content_type):
    from tests.functional.gateway_client import Response

    headers = [("Host", "x"), ("Authorization", f"Bearer {alice.token}"), ("Content-Type", content_type)]
    response = Response(
        alice.browser.gateway.handle("POST", "/applications", headers, payload.encode(), "203.0.113.9")
    )
    assert (response.status, response.json()["error"]) == (400, "invalid_request")


def test_keys_are_generated_per_environment_and_the_secret_is_shown_only_then(lambda_context, alice):
    app = alice.create("Shop", "read")
    production = alice.keys(app["id"], "production").json()
    sandbox = alice.keys(app["id"], "sandbox").json()
    assert production["client_id"] != sandbox["client_id"]
    assert production["environment"] == "production" and len(production["client_secret"]) >= 43
    listed = alice.call("GET", "/applications").json()["applications"][0]
    assert listed["keys"]["production"]["client_id"] == production["client_id"]
    assert production["client_secret"] not in str(listed) and sandbox["client_secret"] not in str(listed)
    for keys in (production, sandbox):
        status, body = token_with(lambda_context, keys["client_id"], keys["client_secret"], scope="read")
        assert (status, body["scope"]) == (200, "read")
    stored = storage.get(ClientModel, production["client_id"])
    assert production["client_secret"] not in str(stored.serialize())  # only its hash


def test_before_its_keys_are_generated_nobody_can_use_an_applications_client(lambda_context, alice):
    alice.create("Shop")
    (client_id,) = [
        c.client_id for c in storage.scan(ClientModel) if c.owner == "alice" and c.environment == "production"
    ]
    status, body = token_with(lambda_context, client_id, "guess-the-secret-xxxxxxxxxxxxxxxxxxxxxxxxxxxx")
    assert (status, body["error"]) == (401, "invalid_client")


def test_regenerating_keys_replaces_the_secret(lambda_context, alice):
    app = alice.create("Shop", "read")
    old = alice.keys(app["id"]).json()
    status, issued = token_with(lambda_context, old["client_id"], old["client_secret"], scope="read")
    assert status == 200
    new = alice.keys(app["id"]).json()
    assert new["client_id"] == old["client_id"] and new["client_secret"] != old["client_secret"]
    assert token_with(lambda_context, old["client_id"], old["client_secret"])[1]["error"] == "invalid_client"
    assert token_with(lambda_context, new["client_id"], new["client_secret"])[0] == 200
    orders = alice.browser.request(
        "GET", "/orders", headers={"Authorization": f"Bearer {issued['access_token']}"}
    )
    assert orders.status == 200  # tokens issued with the old secret stay valid, as after rotate-secret


def test_deleting_an_application_revokes_its_tokens_and_its_keys(lambda_context, alice):
    app = alice.create("Shop", "read")
    keys = alice.keys(app["id"]).json()
    _, issued = token_with(lambda_context, keys["client_id"], keys["client_secret"], scope="read")
    bearer = {"Authorization": f"Bearer {issued['access_token']}"}
    assert alice.browser.request("GET", "/orders", headers=bearer).status == 200
    deleted = alice.call("DELETE", f"/applications/{app['id']}").json()
    assert deleted["revoked_tokens"] == 1
    assert alice.browser.request("GET", "/orders", headers=bearer).status == 401
    assert (
        token_with(lambda_context, keys["client_id"], keys["client_secret"])[1]["error"] == "invalid_client"
    )
    assert storage.get(ClientModel, keys["client_id"]) is None
    again = alice.call("DELETE", f"/applications/{app['id']}")
    assert (again.status, again.json()["error"]) == (404, "not_found")


def test_registered_users_count_distinct_users_of_both_environments(lambda_context, alice, bob):
    app = alice.create("Shop", "read")
    production, sandbox = alice.keys(app["id"], "production").json(), alice.keys(app["id"], "sandbox").json()
    for keys, username in ((production, "alice"), (sandbox, "alice"), (production, "bob")):
        form = {"grant_type": "password", "username": username, "password": PASSWORD}
        assert (
            post_form(lambda_context, "/token", form, _basic(keys["client_id"], keys["client_secret"]))[0]
            == 200
        )
    token_with(
        lambda_context, production["client_id"], production["client_secret"]
    )  # a client's own: not a user
    assert alice.call("GET", "/applications").json()["applications"][0]["registered_users"] == 2


@pytest.mark.parametrize("app_id", ["0123456789abcdef", "not-an-id", "x" * 300])
def test_unknown_applications_are_404(alice, app_id):
    response = alice.call("POST", f"/applications/{app_id}/keys", {"environment": "production"})
    assert (response.status, response.json()["error"]) == (404, "not_found")


@pytest.mark.parametrize("body", [{"environment": "staging"}, {}, {"environment": "production", "x": "1"}])
def test_keys_need_a_known_environment(alice, body):
    app = alice.create()
    response = alice.call("POST", f"/applications/{app['id']}/keys", body)
    assert (response.status, response.json()["error"]) == (400, "invalid_request")


def test_concurrent_creations_cannot_pass_the_limit_nor_repeat_a_name(alice, monkeypatch, atomic_requests):
    monkeypatch.setenv("APPLICATIONS_PER_USER", "3")
    barrier, statuses = threading.Barrier(6), []

    def create(name):
        barrier.wait()
        statuses.append(alice.call("POST", "/applications", {"name": name}).status)

    names = ["A", "B", "C", "D", "a", "b"]
    threads = [threading.Thread(target=create, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    apps = alice.call("GET", "/applications").json()["applications"]
    assert statuses.count(201) == len(apps) == 3
    assert len({app["name"].casefold() for app in apps}) == 3
    assert len([c for c in storage.scan(ClientModel) if c.owner == "alice"]) == 6  # no orphan clients


def test_cors_is_answered_only_for_the_apis_own_origin(alice):
    own = alice.call("GET", "/applications", Origin=alice.browser.origin)
    assert (
        own.header("Access-Control-Allow-Origin") == alice.browser.origin and own.header("Vary") == "Origin"
    )
    foreign = alice.call("GET", "/applications", Origin="https://evil.example")
    assert foreign.status == 200 and foreign.header("Access-Control-Allow-Origin") is None
    preflight = alice.browser.request("OPTIONS", "/applications", headers={"Origin": "https://evil.example"})
    assert preflight.status == 404 and preflight.header("Access-Control-Allow-Origin") is None


def test_a_creation_whose_response_is_lost_answers_its_application(alice, aws):
    from tests.functional.oauth.test_races import lose_the_first_response

    state = lose_the_first_response(aws)
    response = alice.call("POST", "/applications", {"name": "Shop"})
    assert state["lost"] == 1
    assert response.status == 201  # not "application_exists": the retry found its own creation
    assert [app["name"] for app in alice.call("GET", "/applications").json()["applications"]] == ["Shop"]


def test_a_deletion_whose_response_is_lost_still_revokes(lambda_context, alice, aws):
    from tests.functional.oauth.test_races import lose_the_first_response

    app = alice.create("Shop", "read")
    keys = alice.keys(app["id"]).json()
    _, issued = token_with(lambda_context, keys["client_id"], keys["client_secret"], scope="read")
    state = lose_the_first_response(aws)
    response = alice.call("DELETE", f"/applications/{app['id']}")
    assert (state["lost"], response.status, response.json()["revoked_tokens"]) == (1, 200, 1)
    bearer = {"Authorization": f"Bearer {issued['access_token']}"}
    assert alice.browser.request("GET", "/orders", headers=bearer).status == 401


def test_the_import_binds_the_scope_to_subscriber_and_keeps_an_operators_binding(aws):
    from tests.conftest import register_sample_api
    from tokenservice.registry import registry

    assert {s.name: sorted(s.roles or ()) for s in registry.scopes()}["apim:subscribe"] == ["subscriber"]
    admin.define_scope("apim:subscribe", "staff")
    register_sample_api()  # as every make run and every deployment does
    assert {s.name: sorted(s.roles or ()) for s in registry.scopes()}["apim:subscribe"] == ["staff"]


def test_an_application_registers_redirect_uris_for_the_code_flow_on_both_clients(alice):
    uris = "https://shop.example.com/callback http://127.0.0.1:8400/cb"
    response = alice.call("POST", "/applications", {"name": "Shop", "scope": "read", "redirect_uris": uris})
    app = response.json()
    assert response.status == 201
    assert app["redirect_uris"] == ["http://127.0.0.1:8400/cb", "https://shop.example.com/callback"]
    clients = [client for client in storage.scan(ClientModel) if client.application_id == app["id"]]
    assert len(clients) == 2
    for client in clients:
        assert client.redirect_uris == set(uris.split()) and "authorization_code" in client.grant_types


@pytest.mark.parametrize(
    "uris",
    [
        "http://shop.example.com/callback",  # plain http elsewhere than the loopback
        "com.example.app:/callback",  # a private-use scheme: an operator's to register
        "https://shop.example.com/cb#fragment",
        "https://user@shop.example.com/cb",
        "not a uri",
    ],
)
def test_an_applications_redirect_uris_must_be_https_or_loopback(alice, uris):
    response = alice.call("POST", "/applications", {"name": "Shop", "redirect_uris": uris})
    assert (response.status, response.json()["error"]) == (400, "invalid_request")
    assert "redirect URI" in response.json()["error_description"]
    assert "shop.example.com" not in response.json()["error_description"]
    assert alice.call("GET", "/applications").json()["applications"] == []


def test_keys_for_an_environment_whose_client_an_operator_deleted_are_404_not_a_failure(alice):
    from tokenservice.portal import applications

    app = alice.create()
    admin.delete_client(applications.find(alice.username, app["id"]).clients["sandbox"].client_id)
    refused = alice.keys(app["id"], "sandbox")
    assert (refused.status, refused.json()["error"]) == (404, "not_found")
    assert alice.keys(app["id"], "production").status == 200  # the other environment still works
