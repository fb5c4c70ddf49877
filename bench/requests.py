"""Warm requests through the real handlers, in this process, against DynamoDB Local (another
process, so a request's thread CPU is what Lambda would bill: our code, botocore's signing, HTTP
and parsing; argon2 reported apart), at the template's default log level (INFO).

Round trips are counted with botocore's event hooks; CPU with `time.thread_time()`; log bytes
(Powertools' JSON lines and EMF metrics, everything the function writes) by a counting stdout.
"""

import base64
import contextlib
import io
import json
import logging
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

WARM_REQUESTS = 60
BENCH_PASSWORD = "a bench passphrase"


@dataclass
class Meter:
    """DynamoDB calls, and the CPU spent inside them and inside argon2."""

    calls: list[str] = field(default_factory=list)
    dynamodb_cpu: float = 0.0
    hash_cpu: float = 0.0
    log_bytes: int = 0
    _started: float = 0.0

    def reset(self) -> None:
        self.calls.clear()
        self.dynamodb_cpu = self.hash_cpu = 0.0
        self.log_bytes = 0

    def before(self, model, **_) -> None:  # botocore passes the operation model
        self.calls.append(model.name)
        self._started = time.thread_time()

    def after(self, **_) -> None:
        self.dynamodb_cpu += time.thread_time() - self._started


class LogSink(io.TextIOBase):
    """A stdout that keeps nothing and counts the UTF-8 bytes written into the meter."""

    def __init__(self, meter: Meter):
        self.meter = meter

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.meter.log_bytes += len(text.encode())
        return len(text)


@contextlib.contextmanager
def counted_logs(meter: Meter):
    """stdout, and every logging stream handler (Powertools' among them), into a LogSink."""
    sink = LogSink(meter)
    handlers = [
        handler
        for logger in [logging.root, *logging.root.manager.loggerDict.values()]
        for handler in getattr(logger, "handlers", ())
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler)
    ]
    streams = [handler.setStream(sink) for handler in handlers]
    try:
        with contextlib.redirect_stdout(sink):
            yield sink
    finally:
        for handler, stream in zip(handlers, streams, strict=True):
            handler.setStream(stream or sys.stderr)


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


@dataclass
class PathResult:
    name: str
    round_trips: int
    operations: list[str]
    wall_ms: list[float]
    billed_cpu_ms: list[float]  # everything the request's thread did, argon2 excluded
    handler_cpu_ms: list[float]  # minus the CPU inside DynamoDB calls too
    botocore_cpu_ms: list[float]  # inside DynamoDB calls: serialising, signing, HTTP, parsing
    hash_cpu_ms: list[float]
    log_bytes: list[int]

    def summary(self) -> dict:
        def p(values: list[float]) -> dict:
            return {"p50": round(percentile(values, 50), 3), "p95": round(percentile(values, 95), 3)}

        return {
            "round_trips": self.round_trips,
            "operations": self.operations,
            "wall_ms": p(self.wall_ms),
            "billed_cpu_ms": p(self.billed_cpu_ms),
            "handler_cpu_ms": p(self.handler_cpu_ms),
            "botocore_cpu_ms": p(self.botocore_cpu_ms),
            "argon2_cpu_ms": round(statistics.median(self.hash_cpu_ms), 2) if any(self.hash_cpu_ms) else None,
            "log_bytes": round(statistics.mean(self.log_bytes)),  # the mean: what the bill adds up
        }


def measure(name: str, call: Callable[[], object], meter: Meter, requests: int = WARM_REQUESTS) -> PathResult:
    walls, billed, handler, botocore, hashes, logged, operations = [], [], [], [], [], [], []
    for _ in range(requests):
        meter.reset()
        wall, cpu = time.perf_counter(), time.thread_time()
        call()
        wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
        operations = list(meter.calls)
        walls.append(wall * 1000)
        billed.append((cpu - meter.hash_cpu) * 1000)
        handler.append((cpu - meter.hash_cpu - meter.dynamodb_cpu) * 1000)
        botocore.append(meter.dynamodb_cpu * 1000)
        hashes.append(meter.hash_cpu * 1000)
        logged.append(meter.log_bytes)
    return PathResult(name, len(operations), operations, walls, billed, handler, botocore, hashes, logged)


