"""make run's usage plans: what API Gateway does with the authorizer's `usageIdentifierKey`.

A key is looked up as API Gateway looks it up in its usage plans (here: the registry's usage-key
items, `registry.usage_plans.LocalPlans`); a key of no plan, or of a plan for another API, is
refused with 403 (API Gateway's "Forbidden"). Each key has a token bucket with its tier's rate
(tokens per second) and burst (capacity), full at first: a call takes a token or is refused with
the THROTTLED gateway response (429). A quota counts the calls of the current period (UTC: a day
from midnight, a week from Sunday — API Gateway's offset 0 —, a month from the 1st), starting from
what was counted before this process started; beyond it, QUOTA_EXCEEDED (429). An admitted call is
counted for the key's day (`usage_plans.count_call`), which is what `GetUsage` reports on AWS.

AWS calls its usage plans' throttling and quotas best-effort; here they are exact, per process.
"""

import datetime
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from tokenservice.registry import tiers, usage_plans

THROTTLED, QUOTA_EXCEEDED, FORBIDDEN = "THROTTLED", "QUOTA_EXCEEDED", "FORBIDDEN"


@dataclass
class Bucket:
    tokens: float
    updated: float


def period_start(day: datetime.date, period: str) -> datetime.date:
    """The first day of the quota period (DAY, WEEK from Sunday, MONTH) that `day` is in."""
    if period == "WEEK":
        return day - datetime.timedelta(days=(day.weekday() + 1) % 7)
    if period == "MONTH":
        return day.replace(day=1)
    return day


class UsagePlans:
    """The token buckets and quota counts of every key this process has seen."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        today: Callable[[], datetime.date] = lambda: datetime.datetime.now(datetime.UTC).date(),
    ):
        self._clock, self._today = clock, today
        self._lock = threading.Lock()
        self._buckets: dict[str, Bucket] = {}
        self._quotas: dict[tuple[str, datetime.date], int] = {}

    def admit(self, key_value: str, api_id: str) -> str | None:
        """None when the call may go on (and it is counted), else the gateway response type."""
        found = usage_plans.local_key(key_value)
        if found is None or found.api_id != api_id:
            return FORBIDDEN
        tier = tiers.cached(found.tier) or tiers.BUILT_IN["unlimited"]
        day = self._today()
        with self._lock:
            if not self._take(found.key_id, tier):
                return THROTTLED
            if not self._within_quota(found.key_id, tier, day):
                return QUOTA_EXCEEDED
        usage_plans.count_call(found.key_id, day)
        return None

    def _take(self, key_id: str, tier: tiers.Tier) -> bool:
        if tier.rate is None:
            return True
        now, capacity = self._clock(), float(max(tier.burst or 0, 1))
        bucket = self._buckets.setdefault(key_id, Bucket(capacity, now))
        bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated) * tier.rate)
        bucket.updated = now
        if bucket.tokens < 1:
            return False
        bucket.tokens -= 1
        return True

    def _within_quota(self, key_id: str, tier: tiers.Tier, day: datetime.date) -> bool:
        if tier.quota is None or tier.quota_period is None:
            return True
        start = period_start(day, tier.quota_period)
        counted = self._quotas.get((key_id, start))
        if counted is None:  # what was counted before this process began
            counted = sum(usage_plans.counted(key_id, start, day).values())
        if counted >= tier.quota:
            self._quotas[(key_id, start)] = counted
            return False
        self._quotas[(key_id, start)] = counted + 1
        return True
