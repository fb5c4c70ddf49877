"""The store in the portal's backend for frontend, through the API Gateway emulator in-process: the
catalogue, an application's subscriptions and its usage for the signed-in user, under the session's
cookie, its CSRF token and the Applications API's rule of each route; another user's application
is not found; a user without the portal's scope is refused."""

import pytest

from tests.functional.gateway_client import Browser
from tests.functional.portal.conftest import PASSWORD, application_with_keys, generate_token, signed_up
from tokenservice import admin
from tokenservice.core import caching
from tokenservice.registry import registry, rules

API = "orders-store"
ORDERS = {
    "openapi": "3.0.3",
    "info": {"title": "Orders", "description": "The shop's orders", "version": "1"},
    "paths": {"/orders": {"get": {"security": [{"oauth2": ["read"]}], "responses": {"200": {}}}}},
    "components": {
        "securitySchemes": {
            "oauth2": {
                "type": "oauth2",
                "flows": {"clientCredentials": {"tokenUrl": "/token", "scopes": {"read": "Read"}}},
            }
        }
    },
}


@pytest.fixture
def orders(aws) -> str:
    registry.import_api(API, ORDERS, subscriptions="required")
    return API


def new_app(browser: Browser, name: str = "Shop") -> dict:
    response = browser.request("POST", "/portal/applications", {"name": name, "scope": "read"})
    assert response.status == 201, response.json()
    return response.json()


def subscriptions_of(browser: Browser, app: dict):
    return browser.request("GET", f"/portal/applications/{app['id']}/subscriptions")


def subscribe(browser: Browser, app: dict, tier: str = "Gold", api: str = API, **kw):
    body = {"api": api, "tier": tier}
    return browser.request("POST", f"/portal/applications/{app['id']}/subscriptions", body, **kw)


# -- the signed-in user ----------------------------------------------------------------------------


def test_the_catalogue_lists_the_api_with_whether_it_needs_subscriptions_and_its_tiers(browser, orders):
    signed_up(browser)
    response = browser.request("GET", "/portal/apis")
    assert response.status == 200 and response.header("Cache-Control") == "no-store"
    (api,) = [api for api in response.json()["apis"] if api["id"] == API]
    assert (api["name"], api["description"], api["subscriptions"]) == (
        "Orders",
        "The shop's orders",
        "required",
    )
    tiers = {tier["name"]: tier for tier in api["tiers"]}
    assert {"Unlimited", "Gold", "Silver", "Bronze"} <= set(tiers)
    assert (tiers["Bronze"]["rate"], tiers["Bronze"]["burst"]) == (15.0, 30)


def test_a_signed_in_user_subscribes_lists_sees_usage_and_unsubscribes(browser, orders):
    signed_up(browser)
    app = new_app(browser)
    assert subscriptions_of(browser, app).json()["subscriptions"] == []

    created = subscribe(browser, app, "Silver")
    assert created.status == 201, created.json()
    (listed,) = subscriptions_of(browser, app).json()["subscriptions"]
    assert (listed["api"], listed["api_name"], listed["tier"]) == (API, "Orders", "Silver")
    assert subscribe(browser, app, "Gold").status == 409  # one subscription per API: its tier stays
    assert subscriptions_of(browser, app).json()["subscriptions"][0]["tier"] == "Silver"

    usage = browser.request("GET", f"/portal/applications/{app['id']}/usage")
    assert usage.status == 200, usage.json()
    body = usage.json()
    assert body["application_id"] == app["id"] and body["total"] == 0
    assert all(api["total"] == 0 and api["days"] == [] for api in body["apis"])
    from datetime import date

    span = date.fromisoformat(body["to"]) - date.fromisoformat(body["from"])
    assert span.days == 29  # the last 30 days, today included
    week = browser.request("GET", f"/portal/applications/{app['id']}/usage?days=7").json()
    assert (date.fromisoformat(week["to"]) - date.fromisoformat(week["from"])).days == 6

    removed = browser.request("DELETE", f"/portal/applications/{app['id']}/subscriptions/{API}")
    assert (removed.status, removed.json()) == (200, {"api": API, "deleted": True})
    assert subscriptions_of(browser, app).json()["subscriptions"] == []
    again = browser.request("DELETE", f"/portal/applications/{app['id']}/subscriptions/{API}")
    assert again.status == 404


