"""The store through the API Gateway emulator in-process (moto): the catalogue, subscriptions with
their tiers, the authorizer's refusal of unsubscribed applications, make run's throttling (429 with
Retry-After), usage, and the owner's standing."""

import threading
import time

import pytest

from tests.functional.gateway_client import Browser
from tests.functional.portal.test_applications import Developer, token_with
from tokenservice import admin
from tokenservice.core import caching
from tokenservice.registry import registry, tiers
from tokenservice.store import storage
from tokenservice.store.models import ClientModel, UsageKeyModel, UserModel


class App:
    """One of a developer's applications, with production keys and a client_credentials token."""

    def __init__(self, ctx, developer: Developer, name: str = "Shop"):
        self.developer = developer
        self.id = developer.create(name, "read")["id"]
        keys = developer.keys(self.id).json()
        status, body = token_with(ctx, keys["client_id"], keys["client_secret"], scope="read")
        assert status == 200, body
        self.token = body["access_token"]
        self.browser = Browser(developer.browser.gateway)

    def call(self, path: str = "/whoami"):
        return self.browser.request(
            "GET", path, None, {"Authorization": f"Bearer {self.token}"}, origin=False
        )

    def subscribe(self, api: str = "local", tier: str = "Gold"):
        return self.developer.call(
            "POST", f"/applications/{self.id}/subscriptions", {"api": api, "tier": tier}
        )

    def unsubscribe(self, api: str = "local"):
        return self.developer.call("DELETE", f"/applications/{self.id}/subscriptions/{api}")


def test_an_unsubscribed_application_is_refused_then_admitted_once_subscribed(required, shop):
    refused = shop.call()
    assert refused.status == 403
    assert refused.json()["error"] == "insufficient_scope"
    assert "not subscribed" in refused.json()["error_description"]
    subscribed = shop.subscribe(tier="Gold")
    assert subscribed.status == 201, subscribed.json()
    assert subscribed.json()["api"] == "local" and subscribed.json()["tier"] == "Gold"
    assert "key" not in subscribed.text.lower().replace("key_id", "")  # the API key is never shown
    assert shop.call().status == 200
    listing = shop.developer.call("GET", f"/applications/{shop.id}/subscriptions").json()
    assert [(s["api"], s["tier"]) for s in listing["subscriptions"]] == [("local", "Gold")]
    assert shop.unsubscribe().status == 200
    assert shop.call().status == 403
    assert shop.unsubscribe().status == 404  # nothing left to end


def test_a_users_own_token_is_not_bound_by_subscriptions(required, alice):
    assert alice.call("GET", "/whoami").status == 200  # a first party's client, not an application's


def test_subscribing_again_is_a_conflict_and_an_unknown_api_or_tier_is_refused(required, shop):
    assert shop.subscribe(tier="gold").json()["tier"] == "Gold"  # tier names are matched without case
    again = shop.subscribe(tier="Silver")
    assert (again.status, again.json()["error"]) == (409, "subscription_exists")
    unknown_api = shop.subscribe(api="no-such-api")
    assert unknown_api.status == 404
    unknown_tier = shop.developer.call(
        "POST", f"/applications/{shop.id}/subscriptions", {"api": "local", "tier": "Platinum<script>"}
    )
    assert unknown_tier.status == 400 and "Platinum" not in unknown_tier.text  # never an echo
    missing = shop.developer.call("POST", f"/applications/{shop.id}/subscriptions", {"api": "local"})
    assert missing.status == 400


def test_another_users_application_cannot_be_subscribed_or_seen(lambda_context, console, required, shop):
    bob = Developer(lambda_context, console, "bob")
    path = f"/applications/{shop.id}/subscriptions"
    assert bob.call("POST", path, {"api": "local", "tier": "Gold"}).status == 404
    assert bob.call("GET", path).status == 404
    assert bob.call("GET", f"/applications/{shop.id}/usage").status == 404
    assert shop.call().status == 403  # still unsubscribed


def test_a_disabled_or_de_roled_owner_cannot_subscribe(lambda_context, console, required, shop):
    admin.set_roles("alice", "")
    assert shop.subscribe().status in (401, 403)
    admin.set_roles("alice", "subscriber")
    admin.disable_user("alice")
    assert shop.subscribe().status == 401
    assert not storage.get(ClientModel, _client_ids(shop)[0]).subscriptions


def _client_ids(app: App) -> list[str]:
    return sorted(storage.get(UserModel, app.developer.username).application_clients)


def test_a_tight_tier_throttles_with_429_and_retry_after_then_refills(required, shop):
    admin.create_tier("Tight", 1, 2)
    assert shop.subscribe(tier="Tight").status == 201
    statuses = [shop.call().status for _ in range(3)]
    assert statuses == [200, 200, 429]  # a burst of two, then nothing left in the bucket
    throttled = shop.call()
    assert throttled.status == 429
    assert throttled.header("Retry-After") == "1"
    assert throttled.json()["error"] == "temporarily_unavailable"
    time.sleep(1.1)  # one request per second refills one token
    assert shop.call().status == 200
    usage = shop.developer.call("GET", f"/applications/{shop.id}/usage").json()
    assert usage["total"] == 3 and usage["apis"][0]["total"] == 3  # the 429s are not counted


