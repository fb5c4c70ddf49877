"""Cold starts: each handler's import, and import + first call, in fresh processes.

Every probe runs in a new interpreter with the layer on the path, as on Lambda, against the bench's
DynamoDB; the probes of one round run one after the other, round after round, so that machine
noise hits them alike. The baseline is a bare boto3 function: `import boto3`, and `import boto3` +
a client + one GetItem.
"""

import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 15

# What each probe does after `t = perf_counter()`; it prints the milliseconds.
BASELINE_IMPORT = "import boto3"
BASELINE_CALL = """
import boto3
client = boto3.client("dynamodb")
client.get_item(TableName=TABLE, Key={"token_hash": {"S": "nobody"}}, ConsistentRead=True)
"""
HANDLER_IMPORT = "import {module}"
TOKEN_CALL = """
import functions.token.app as app
from localrun.events import LambdaContext, token_event
answer = app.lambda_handler(token_event(FORM, BASIC), LambdaContext())
assert answer["statusCode"] == 200, answer
"""
AUTHORIZER_CALL = """
import functions.authorizer.app as app
from localrun.events import LambdaContext
event = {{"type": "TOKEN", "authorizationToken": "Bearer " + {token!r}, "methodArn": ARN}}
app.lambda_handler(event, LambdaContext())
"""
# The JWT path with its keys and the API's rules already in memory (after a SnapStart restore, or
# within RULES_CACHE_SECONDS): nothing may load botocore's session or client.
JWT_KNOWN_CALL = """
import functions.authorizer.app as app
from localrun.events import LambdaContext
from tokenservice.authorizer import authorizer
from tokenservice.jose import keyset
from tokenservice.store import records
from tokenservice.registry import rules
keyset.remember(keyset.stored(records.signing_fields(SETTINGS_ITEM)))
authorizer._rules_cache.put("local", rules.decode(RULES))
event = {{"type": "TOKEN", "authorizationToken": "Bearer " + {token!r}, "methodArn": ARN}}
app.lambda_handler(event, LambdaContext())
import sys
assert "botocore.session" not in sys.modules and "botocore.client" not in sys.modules, "botocore loaded"
"""
PROBE = """
import time, json
{setup}
t = time.perf_counter()
{body}
print((time.perf_counter() - t) * 1000)
"""


@dataclass
class Probe:
    name: str
    setup: str
    body: str


def _env(context: dict) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "common"), str(ROOT)]),
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "POWERTOOLS_SERVICE_NAME": "tokenservice",
        "POWERTOOLS_METRICS_NAMESPACE": "TokenService",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "AWS_ENDPOINT_URL_DYNAMODB": context["endpoint"],
    }
    return env | {k: v for k, v in context.get("env", {}).items()}


def probes(context: dict) -> list[Probe]:
    setup = "\n".join(
        [
            f"TABLE = {context['tokens_table']!r}",
            f"FORM = {context['client_form']!r}",
            f"BASIC = {context['basic']!r}",
            f"ARN = {context['method_arn']!r}",
            f"SETTINGS_ITEM = json.loads({json.dumps(context['settings_item'])!r})",
            f"RULES = {context['rules']!r}",
        ]
    )
    return [
        Probe("boto3 (baseline)", setup, BASELINE_IMPORT),
        Probe("boto3 + client + GetItem (baseline)", setup, BASELINE_CALL),
        Probe("token handler", setup, HANDLER_IMPORT.format(module="functions.token.app")),
        Probe("token: import + client_credentials grant", setup, TOKEN_CALL),
        Probe("authorizer handler", setup, HANDLER_IMPORT.format(module="functions.authorizer.app")),
        Probe(
            "authorizer: import + opaque token", setup, AUTHORIZER_CALL.format(token=context["opaque_token"])
        ),
        Probe(
            "authorizer: import + JWT, keys and rules known",
            setup,
            JWT_KNOWN_CALL.format(token=context["jwt"]),
        ),
        Probe("orders handler", setup, HANDLER_IMPORT.format(module="functions.orders.app")),
        Probe("applications handler", setup, HANDLER_IMPORT.format(module="functions.applications.app")),
        Probe("portal handler", setup, HANDLER_IMPORT.format(module="functions.portal.app")),
    ]


def _once(probe: Probe, env: dict[str, str]) -> float:
    script = PROBE.format(setup=probe.setup, body=probe.body)
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, cwd=ROOT)
    if result.returncode != 0:
        raise RuntimeError(f"{probe.name}: {result.stderr.strip().splitlines()[-1]}")
    return float(result.stdout.strip().splitlines()[-1])


def measure(context: dict, runs: int = RUNS) -> dict[str, list[float]]:
    """Milliseconds of each probe in `runs` rounds of fresh processes (after one round to compile)."""
    env = _env(context)
    all_probes = probes(context)
    for probe in all_probes:
        _once(probe, env)
    times: dict[str, list[float]] = {probe.name: [] for probe in all_probes}
    for _ in range(runs):
        for probe in all_probes:
            times[probe.name].append(_once(probe, env))
    return times


def ratios(times: dict[str, list[float]]) -> dict[str, dict]:
    """Median milliseconds and the ratio to the matching baseline (import to import, call to call)."""
    base_import = statistics.median(times["boto3 (baseline)"])
    base_call = statistics.median(times["boto3 + client + GetItem (baseline)"])
    figures = {}
    for name, values in times.items():
        median = statistics.median(values)
        baseline = base_call if (":" in name or "+ client" in name) else base_import
        figures[name] = {
            "median_ms": round(median, 1),
            "ratio": round(median / baseline, 2),
            "runs": len(values),
        }
    return figures


MARK = "-- the handler starts here --"


def breakdown(module: str, context: dict, top: int = 8) -> list[tuple[str, float]]:
    """The modules that cost the most of a handler's import (cumulative ms, `-X importtime`), each
    listed only if no module above it already contains it. Only what the handler's import loads
    counts: the interpreter's own start (site, the editable install's finder) is before the mark."""
    code = f"import sys; sys.stderr.write('{MARK}\\n'); sys.stderr.flush(); import {module}"
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        env=_env(context),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    rows = []
    lines = result.stderr.splitlines()
    for line in lines[lines.index(MARK) + 1 :]:
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = (part.strip() for part in line.split("|"))
        if cumulative.isdigit():
            rows.append((name, int(cumulative) / 1000))
    rows.sort(key=lambda row: -row[1])
    chosen: list[tuple[str, float]] = []
    for name, ms in rows:
        if name == module or any(name.startswith(parent + ".") for parent, _ in chosen):
            continue
        chosen.append((name, round(ms, 1)))
        if len(chosen) == top:
            break
    return chosen
