"""`make bench`: import times, DynamoDB round trips, warm latency and CPU, argon2id cost.

Round trips are counted with botocore event hooks against moto (deterministic) and checked
against the budgets: the command exits non-zero when one is exceeded. Timings are reported,
not asserted. Handler CPU excludes the time spent inside DynamoDB calls (moto runs in-process)
and shows the argon2id verification apart.
"""

import base64
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
IMPORT_RUNS = 15
WARM_REQUESTS = 60
HASH_RUNS = 15

HANDLERS = {
    "token": "functions.token.app",
    "authorizer": "functions.authorizer.app",
    "orders": "functions.orders.app",
}
# path → the most DynamoDB round trips one request may take
BUDGETS = {"password grant": 2, "refresh grant": 2, "authorizer": 1}


# -- import time ---------------------------------------------------------------------------------

IMPORT_PROBE = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


# What a handler's import is made of: each step imported after the ones before it.
BREAKDOWN = (
    ("botocore (session, client)", "botocore.session"),
    ("Powertools (Logger, metrics)", "aws_lambda_powertools.logging, aws_lambda_powertools.metrics"),
    ("PynamoDB (models)", "pynamodb.models"),
    ("argon2-cffi", "argon2"),
    ("tokenservice + token handler", "functions.token.app"),
)
BREAKDOWN_PROBE = """
import json, time
steps = {steps!r}
spent = []
for modules in steps:
    t = time.perf_counter()
    exec("import " + modules)
    spent.append((time.perf_counter() - t) * 1000)
print(json.dumps(spent))
"""


def import_breakdown() -> list[float]:
    """Median milliseconds of each BREAKDOWN step, in fresh processes."""
    steps = [modules for _, modules in BREAKDOWN]
    command = [sys.executable, "-c", BREAKDOWN_PROBE.format(steps=steps)]
    runs = [
        json.loads(
            subprocess.run(command, env=_import_env(), check=True, capture_output=True, text=True).stdout
        )
        for _ in range(IMPORT_RUNS)
    ]
    return [statistics.median(step) for step in zip(*runs, strict=True)]


def _import_env() -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "common"), str(ROOT)]),
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "tokenservice",
    }


def import_times(modules: list[str]) -> dict[str, list[float]]:
    """Milliseconds to import each module in fresh processes (layer on the path, as on Lambda),
    the modules interleaved round by round so that machine noise hits them alike."""
    env = _import_env()

    def once(module: str) -> float:
        command = [sys.executable, "-c", IMPORT_PROBE.format(module=module)]
        return (
            float(subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout) * 1000
        )

    for module in modules:
        once(module)  # compile .pyc first
    times: dict[str, list[float]] = {module: [] for module in modules}
    for _ in range(IMPORT_RUNS):
        for module in modules:
            times[module].append(once(module))
    return times


# -- request measurements ------------------------------------------------------------------------


@dataclass
class Meter:
    """DynamoDB calls, and the wall and CPU time spent inside them and inside argon2."""

    calls: list[str] = field(default_factory=list)
    dynamodb_wall: float = 0.0
    dynamodb_cpu: float = 0.0
    hash_wall: float = 0.0
    hash_cpu: float = 0.0
    _started: tuple[float, float] = (0.0, 0.0)

    def reset(self) -> None:
        self.calls.clear()
        self.dynamodb_wall = self.dynamodb_cpu = self.hash_wall = self.hash_cpu = 0.0

    def before(self, model, **_) -> None:
        self.calls.append(model.name)
        self._started = (time.perf_counter(), time.thread_time())

    def after(self, **_) -> None:
        self.dynamodb_wall += time.perf_counter() - self._started[0]
        self.dynamodb_cpu += time.thread_time() - self._started[1]


@dataclass
class PathResult:
    name: str
    round_trips: int
    operations: list[str]
    wall_ms: list[float]
    cpu_ms: list[float]  # handler CPU without DynamoDB and without argon2
    hash_ms: list[float]

    def row(self) -> list[str]:
        p = lambda values, q: statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]  # noqa: E731
        return [
            self.name,
            f"{self.round_trips} ({' + '.join(self.operations)})",
            f"{p(self.wall_ms, 50):.1f} / {p(self.wall_ms, 95):.1f}",
            f"{p(self.cpu_ms, 50):.2f} / {p(self.cpu_ms, 95):.2f}",
            f"{statistics.median(self.hash_ms):.1f}" if any(self.hash_ms) else "-",
        ]


