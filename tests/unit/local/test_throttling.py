"""make run's usage plans (localrun.throttling): token buckets with a tier's rate and burst, quotas
that reset on their period (UTC day, week from Sunday, month), and the refusal of unknown keys."""

import datetime

import pytest

from localrun import throttling
from tokenservice.registry import tiers, usage_plans
from tokenservice.store.models import UsageKeyModel

MONDAY = datetime.date(2026, 11, 30)


class Clock:
    def __init__(self):
        self.now, self.day = 1000.0, MONDAY

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def plans(monkeypatch):
    clock = Clock()
    keys, counted = {}, []
    monkeypatch.setattr(usage_plans, "local_key", keys.get)
    monkeypatch.setattr(usage_plans, "count_call", lambda key_id, day: counted.append((key_id, day)))
    monkeypatch.setattr(usage_plans, "counted", lambda key_id, start, end: {})
    found = {"Tight": tiers.Tier("Tight", 1.0, 2), "Daily": tiers.Tier("Daily", 100.0, 100, 2, "DAY")}
    found["Weekly"] = tiers.Tier("Weekly", 100.0, 100, 1, "WEEK")
    found["Monthly"] = tiers.Tier("Monthly", 100.0, 100, 1, "MONTH")
    monkeypatch.setattr(tiers, "cached", lambda name: found.get(name) or tiers.BUILT_IN.get(name.casefold()))
    for name in (*found, "Unlimited"):
        keys[f"key-{name}"] = UsageKeyModel(
            f"usage-key#{name}",
            key_id=f"id-{name}",
            tier=name,
            application_id="app",
            api_id="api",
            created_at=0,
        )
    limiter = throttling.UsagePlans(clock, lambda: clock.day)
    limiter.counted, limiter.clock = counted, clock
    return limiter


def test_a_bucket_holds_the_burst_and_refills_at_the_rate(plans):
    assert [plans.admit("key-Tight", "api") for _ in range(3)] == [None, None, throttling.THROTTLED]
    plans.clock.now += 0.5
    assert plans.admit("key-Tight", "api") == throttling.THROTTLED  # half a token
    plans.clock.now += 0.5
    assert plans.admit("key-Tight", "api") is None
    plans.clock.now += 60
    assert [plans.admit("key-Tight", "api") for _ in range(3)] == [None, None, throttling.THROTTLED]  # capped
    assert len(plans.counted) == 5  # throttled calls are not counted


def test_unlimited_is_never_throttled(plans):
    assert all(plans.admit("key-Unlimited", "api") is None for _ in range(500))


def test_a_daily_quota_resets_at_midnight_utc(plans):
    assert [plans.admit("key-Daily", "api") for _ in range(3)] == [None, None, throttling.QUOTA_EXCEEDED]
    plans.clock.day += datetime.timedelta(days=1)
    assert plans.admit("key-Daily", "api") is None


def test_a_weekly_quota_resets_on_sunday_and_a_monthly_one_on_the_first(plans):
    assert plans.admit("key-Weekly", "api") is None
    plans.clock.day = datetime.date(2026, 12, 5)  # Saturday: the same week
    assert plans.admit("key-Weekly", "api") == throttling.QUOTA_EXCEEDED
    plans.clock.day = datetime.date(2026, 12, 6)  # Sunday: a new week
    assert plans.admit("key-Weekly", "api") is None
    assert plans.admit("key-Monthly", "api") is None
    assert plans.admit("key-Monthly", "api") == throttling.QUOTA_EXCEEDED
    plans.clock.day = datetime.date(2027, 1, 1)
    assert plans.admit("key-Monthly", "api") is None


def test_a_key_of_no_plan_or_of_another_api_is_forbidden(plans):
    assert plans.admit("no-such-key", "api") == throttling.FORBIDDEN
    assert plans.admit("key-Tight", "another-api") == throttling.FORBIDDEN


def test_periods_start_as_api_gateways_offset_zero():
    assert throttling.period_start(datetime.date(2026, 12, 3), "WEEK") == datetime.date(
        2026, 11, 29
    )  # Sunday
    assert throttling.period_start(datetime.date(2026, 11, 29), "WEEK") == datetime.date(2026, 11, 29)
    assert throttling.period_start(datetime.date(2026, 12, 3), "MONTH") == datetime.date(2026, 12, 1)
    assert throttling.period_start(datetime.date(2026, 12, 3), "DAY") == datetime.date(2026, 12, 3)


def test_months_spans_the_range():
    assert usage_plans.months(datetime.date(2026, 11, 5), datetime.date(2027, 1, 2)) == [
        "2026-11",
        "2026-12",
        "2027-01",
    ]


@pytest.mark.parametrize(
    "args,message",
    [
        (("bad name!", 1, 1), "tier name"),
        (("T", 0, 1), "--rate"),
        (("T", 1e-300, 1), "--rate"),  # DynamoDB cannot store it (Number underflow): refused first
        (("T", float("nan"), 1), "--rate"),
        (("T", 1, -1), "--burst"),
        (("T", 1, 1, 5, None), "go together"),
        (("T", 1, 1, 0, "DAY"), "--quota"),
        (("T", 1, 1, 5, "YEAR"), "--quota-period"),
        (("gold", 1, 1), "exists"),
    ],
)
def test_bad_tiers_are_refused_in_one_line(args, message, monkeypatch):
    monkeypatch.setattr(tiers, "_stored", lambda name: None)
    with pytest.raises(tiers.TierError, match=message):
        tiers.create(*args)
