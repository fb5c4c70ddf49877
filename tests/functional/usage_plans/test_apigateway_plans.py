"""registry.apigateway_plans against moto's API Gateway (usage plans, keys); GetUsage, which moto
does not implement, against botocore's Stubber (the real request and response shapes)."""

import datetime

import pytest
from botocore.stub import Stubber

from tokenservice import admin
from tokenservice.registry import apigateway_plans, tiers, usage_plans
from tokenservice.registry.apigateway_plans import ApiGatewayPlans
from tokenservice.registry.tiers import Tier
from tokenservice.store import storage
from tokenservice.store.models import USAGE_PLANS_ID, UsagePlansModel

TIGHT = Tier("Tight", 1.0, 2, quota=100, quota_period="DAY", description="1 request per second")


@pytest.fixture
def plans(own_api) -> ApiGatewayPlans:
    return ApiGatewayPlans(UsagePlansModel(USAGE_PLANS_ID, stages={own_api}))


def test_a_tiers_plan_throttles_and_counts_its_quota_on_the_recorded_stages(apigateway, plans, own_api):
    plan = apigateway.get_usage_plan(usagePlanId=plans.create_tier_plan(TIGHT))
    assert plan["name"] == "tier-Tight"
    assert plan["throttle"] == {"rateLimit": 1.0, "burstLimit": 2}
    assert plan["quota"] == {"limit": 100, "period": "DAY", "offset": 0}
    api_id, stage = own_api.split(":")
    assert plan["apiStages"] == [{"apiId": api_id, "stage": stage}]


def test_an_unthrottled_tier_gets_a_plan_without_throttle_or_quota(apigateway, plans):
    plan = apigateway.get_usage_plan(usagePlanId=plans.create_tier_plan(tiers.BUILT_IN["unlimited"]))
    assert not plan.get("throttle")
    assert not plan.get("quota")


def test_deleting_a_tiers_plan_removes_it(apigateway, plans):
    plan_id = plans.create_tier_plan(TIGHT)
    plans.delete_tier_plan(Tier(**{**TIGHT.__dict__, "plan_id": plan_id}))
    assert plan_id not in {plan["id"] for plan in apigateway.get_usage_plans()["items"]}


def test_deleting_a_plan_already_gone_is_no_error(apigateway, plans):
    plan_id = plans.create_tier_plan(TIGHT)
    apigateway.delete_usage_plan(usagePlanId=plan_id)
    plans.delete_tier_plan(Tier(**{**TIGHT.__dict__, "plan_id": plan_id}))


def test_a_subscriptions_key_is_enabled_named_after_it_and_in_its_tiers_plan(apigateway, plans):
    tier = Tier(**{**TIGHT.__dict__, "plan_id": plans.create_tier_plan(TIGHT)})
    key = plans.create_key(tier, "app-1", "api-1")
    stored = apigateway.get_api_key(apiKey=key.id, includeValue=True)
    assert (stored["name"], stored["enabled"], stored["value"]) == ("app-1/api-1", True, key.value)
    assert len(key.value) >= 20
    in_plan = apigateway.get_usage_plan_keys(usagePlanId=tier.plan_id)["items"]
    assert [(item["id"], item["type"]) for item in in_plan] == [(key.id, "API_KEY")]


def test_every_key_has_a_value_of_its_own(plans):
    tier = Tier(**{**TIGHT.__dict__, "plan_id": plans.create_tier_plan(TIGHT)})
    assert plans.create_key(tier, "app-1", "api-1").value != plans.create_key(tier, "app-2", "api-1").value


def test_a_key_that_cannot_join_its_plan_is_deleted_and_the_call_is_unavailable(
    apigateway, plans, monkeypatch
):
    tier = Tier(**{**TIGHT.__dict__, "plan_id": plans.create_tier_plan(TIGHT)})
    with Stubber(apigateway) as stub:
        stub.add_response("create_api_key", {"id": "k1", "enabled": True})
        stub.add_client_error("create_usage_plan_key", "TooManyRequestsException", http_status_code=429)
        stub.add_response("delete_api_key", {}, {"apiKey": "k1"})
        with pytest.raises(
            apigateway_plans.Unavailable, match="CreateUsagePlanKey: TooManyRequestsException"
        ):
            plans.create_key(tier, "app-1", "api-1")
        stub.assert_no_pending_responses()


