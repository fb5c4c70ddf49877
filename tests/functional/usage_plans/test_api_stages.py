"""The usage plans at deployment: the stack records its plans (OwnApiRules), other stacks' API
stages join them (`Custom::ApiStage`), against moto's API Gateway and a stand-in for
CloudFormation's response URL."""

import pytest

from tests.conftest import handler
from tests.functional.operations.test_deployment import event
from tokenservice import admin
from tokenservice.registry import openapi, registry, tiers, usage_plans
from tokenservice.store import storage
from tokenservice.store.models import USAGE_PLANS_ID, UsagePlansModel


def usage_plan(name: str, throttle: dict | None = None, stage: str = "stackapi1:v1") -> str:
    """A usage plan on one API stage, as the template makes each (its id)."""
    from tokenservice.registry import apigateway_plans

    api_id, stage_name = stage.split(":")
    request = {"name": name, "apiStages": [{"apiId": api_id, "stage": stage_name}]}
    return apigateway_plans.client().create_usage_plan(
        **request, **({"throttle": throttle} if throttle else {})
    )["id"]


@pytest.fixture
def stack(apigateway, own_api, kms_key, lambda_context, cloudformation) -> dict:
    """The stack's plans as template.yaml makes them, recorded by OwnApiRules' Create."""
    plans = {
        tier.name: usage_plan(
            tier.name, {"rateLimit": tier.rate, "burstLimit": tier.burst} if tier.rate else None, own_api
        )
        for tier in tiers.BUILT_IN.values()
    }
    default = usage_plan("default", None, own_api)
    url, answers = cloudformation
    api_id, stage = own_api.split(":")
    create = event("Create", url, api_id=api_id, kms_key=kms_key)
    create["ResourceProperties"].update({"UsagePlans": plans, "DefaultUsagePlan": default, "Stage": stage})
    handler("stack_setup")(create, lambda_context)
    assert answers.pop()["Status"] == "SUCCESS"
    return {"plans": plans, "default": default, "url": url, "answers": answers}


@pytest.fixture
def kms_key(aws) -> str:
    import boto3

    return boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]


def stage_event(kind: str, url: str, api_id: str, stage: str = "v1", physical: str | None = None) -> dict:
    answer = {
        "RequestType": kind,
        "ResponseURL": url,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/inventory/x",
        "RequestId": "r2",
        "ResourceType": "Custom::ApiStage",
        "LogicalResourceId": "UsagePlanStage",
        "ResourceProperties": {
            "ServiceToken": "arn:aws:lambda:us-east-1:1:function:x",
            "ApiId": api_id,
            "Stage": stage,
        },
    }
    return {**answer, "PhysicalResourceId": physical} if physical else answer


def stages_of(apigateway, plan_id: str) -> set[str]:
    plan = apigateway.get_usage_plan(usagePlanId=plan_id)
    return {f"{item['apiId']}:{item['stage']}" for item in plan.get("apiStages") or ()}


def test_the_stack_records_each_built_in_tiers_plan_its_stage_and_the_default_plan(stack, own_api):
    for name, plan_id in stack["plans"].items():
        assert tiers.get(name).plan_id == plan_id
    recorded = storage.get(UsagePlansModel, USAGE_PLANS_ID)
    assert (recorded.stages, recorded.default_plan_id) == ({own_api}, stack["default"])
    assert type(usage_plans.backend()).__name__ == "ApiGatewayPlans"


def test_an_api_stage_joins_every_plan_and_its_registry_entry_and_leaves_on_delete(
    stack, apigateway, own_api, lambda_context
):
    registry.import_api("inventory1", openapi.load(openapi.SAMPLE))
    created = admin.create_tier("Tight", 1.0, 2)
    everything = [*stack["plans"].values(), stack["default"], created.plan_id]
    handler("stack_setup")(stage_event("Create", stack["url"], "inventory1"), lambda_context)
    answer = stack["answers"].pop()
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("SUCCESS", "api-stage:inventory1:v1")
    assert all(stages_of(apigateway, plan) == {own_api, "inventory1:v1"} for plan in everything)
    assert storage.get(UsagePlansModel, USAGE_PLANS_ID).stages == {own_api, "inventory1:v1"}
    assert registry.api("inventory1").stage == "v1"

    handler("stack_setup")(
        stage_event("Delete", stack["url"], "inventory1", physical=answer["PhysicalResourceId"]),
        lambda_context,
    )
    assert stack["answers"].pop()["Status"] == "SUCCESS"
    assert all(stages_of(apigateway, plan) == {own_api} for plan in everything)
    assert storage.get(UsagePlansModel, USAGE_PLANS_ID).stages == {own_api}
    assert registry.api("inventory1").stage is None


def test_a_tier_created_after_a_stage_joined_covers_it_too(stack, apigateway, own_api, lambda_context):
    handler("stack_setup")(stage_event("Create", stack["url"], "inventory1"), lambda_context)
    assert stages_of(apigateway, admin.create_tier("Later", 5.0, 10).plan_id) == {own_api, "inventory1:v1"}


def test_joining_again_is_no_error_and_no_duplicate(stack, apigateway, own_api, lambda_context):
    for kind in ("Create", "Update"):
        handler("stack_setup")(
            stage_event(kind, stack["url"], "inventory1", physical="api-stage:inventory1:v1"), lambda_context
        )
    assert [answer["Status"] for answer in stack["answers"]] == ["SUCCESS", "SUCCESS"]
    plan = apigateway.get_usage_plan(usagePlanId=stack["default"])
    assert len(plan["apiStages"]) == 2


def test_an_update_to_another_stage_answers_a_new_physical_id(stack, apigateway, lambda_context):
    handler("stack_setup")(
        stage_event("Update", stack["url"], "inventory1", "v2", physical="api-stage:inventory1:v1"),
        lambda_context,
    )
    assert (
        stack["answers"].pop()["PhysicalResourceId"] == "api-stage:inventory1:v2"
    )  # CloudFormation deletes the old


def test_a_stage_cannot_join_before_the_token_service_recorded_its_plans(
    apigateway, lambda_context, cloudformation
):
    url, answers = cloudformation
    handler("stack_setup")(stage_event("Create", url, "inventory1"), lambda_context)
    assert answers[0]["Status"] == "FAILED" and "not recorded its usage plans" in answers[0]["Reason"]
    handler("stack_setup")(
        stage_event("Delete", url, "inventory1", physical=answers[0]["PhysicalResourceId"]), lambda_context
    )
    assert answers[1]["Status"] == "SUCCESS"  # the rollback is no error


def test_bad_properties_fail_with_a_reason_and_are_answered(stack, lambda_context):
    handler("stack_setup")(stage_event("Create", stack["url"], ""), lambda_context)
    answer = stack["answers"].pop()
    assert answer["Status"] == "FAILED" and "ApiId and Stage" in answer["Reason"]
    assert answer["PhysicalResourceId"] == "api-stage-not-joined"


def test_api_gateway_failing_is_reported_to_cloudformation(stack, apigateway, lambda_context):
    from botocore.stub import Stubber

    with Stubber(apigateway) as stub:
        stub.add_client_error("get_usage_plan", "TooManyRequestsException", http_status_code=429)
        handler("stack_setup")(stage_event("Create", stack["url"], "inventory1"), lambda_context)
    answer = stack["answers"].pop()
    assert answer["Status"] == "FAILED" and "TooManyRequestsException" in answer["Reason"]
