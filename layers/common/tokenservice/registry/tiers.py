"""Throttling tiers (WSO2's subscription tiers): requests per second, a burst, an optional quota.

- `Unlimited`, `Gold`, `Silver` and `Bronze` exist from the start (`BUILT_IN`, the numbers in
  docs/store.md); an operator creates others (`tokenctl tier create`). Names are matched without
  regard to case: `gold` is `Gold`.
- A subscription names its tier. On AWS each tier is an API Gateway usage plan (throttle rate and
  burst, quota per DAY/WEEK/MONTH) and a subscription's API key joins its tier's plan; under
  `make run` the emulator enforces the same numbers itself (`registry.usage_plans`).
- A tier in use cannot be deleted: the delete marks the tier `deleting`, then looks for a
  subscription to it (a strongly consistent scan of the clients), then deletes it or lifts the mark.
  A subscription is written on the condition that its tier is not so marked, so the two cannot
  cross: either the scan sees the subscription, or the subscription is refused.
- Built-in tiers cannot be deleted or redefined; their items only record their usage plans.
"""

import dataclasses
import re
import time
from dataclasses import dataclass

from tokenservice.core import caching, problems
from tokenservice.registry import registry
from tokenservice.store import storage
from tokenservice.store.models import TierModel, tier_key

PERIODS = ("DAY", "WEEK", "MONTH")
MAX_RATE = 10000.0  # API Gateway's default account limit, requests per second
MIN_RATE = 0.001  # a request every ~17 minutes (DynamoDB cannot store a number below 1E-130)
MAX_BURST = 5000
MAX_QUOTA = 10**12
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


class TierError(problems.Invalid):
    """Bad input for a tier, or a tier that cannot be changed; the message says why, in one line."""


@dataclass(frozen=True)
class Tier:
    name: str
    rate: float | None  # requests per second; None: unthrottled
    burst: int | None
    quota: int | None = None
    quota_period: str | None = None
    description: str = ""
    built_in: bool = False
    plan_id: str | None = None  # its usage plan on AWS

    def document(self) -> dict:
        return {
            "name": self.name,
            "rate": self.rate,
            "burst": self.burst,
            "quota": self.quota,
            "quota_period": self.quota_period,
            "description": self.description,
            "built_in": self.built_in,
        }


# WSO2's default subscription tiers allow 5,000, 2,000 and 1,000 requests a minute; API Gateway
# throttles per second, so these are those rates (rounded) with a burst of two seconds' worth.
BUILT_IN = {
    tier.name.casefold(): dataclasses.replace(tier, built_in=True)
    for tier in (
        Tier("Unlimited", None, None, description="No limit of its own (the stage's and account's apply)"),
        Tier("Gold", 80.0, 160, description="80 requests per second, bursts of 160 (WSO2: 5,000 a minute)"),
        Tier("Silver", 30.0, 60, description="30 requests per second, bursts of 60 (WSO2: 2,000 a minute)"),
        Tier("Bronze", 15.0, 30, description="15 requests per second, bursts of 30 (WSO2: 1,000 a minute)"),
    )
}


def valid_name(name: str) -> str:
    if not _NAME.fullmatch(name or ""):
        raise TierError("a tier name is 1 to 64 letters, digits, '-' or '_', starting with a letter or digit")
    return name


def _valid_numbers(rate: float, burst: int, quota: int | None, period: str | None) -> None:
    if not (isinstance(rate, int | float) and MIN_RATE <= rate <= MAX_RATE):
        raise TierError(f"--rate is requests per second, from {MIN_RATE:g} to {MAX_RATE:g}")
    if not (isinstance(burst, int) and 0 <= burst <= MAX_BURST):
        raise TierError(f"--burst is a whole number of requests from 0 to {MAX_BURST}")
    if (quota is None) != (period is None):
        raise TierError("--quota and --quota-period go together")
    if quota is not None and not (isinstance(quota, int) and 0 < quota <= MAX_QUOTA):
        raise TierError("--quota is a whole number of requests, at least 1")
    if period is not None and period not in PERIODS:
        raise TierError("--quota-period is DAY, WEEK or MONTH")


def _tier(item: TierModel) -> Tier:
    built_in = BUILT_IN.get(item.name.casefold())
    if built_in is not None:  # its numbers are the code's; the item records its plan
        return dataclasses.replace(built_in, plan_id=item.plan_id)
    return Tier(
        item.name,
        float(item.rate) if item.rate is not None else None,
        int(item.burst) if item.burst is not None else None,
        int(item.quota) if item.quota is not None else None,
        item.quota_period,
        item.description or "",
        False,
        item.plan_id,
    )


def _stored(name: str) -> TierModel | None:
    return storage.get(TierModel, tier_key(name))