@contextmanager
def environment():
    """moto standing in for DynamoDB, the template's tables, dummy credentials."""
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    os.environ.update(
        AWS_REGION="us-east-1", POWERTOOLS_SERVICE_NAME="tokenservice", POWERTOOLS_LOG_LEVEL="WARNING"
    )
    os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
    from moto import mock_aws

    from tokenservice import storage

    with mock_aws():
        from localrun.tables import ensure_tables

        storage.dynamodb.cache_clear()
        ensure_tables(storage.dynamodb())
        yield storage.dynamodb()


def measure(name: str, call, meter: Meter, requests: int) -> PathResult:
    walls, cpus, hashes, operations = [], [], [], []
    for _ in range(requests):
        meter.reset()
        wall, cpu = time.perf_counter(), time.thread_time()
        call()
        wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
        operations = list(meter.calls)
        walls.append(wall * 1000)
        cpus.append((cpu - meter.dynamodb_cpu - meter.hash_cpu) * 1000)
        hashes.append(meter.hash_wall * 1000)
    return PathResult(name, len(operations), operations, walls, cpus, hashes)


@dataclass
class Bench:
    """The handlers under measurement, a provisioned client and user, and the meter."""

    meter: Meter
    token_handler: object
    authorizer_handler: object
    basic: str
    context: object

    def event(self, form: dict) -> dict:
        from localrun.events import token_event

        return token_event(urlencode(form), self.basic)

    def post(self, prepared: dict) -> dict:  # events are built outside the measured call
        response = self.token_handler(prepared, self.context)
        assert response["statusCode"] == 200, response["body"]
        return json.loads(response["body"])

    def login(self) -> dict:
        form = {"grant_type": "password", "username": BENCH_USER, "password": BENCH_PASSWORD, "scope": "read"}
        return self.event(form)


BENCH_USER = "bench-user"
BENCH_PASSWORD = "a bench password"


def password_grant(bench: Bench) -> PathResult:
    login = bench.login()
    return measure("password grant", lambda: bench.post(login), bench.meter, WARM_REQUESTS)


def refresh_grant(bench: Bench) -> PathResult:
    login = bench.login()
    pending = iter(
        [
            bench.event({"grant_type": "refresh_token", "refresh_token": bench.post(login)["refresh_token"]})
            for _ in range(WARM_REQUESTS)
        ]
    )
    return measure("refresh grant", lambda: bench.post(next(pending)), bench.meter, WARM_REQUESTS)


def client_credentials(bench: Bench) -> PathResult:
    service = bench.event({"grant_type": "client_credentials"})
    return measure("client credentials", lambda: bench.post(service), bench.meter, WARM_REQUESTS)


def authorizer(bench: Bench) -> PathResult:
    from localrun.events import load_event

    event = load_event("authorizer_token")
    event["authorizationToken"] = f"Bearer {bench.post(bench.login())['access_token']}"
    call = lambda: bench.authorizer_handler(event, bench.context)  # noqa: E731
    return measure("authorizer", call, bench.meter, WARM_REQUESTS * 3)


PATHS = (password_grant, refresh_grant, client_credentials, authorizer)


@contextmanager
def argon2_timed(meter: Meter):
    """Count the wall and CPU time of argon2 verifications into the meter."""
    from argon2 import PasswordHasher

    verify = PasswordHasher.verify

    def timed_verify(self, *args, **kwargs):
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            return verify(self, *args, **kwargs)
        finally:
            meter.hash_wall += time.perf_counter() - wall
            meter.hash_cpu += time.thread_time() - cpu

    PasswordHasher.verify = timed_verify
    try:
        yield
    finally:
        PasswordHasher.verify = verify