def test_deleting_a_key_deletes_it_and_a_key_already_gone_is_no_error(apigateway, plans):
    tier = Tier(**{**TIGHT.__dict__, "plan_id": plans.create_tier_plan(TIGHT)})
    key = plans.create_key(tier, "app-1", "api-1")
    plans.delete_key(key)
    assert key.id not in {item["id"] for item in apigateway.get_api_keys()["items"]}
    plans.delete_key(key)  # NotFoundException: nothing to do


def test_api_gateway_errors_are_unavailable_a_503_for_the_endpoints(apigateway, plans):
    from tokenservice.store import dynamo

    with Stubber(apigateway) as stub:
        stub.add_client_error("create_usage_plan", "LimitExceededException", http_status_code=429)
        with pytest.raises(dynamo.Unavailable, match="CreateUsagePlan: LimitExceededException"):
            plans.create_tier_plan(TIGHT)
        stub.add_client_error("delete_api_key", "AccessDeniedException", http_status_code=403)
        with pytest.raises(apigateway_plans.Unavailable):
            plans.delete_key(usage_plans.Key("k1", "v" * 40))


def test_a_tier_without_a_recorded_plan_cannot_have_keys(plans):
    with pytest.raises(apigateway_plans.Unavailable, match="no usage plan"):
        plans.create_key(TIGHT, "app-1", "api-1")


def _usage(start: str, values: list, position: str | None = None, key: str = "k1") -> dict:
    page = {"usagePlanId": "p1", "startDate": start, "endDate": "2026-03-05", "items": {key: values}}
    return {**page, "position": position} if position else page


def test_usage_is_get_usages_calls_per_day_paged_through_with_position(apigateway, plans):
    tier = Tier(**{**TIGHT.__dict__, "plan_id": "p1"})
    base = {"usagePlanId": "p1", "keyId": "k1", "startDate": "2026-03-01", "endDate": "2026-03-05"}
    with Stubber(apigateway) as stub:
        stub.add_response("get_usage", _usage("2026-03-01", [[3, 97], [0, 100], [5, 95]], "next"), base)
        stub.add_response("get_usage", _usage("2026-03-01", [], key="other"), {**base, "position": "next"})
        found = plans.usage(
            tier, usage_plans.Key("k1", "v" * 40), datetime.date(2026, 3, 1), datetime.date(2026, 3, 5)
        )
        stub.assert_no_pending_responses()
    assert found == {datetime.date(2026, 3, 1): 3, datetime.date(2026, 3, 3): 5}


def test_usage_of_a_tier_without_a_plan_is_none(plans):
    assert (
        plans.usage(
            TIGHT, usage_plans.Key("k1", "v" * 40), datetime.date(2026, 3, 1), datetime.date(2026, 3, 5)
        )
        == {}
    )


def test_the_backend_is_api_gateway_once_the_stack_recorded_its_plans(apigateway, own_api):
    from tokenservice.core import caching

    assert isinstance(usage_plans.backend(), usage_plans.LocalPlans)
    storage.save(UsagePlansModel(USAGE_PLANS_ID, stages={own_api}, default_plan_id="p0"))
    caching.clear_all()
    chosen = usage_plans.backend()
    assert isinstance(chosen, ApiGatewayPlans)
    assert chosen.settings.stages == {own_api}


def test_a_created_tier_gets_its_plan_on_aws_and_deleting_it_deletes_the_plan(apigateway, own_api):
    from tokenservice.core import caching

    storage.save(UsagePlansModel(USAGE_PLANS_ID, stages={own_api}, default_plan_id="p0"))
    caching.clear_all()
    tier = admin.create_tier("Tight", 1.0, 2, 100, "DAY")
    assert apigateway.get_usage_plan(usagePlanId=tier.plan_id)["throttle"] == {
        "rateLimit": 1.0,
        "burstLimit": 2,
    }
    admin.delete_tier("Tight")
    assert tier.plan_id not in {plan["id"] for plan in apigateway.get_usage_plans()["items"]}
