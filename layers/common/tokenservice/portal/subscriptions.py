"""The store: the API catalogue, an application's subscriptions with their tiers, and its usage.

- The catalogue is every API in the registry, with whether it requires subscriptions and the tiers
  offered (every tier). An API imported with `--subscriptions required` admits only the tokens of
  applications subscribed to it (the authorizer: 403 otherwise); tokens of clients that are not an
  application's (an operator's client, the portal's own) are not bound by subscriptions. On any
  API, a subscription's tier throttles the application's calls and its usage is counted.
- A subscription belongs to an application (both its clients, Production and Sandbox, carry it:
  `ClientModel.subscriptions`), names one API and one tier, and has an API key of its own in the
  tier's usage plan (`registry.usage_plans`), made before the subscription is written and deleted
  when it is not (or when the subscription ends). The developer never sees the key.
- Subscribing writes both clients in one transaction on the condition that each is still as read
  (owner, application, subscriptions), the owner still counts (`standing.guard`: enabled, same
  credential version) and the tier is not being deleted; so concurrent subscribes and unsubscribes
  of one application end in one consistent state (a loser retries on what it then reads).
- Usage: calls per day per subscribed API, from API Gateway (`GetUsage`) on AWS, from the emulator's
  counts under `make run`.
"""

import json
import re
import time

from aws_lambda_powertools import Logger

from tokenservice.core.errors import InvalidRequest, NotFound, SubscriptionExists, TemporarilyUnavailable
from tokenservice.portal import applications, standing
from tokenservice.registry import registry, tiers, usage_plans
from tokenservice.store import records, storage
from tokenservice.store.models import ApiModel, ClientModel

logger = Logger(child=True)

ATTEMPTS = 3  # a transaction that lost to a concurrent change is tried again on what is then read
CHANGED_MEANWHILE = "The application's subscriptions changed meanwhile: try again"
MAX_DAYS = 90  # GetUsage's reach


def catalogue_document(api: ApiModel, offered: list[tiers.Tier]) -> dict:
    return {
        "id": api.api_id,
        "name": api.name,
        "description": api.description or "",
        "subscriptions": api.subscriptions or "none",
        "tiers": [tier.document() for tier in offered],
    }


def catalogue(caller: "standing.Caller | str") -> dict:
    """Every API a developer may subscribe to, with the tiers offered (the caller's standing checked)."""
    standing.read(caller)
    offered = tiers.all_tiers()
    return {"apis": [catalogue_document(api, offered) for api in registry.apis()]}


def of(app: applications.Application) -> dict[str, dict]:
    """An application's subscriptions (its clients agree: both are written together)."""
    merged: dict[str, dict] = {}
    for client in app.clients.values():
        merged.update(records.subscriptions(client.subscriptions))
    return merged


def _document(api_id: str, subscription: dict, api: ApiModel | None) -> dict:
    return {
        "api": api_id,
        "api_name": api.name if api is not None else api_id,
        "tier": subscription.get("tier"),
        "created_at": subscription.get("created_at"),
    }


def listing(caller: "standing.Caller | str", app_id: str) -> dict:
    app = applications.find(caller, app_id)
    current = of(app)
    apis = registry.apis_by_id() if current else {}
    return {
        "application_id": app.id,
        "subscriptions": [_document(api_id, current[api_id], apis.get(api_id)) for api_id in sorted(current)],
    }


def _api(api_id: str) -> ApiModel:
    try:
        api = registry.api(api_id) if isinstance(api_id, str) else None
    except registry.RegistryError:
        api = None
    if api is None:
        raise NotFound("No such API in the catalogue")
    return api


def _tier(name: str) -> tiers.Tier:
    tier = tiers.get(name)
    if tier is None:
        raise InvalidRequest("No such tier: GET /apis lists the tiers offered")
    return tier


def _writes(app: applications.Application, user, changed: dict[str, dict], extra: list) -> list[dict]:
    """Both clients' new subscriptions, each on the condition that it is as read; the owner's guard."""
    writes = []
    for client in app.clients.values():
        mine = (ClientModel.owner == app.owner) & (ClientModel.application_id == app.id)
        same = applications.subscriptions_as_read(client)
        value = json.dumps(changed, sort_keys=True)
        action = ClientModel.subscriptions.set(value) if changed else ClientModel.subscriptions.remove()
        writes.append(
            {"Update": storage.update_request(ClientModel, client.client_id, [action], mine & same)}
        )
    return [*writes, standing.guard(user), *(item for item in extra if item is not None)]


