"""`make load`: a bounded loopback load test of `make run` (or of the server at BASE_URL).

It provisions its own client and one user per worker directly in DynamoDB (tokenservice.admin),
then LOAD_CLIENTS workers (default 16), each on one keep-alive connection, loop for LOAD_SECONDS
(default 30): a password grant, authorized `GET /orders` calls, a refresh (each refresh token is
used exactly once), the new access token on `/orders`, and in two cycles out of three a
revocation (RFC 7009) of the access token or of the whole grant, after which the revoked access
token must get 401. One cycle in four is the code-flow mix instead (`codeflow`): the hosted login
page, the login session, the codes' exchanges, UserInfo.

Then it checks that nothing was lost: every issued token's SHA-256 is in the tokens table
(BatchGetItem, consistent reads), the client's registered users are exactly the workers that got
a password grant, every revoked token is refused (401 on /orders, `{"active": false}` from
/introspect) and every other access token is still active.

Beside them runs throttled traffic (`throttled`): an application subscribed to the sample API
with a tight tier calls it beyond the tier, so that 429s arrive; they are counted apart (a 429 is
no error there), and the usage the Applications API reports must be the calls admitted.

It prints requests per second, p50/p95/p99 per route, unexpected answers by status, the loss
counts, the throttled traffic's 200s and 429s, and DynamoDB Local's resident memory before and
after the run. The exit status is 1 on any 5xx, connection error, unexpected answer or loss, or
when the tier never throttled; 2 when it cannot run.

Without BASE_URL it starts `make run` on free ports and stops it after. With BASE_URL (a
loopback URL) it needs AWS_ENDPOINT_URL_DYNAMODB (a loopback endpoint) for the provisioning and
the checks; DynamoDB Local's pid is then unknown, so no memory figure is shown.
"""

import math
import os
import secrets
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

from load import codeflow, throttled
from load.checks import Checker, Losses
from load.common import (
    DRIVEN_ROUTES,
    ORDERS,
    ORDERS_PER_TOKEN,
    PASSWORD,
    REFRESH,
    REVOKE,
    SCOPE,
    Issued,
    Provisioned,
    bearer,
    cpu_seconds,
)
from load.connection import Connection, Stats
from tokenservice.core.loopback import is_loopback_http_url

DEFAULT_SECONDS = 30
DEFAULT_CLIENTS = 16
MAX_SECONDS = 3600
MAX_CLIENTS = 256


class Misconfigured(Exception):
    """The load test cannot run as configured; the message says why."""


