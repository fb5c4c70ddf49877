"""API Gateway's usage plans (AWS): a usage plan per tier, an API key per subscription, GetUsage.

- A tier's plan throttles at the tier's rate and burst (none for an unthrottled tier) and counts
  its quota per DAY/WEEK/MONTH from the period's start (offset 0); it covers every API stage the
  stack recorded (`UsagePlansModel.stages`: the stack's own API and those that joined through the
  `Custom::ApiStage` resource).
- A subscription's key is created enabled with a value of ours (`usage_keys.new_key_value`, never
  shown to anybody: the authorizer hands it to API Gateway as `usageIdentifierKey`) and named
  "<application id>/<api id>" for an operator reading the console; it joins its tier's plan, or
  is deleted again.
- Usage is GetUsage's daily count of one key in one plan (its `position` paged through).

Whatever API Gateway answers wrong (throttling, a limit, an outage, a missing permission) surfaces
as `Unavailable`, a `dynamo.Unavailable`: the endpoints answer 503 with Retry-After as for DynamoDB.
The client is created on first use, in the function's region (AWS_REGION), with short timeouts
and one retry.
"""

import datetime
import functools
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

from tokenservice.registry.tiers import Tier
from tokenservice.registry.usage_keys import Key, new_key_value
from tokenservice.store import dynamo
from tokenservice.store.models import UsagePlansModel

logger = logging.getLogger(__name__)
MAX_USAGE_PAGES = 20  # GetUsage pages over keys; one key's days fit in the first


class Unavailable(dynamo.Unavailable):
    """API Gateway refused or failed a usage-plan call; the message names the call and the error
    code (never a key's value)."""


@functools.cache
def client():
    """The API Gateway client (honours AWS_REGION, AWS_PROFILE)."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session()
    region = os.environ.get("AWS_REGION") or session.region_name or "us-east-1"
    # A control-plane call takes a fraction of a second: at most 2 x (1 s + 3 s) per call, so that
    # a subscription's two calls and its DynamoDB writes fit the functions' 15 s.
    settings = Config(
        connect_timeout=1, read_timeout=3, retries={"mode": "standard", "total_max_attempts": 2}
    )
    return session.client("apigateway", region_name=region, config=settings)


def error_code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", "")) or type(error).__name__


@contextmanager
def calling(operation: str) -> Iterator[None]:
    """Turn any failure of an API Gateway call into Unavailable (503)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except (ClientError, BotoCoreError) as error:
        code = error_code(error)
        logger.warning("API Gateway call failed", extra={"operation": operation, "code": code})
        raise Unavailable(f"API Gateway {operation}: {code}") from error


def not_found(error: Exception) -> bool:
    return isinstance(error.__cause__, Exception) and error_code(error.__cause__) == "NotFoundException"


def stage_patch(op: str, stages) -> list[dict]:
    return [{"op": op, "path": "/apiStages", "value": stage} for stage in sorted(stages)]


def api_stages(stages) -> list[dict]:
    return [dict(zip(("apiId", "stage"), stage.split(":", 1), strict=True)) for stage in sorted(stages)]


class ApiGatewayPlans:
    def __init__(self, settings: UsagePlansModel):
        self.settings = settings

    def create_tier_plan(self, tier: Tier) -> str | None:
        request: dict = {
            "name": f"tier-{tier.name}",
            "description": (tier.description or f"The {tier.name} tier")[:200],
            "apiStages": api_stages(self.settings.stages or ()),
        }
        if tier.rate is not None:
            request["throttle"] = {"rateLimit": float(tier.rate), "burstLimit": int(tier.burst or 0)}
        if tier.quota is not None:
            request["quota"] = {"limit": int(tier.quota), "period": tier.quota_period, "offset": 0}
        with calling("CreateUsagePlan"):
            return client().create_usage_plan(**request)["id"]

    def delete_tier_plan(self, tier: Tier) -> None:
        """Its API stages removed (API Gateway refuses to delete a plan that has some), then the plan."""
        if not tier.plan_id:
            return
        try:
            with calling("GetUsagePlan"):
                plan = client().get_usage_plan(usagePlanId=tier.plan_id)
        except Unavailable as error:
            if not_found(error):
                return  # gone already (deleted by hand): nothing to do
            raise
        stages = {f"{stage['apiId']}:{stage['stage']}" for stage in plan.get("apiStages") or ()}
        if stages:
            with calling("UpdateUsagePlan"):
                client().update_usage_plan(
                    usagePlanId=tier.plan_id, patchOperations=stage_patch("remove", stages)
                )
        with calling("DeleteUsagePlan"):
            client().delete_usage_plan(usagePlanId=tier.plan_id)

    def create_key(self, tier: Tier, application_id: str, api_id: str) -> Key:
        if not tier.plan_id:
            raise Unavailable(f"API Gateway: the {tier.name} tier has no usage plan recorded")
        value = new_key_value()
        with calling("CreateApiKey"):
            created = client().create_api_key(name=f"{application_id}/{api_id}", value=value, enabled=True)
        key = Key(created["id"], value)
        try:
            with calling("CreateUsagePlanKey"):
                client().create_usage_plan_key(usagePlanId=tier.plan_id, keyId=key.id, keyType="API_KEY")
        except Unavailable:
            self.delete_key(key)  # no key outside a plan
            raise
        return key

    def delete_key(self, key: Key) -> None:
        """Delete the key (it leaves its plan with it); one already gone is no error."""
        try:
            with calling("DeleteApiKey"):
                client().delete_api_key(apiKey=key.id)
        except Unavailable as error:
            if not not_found(error):
                raise

    def usage(
        self, tier: Tier, key: Key, start: datetime.date, end: datetime.date
    ) -> dict[datetime.date, int]:
        """GetUsage's calls per day of the key in its tier's plan (days without calls left out)."""
        if not tier.plan_id:
            return {}
        found: dict[datetime.date, int] = {}
        request = {"usagePlanId": tier.plan_id, "keyId": key.id, "startDate": start.isoformat()}
        request["endDate"] = end.isoformat()
        for _ in range(MAX_USAGE_PAGES):
            with calling("GetUsage"):
                page = client().get_usage(**request)
            first = datetime.date.fromisoformat(page.get("startDate") or start.isoformat())
            for offset, day in enumerate((page.get("items") or {}).get(key.id) or ()):
                date, calls = first + datetime.timedelta(days=offset), int(day[0]) if day else 0
                if calls and start <= date <= end:
                    found[date] = calls
            if not page.get("position"):
                break
            request["position"] = page["position"]
        return found
