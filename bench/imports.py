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
# The event and the context are built before the clock starts (the emulator's helpers would load
# YAML and the template: nothing a function loads).
TOKEN_CALL = """
import functions.token.app as app
answer = app.lambda_handler(TOKEN_EVENT, CONTEXT)
assert answer["statusCode"] == 200, answer
"""
AUTHORIZER_CALL = """
import functions.authorizer.app as app
event = {{"type": "TOKEN", "authorizationToken": "Bearer " + {token!r}, "methodArn": ARN}}
app.lambda_handler(event, CONTEXT)
"""
# What the Lambda runtime passes as `context`, enough for Powertools (as localrun.events' class).
CONTEXT_CLASS = """
class Context:
    function_name = "probe"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:probe"
    memory_limit_in_mb = 256
    aws_request_id = "00000000-0000-4000-8000-000000000000"
    log_group_name = "/aws/lambda/probe"
    log_stream_name = "local"

    def get_remaining_time_in_millis(self):
        return 10000


CONTEXT = Context()
"""
# The JWT path with its keys and the API's rules already in memory (after a SnapStart restore, or
# within RULES_CACHE_SECONDS): nothing may load botocore's session or client.
JWT_KNOWN_CALL = """
import functions.authorizer.app as app
from tokenservice.authorizer import authorizer
from tokenservice.jose import keyset
from tokenservice.store import records
from tokenservice.registry import rules
keyset.remember(keyset.stored(records.signing_fields(SETTINGS_ITEM)))
authorizer._rules_cache.put("local", rules.decode(RULES))
authorizer._mode_cache.put("local", None)
event = {{"type": "TOKEN", "authorizationToken": "Bearer " + {token!r}, "methodArn": ARN}}
app.lambda_handler(event, CONTEXT)
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
            f"TOKEN_EVENT = json.loads({json.dumps(context['token_event'])!r})",
            CONTEXT_CLASS,
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


def _import_lines(module: str, context: dict, after: str | None) -> list[tuple[int, float, str]]:
    """(depth, self ms, module) of each module `import module` loads, in the order `-X importtime`
    reports them (a module's imports before it), after `after` is imported."""
    before = f"import {after}; " if after else ""
    code = f"{before}import sys; sys.stderr.write('{MARK}\\n'); sys.stderr.flush(); import {module}"
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        env=_env(context),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    lines = result.stderr.splitlines()
    rows = []
    for line in lines[lines.index(MARK) + 1 :]:
        if not line.startswith("import time:") or "|" not in line:
            continue
        own, _, name = line.removeprefix("import time:").split("|")
        if own.strip().isdigit():
            rows.append(((len(name) - len(name.lstrip())) // 2, int(own) / 1000, name.strip()))
    return rows


def _importers(rows: list[tuple[int, float, str]]) -> list[str | None]:
    """For each row, the module whose import loaded it (None at the top)."""
    parents: list[str | None] = [None] * len(rows)
    stack: list[tuple[int, str]] = []
    for index in range(len(rows) - 1, -1, -1):  # reversed: a module before the modules it imports
        depth, _, name = rows[index]
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parents[index] = stack[-1][1] if stack else None
        stack.append((depth, name))
    return parents


def breakdown(module: str, context: dict, after: str | None = None, top: int = 8) -> list[tuple[str, float]]:
    """What a module's import costs, by top-level package: the sum of each package's modules' own
    time (`-X importtime`'s self column), so a package shared by several importers counts once, for
    the one that imported it first, which is named (`botocore (by pynamodb.connection.base)`).
    Only what the import loads counts: what `after` (the handler, for an endpoint module) and the
    interpreter's own start already loaded is before the mark."""
    rows = _import_lines(module, context, after)
    own: dict[str, float] = {}
    first_by: dict[str, str | None] = {}
    for (_, ms, name), parent in zip(rows, _importers(rows), strict=True):
        package = name.partition(".")[0]
        own[package] = own.get(package, 0.0) + ms
        if parent is None or parent.partition(".")[0] != package:  # entered from outside the package
            first_by.setdefault(package, parent)  # the first such row is the first entry (post-order)
    ranked = sorted(own.items(), key=lambda item: -item[1])[:top]
    return [
        (f"{package} (by {first_by[package]})" if first_by.get(package) else package, round(ms, 1))
        for package, ms in ranked
    ]