def _setting(name: str, default: int, maximum: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or not 0 < int(value) <= maximum:
        raise Misconfigured(f"{name} must be a whole number from 1 to {maximum}, not {value!r}")
    return int(value)


def _loopback_url(name: str, value: str) -> str:
    if not is_loopback_http_url(value):
        raise Misconfigured(f"{name} must be an http:// URL on this machine (loopback), not {value!r}")
    return value.rstrip("/")


# -- the drive -------------------------------------------------------------------------------------


def provision(workers: int) -> Provisioned:
    """A client and one user per worker, with fresh names, written directly to DynamoDB."""
    from tokenservice import admin

    run = secrets.token_hex(4)
    client = admin.create_client(f"make load {run}", SCOPE)
    users = []
    for index in range(workers):
        username, password = f"load-{run}-{index:03d}", secrets.token_urlsafe(16)
        admin.create_user(username, password, SCOPE)
        users.append((username, password))
    return Provisioned(client.client.client_id, client.client_secret, users, codeflow.provision_client())


def drive(base_url: str, client: Provisioned, index: int, deadline: float) -> tuple[Stats, Issued]:
    """One worker: login, orders, refresh, orders, and (two cycles in three) revoke then a 401."""
    stats, issued = Stats(), Issued()
    connection = Connection(base_url, stats)
    username, password = client.users[index]
    browser = codeflow.CodeFlowWorker(connection, client.code_client, client.users[index])
    cycle = index  # workers start at different points of the revocation rotation
    try:
        while time.monotonic() < deadline and not connection.failed:  # no spinning on a dead server
            cycle += 1
            if cycle % 4 == 0:  # the code-flow mix: the hosted login page, SSO, the exchanges
                browser.cycle(issued)
                continue
            form = {"grant_type": "password", "username": username, "password": password, "scope": SCOPE}
            status, first = connection.call(PASSWORD, "POST", "/token", 200, {**form, **client.auth})
            if status != 200:
                continue
            issued.users.add(username)
            issued.access.append(first["access_token"])
            issued.refresh.append(first["refresh_token"])
            for _ in range(ORDERS_PER_TOKEN):
                connection.call(ORDERS, "GET", "/orders", 200, headers=bearer(first["access_token"]))
            form = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
            status, second = connection.call(REFRESH, "POST", "/token", 200, {**form, **client.auth})
            if status != 200:
                continue
            issued.access.append(second["access_token"])
            issued.refresh.append(second["refresh_token"])
            connection.call(ORDERS, "GET", "/orders", 200, headers=bearer(second["access_token"]))
            if cycle % 3 == 0:  # revoke the access token alone
                form = {"token": second["access_token"], "token_type_hint": "access_token"}
                if connection.call(REVOKE, "POST", "/revoke", 200, {**form, **client.auth})[0] != 200:
                    continue
                issued.revoked_access.add(second["access_token"])
            elif cycle % 3 == 1:  # revoke the refresh token: the whole grant goes
                form = {"token": second["refresh_token"], "token_type_hint": "refresh_token"}
                if connection.call(REVOKE, "POST", "/revoke", 200, {**form, **client.auth})[0] != 200:
                    continue
                issued.revoked_refresh.add(second["refresh_token"])
                issued.revoked_access.update((first["access_token"], second["access_token"]))
            else:
                continue  # this grant stays live
            connection.call(ORDERS, "GET", "/orders", 401, headers=bearer(second["access_token"]))
    finally:
        connection.close()
    return stats, issued


# -- the report ------------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of sorted values."""
    return values[max(0, min(len(values) - 1, math.ceil(fraction * len(values)) - 1))]


def _mib(kib: int | None) -> str:
    return f"{kib / 1024:.0f} MiB" if kib is not None else "unknown"


def cpu_report(total: int, elapsed: float, cpu: dict[str, float] | None) -> None:
    """Figures that compare across machines: requests per second per core, and the CPU seconds the
    server (make run's Python: the handlers, botocore, argon2, the emulator) and DynamoDB Local
    spent per request."""
    cores = os.cpu_count() or 1
    per_core = total / elapsed / cores
    print(f"{per_core:.1f} requests/s per core ({cores} cores, shared by the load, the server and DynamoDB)")
    if cpu is None:
        print("server CPU per request: unknown (BASE_URL was given: the server's processes are not ours)")
        return
    print(
        f"CPU per request: server {cpu['server'] / total * 1000:.1f} ms, DynamoDB Local"
        f" {cpu['dynamodb'] / total * 1000:.1f} ms (CPU seconds over the run: server"
        f" {cpu['server']:.1f}, DynamoDB Local {cpu['dynamodb']:.1f}, in {elapsed:.1f} s)"
    )


def report(stats: Stats, checks: Stats, losses: Losses, elapsed: float, rss: tuple, pid: int | None) -> None:
    routes = (*DRIVEN_ROUTES, *codeflow.ROUTES, throttled.ROUTE)
    total = sum(len(stats.latencies.get(route, [])) for route in routes)
    print(f"\n{'route':<40}{'requests':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for route in routes:
        values = sorted(stats.latencies.get(route, []))
        if values:
            p50, p95, p99 = (percentile(values, f) for f in (0.50, 0.95, 0.99))
            print(f"{route:<40}{len(values):>10}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}")
    print(f"{'all':<40}{total:>10}   {total / elapsed:.0f} requests/s over {elapsed:.1f} s")

    def by_status(counter: Counter) -> str:
        return ", ".join(f"{status}: {count}" for status, count in sorted(counter.items(), key=str)) or "none"

    print(f"\nUnexpected answers during the run, by status: {by_status(stats.unexpected)}")
    print(f"Unexpected answers during the checks, by status: {by_status(checks.unexpected)}")
    for example in {**stats.examples, **checks.examples}.values():
        print(f"  e.g. {example}")
    print("Lost writes and wrong answers:")
    print(f"  tokens missing from the tokens table: {losses.tokens_missing} of {losses.tokens_checked}")
    print(
        f"  registered users: {losses.registered} counted, {losses.registered_expected} got a password"
        f" grant, {losses.registered_mismatch} differ"
    )
    print(f"  revoked tokens still accepted: {losses.revoked_accepted} of {losses.revoked_checked}")
    print(f"  unrevoked access tokens refused: {losses.live_refused} of {losses.live_checked}")
    where = f"pid {pid}" if pid else "pid unknown: BASE_URL was given"
    print(f"DynamoDB server resident memory ({where}): start {_mib(rss[0])}, end {_mib(rss[1])}")


# -- main ------------------------------------------------------------------------------------------


def run(
    base_url: str,
    database: str,
    pid: int | None,
    seconds: int,
    workers: int,
    session: int | None,
    rules_seconds: int = throttled.SUBSCRIPTIONS_CACHE_SECONDS,
) -> int:
    from localrun.dynamodb import resident_kib

    client = provision(workers)
    store = Stats()  # the throttled traffic's set-up and usage
    subscribed = throttled.subscribe(
        base_url, store, throttled.provision(secrets.token_hex(4)), rules_seconds
    )
    print(f"make load: {workers} clients for {seconds} s against {base_url} (DynamoDB: {database})")
    rss_start = resident_kib(pid)
    cpu_start = cpu_seconds(session, pid)
    deadline = time.monotonic() + seconds
    started = time.perf_counter()
    with ThreadPoolExecutor(workers + 1) as pool:
        limited = pool.submit(throttled.drive, base_url, subscribed, deadline) if subscribed else None
        results = list(pool.map(lambda index: drive(base_url, client, index, deadline), range(workers)))
        outcome = limited.result() if limited else None
    elapsed = time.perf_counter() - started
    usage = throttled.counted(base_url, subscribed, store) if subscribed else None
    cpu_end = cpu_seconds(session, pid)
    cpu = None if cpu_start is None or cpu_end is None else {k: cpu_end[k] - cpu_start[k] for k in cpu_end}
    rss_end = resident_kib(pid)
    stats, issued = Stats(), Issued()
    for worker_stats, worker_issued in results:
        stats.merge(worker_stats)
        issued.merge(worker_issued)
    for extra in (store, outcome.stats if outcome else None):
        stats.merge(extra or Stats())

    print(f"Checking {len(issued.access) + len(issued.refresh) + len(issued.code_access)} issued tokens...")
    checker = Checker(base_url, client, workers)
    losses = checker.run(issued)
    report(stats, checker.stats, losses, elapsed, (rss_start, rss_end), pid)
    limits = throttled.report(outcome, usage, elapsed)
    cpu_report(sum(len(values) for values in stats.latencies.values()), elapsed, cpu)
    failed = (
        sum(stats.unexpected.values()) + sum(checker.stats.unexpected.values()) + losses.total + len(limits)
    )
    passed = "PASS: no 5xx, no connection error, no unexpected answer, nothing lost; the tier throttled"
    print("FAIL" if failed else passed)
    return 1 if failed else 0


def main() -> int:
    from localrun import launch

    try:
        seconds = _setting("LOAD_SECONDS", DEFAULT_SECONDS, MAX_SECONDS)
        workers = _setting("LOAD_CLIENTS", DEFAULT_CLIENTS, MAX_CLIENTS)
        with ExitStack() as stack:
            if os.environ.get("BASE_URL"):
                base_url = _loopback_url("BASE_URL", os.environ["BASE_URL"])
                endpoint = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB", "")
                if not endpoint:
                    raise Misconfigured(
                        "with BASE_URL, set AWS_ENDPOINT_URL_DYNAMODB to that server's DynamoDB"
                    )
                endpoint = _loopback_url("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
                database, pid, session = endpoint, None, None
                # the server's, as it was started (make run: 0; at most 1 s otherwise by default)
                rules = _setting("SUBSCRIPTIONS_CACHE_SECONDS", 1, 3600)
            else:
                print("Starting make run on free ports...", flush=True)
                rules = throttled.SUBSCRIPTIONS_CACHE_SECONDS
                api = stack.enter_context(launch.make_run())
                if not api.dynamodb_local:
                    why = [line for line in api.output if "DynamoDB Local" in line or "moto" in line]
                    raise Misconfigured("it needs DynamoDB Local, and make run fell back:\n" + "\n".join(why))
                base_url, endpoint, database, pid = api.url, api.dynamodb_url, api.database, api.dynamodb_pid
                session = api.session
                for name in [name for name in os.environ if name.startswith("AWS_")]:
                    del os.environ[name]  # as make run was started: no AWS configuration at all
            os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
            return run(base_url, database, pid, seconds, workers, session, rules)
    except Misconfigured as error:
        print(f"make load: {error}", file=sys.stderr)
    except launch.StartFailed as error:
        print(f"make load: {error}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
