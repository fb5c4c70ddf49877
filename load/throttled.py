"""`make load`'s throttled traffic: an application subscribed to the sample API with a tight tier,
calling it beyond the tier.

Set up over HTTP as a developer does it: a user with the subscriber role gets a token for the
Applications API (scope apim:subscribe), creates an application, its Production keys and a
subscription to the sample API (`local`) with a fresh tier of RATE requests per second, bursts of
BURST (made as `tokenctl tier create` makes it). Then one worker calls `GET /orders` with the
application's client_credentials token PACE times the tier's rate for the whole run.

`429` is this traffic's expected answer beyond the tier, not an error: it is counted apart, and
must carry `Retry-After` and the OAuth JSON of the THROTTLED gateway response. Anything else but
200 is unexpected (a 5xx fails the run, as everywhere). The run also fails if the tier never
throttled (no 429 at all), or if the usage the Applications API reports differs from the calls
admitted (usage counts every admitted call, never a throttled one).
"""

import time
from dataclasses import dataclass

from load.common import bearer
from load.connection import Connection, Stats

RATE, BURST = 2.0, 2  # the tier: requests per second, bucket size
PACE = 4  # the worker calls at this many times the tier's rate
ROUTE = "GET /orders (subscribed, tier of 2/s)"
SETUP = "the store's set-up (Applications API)"
USAGE = "GET /applications/{id}/usage"
API = "local"  # make run's id of the sample API
PASSWORD = "a throttled developer's passphrase"
# The sample API requires no subscription, so the subscription's tier applies once the server sees
# the API's new mark: within SUBSCRIPTIONS_CACHE_SECONDS (make run: 0, read on every call; with
# BASE_URL, the server's setting is waited for).
SUBSCRIPTIONS_CACHE_SECONDS = 0


@dataclass(frozen=True)
class Subscribed:
    application_id: str
    developer_token: str  # apim:subscribe, for the usage
    token: str  # the application's, for the calls


@dataclass
class Outcome:
    stats: Stats
    admitted: int = 0
    throttled: int = 0
    malformed: int = 0  # a 429 without Retry-After or without the OAuth JSON


def provision(run: str) -> tuple[str, tuple[str, str], str]:
    """The tier, the developer and a first-party console client, written directly (as tokenctl
    does): (tier name, (console id, secret), developer username)."""
    from tokenservice import admin

    tier = admin.create_tier(f"load-{run}", RATE, BURST).name
    console = admin.create_client(f"make load console {run}", "read apim:subscribe")
    username = f"load-{run}-developer"
    admin.create_user(username, PASSWORD, "read", roles="subscriber")
    return tier, (console.client.client_id, console.client_secret), username


def subscribe(
    base_url: str, stats: Stats, provisioned: tuple[str, tuple[str, str], str], rules_seconds: int
) -> Subscribed | None:
    """The developer's steps over HTTP, then a wait for the server's SUBSCRIPTIONS_CACHE_SECONDS (the
    API's new mark); None (and counted as unexpected) where one fails."""
    tier, (console_id, console_secret), username = provisioned
    connection = Connection(base_url, stats)
    form = {"grant_type": "password", "username": username, "password": PASSWORD, "scope": "apim:subscribe"}
    auth = {"client_id": console_id, "client_secret": console_secret}
    try:
        status, answer = connection.call(SETUP, "POST", "/token", 200, {**form, **auth})
        developer = bearer(answer.get("access_token", ""))
        status, app = connection.call(
            SETUP,
            "POST",
            "/applications",
            201,
            headers=developer,
            json_body={"name": "Throttled", "scope": "read"},
        )
        if status != 201:
            return None
        path = f"/applications/{app['id']}"
        production = {"environment": "production"}
        _, keys = connection.call(SETUP, "POST", path + "/keys", 200, headers=developer, json_body=production)
        wanted = {"api": API, "tier": tier}
        status, _ = connection.call(
            SETUP, "POST", path + "/subscriptions", 201, headers=developer, json_body=wanted
        )
        if status != 201:
            return None
        grant = {"grant_type": "client_credentials", "scope": "read"}
        grant |= {name: str(keys.get(name, "")) for name in ("client_id", "client_secret")}
        status, issued = connection.call(SETUP, "POST", "/token", 200, grant)
        if status != 200:
            return None
        if rules_seconds > 1:
            print(
                f"make load: waiting {rules_seconds} s for the server"
                " (SUBSCRIPTIONS_CACHE_SECONDS) to show the subscription"
            )
        time.sleep(rules_seconds + 0.5 if rules_seconds else 0)
        return Subscribed(app["id"], answer["access_token"], issued["access_token"])
    finally:
        connection.close()


