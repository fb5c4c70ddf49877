"""`make bench`: cold starts, DynamoDB round trips, warm CPU, argon2id, the local store's speed.

Everything runs against DynamoDB Local (the moto server where Java is missing, said so), so a
request's CPU is only this process's. The figures are printed and stored in bench/results.json;
`make bench-readme` (`python -m bench --readme`) rewrites docs/performance.md's tables from that
file. The command exits non-zero when a DynamoDB round-trip budget is exceeded; timings are
reported against their targets, not asserted.
"""

import argparse
import contextlib
import json
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path

from bench import goals, imports, report, requests, store

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results.json"
HASH_RUNS = 15
ISSUER = "http://bench.local"

# path → the most DynamoDB round trips one request may take
BUDGETS = {
    "password grant": 2,
    "password grant, JWT access token": 2,
    "refresh grant": 2,
    "client credentials": 2,
    "authorizer, opaque token": 1,
    "authorizer, JWT": 0,
    # the code flow: with a login session, the reads (one BatchGetItem) and the code's one write;
    # the code's exchange, its reads and one transaction
    "authorize, login session": 2,
    "authorize, login page": 2,
    "login page, password": 2,
    "code exchange": 2,
}
# path → the billed CPU (p50, argon2 excluded) it should stay under, ms
CPU_TARGETS = {
    "password grant": 3.0,
    "refresh grant": 2.5,
    "authorizer, opaque token": 0.9,
    "authorizer, JWT": 0.3,
}
# Every function on a request path imports in at most 0.6 x a bare `import boto3`; but the token
# function, which does its first request's imports and builds its DynamoDB client at init
# (`routes.initialise`): its figure is import + first call (goals.COLD_GOALS).
IMPORT_TARGETS = {
    "authorizer handler": 0.6,
    "applications handler": 0.6,
    "portal handler": 0.6,
    "orders handler": 0.6,
    "authorizer: import + JWT, keys and rules known": 0.75,
}


@contextlib.contextmanager
def database():
    """DynamoDB Local on a free port (the moto server where it cannot run), its tables, the local
    API's rules, and JWT signing on a moto KMS; yields a description of the store."""
    from localrun import demo, dynamodb
    from localrun.kms import LocalKms
    from localrun.launch import free_port

    port = free_port()
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
    )
    os.environ.update(POWERTOOLS_SERVICE_NAME="tokenservice", POWERTOOLS_LOG_LEVEL="INFO", ISSUER=ISSUER)
    server, description = dynamodb.DynamoDBLocal(port, None), ""
    try:
        server.start()
        description = server.describe()
    except dynamodb.Unavailable as error:
        from moto.server import ThreadedMotoServer

        print(f"{error} — measuring against the moto server instead", file=sys.stderr)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        description = "the moto server (DynamoDB Local could not run)"
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = f"http://127.0.0.1:{port}"
    kms = LocalKms()
    try:
        from localrun.tables import ensure_tables
        from tokenservice.deploy import deployment
        from tokenservice.store import dynamo

        ensure_tables(dynamo.client())
        demo.register_api()
        deployment.set_up_signing(ISSUER, kms.start().key_id, kms.endpoint)
        yield description
    finally:
        kms.stop()
        server.stop()


def machine(store_description: str) -> dict:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "arch": platform.machine(),
        "python": platform.python_version(),
        "dynamodb": re.sub(r", pid \d+", "", store_description),
        "date": time.strftime("%Y-%m-%d"),
    }


def probe_context() -> dict:
    """Tokens, credentials and registry items the import probes use, made through the real code."""
    from localrun.events import method_arn, token_event
    from tokenservice import admin
    from tokenservice.core import config
    from tokenservice.registry import registry
    from tokenservice.store import dynamo

    client = admin.create_client("bench probes", "read", token_format="opaque")
    jwt_client = admin.create_client("bench probes jwt", "read", token_format="jwt")
    issued = {}
    for name, new in (("opaque", client), ("jwt", jwt_client)):
        bench = requests.Bench.__new__(requests.Bench)
        basic = requests.Bench._basic(new)
        event = requests.Bench.event(bench, {"grant_type": "client_credentials"}, basic)
        from functions.token.app import lambda_handler
        from localrun.events import LambdaContext

        issued[name] = json.loads(lambda_handler(event, LambdaContext())["body"])["access_token"]
    (settings_item,) = dynamo.read([(config.table_name(config.REGISTRY_TABLE), "id", "signing")])
    return {
        "endpoint": os.environ["AWS_ENDPOINT_URL_DYNAMODB"],
        "tokens_table": config.table_name(config.TOKENS_TABLE),
        "client_form": "grant_type=client_credentials",
        "token_event": token_event("grant_type=client_credentials", requests.Bench._basic(client)),
        "basic": requests.Bench._basic(client),
        "method_arn": method_arn("v1", "GET", "/whoami"),
        "opaque_token": issued["opaque"],
        "jwt": issued["jwt"],
        "settings_item": settings_item,
        "rules": registry.api("local").rules,
        "env": {"ISSUER": ISSUER},
    }


def argon2_costs() -> dict:
    from tokenservice.users import passwords

    stored = passwords.hash_password(requests.BENCH_PASSWORD)
    hash_runs, verify_runs = [], []
    for _ in range(HASH_RUNS):
        start = time.perf_counter()
        passwords.hash_password(requests.BENCH_PASSWORD)
        hash_runs.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        passwords.verify(stored, requests.BENCH_PASSWORD)
        verify_runs.append((time.perf_counter() - start) * 1000)
    return {
        "parameters": f"m={passwords.MEMORY_COST_KIB} KiB t={passwords.TIME_COST} p={passwords.PARALLELISM}",
        "hash_ms": round(statistics.median(hash_runs), 1),
        "verify_ms": round(statistics.median(verify_runs), 1),
    }