def subscribe(caller: "standing.Caller | str", app_id: str, api_id: str, tier_name: str) -> dict:
    """Subscribe the owner's application to an API with a tier (409 when it is subscribed already)."""
    api, tier = _api(api_id), _tier(tier_name)
    plans = usage_plans.backend()
    key = None
    try:
        for _ in range(ATTEMPTS):
            app, user = applications.find_with_owner(caller, app_id)
            current = of(app)
            if api.api_id in current:
                raise SubscriptionExists()
            key = key or plans.create_key(tier, app.id, api.api_id)
            entry = {"tier": tier.name, "key": key.value, "key_id": key.id, "created_at": int(time.time())}
            try:
                extra = [registry.mark_subscribed(api.api_id), tiers.usable_condition(tier)]
                storage.transact(_writes(app, user, {**current, api.api_id: entry}, extra))
            except storage.ConditionFailed:
                _tier(tier.name)  # deleted meanwhile: 400
                _api(api.api_id)  # deleted meanwhile: 404
                continue
            logger.info(
                "Subscribed", extra={"application_id": app.id, "api_id": api.api_id, "tier": tier.name}
            )
            key = None  # it is the subscription's now
            return _document(api.api_id, entry, api)
        raise TemporarilyUnavailable(CHANGED_MEANWHILE)
    finally:
        if key is not None:  # made for a subscription that was not written
            plans.delete_key(key)


def unsubscribe(caller: "standing.Caller | str", app_id: str, api_id: str) -> dict:
    """End the owner's application's subscription to an API (404 when there is none); its key goes."""
    for _ in range(ATTEMPTS):
        app, user = applications.find_with_owner(caller, app_id)
        current = of(app)
        ended = current.pop(api_id, None) if isinstance(api_id, str) else None
        if ended is None:
            raise NotFound("The application is not subscribed to this API")
        try:
            storage.transact(_writes(app, user, current, []))
        except storage.ConditionFailed:
            continue
        usage_plans.forget_keys([ended])
        logger.info("Unsubscribed", extra={"application_id": app.id, "api_id": api_id})
        return {"api": api_id, "deleted": True}
    raise TemporarilyUnavailable(CHANGED_MEANWHILE)


def usage_days(values: tuple[str, ...] | list[str]) -> int:
    """`?days=N` (every value given): one whole number of days (ASCII digits) from 1 to MAX_DAYS;
    30 when absent. Never echoed back."""
    if not values:
        return 30
    if len(values) != 1 or not re.fullmatch(r"[0-9]{1,2}", values[0]) or not 1 <= int(values[0]) <= MAX_DAYS:
        raise InvalidRequest(f"'days' is a whole number from 1 to {MAX_DAYS}")
    return int(values[0])


def usage(caller: "standing.Caller | str", app_id: str, days: int = 30) -> dict:
    """The application's calls per day per subscribed API, over the last `days` days (UTC)."""
    return usage_of(applications.find(caller, app_id), days)


def usage_of(app: applications.Application, days: int = 30, apis: dict[str, ApiModel] | None = None) -> dict:
    """`usage` of an application already read (`apis`: the registry's, when the caller has them)."""
    start, end = usage_plans.days(days)
    plans = usage_plans.backend()
    current = of(app)
    if apis is None:
        apis = registry.apis_by_id() if current else {}
    found, total = [], 0
    for api_id, subscription in sorted(current.items()):
        tier = tiers.enforced(str(subscription.get("tier"))) or tiers.BUILT_IN["unlimited"]
        per_day = plans.usage(tier, usage_plans.key_of(subscription), start, end)
        calls = sum(per_day.values())
        total += calls
        found.append(
            {
                "api": api_id,
                "name": apis[api_id].name if api_id in apis else api_id,
                "tier": tier.name,
                "total": calls,
                "days": [{"date": day, "calls": count} for day, count in usage_plans.rows(per_day)],
            }
        )
    return {
        "application_id": app.id,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "apis": found,
        "total": total,
    }