def _lookup(name: str | None) -> tuple[TierModel | None, Tier | None]:
    """The tier of that name (any case) and its item, if it has one."""
    if not name or not _NAME.fullmatch(name):
        return None, None
    item = _stored(name)
    return item, (_tier(item) if item is not None else BUILT_IN.get(name.casefold()))


def get(name: str | None) -> Tier | None:
    """The tier of that name (any case), or None; a tier being deleted counts as none."""
    item, tier = _lookup(name)
    return None if item is not None and item.deleting else tier


def enforced(name: str | None) -> Tier | None:
    """The tier a subscription names, for its throttling and usage: one being deleted too (the
    delete's mark refuses new subscriptions only; those it finds keep their numbers)."""
    return _lookup(name)[1]


_cached: caching.Expiring[Tier | None] = caching.Expiring(lambda: 1)


def cached(name: str) -> Tier | None:
    """`enforced`, kept in memory for a second (the emulator's throttle asks on every call)."""
    return _cached.get(name.casefold(), lambda: enforced(name))


def all_tiers() -> list[Tier]:
    """Every tier: the built-in ones first (in their order), then the others by name."""
    stored = {item.id: item for item in storage.scan(TierModel, TierModel.kind == "tier")}
    found = []
    for key, tier in BUILT_IN.items():
        item = stored.pop(f"tier#{key}", None)
        found.append(_tier(item) if item is not None else tier)
    others = [_tier(item) for item in stored.values() if not item.deleting and item.rate is not None]
    return found + sorted(others, key=lambda t: t.name.casefold())


def create(
    name: str,
    rate: float,
    burst: int,
    quota: int | None = None,
    period: str | None = None,
    description: str = "",
    plans=None,
) -> Tier:
    """A new tier, its usage plan made by `plans` (`usage_plans.backend()`: on AWS); refused when
    one of the name exists."""
    name = valid_name(name)
    period = period.upper() if isinstance(period, str) else period
    _valid_numbers(rate, burst, quota, period)
    if name.casefold() in BUILT_IN or _stored(name) is not None:
        raise TierError(f"a tier named {name} exists")
    tier = Tier(name, float(rate), burst, quota, period, description[:200])
    plan_id = plans.create_tier_plan(tier) if plans is not None else None
    item = TierModel(
        tier_key(name),
        name=name,
        rate=tier.rate,
        burst=burst,
        quota=quota,
        quota_period=period,
        description=tier.description,
        plan_id=plan_id,
        created_at=int(time.time()),
    )
    try:
        storage.create(item)
    except storage.KeyTaken:
        if plan_id:
            plans.delete_tier_plan(dataclasses.replace(tier, plan_id=plan_id))
        raise TierError(f"a tier named {name} exists") from None
    return dataclasses.replace(tier, plan_id=plan_id)


def in_use(name: str) -> list[str]:
    """The applications subscribed with this tier (a strongly consistent scan of the clients)."""
    wanted = name.casefold()
    return sorted(
        {
            client.application_id or client.client_id
            for client, held in registry.subscribed_clients()
            if any(str(subscription.get("tier", "")).casefold() == wanted for subscription in held.values())
        }
    )


def delete(name: str, plans=None) -> Tier:
    """Delete a tier nobody is subscribed with (its usage plan too, by `plans`: on AWS)."""
    name = valid_name(name)
    if name.casefold() in BUILT_IN:
        raise TierError(f"{BUILT_IN[name.casefold()].name} is a built-in tier: it cannot be deleted")
    item = _stored(name)
    if item is None or item.deleting:
        raise TierError(f"no tier named {name}")
    storage.update(TierModel, item.id, [TierModel.deleting.set(True)])
    subscribed = in_use(name)
    if subscribed:
        storage.update(TierModel, item.id, [TierModel.deleting.remove()])
        raise TierError(
            f"tier {item.name} is in use by {len(subscribed)} application(s): unsubscribe them first"
        )
    tier = _tier(item)
    if plans is not None:
        plans.delete_tier_plan(tier)
    storage.delete(TierModel, item.id)
    return tier


def usable_condition(tier: Tier) -> dict | None:
    """The transaction item that holds a subscription to its tier still existing and not being
    deleted (None for a built-in tier: they cannot be deleted)."""
    if tier.built_in:
        return None
    condition = TierModel.id.exists() & TierModel.deleting.does_not_exist()
    return {"ConditionCheck": storage.condition_check_request(TierModel, tier_key(tier.name), condition)}


def record_plan(name: str, plan_id: str) -> None:
    """Record a built-in tier's usage plan (the stack's deployment, on AWS)."""
    tier = BUILT_IN[name.casefold()]
    storage.save(TierModel(tier_key(tier.name), name=tier.name, plan_id=plan_id, created_at=int(time.time())))
