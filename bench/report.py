"""From the measured figures (bench/results.json) to estimates and tables: the cost per million,
the token function's memory, and docs/performance.md's tables, rewritten between its
`<!-- bench:NAME -->` ... `<!-- /bench:NAME -->` markers (`make bench-readme`)."""

import re
from pathlib import Path

# The page whose tables `make bench-readme` writes (the README links to it).
README = Path(__file__).resolve().parent.parent / "docs" / "performance.md"

# AWS list prices, us-east-1, as published in 2025 (verify on the pricing pages before publishing).
PRICES = {
    "lambda_gb_second": 0.0000133334,  # arm64
    "lambda_request": 0.20e-6,
    "rest_api_request": 3.50e-6,  # first 333 million a month
    "http_api_request": 1.00e-6,  # first 300 million a month
    "write_unit": 0.625e-6,  # DynamoDB on demand, per write request unit
    "read_unit": 0.125e-6,  # per read request unit (a strongly consistent read of up to 4 KB)
    "log_gb": 0.50,
}
FULL_VCPU_MB = 1769  # Lambda gives one full vCPU at this much memory, in proportion below it
ROUND_TRIP_MS = 5  # a DynamoDB call in region (assumed, not measured here)
LOG_KB = 1.3  # JSON log lines and EMF metrics per request: runs stored before log bytes were measured
# Lambda's own lines per invocation in its text log format (what the template uses): START (~66 B),
# END (~52 B), REPORT with Duration, Billed Duration, Memory Size, Max Memory Used (~140 B) and,
# with active tracing, the XRAY TraceId/SegmentId/Sampled part (~95 B). Counted from the format,
# not measured (nothing local writes them).
PLATFORM_LOG_BYTES = 350
OPAQUE_CALL = "call, opaque token, authorizer not cached"
MEMORY_OPTIONS = (512, 1024, 1769, 2048)
TOKEN_MEMORY_MB = 1024  # the template's TokenFunctionMemory default (tests keep them equal)
SMALL_MEMORY_MB = 256  # the authorizer's and the sample API's

# What each request reads and writes (request units), from the code: see docs/performance.md "Cost".
UNITS = {
    # client, user, registration, one requested scope's definition; 3 transactional items x 2
    # (2 tokens, the user condition) + 2 index writes (by_user)
    "password grant": (4, 8),
    # client, token, user; 4 transactional items x 2 (spent token, 2 tokens, user condition) + 2 index
    "refresh grant": (3, 10),
    # client; 1 transactional item x 2
    "client credentials": (1, 2),
}


def lambda_cost(memory_mb: int, duration_ms: float) -> float:
    return PRICES["lambda_request"] + memory_mb / 1024 * duration_ms / 1000 * PRICES["lambda_gb_second"]


def vcpu(memory_mb: int) -> float:
    return min(memory_mb / FULL_VCPU_MB, 1.0)  # argon2 (p=1) and Python use one core


def duration(cpu_ms: float, memory_mb: int, round_trips: int, argon2_ms: float = 0.0) -> float:
    """Estimated Lambda duration: CPU scaled to the memory's vCPU share, plus DynamoDB waits."""
    return (cpu_ms + argon2_ms) / vcpu(memory_mb) + round_trips * ROUND_TRIP_MS


def per_million(amount: float) -> float:
    return round(amount * 1e6, 2)


def memory_table(results: dict) -> list[list[str]]:
    """Token function memory → estimated argon2 and grant time → cost per million password grants."""
    grant = results["requests"]["password grant"]
    argon2 = results["argon2"]["verify_ms"]
    rows = []
    for memory in MEMORY_OPTIONS:
        total = duration(grant["billed_cpu_ms"]["p50"], memory, grant["round_trips"], argon2)
        cost = lambda_cost(memory, total)
        rows.append(
            [
                f"{memory} MB",
                f"{argon2 / vcpu(memory):.0f} ms",
                f"{total:.0f} ms",
                f"${per_million(cost):.2f}",
            ]
        )
    return rows