def test_the_usage_counts_the_applications_calls_today(browser, orders):
    from datetime import UTC, datetime

    signed_up(browser)
    app, keys = application_with_keys(browser)
    token = generate_token(browser, app, keys["client_secret"], scope="read").json()["access_token"]
    assert subscribe(browser, app, "Gold", api="local").status == 201  # the sample API: /whoami
    bearer = {"Authorization": f"Bearer {token}"}
    for _ in range(3):
        assert browser.request("GET", "/whoami", headers=bearer, origin=False).status == 200
    body = browser.request("GET", f"/portal/applications/{app['id']}/usage").json()
    today = datetime.now(UTC).date().isoformat()
    assert body["to"] == today and body["total"] == 3
    (local,) = body["apis"]
    assert (local["api"], local["tier"], local["total"]) == ("local", "Gold", 3)
    assert local["days"] == [{"date": today, "calls": 3}]


@pytest.mark.parametrize(
    "query", ["days=0", "days=91", "days=abc", "days=7&days=8", "days=%D9%A3", "days=%C2%B2", "days=-1"]
)
def test_a_bad_number_of_days_is_a_400_that_does_not_echo_it(browser, orders, query):
    signed_up(browser)
    app = new_app(browser)
    response = browser.request("GET", f"/portal/applications/{app['id']}/usage?{query}")
    assert (response.status, response.json()["error"]) == (400, "invalid_request")
    assert "abc" not in response.text and "91" not in response.text


@pytest.mark.parametrize(
    "body",
    [{"api": API}, {"tier": "Gold"}, {"api": API, "tier": "Gold", "key": "x"}, {"api": API, "tier": 3}, []],
)
def test_a_subscription_request_with_bad_members_is_a_400(browser, orders, body):
    signed_up(browser)
    app = new_app(browser)
    response = browser.request("POST", f"/portal/applications/{app['id']}/subscriptions", body)
    assert (response.status, response.json()["error"]) == (400, "invalid_request")
    assert subscriptions_of(browser, app).json()["subscriptions"] == []


def test_an_unknown_tier_or_api_is_refused_without_an_echo(browser, orders):
    signed_up(browser)
    app = new_app(browser)
    unknown_tier = subscribe(browser, app, "Platinum-4711")
    assert unknown_tier.status in (400, 404) and "Platinum-4711" not in unknown_tier.text
    unknown_api = subscribe(browser, app, "Gold", api="no-such-api-4711")
    assert unknown_api.status in (400, 404) and "no-such-api-4711" not in unknown_api.text
    assert subscriptions_of(browser, app).json()["subscriptions"] == []


# -- CSRF, sign-in -------------------------------------------------------------------------------


def test_changes_need_the_sessions_csrf_token(browser, orders):
    signed_up(browser)
    app = new_app(browser)
    for token in ("", "sign-in", browser.csrf[:-1] + ("A" if browser.csrf[-1] != "A" else "B")):
        refused = subscribe(browser, app, headers={"X-CSRF-Token": token})
        assert (refused.status, refused.json()["error"]) == (403, "access_denied")
    assert subscriptions_of(browser, app).json()["subscriptions"] == []
    assert subscribe(browser, app).status == 201
    path = f"/portal/applications/{app['id']}/subscriptions/{API}"
    refused = browser.request("DELETE", path, headers={"X-CSRF-Token": "sign-in"})
    assert (refused.status, refused.json()["error"]) == (403, "access_denied")
    cross_site = browser.request("DELETE", path, headers={"Origin": "https://evil.example"}, origin=False)
    assert cross_site.status == 403
    assert len(subscriptions_of(browser, app).json()["subscriptions"]) == 1


