"""The performance issue's four goal rows, each a ratio of paired measurements (min / median / max).

A machine shared with other work is noisy, and noise that hits one side of a ratio and not the
other is what makes a ratio lie; so every measurement is paired with its baseline, the two run
back to back (in alternating order), and the ratio is taken pair by pair:

- cold: a fresh process importing the handler and serving its first request, against a fresh
  process doing the same DynamoDB calls with bare boto3 (`import boto3`, a client, the GetItems);
- warm: one request's thread CPU (argon2 excluded) against the same operations made as bare calls
  of small items with the same client, right after it;
- logs: the bytes one authorized call writes to CloudWatch Logs (the authorizer's and the sample
  API's own lines, measured, and Lambda's START/END/REPORT lines, `report.PLATFORM_LOG_BYTES`), as a
  share of what the call costs in all (`report.costs`).
"""

import statistics
import time
from collections.abc import Callable

from bench import imports, requests, store

COLD_ROUNDS = imports.RUNS
WARM_PAIRS = 120

BARE_TWO_GETS = """
import boto3
client = boto3.client("dynamodb")
for _ in range(2):
    client.get_item(TableName=TABLE, Key={"token_hash": {"S": "nobody"}}, ConsistentRead=True)
"""
# goal row → (probe, its baseline, the goal's ratio)
COLD_GOALS = {
    "token import + first client_credentials ÷ bare client + 2 GetItems": (
        "token: import + client_credentials grant",
        BARE_TWO_GETS,
        1.15,
    ),
    "authorizer import + first opaque check ÷ bare client + 1 GetItem": (
        "authorizer: import + opaque token",
        imports.BASELINE_CALL,
        1.05,
    ),
}
# warm path → the goal's ratio of its billed CPU to the same bare calls
WARM_GOALS = {
    "password grant": 1.3,
    "refresh grant": 1.3,
    "client credentials": 1.3,
    "authorizer, opaque token": 1.3,
}
LOG_SHARE_GOAL = 0.15


def spread(ratios: list[float]) -> dict:
    return {
        "min": round(min(ratios), 3),
        "median": round(statistics.median(ratios), 3),
        "max": round(max(ratios), 3),
        "pairs": len(ratios),
    }


def cold(context: dict, rounds: int = COLD_ROUNDS) -> dict[str, dict]:
    """Each cold goal's ratio, pair by pair, in fresh processes."""
    env = imports._env(context)
    named = {probe.name: probe for probe in imports.probes(context)}
    setup = named["boto3 (baseline)"].setup
    figures = {}
    for goal, (probe_name, baseline_body, target) in COLD_GOALS.items():
        probe, baseline = named[probe_name], imports.Probe("baseline", setup, baseline_body)
        imports._once(probe, env), imports._once(baseline, env)  # compile, warm the disk cache
        ratios = []
        for round_ in range(rounds):
            if round_ % 2:
                base, measured = imports._once(baseline, env), imports._once(probe, env)
            else:
                measured, base = imports._once(probe, env), imports._once(baseline, env)
            ratios.append(measured / base)
        figures[goal] = spread(ratios) | {"goal": target}
    return figures


def _cpu(call: Callable[[], object], meter: requests.Meter) -> float:
    meter.reset()
    cpu = time.thread_time()
    call()
    return time.thread_time() - cpu - meter.hash_cpu


def _bare(operations: list[str], bare: dict[str, Callable[[], object]]) -> float:
    cpu = time.thread_time()
    for operation in operations:
        bare[operation]()
    return time.thread_time() - cpu


def paired(call: Callable[[], object], meter: requests.Meter, bare: dict, pairs: int) -> list[float]:
    """`pairs` ratios of a request's billed CPU to its operations made bare, alternating which runs
    first. The operations are the first request's (a warm request makes the same ones)."""
    _cpu(call, meter)  # the first of each: caches (rules, scopes, keys) as a warm environment has them
    operations = list(meter.calls)
    ratios = []
    for pair in range(pairs):
        if pair % 2:
            base = _bare(operations, bare)
            spent = _cpu(call, meter)
        else:
            spent = _cpu(call, meter)
            base = _bare(operations, bare)
        ratios.append(spent / base)
    return ratios


def warm_calls(bench: requests.Bench, pairs: int) -> dict[str, Callable[[], object]]:
    login = bench.login_event(bench.opaque)
    refreshes = iter(
        [
            bench.event(
                {"grant_type": "refresh_token", "refresh_token": bench.post(login)["refresh_token"]},
                bench.opaque,
            )
            for _ in range(pairs + 1)  # and the first, uncounted
        ]
    )
    service = bench.event({"grant_type": "client_credentials"}, bench.opaque)
    check = requests.authorizer_event(bench.post(login)["access_token"])
    return {
        "password grant": lambda: bench.post(login),
        "refresh grant": lambda: bench.post(next(refreshes)),
        "client credentials": lambda: bench.post(service),
        "authorizer, opaque token": lambda: bench.authorize(check),
    }


def warm(bench: requests.Bench, client, table: str, pairs: int = WARM_PAIRS) -> dict[str, dict]:
    bare = store.bare_operations(client, table)
    figures = {}
    for name, call in warm_calls(bench, pairs).items():
        figures[name] = spread(paired(call, bench.meter, bare, pairs)) | {"goal": WARM_GOALS[name]}
    return figures


def authorized_call_bytes(bench: requests.Bench, pairs: int = WARM_PAIRS) -> list[int]:
    """What one authorized call writes (authorizer, then the sample API's GET /orders), per call."""
    from functions.orders.app import lambda_handler as orders
    from localrun.events import LambdaContext

    token = bench.post(bench.login_event(bench.opaque))["access_token"]
    check = requests.authorizer_event(token)
    event = {
        "resource": "/orders",
        "path": "/orders",
        "httpMethod": "GET",
        "headers": {"Authorization": f"Bearer {token}"},
        "requestContext": {"requestId": "bench", "authorizer": {"client_id": "bench", "scope": "read"}},
        "body": None,
        "isBase64Encoded": False,
    }
    written = []
    for _ in range(pairs):
        bench.meter.reset()
        bench.authorize(check)
        assert orders(event, LambdaContext("orders"))["statusCode"] == 200
        written.append(bench.meter.log_bytes)
    return written