def request_paths() -> list[PathResult]:
    """Each request path measured warm against in-process moto."""
    import importlib

    from localrun.events import LambdaContext
    from tokenservice import admin

    meter = Meter()
    with environment() as client, argon2_timed(meter), contextlib.redirect_stdout(io.StringIO()):
        client.meta.events.register("before-call.dynamodb", meter.before)
        client.meta.events.register("after-call.dynamodb", meter.after)
        new = admin.create_client("bench", "read update")
        admin.create_user(BENCH_USER, BENCH_PASSWORD, "read update")
        bench = Bench(
            meter,
            importlib.import_module(HANDLERS["token"]).lambda_handler,
            importlib.import_module(HANDLERS["authorizer"]).lambda_handler,
            "Basic " + base64.b64encode(f"{new.client.client_id}:{new.client_secret}".encode()).decode(),
            LambdaContext("bench"),
        )
        return [path(bench) for path in PATHS]


def argon2_costs() -> tuple[float, float]:
    """Median milliseconds to hash and to verify a password."""
    from tokenservice import passwords

    stored = passwords.hash_password(BENCH_PASSWORD)
    hash_runs, verify_runs = [], []
    for _ in range(HASH_RUNS):
        start = time.perf_counter()
        passwords.hash_password(BENCH_PASSWORD)
        hash_runs.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        passwords.verify(stored, BENCH_PASSWORD)
        verify_runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(hash_runs), statistics.median(verify_runs)


# -- report --------------------------------------------------------------------------------------


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


def report_imports() -> None:
    times = import_times(["boto3", *HANDLERS.values()])
    baseline, baseline_min = statistics.median(times["boto3"]), min(times["boto3"])
    rows = [["import boto3 (baseline)", f"{baseline:.1f}", "1.00", f"{baseline_min:.1f}", "1.00"]]
    for name, module in HANDLERS.items():
        median, fastest = statistics.median(times[module]), min(times[module])
        rows.append(
            [
                f"{name} handler",
                f"{median:.1f}",
                f"{median / baseline:.2f}",
                f"{fastest:.1f}",
                f"{fastest / baseline_min:.2f}",
            ]
        )
    table(
        f"Cold start: module import in {IMPORT_RUNS} fresh processes each (target: at most 1.00 x boto3)",
        ["module", "median ms", "x boto3", "min ms", "x boto3"],
        rows,
    )
    steps = import_breakdown()
    table(
        "What the token handler's import is made of (median ms, each step after the ones above)",
        ["step", "ms", "x boto3"],
        [[name, f"{ms:.1f}", f"{ms / baseline:.2f}"] for (name, _), ms in zip(BREAKDOWN, steps, strict=True)]
        + [["total", f"{sum(steps):.1f}", f"{sum(steps) / baseline:.2f}"]],
    )


def report_requests() -> list[PathResult]:
    from tokenservice import passwords

    results = request_paths()
    hash_ms, verify_ms = argon2_costs()
    table(
        f"Warm requests ({WARM_REQUESTS}+ each; DynamoDB is in-process moto)",
        ["path", "DynamoDB round trips", "wall p50 / p95 ms", "handler CPU p50 / p95 ms*", "argon2 ms"],
        [result.row() for result in results],
    )
    print(
        "* CPU of the handler itself: minus the time inside DynamoDB calls and inside argon2id."
        " Targets: token endpoint ≤ 2 ms, authorizer ≤ 1 ms."
    )
    table(
        f"argon2id (m={passwords.MEMORY_COST_KIB} KiB, t={passwords.TIME_COST}, p={passwords.PARALLELISM}),"
        f" median of {HASH_RUNS}",
        ["operation", "ms"],
        [["hash", f"{hash_ms:.1f}"], ["verify", f"{verify_ms:.1f}"]],
    )
    return results


def over_budget(results: list[PathResult]) -> list[str]:
    failures = [
        f"{result.name}: {result.round_trips} round trips > budget {BUDGETS[result.name]}"
        for result in results
        if result.name in BUDGETS and result.round_trips > BUDGETS[result.name]
    ]
    print(f"\nRound-trip budgets: {'; '.join(f'{k} ≤ {v}' for k, v in BUDGETS.items())}")
    print("\n".join(f"OVER BUDGET: {failure}" for failure in failures) or "All round-trip budgets hold.")
    return failures


def main() -> int:
    started = time.perf_counter()
    print(f"tokenservice bench — Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    report_imports()
    failures = over_budget(report_requests())
    print(f"(bench took {time.perf_counter() - started:.0f} s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