@contextlib.contextmanager
def argon2_timed(meter: requests.Meter):
    """Count the CPU of argon2 verifications into the meter."""
    from argon2 import PasswordHasher

    verify = PasswordHasher.verify

    def timed_verify(self, *args, **kwargs):
        cpu = time.thread_time()
        try:
            return verify(self, *args, **kwargs)
        finally:
            meter.hash_cpu += time.thread_time() - cpu

    PasswordHasher.verify = timed_verify
    try:
        yield
    finally:
        PasswordHasher.verify = verify


def measure_all() -> dict:
    with database() as store_description:
        from tokenservice.core import config
        from tokenservice.store import dynamo

        meter = requests.Meter()
        client = dynamo.client()
        # from the parameters (before botocore serialises them) to the parsed answer
        client.meta.events.register("provide-client-params.dynamodb", meter.before)
        client.meta.events.register("after-call.dynamodb", meter.after)
        table = config.table_name(config.TOKENS_TABLE)
        with argon2_timed(meter), requests.counted_logs(meter):  # INFO log lines and EMF, counted
            paths = {result.name: result.summary() for result in requests.request_paths(meter)}
            context = probe_context()
            bench = requests.Bench(meter)
            warm_goals = goals.warm(bench, client, table)
            call_bytes = goals.authorized_call_bytes(bench)
        client.meta.events.unregister("provide-client-params.dynamodb", meter.before)
        client.meta.events.unregister("after-call.dynamodb", meter.after)
        cold_goals = goals.cold(context)
        times = imports.measure(context)
        breakdowns = {
            "functions.token.app": imports.breakdown("functions.token.app", context),
            "functions.authorizer.app": imports.breakdown("functions.authorizer.app", context),
        }
        latencies = store.latencies(client, table)
        floor = store.botocore_floor(client, table)
    return {
        "machine": machine(store_description),
        "imports": imports.ratios(times),
        "import_breakdown": breakdowns,
        "requests": paths,
        "argon2": argon2_costs(),
        "store": latencies,
        "botocore_floor_cpu_ms": floor,
        "goals": {
            "cold": cold_goals,
            "warm": warm_goals,
            "logs": {
                "bytes": goals.spread(call_bytes),
                "mean_bytes": round(statistics.mean(call_bytes), 1),
                "goal": goals.LOG_SHARE_GOAL,
            },
        },
    }


def show(results: dict) -> list[str]:
    """Print every figure; returns the round-trip budgets exceeded."""
    for name, content in report.sections(results).items():
        print(f"\n[{name}]\n{content}")
    if "goals" in results:
        print("\n[goals: paired ratios, min / median / max]")
        for row in report.goal_rows(results):
            print(f"  {row[0]}: {row[1]} / {row[2]} / {row[3]} (goal {row[4]}) {row[5]}")
    print("\n[import breakdown: own ms by package (by: the module that first imported it)]")
    for module, rows in results["import_breakdown"].items():
        print(f"  {module}: " + ", ".join(f"{name} {ms}" for name, ms in rows))
    print("\n[targets]")
    for name, target in IMPORT_TARGETS.items():
        if name not in results["imports"]:  # a stored run from before the probe existed
            print(f"  {name}: not measured in this run (target ≤ {target})")
            continue
        ratio = results["imports"][name]["ratio"]
        print(f"  {name}: {ratio:.2f} x baseline (target ≤ {target}) {'ok' if ratio <= target else 'MISSED'}")
    floor = results["botocore_floor_cpu_ms"]
    for name, target in CPU_TARGETS.items():
        path = results["requests"][name]
        cpu, ours = path["billed_cpu_ms"]["p50"], path["handler_cpu_ms"]["p50"]
        bare = sum(floor[operation] for operation in path["operations"])
        print(
            f"  {name}: billed CPU {cpu:.2f} ms (target ≤ {target}) {'ok' if cpu <= target else 'MISSED'}"
            f" — ours {ours:.2f}, botocore {path['botocore_cpu_ms']['p50']:.2f}"
            f" (bare calls alone: {bare:.2f})"
        )
    failures = [
        f"{name}: {results['requests'][name]['round_trips']} round trips > budget {budget}"
        for name, budget in BUDGETS.items()
        if results["requests"][name]["round_trips"] > budget
    ]
    print("\n" + ("\n".join(f"OVER BUDGET: {f}" for f in failures) or "All round-trip budgets hold."))
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--readme", action="store_true", help="rewrite docs/performance.md's tables from bench/results.json"
    )
    args = parser.parse_args(argv)
    if args.readme:
        replaced = report.rewrite_readme(json.loads(RESULTS.read_text()))
        rewrote = ", ".join(replaced) or "nothing (no bench markers)"
        print(f"docs/performance.md: rewrote {rewrote} from {RESULTS.name}")
        return 0
    started = time.perf_counter()
    print(f"tokenservice bench — Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    results = measure_all()
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    failures = show(results)
    print(
        f"(figures stored in {RESULTS.relative_to(ROOT)}; bench took {time.perf_counter() - started:.0f} s)"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):
        sys.exit(main())