def store_calls(app_id: str) -> list[tuple[str, str, dict | None]]:
    base = f"/portal/applications/{app_id}"
    return [
        ("GET", "/portal/apis", None),
        ("GET", f"{base}/subscriptions", None),
        ("POST", f"{base}/subscriptions", {"api": API, "tier": "Gold"}),
        ("DELETE", f"{base}/subscriptions/{API}", None),
        ("GET", f"{base}/usage", None),
    ]


def test_without_a_session_every_store_call_is_login_required(browser, orders):
    for method, path, body in store_calls("0123456789abcdef"):
        response = browser.request(method, path, body, {"X-CSRF-Token": "sign-in"})
        assert (response.status, response.json()["error"]) == (401, "login_required"), path


# -- whose applications ----------------------------------------------------------------------------


def test_another_users_application_is_not_found(browser, orders):
    signed_up(browser, "carol")
    carols = new_app(browser)
    assert subscribe(browser, carols).status == 201
    mallory = signed_up(Browser(browser.gateway), "mallory")
    for method, path, body in store_calls(carols["id"])[1:]:
        response = mallory.request(method, path, body)
        assert (response.status, response.json()["error"]) == (404, "not_found"), (method, path)
    assert mallory.request("GET", "/portal/apis").status == 200  # the catalogue is everyone's
    (kept,) = subscriptions_of(browser, carols).json()["subscriptions"]
    assert kept["tier"] == "Gold"
    nobody = store_calls("fedcba9876543210")[1]
    assert browser.request(nobody[0], nobody[1]).status == 404


def test_a_user_without_the_portals_scope_is_refused_every_store_call(browser, orders):
    admin.create_user("dora", PASSWORD, "read")  # no subscriber role: no apim:subscribe
    assert browser.sign_in("dora", PASSWORD).json()["may_manage_applications"] is False
    for method, path, body in store_calls("0123456789abcdef"):
        response = browser.request(method, path, body)
        assert (response.status, response.json()["error"]) == (403, "insufficient_scope"), path


def test_a_disabled_owner_cannot_subscribe(browser, orders):
    signed_up(browser)
    app = new_app(browser)
    admin.disable_user("carol")
    response = subscribe(browser, app)
    assert (response.status, response.json()["error"]) == (401, "login_required")
    admin.enable_user("carol")
    assert browser.sign_in("carol", PASSWORD).status == 200
    assert subscriptions_of(browser, app).json()["subscriptions"] == []


@pytest.mark.parametrize(
    "rule,refused",
    [
        (("GET", "/apis"), "GET /portal/apis"),
        (("GET", "/applications/{id}/subscriptions"), "GET subscriptions"),
        (("POST", "/applications/{id}/subscriptions"), "POST subscriptions"),
        (("DELETE", "/applications/{id}/subscriptions/{api}"), "DELETE subscription"),
        (("GET", "/applications/{id}/usage"), "GET usage"),
    ],
)
def test_each_route_follows_the_registrys_rule_of_its_applications_api_route(browser, orders, rule, refused):
    signed_up(browser)
    app = new_app(browser)
    assert subscribe(browser, app).status == 201
    registry.set_rule("local", rules.rule(*rule, "admin"))  # a scope the session's token lacks
    caching.clear_all()
    calls = dict(
        zip(
            [
                "GET /portal/apis",
                "GET subscriptions",
                "POST subscriptions",
                "DELETE subscription",
                "GET usage",
            ],
            store_calls(app["id"]),
            strict=True,
        )
    )
    for name, (method, path, body) in calls.items():
        if name == "POST subscriptions":
            continue  # it is subscribed already (409): the refusal is checked below
        status = browser.request(method, path, body).status
        assert (status == 403) == (name == refused), (name, status)
    if refused == "POST subscriptions":
        assert browser.request("POST", calls[refused][1], calls[refused][2]).status == 403
