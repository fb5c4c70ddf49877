"""Findings of the store's adversarial review, held: what an attacker tried that must keep failing."""

import boto3
import pytest

from tests.functional.oauth.test_jwt import ISSUER
from tests.functional.store.test_subscriptions import App
from tokenservice import admin
from tokenservice.core import caching
from tokenservice.deploy import deployment
from tokenservice.portal import applications, subscriptions
from tokenservice.registry import openapi, registry
from tokenservice.store import storage
from tokenservice.store.models import TierModel, UsageKeyModel, tier_key


@pytest.fixture
def jwt_shop(monkeypatch, lambda_context, alice, required) -> App:
    """alice's application whose client_credentials token is a JWT (no record check)."""
    monkeypatch.setenv("ACCESS_TOKEN_FORMAT", "jwt")
    kms_key = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]
    deployment.set_up_signing(ISSUER, kms_key)
    shop = App(lambda_context, alice)
    assert shop.token.count(".") == 2
    return shop


def test_a_disabled_owners_application_jwt_is_refused_where_subscriptions_are_read(jwt_shop):
    assert jwt_shop.subscribe(tier="Gold").status == 201
    assert jwt_shop.call().status == 200
    admin.disable_user("alice")  # the application is suspended: its opaque tokens are revoked
    assert jwt_shop.call().status == 401  # the authorizer read the suspended client anyway
    admin.enable_user("alice")
    assert jwt_shop.call().status == 200  # suspension lifted: the JWT counts again


def test_a_subscription_made_while_its_application_is_deleted_leaves_no_key(
    monkeypatch, lambda_context, alice, required
):
    """The delete read the clients, a subscription landed, then the delete's transaction ran."""
    app = App(lambda_context, alice, "Racing")
    read = applications._found
    raced = []

    def read_then_subscribe(owner, app_id):
        found = read(owner, app_id)
        if not raced:
            raced.append("subscribing")  # once: the subscription reads the application too
            raced.append(subscriptions.subscribe(owner, app_id, "local", "Gold"))
        return found

    monkeypatch.setattr(applications, "_found", read_then_subscribe)
    applications.delete("alice", app.id)
    assert raced[1]["tier"] == "Gold"  # the subscription was written between the delete's read and its write
    assert list(storage.scan(UsageKeyModel, UsageKeyModel.kind == "usage-key")) == []


def test_an_api_deleted_and_imported_again_keeps_applying_its_subscriptions_tiers(shop, monkeypatch):
    monkeypatch.setenv("RULES_CACHE_SECONDS", "0")
    monkeypatch.setenv("SUBSCRIPTIONS_CACHE_SECONDS", "0")
    caching.clear_all()
    admin.create_tier("Tight", 1, 1)
    assert shop.subscribe(tier="Tight").status == 201  # the sample API requires no subscription
    admin.delete_api("local")
    admin.import_api(str(openapi.SAMPLE), "local")  # the operator registers it again
    assert [shop.call().status for _ in range(2)] == [200, 429]  # the subscription's tier still holds
    admin.set_rule("other", "GET", "/whoami", "read")
    assert not registry.api("other").subscribed  # nobody subscribed to it: no extra read per call


def test_a_tier_being_deleted_still_throttles_its_subscriptions(required, shop):
    """tier delete marks the tier, then scans for subscriptions: meanwhile (or if it stopped there)
    its subscriptions keep its numbers, not Unlimited's."""
    admin.create_tier("Tight", 1, 1)
    assert shop.subscribe(tier="Tight").status == 201
    storage.update(TierModel, tier_key("Tight"), [TierModel.deleting.set(True)])  # delete's mark
    caching.clear_all()
    assert [shop.call().status for _ in range(2)] == [200, 429]
    usage = shop.developer.call("GET", f"/applications/{shop.id}/usage").json()
    assert usage["apis"][0]["tier"] == "Tight" and usage["total"] == 1
