"""Where tiers are enforced and calls counted: API Gateway's usage plans on AWS, the emulator locally.

On AWS (the stack's deployment records the plans: a `usage-plans` item in the registry) each tier
is a usage plan; a subscription gets an API key of its own in its tier's plan, which the authorizer
returns as `usageIdentifierKey` (`ApiKeySourceType: AUTHORIZER`: API Gateway takes the key from the
authorizer only, so its value is not a credential and the developer never sees it); usage comes from
`GetUsage` (`registry.apigateway_plans`). Under `make run` (no such item) a key is an item of the
registry (`UsageKeyModel`) that the emulator reads to throttle the call with the key's tier, and the
emulator counts the calls per key per day (`UsageModel`) — what `GetUsage` reports on AWS.

Both answer the same questions (`Plans`); `backend()` picks one.
"""

import datetime
import logging
import secrets
import time
from collections.abc import Iterable
from typing import Protocol

from tokenservice.core import caching
from tokenservice.registry.tiers import Tier
from tokenservice.registry.usage_keys import Key, new_key_value
from tokenservice.store import storage
from tokenservice.store.models import (
    USAGE_PLANS_ID,
    UsageKeyModel,
    UsageModel,
    UsagePlansModel,
    usage_key,
    usage_key_key,
)

logger = logging.getLogger(__name__)


class Plans(Protocol):
    def create_tier_plan(self, tier: Tier) -> str | None:
        """Make the tier's usage plan; its id (None where there are no plans to make)."""

    def delete_tier_plan(self, tier: Tier) -> None: ...

    def create_key(self, tier: Tier, application_id: str, api_id: str) -> Key:
        """A new API key in the tier's plan, for one application's subscription to one API."""

    def delete_key(self, key: Key) -> None: ...

    def usage(
        self, tier: Tier, key: Key, start: datetime.date, end: datetime.date
    ) -> dict[datetime.date, int]:
        """Calls per day (UTC) from start to end inclusive, days without calls left out."""


class LocalPlans:
    """`make run`: keys are registry items the emulator reads; the emulator counts the calls."""

    def create_tier_plan(self, tier: Tier) -> str | None:
        return None

    def delete_tier_plan(self, tier: Tier) -> None:
        return None

    def create_key(self, tier: Tier, application_id: str, api_id: str) -> Key:
        key = Key("local-" + secrets.token_hex(8), new_key_value())
        storage.save(
            UsageKeyModel(
                usage_key_key(key.value),
                key_id=key.id,
                tier=tier.name,
                application_id=application_id,
                api_id=api_id,
                created_at=int(time.time()),
            )
        )
        return key

    def delete_key(self, key: Key) -> None:
        storage.delete(UsageKeyModel, usage_key_key(key.value))

    def usage(
        self, tier: Tier, key: Key, start: datetime.date, end: datetime.date
    ) -> dict[datetime.date, int]:
        return counted(key.id, start, end)


def key_of(subscription: dict) -> Key:
    """A subscription's API key, as `ClientModel.subscriptions` records it."""
    return Key(str(subscription.get("key_id", "")), str(subscription.get("key", "")))


def forget_keys(subscriptions: Iterable[dict]) -> None:
    """Delete the API keys of ended subscriptions; a failure leaves a key that nothing returns any
    more (the subscription is gone, so the authorizer never names it): logged, not raised."""
    plans = None
    for subscription in subscriptions:
        try:
            plans = plans or backend()
            plans.delete_key(key_of(subscription))
        except Exception:
            logger.exception("A subscription's API key was not deleted")


def _month(day: datetime.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def months(start: datetime.date, end: datetime.date) -> list[str]:
    """The months (YYYY-MM) from start to end."""
    found, day = [], start.replace(day=1)
    while day <= end:
        found.append(_month(day))
        day = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return found


def counted(key_id: str, start: datetime.date, end: datetime.date) -> dict[datetime.date, int]:
    """The emulator's counts of one key's calls per day, from start to end inclusive."""
    wanted = months(start, end)
    counts = storage.day_counts(UsageModel, [usage_key(key_id, month) for month in wanted])
    found: dict[datetime.date, int] = {}
    for month, per_day in zip(wanted, counts, strict=True):
        year, number = (int(part) for part in month.split("-"))
        for day_of_month, calls in per_day.items():
            day = datetime.date(year, number, day_of_month)
            if start <= day <= end and calls:
                found[day] = calls
    return found


def count_call(key_id: str, day: datetime.date, calls: int = 1) -> None:
    """The emulator counts calls made with a key (one atomic ADD per call)."""
    storage.add_day_count(UsageModel, usage_key(key_id, _month(day)), day.day, calls)


def local_key(value: str) -> UsageKeyModel | None:
    """The emulator's lookup of an API key value: its subscription and tier, or None."""
    return storage.get(UsageKeyModel, usage_key_key(value))


_settings: caching.Expiring[UsagePlansModel | None] = caching.Expiring(lambda: 60)


def settings() -> UsagePlansModel | None:
    """The deployed stack's usage plans (None under make run), kept in memory for a minute."""
    return _settings.get("settings", lambda: storage.get(UsagePlansModel, USAGE_PLANS_ID))


def backend() -> Plans:
    """API Gateway's usage plans where the stack recorded them (AWS), else the emulator's."""
    recorded = settings()
    if recorded is None:
        return LocalPlans()
    from tokenservice.registry import apigateway_plans  # AWS only: boto3's API Gateway client

    return apigateway_plans.ApiGatewayPlans(recorded)


def days(count: int, today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """The last `count` days (UTC), today included."""
    end = today or datetime.datetime.now(datetime.UTC).date()
    return end - datetime.timedelta(days=count - 1), end


def rows(per_day: dict[datetime.date, int]) -> Iterable[tuple[str, int]]:
    return ((day.isoformat(), calls) for day, calls in sorted(per_day.items()))