def _log_cost(app_bytes: float) -> float:
    """CloudWatch Logs ingestion for one invocation writing `app_bytes` of its own."""
    return (app_bytes + PLATFORM_LOG_BYTES) / 1024**3 * PRICES["log_gb"]


def _app_bytes(path: dict) -> float:
    return path.get("log_bytes", LOG_KB * 1024 - PLATFORM_LOG_BYTES)


def _backend_bytes(results: dict) -> float:
    """The sample API's own bytes per call: an authorized call's, less the authorizer's."""
    logs = results.get("goals", {}).get("logs")
    if logs is None:
        return LOG_KB * 1024 - PLATFORM_LOG_BYTES
    return max(logs["mean_bytes"] - results["requests"]["authorizer, opaque token"]["log_bytes"], 0)


def costs(results: dict) -> list[list[str]]:
    """Per million requests, the main rows of the cost table."""
    return _grant_costs(results) + _call_costs(results)


def _grant_costs(results: dict) -> list[list[str]]:
    requests = results["requests"]
    argon2 = results["argon2"]["verify_ms"]
    rows = []
    for name in ("password grant", "refresh grant", "client credentials"):
        path = requests[name]
        reads, writes = UNITS[name]
        function = lambda_cost(
            TOKEN_MEMORY_MB,
            duration(
                path["billed_cpu_ms"]["p50"],
                TOKEN_MEMORY_MB,
                path["round_trips"],
                argon2 if name == "password grant" else 0,
            ),
        )
        database = reads * PRICES["read_unit"] + writes * PRICES["write_unit"]
        rows.append(_row(name, PRICES["rest_api_request"], function, database, _log_cost(_app_bytes(path))))
    return rows


def _call_costs(results: dict) -> list[list[str]]:
    requests = results["requests"]
    backend = lambda_cost(SMALL_MEMORY_MB, duration(1.0, SMALL_MEMORY_MB, 0))  # the sample API: ~1 ms
    backend_logs = _log_cost(_backend_bytes(results))
    opaque, jwt = requests["authorizer, opaque token"], requests["authorizer, JWT"]
    opaque_authorizer = lambda_cost(
        SMALL_MEMORY_MB, duration(opaque["billed_cpu_ms"]["p50"], SMALL_MEMORY_MB, 1)
    )
    jwt_authorizer = lambda_cost(SMALL_MEMORY_MB, duration(jwt["billed_cpu_ms"]["p50"], SMALL_MEMORY_MB, 0))
    rest = PRICES["rest_api_request"]
    return [
        _row(
            OPAQUE_CALL,
            rest,
            backend + opaque_authorizer,
            2 * PRICES["read_unit"],
            backend_logs + _log_cost(_app_bytes(opaque)),
        ),
        _row("call, authorizer cached (AuthorizerCacheTtl)", rest, backend, 0, backend_logs),
        _row(
            "call, JWT through our authorizer, not cached",
            rest,
            backend + jwt_authorizer,
            0,
            backend_logs + _log_cost(_app_bytes(jwt)),
        ),
        _row(
            "call, JWT, API Gateway's own JWT authorizer (HTTP API)",
            PRICES["http_api_request"],
            backend,
            0,
            backend_logs,
        ),
    ]


def log_share(results: dict, call_bytes: float) -> float:
    """The share of an authorized call's cost (opaque token, authorizer not cached) that is logs,
    were the call to write `call_bytes` of its own (authorizer and sample API together)."""
    row = next(row for row in costs(results) if row[0] == OPAQUE_CALL)
    total = sum(float(value.lstrip("$")) for value in row[1:4]) / 1e6  # gateway, functions, database
    logs = 2 * PLATFORM_LOG_BYTES / 1024**3 * PRICES["log_gb"] + call_bytes / 1024**3 * PRICES["log_gb"]
    return logs / (total + logs)