class Bench:
    """The handlers, a provisioned opaque client, a JWT client and a user."""

    def __init__(self, meter: Meter):
        import importlib

        from localrun.events import LambdaContext
        from tokenservice import admin

        self.meter = meter
        self.token_handler = importlib.import_module("functions.token.app").lambda_handler
        self.authorizer_handler = importlib.import_module("functions.authorizer.app").lambda_handler
        self.context = LambdaContext("bench")
        self.username = f"bench-{time.time_ns()}"
        admin.create_user(self.username, BENCH_PASSWORD, "read update")
        self.opaque = self._basic(admin.create_client("bench", "read update", token_format="opaque"))
        self.jwt = self._basic(admin.create_client("bench jwt", "read update", token_format="jwt"))

    @staticmethod
    def _basic(new) -> str:
        return "Basic " + base64.b64encode(f"{new.client.client_id}:{new.client_secret}".encode()).decode()

    def event(self, form: dict, basic: str) -> dict:
        from localrun.events import token_event

        return token_event(urlencode(form), basic)

    def login_event(self, basic: str) -> dict:
        form = {
            "grant_type": "password",
            "username": self.username,
            "password": BENCH_PASSWORD,
            "scope": "read",
        }
        return self.event(form, basic)

    def post(self, prepared: dict) -> dict:
        response = self.token_handler(prepared, self.context)
        assert response["statusCode"] == 200, response["body"]
        return json.loads(response["body"])

    def authorize(self, prepared: dict) -> dict:
        return self.authorizer_handler(prepared, self.context)


def authorizer_event(token: str) -> dict:
    from localrun.events import authorizer_event as build
    from localrun.events import method_arn

    return build(f"Bearer {token}", method_arn("v1", "GET", "/orders"))


def password_grant(bench: Bench, basic: str, name: str) -> PathResult:
    login = bench.login_event(basic)
    bench.post(login)
    return measure(name, lambda: bench.post(login), bench.meter)


def refresh_grant(bench: Bench) -> PathResult:
    pending = iter(
        [
            bench.event(
                {
                    "grant_type": "refresh_token",
                    "refresh_token": bench.post(bench.login_event(bench.opaque))["refresh_token"],
                },
                bench.opaque,
            )
            for _ in range(WARM_REQUESTS)
        ]
    )
    return measure("refresh grant", lambda: bench.post(next(pending)), bench.meter)


def client_credentials(bench: Bench) -> PathResult:
    service = bench.event({"grant_type": "client_credentials"}, bench.opaque)
    return measure("client credentials", lambda: bench.post(service), bench.meter)


def opaque_authorizer(bench: Bench) -> PathResult:
    event = authorizer_event(bench.post(bench.login_event(bench.opaque))["access_token"])
    bench.authorize(event)  # the API's rules are now in memory
    return measure("authorizer, opaque token", lambda: bench.authorize(event), bench.meter, WARM_REQUESTS * 3)


def jwt_authorizer(bench: Bench) -> PathResult:
    event = authorizer_event(bench.post(bench.login_event(bench.jwt))["access_token"])
    bench.authorize(event)  # the keys and the API's rules are now in memory
    return measure("authorizer, JWT", lambda: bench.authorize(event), bench.meter, WARM_REQUESTS * 3)


def request_paths(meter: Meter) -> list[PathResult]:
    from bench.codeflow import code_flow_paths

    bench = Bench(meter)
    return [
        *code_flow_paths(bench),
        password_grant(bench, bench.opaque, "password grant"),
        password_grant(bench, bench.jwt, "password grant, JWT access token"),
        refresh_grant(bench),
        client_credentials(bench),
        opaque_authorizer(bench),
        jwt_authorizer(bench),
    ]