def _well_formed_429(headers: list[tuple[str, str]], payload: bytes) -> bool:
    import json

    names = {name.lower(): value for name, value in headers}
    try:
        error = json.loads(payload).get("error")
    except (ValueError, AttributeError):
        error = None
    return names.get("retry-after", "").isdigit() and error == "temporarily_unavailable"


def drive(base_url: str, subscribed: Subscribed, deadline: float) -> Outcome:
    """Call beyond the tier until the deadline: 200 (admitted) or 429 (throttled)."""
    outcome = Outcome(Stats())
    connection = Connection(base_url, outcome.stats)
    pause = 1 / (RATE * PACE)
    try:
        while time.monotonic() < deadline and not connection.failed:
            started = time.monotonic()
            status, headers, payload = connection.exchange(
                ROUTE, "GET", "/orders", (200, 429), headers=bearer(subscribed.token)
            )
            if status == 200:
                outcome.admitted += 1
            elif status == 429:
                outcome.throttled += 1
                outcome.malformed += not _well_formed_429(headers, payload)
            time.sleep(max(0.0, pause - (time.monotonic() - started)))
    finally:
        connection.close()
    return outcome


def counted(base_url: str, subscribed: Subscribed, stats: Stats) -> int | None:
    """The calls the Applications API's usage reports for the application (all its APIs)."""
    connection = Connection(base_url, stats)
    try:
        path = f"/applications/{subscribed.application_id}/usage"
        status, usage = connection.call(USAGE, "GET", path, 200, headers=bearer(subscribed.developer_token))
        return int(usage.get("total", 0)) if status == 200 else None
    finally:
        connection.close()


def problems(outcome: Outcome, usage: int | None) -> list[str]:
    """What fails the run in the throttled traffic (429s themselves never do)."""
    found = []
    if outcome.throttled == 0:
        found.append("the tier never throttled: no 429 at all")
    if outcome.admitted == 0:
        found.append("no call was admitted within the tier")
    if outcome.malformed:
        found.append(f"{outcome.malformed} 429 answers without Retry-After or the OAuth JSON")
    if usage is not None and usage != outcome.admitted:
        found.append(f"usage reports {usage} calls, {outcome.admitted} were admitted")
    return found


def report(outcome: Outcome | None, usage: int | None, seconds: float) -> list[str]:
    """Print the throttled traffic's line; the problems that fail the run."""
    if outcome is None:
        print("\nThrottled traffic: not run (the store's set-up failed: see the unexpected answers)")
        return ["the store's set-up failed"]
    calls = outcome.admitted + outcome.throttled
    reported = usage if usage is not None else "unknown"
    print(
        f"\nThrottled traffic (tier {RATE:g}/s, burst {BURST}, called at {RATE * PACE:g}/s): {calls} calls,"
        f" {outcome.admitted} admitted (200, {outcome.admitted / max(seconds, 1e-9):.1f}/s),"
        f" {outcome.throttled} throttled (429, not errors), usage counted: {reported}"
    )
    found = problems(outcome, usage)
    for problem in found:
        print(f"  {problem}")
    return found