def _row(name: str, gateway: float, functions: float, database: float, logs: float) -> list[str]:
    total = gateway + functions + database + logs
    return [name] + [f"${per_million(value):.2f}" for value in (gateway, functions, database, logs, total)]


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def goal_rows(results: dict) -> list[list[str]]:
    """The issue's four goal rows: figure, min, median, max, goal, met (median against the goal)."""
    figures = results["goals"]
    rows = [
        [name, f"{f['min']:.2f}", f"{f['median']:.2f}", f"{f['max']:.2f}", f"≤ {f['goal']:.2f}", _met(f)]
        for name, f in figures["cold"].items()
    ]
    rows += [
        [
            f"warm CPU ÷ the same bare calls: {name}",
            f"{f['min']:.2f}",
            f"{f['median']:.2f}",
            f"{f['max']:.2f}",
            f"≤ {f['goal']:.2f}",
            _met(f),
        ]
        for name, f in figures["warm"].items()
    ]
    logs = figures["logs"]
    shares = {key: log_share(results, logs["bytes"][key]) for key in ("min", "median", "max")}
    rows.append(
        [
            f"log + metric bytes per authorized call, cost share (+ Lambda's {2 * PLATFORM_LOG_BYTES} B)",
            *(f"{logs['bytes'][key]:.0f} B, {shares[key]:.1%}" for key in ("min", "median", "max")),
            f"≤ {logs['goal']:.0%}",
            "met" if shares["median"] <= logs["goal"] else "MISSED",
        ]
    )
    return rows


def _met(figure: dict) -> str:
    return "met" if figure["median"] <= figure["goal"] else "MISSED"


def sections(results: dict) -> dict[str, str]:
    """The performance page's generated parts, by marker name."""
    machine = results["machine"]
    imports = results["imports"]
    cold = [
        [name, f"{figure['median_ms']:.0f}", f"{figure['ratio']:.2f}"] for name, figure in imports.items()
    ]
    store = [
        [f"{size} tokens", f"{f['median_ms']:.1f}", f"{f['p95_ms']:.1f}"]
        for size, f in results["store"].items()
    ]
    return {
        "machine": (
            f"Measured by `make bench` on {machine['cpu']} ({machine['cores']} cores, {machine['arch']}), "
            f"Python {machine['python']}, {machine['dynamodb']}, {machine['date']}."
        ),
        "cold": table(["probe (fresh process)", "median ms", "x baseline"], cold),
        "warm": table(
            [
                "path",
                "DynamoDB round trips",
                "billed CPU p50 / p95 ms",
                "ours p50 ms",
                "botocore p50 ms",
                "bare botocore calls ms",
                "argon2 ms",
            ],
            _warm_rows(results),
        ),
        "store": table(["DynamoDB Local, one 2-item TransactWriteItems", "median ms", "p95 ms"], store),
        "memory": table(
            ["token function memory", "argon2 verify (est.)", "password grant (est.)", "per million grants"],
            memory_table(results),
        ),
        "goals": table(["figure (paired)", "min", "median", "max", "goal", ""], goal_rows(results))
        if "goals" in results
        else "",
        "cost": table(["per million", "API Gateway", "Lambda", "DynamoDB", "logs", "total"], costs(results)),
    }


def _warm_rows(results: dict) -> list[list[str]]:
    return [
        [
            name,
            f"{path['round_trips']} ({' + '.join(path['operations']) or 'none'})",
            f"{path['billed_cpu_ms']['p50']:.2f} / {path['billed_cpu_ms']['p95']:.2f}",
            f"{path['handler_cpu_ms']['p50']:.2f}",
            f"{path['botocore_cpu_ms']['p50']:.2f}",
            f"{sum(results['botocore_floor_cpu_ms'][op] for op in path['operations']):.2f}",
            f"{path['argon2_cpu_ms']:.1f}" if path["argon2_cpu_ms"] else "-",
        ]
        for name, path in results["requests"].items()
    ]


def rewrite_readme(results: dict, readme: Path = README) -> list[str]:
    """Replace each generated section of the performance page; returns the names replaced."""
    text = readme.read_text()
    replaced = []
    for name, content in sections(results).items():
        pattern = re.compile(rf"(<!-- bench:{name} -->\n).*?(<!-- /bench:{name} -->)", re.DOTALL)
        if pattern.search(text):
            text = pattern.sub(lambda match, c=content: match.group(1) + c + "\n" + match.group(2), text)
            replaced.append(name)
    readme.write_text(text)
    return replaced
