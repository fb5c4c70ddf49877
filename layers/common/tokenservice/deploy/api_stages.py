"""The usage plans at deployment (AWS): the stack records its plans, and API stages join them.

- The stack's own `Custom::ApiRules` resource (`deployment.register_own_api`) passes `UsagePlans`
  ({tier name: plan id} of the built-in tiers), `DefaultUsagePlan` and `Stage`: each built-in tier
  records its plan (`tiers.record_plan`), and the registry's `usage-plans` item the API stages the
  plans cover and the default plan. That item is what makes the store use API Gateway
  (`usage_plans.backend`).
- `Custom::ApiStage` (`ApiId`, `Stage`), the registry's custom resource for other stacks (its
  ServiceToken is the export `<stack>-RegistryServiceToken`): Create and Update add the stage to
  every tier's plan (built-in and created) and the default plan, to the `usage-plans` item's
  stages (so tiers created later cover it too) and to the API's registry entry when it is
  registered; Delete, and an Update that moves to another stage, remove it again. With
  `ApiKeySourceType: AUTHORIZER` and `ApiKeyRequired`, an API stage in no plan answers every call
  with 403: joining is what lets the shared authorizer's keys through.

CloudFormation always hears back (`cloudformation.respond`), success or failure.
"""

import logging
import time
from collections.abc import Mapping

from tokenservice.deploy import cloudformation
from tokenservice.registry import apigateway_plans, tiers
from tokenservice.store import storage
from tokenservice.store.models import USAGE_PLANS_ID, ApiModel, UsagePlansModel, api_key

logger = logging.getLogger(__name__)
RESOURCE_TYPE = "Custom::ApiStage"
PREFIX = "api-stage:"  # the physical id: PREFIX + "api_id:stage"


def record_own_plans(api_id: str, properties: Mapping) -> str:
    """Record the stack's usage plans (the OwnApiRules properties); a line for the Reason."""
    plans = properties.get("UsagePlans") or {}
    if not plans:
        return "no usage plans"
    for name, plan_id in plans.items():
        tiers.record_plan(str(name), str(plan_id))
    stage = f"{api_id}:{properties.get('Stage', '')}"
    recorded = storage.get(UsagePlansModel, USAGE_PLANS_ID)
    stages = set(recorded.stages or ()) if recorded else set()
    storage.save(
        UsagePlansModel(
            USAGE_PLANS_ID,
            stages=stages | {stage},
            default_plan_id=str(properties.get("DefaultUsagePlan") or "") or None,
            updated_at=int(time.time()),
        )
    )
    return f"{len(plans)} usage plans"


def plan_ids(required: bool = True) -> list[str]:
    """Every usage plan the stack knows: each tier's (built-in and created) and the default one."""
    recorded = storage.get(UsagePlansModel, USAGE_PLANS_ID)
    if recorded is None:
        if required:
            raise ValueError("the token service stack has not recorded its usage plans")
        return []
    found = [tier.plan_id for tier in tiers.all_tiers() if tier.plan_id]
    return found + ([recorded.default_plan_id] if recorded.default_plan_id else [])


def _patch(plan_id: str, op: str, stage: str) -> None:
    """Add the stage to a plan or remove it, if it is not already so."""
    client = apigateway_plans.client()
    with apigateway_plans.calling("GetUsagePlan"):
        plan = client.get_usage_plan(usagePlanId=plan_id)
    present = stage in {f"{item['apiId']}:{item['stage']}" for item in plan.get("apiStages") or ()}
    if present != (op == "add"):
        with apigateway_plans.calling("UpdateUsagePlan"):
            client.update_usage_plan(
                usagePlanId=plan_id, patchOperations=apigateway_plans.stage_patch(op, [stage])
            )


def _record(op: str, stage: str) -> None:
    """The stage in (or out of) the usage-plans item and the API's registry entry."""
    api_id, name = stage.split(":", 1)
    stages = {stage}
    action = UsagePlansModel.stages.add(stages) if op == "add" else UsagePlansModel.stages.delete(stages)
    request = storage.update_request(
        UsagePlansModel, USAGE_PLANS_ID, [action, UsagePlansModel.updated_at.set(int(time.time()))]
    )
    with storage.available():
        storage.dynamodb().update_item(**request)
    if op == "add":
        storage.update(ApiModel, api_key(api_id), [ApiModel.stage.set(name)])
    else:
        storage.update(ApiModel, api_key(api_id), [ApiModel.stage.remove()], ApiModel.stage == name)


def join(stage: str, op: str = "add") -> int:
    """Add an API stage ("api_id:stage") to every plan (op "remove": take it out, where the stack's
    plans are still recorded); how many plans."""
    wanted = plan_ids(required=op == "add")
    for plan_id in wanted:
        _patch(plan_id, op, stage)
    if wanted:
        _record(op, stage)
    return len(wanted)


def _stage(properties: Mapping | None) -> str:
    properties = properties or {}
    api_id, stage = str(properties.get("ApiId", "")), str(properties.get("Stage", ""))
    if not api_id or not stage or ":" in api_id + stage:
        raise ValueError("the ApiId and Stage properties are required")
    return f"{api_id}:{stage}"


def handle_custom_resource(event: Mapping) -> None:
    """CloudFormation's Create/Update/Delete of `Custom::ApiStage`. An Update to another stage
    answers with a new physical id, and CloudFormation then deletes the old one (its stage)."""
    status, reason, physical_id = (
        "SUCCESS",
        "",
        str(event.get("PhysicalResourceId") or "api-stage-not-joined"),
    )
    try:
        if event.get("RequestType") == "Delete":
            reason = "nothing to remove"
            if physical_id.startswith(PREFIX):
                reason = f"removed from {join(physical_id.removeprefix(PREFIX), 'remove')} usage plans"
        else:
            stage = _stage(event.get("ResourceProperties"))
            physical_id = PREFIX + stage  # a failed Create's rollback removes what was joined
            reason = f"joined {join(stage)} usage plans"
    except Exception as error:  # CloudFormation must hear back, whatever happened
        logger.exception("Joining the usage plans failed")
        status, reason = "FAILED", f"{type(error).__name__}: {error}"[:200]
    cloudformation.respond(event, status, reason, physical_id, {})
