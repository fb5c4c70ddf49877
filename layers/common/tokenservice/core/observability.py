"""Metrics (CloudWatch EMF through Powertools) and optional X-Ray tracing.

Refusals and errors (`count`) are emitted at once, one EMF line each, with `single_metric`: the
5xx alarm and anyone reading a refusal see it in the same minute. Successes (`tally`: tokens
issued, authorizer allows and denies) are added up in the execution environment and written as
one EMF line per metric and dimensions, carrying the sum, at the first call at least
TALLY_SECONDS after the oldest count not yet written: a busy environment writes a success metric
once a minute instead of once a call (CloudWatch bills log bytes; the sums are the same). The
price: an environment that Lambda shuts down takes its last unwritten minute with it (Lambda
gives a function no reliable shutdown hook), so these success counts are a lower bound, never
used by an alarm. Namespace: POWERTOOLS_METRICS_NAMESPACE; every metric carries the `service`
dimension (POWERTOOLS_SERVICE_NAME) plus any given here.

The Powertools Tracer (X-Ray SDK) costs ~100 ms of cold-start import, so it is imported only when
TRACER_ENABLED=true (the template's `PowertoolsTracer` parameter). Lambda's own active tracing
is on regardless.
"""

import os
import threading
import time
from collections import Counter
from collections.abc import Callable

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from tokenservice.core import config

# Metric names, in one place (the template's alarm and docs/operations.md name them too).
TOKENS_ISSUED = "TokensIssued"
INVALID_GRANT = "InvalidGrant"
INVALID_CLIENT = "InvalidClient"
LOCKOUTS = "Lockouts"
REFRESH_REUSE = "RefreshTokenReuse"
SERVER_ERRORS = "ServerErrors"
AUTHORIZER_ALLOW = "AuthorizerAllow"
AUTHORIZER_DENY = "AuthorizerDeny"
AUTHORIZER_UNAUTHORIZED = "AuthorizerUnauthorized"

DEFAULT_NAMESPACE = "TokenService"
TALLY_SECONDS = 60  # CloudWatch's standard resolution: a sum per minute loses nothing a graph shows


def _disabled() -> bool:
    return os.environ.get("POWERTOOLS_METRICS_DISABLED", "").strip().lower() == "true"


def count(name: str, **dimensions: str) -> None:
    """Emit one count of `name` now (nothing when POWERTOOLS_METRICS_DISABLED=true, as make run
    sets it unless LOG_FORMAT=json)."""
    if not _disabled():
        _emit(name, 1, dimensions)


class _Tally:
    """Counts of successes not yet written, by (metric, dimensions), and when the oldest came."""

    def __init__(self):
        self.pending: Counter[tuple[str, tuple[tuple[str, str], ...]]] = Counter()
        self.since = 0.0
        self.lock = threading.Lock()  # make run serves requests on threads; Lambda, one at a time

    def add(self, name: str, dimensions: dict[str, str]) -> None:
        with self.lock:
            if not self.pending:
                self.since = time.monotonic()
            self.pending[(name, tuple(sorted(dimensions.items())))] += 1
            due = time.monotonic() - self.since >= TALLY_SECONDS
        if due:
            self.flush()

    def flush(self) -> None:
        with self.lock:
            pending, self.pending = self.pending, Counter()
        for (name, dimensions), value in pending.items():
            _emit(name, value, dict(dimensions))


_tally = _Tally()


def tally(name: str, **dimensions: str) -> None:
    """Count one success of `name`, written with the others within TALLY_SECONDS (see above)."""
    if not _disabled():
        _tally.add(name, dimensions)


def flush() -> None:
    """Write every success counted so far now (tests; SnapStart's priming leaves none behind)."""
    _tally.flush()


def _emit(name: str, value: int, dimensions: dict[str, str]) -> None:
    namespace = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or DEFAULT_NAMESPACE
    service = os.environ.get("POWERTOOLS_SERVICE_NAME") or "tokenservice"
    with single_metric(
        name=name,
        unit=MetricUnit.Count,
        value=value,
        namespace=namespace,
        default_dimensions={"service": service},
    ) as metric:
        for key, dimension in dimensions.items():
            metric.add_dimension(name=key, value=dimension)


def traced(handler: Callable) -> Callable:
    """The handler, wrapped by the Powertools Tracer only when tracing is switched on."""
    if not config.TRACER_ENABLED.on():
        return handler
    from aws_lambda_powertools import Tracer

    return Tracer().capture_lambda_handler(handler)