def test_a_quota_stops_calls_until_its_period_ends(required, shop):
    admin.create_tier("Daily", 100, 100, 2, "DAY")
    shop.subscribe(tier="Daily")
    assert [shop.call().status for _ in range(3)] == [200, 200, 429]


def test_usage_counts_the_calls_per_api_per_day(required, shop):
    shop.subscribe(tier="Unlimited")
    for _ in range(4):
        assert shop.call().status == 200
    report = shop.developer.call("GET", f"/applications/{shop.id}/usage").json()
    assert report["total"] == 4
    (api,) = report["apis"]
    assert (api["api"], api["tier"], api["total"]) == ("local", "Unlimited", 4)
    assert api["days"] == [{"date": report["to"], "calls": 4}]
    for days in ("0", "91", "²", "٣", "1e1"):  # not ASCII digits 1 to 90: 400, never a 500
        assert shop.developer.call("GET", f"/applications/{shop.id}/usage?days={days}").status == 400
    rows = admin.usage(shop.id)
    assert sum(row["calls"] for row in rows) == 4


def test_the_catalogue_lists_the_apis_and_the_tiers_offered(required, alice):
    catalogue = alice.call("GET", "/apis")
    assert catalogue.status == 200
    apis = {api["id"]: api for api in catalogue.json()["apis"]}
    assert apis["local"]["subscriptions"] == "required"
    assert [t["name"] for t in apis["local"]["tiers"]][:4] == ["Unlimited", "Gold", "Silver", "Bronze"]


def test_a_tier_in_use_cannot_be_deleted(required, shop):
    admin.create_tier("Tight", 1, 2)
    shop.subscribe(tier="Tight")
    with pytest.raises(tiers.TierError, match="in use"):
        admin.delete_tier("Tight")
    shop.unsubscribe()
    admin.delete_tier("Tight")
    assert tiers.get("Tight") is None
    with pytest.raises(tiers.TierError, match="built-in"):
        admin.delete_tier("Gold")


def test_unsubscribing_and_deleting_an_application_delete_its_keys(required, lambda_context, alice):
    app = App(lambda_context, alice, "Keys")
    app.subscribe()
    assert len(list(storage.scan(UsageKeyModel, UsageKeyModel.kind == "usage-key"))) == 1
    app.unsubscribe()
    assert list(storage.scan(UsageKeyModel, UsageKeyModel.kind == "usage-key")) == []
    app.subscribe()
    assert alice.call("DELETE", f"/applications/{app.id}").status == 200
    assert list(storage.scan(UsageKeyModel, UsageKeyModel.kind == "usage-key")) == []


def test_on_an_api_without_the_requirement_a_subscription_still_applies_its_tier(shop, monkeypatch):
    monkeypatch.setenv("SUBSCRIPTIONS_CACHE_SECONDS", "0")  # the API's new mark shows within that time
    caching.clear_all()
    assert shop.call().status == 200  # the sample API requires no subscription
    admin.create_tier("Tight", 1, 1)
    assert shop.subscribe(tier="Tight").status == 201
    assert registry.api("local").subscribed
    assert [shop.call().status for _ in range(2)] == [200, 429]


def test_concurrent_subscribes_and_unsubscribes_leave_one_consistent_state(required, atomic_requests, shop):
    def churn(subscribe: bool):
        for _ in range(3):
            shop.subscribe() if subscribe else shop.unsubscribe()

    threads = [threading.Thread(target=churn, args=(i % 2 == 0,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    clients = [storage.get(ClientModel, client_id) for client_id in _client_ids(shop)]
    assert clients[0].subscriptions == clients[1].subscriptions  # both clients agree
    keys = list(storage.scan(UsageKeyModel, UsageKeyModel.kind == "usage-key"))
    subscribed = bool(clients[0].subscriptions and "local" in clients[0].subscriptions)
    assert len(keys) == (1 if subscribed else 0)  # no key left behind, none missing
    assert shop.call().status == (200 if subscribed else 403)


def test_an_operator_deleting_both_clients_of_a_subscribed_application_deletes_its_key(required, shop):
    shop.subscribe()
    production, sandbox = _client_ids(shop)
    admin.delete_client(production)
    assert (
        len(list(storage.scan(UsageKeyModel, UsageKeyModel.kind == "usage-key"))) == 1
    )  # the sandbox holds it
    admin.delete_client(sandbox)
    assert list(storage.scan(UsageKeyModel, UsageKeyModel.kind == "usage-key")) == []
