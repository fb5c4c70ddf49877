"""Metrics (CloudWatch EMF through Powertools) and optional X-Ray tracing.

Metrics are emitted one at a time with `single_metric`, so nothing accumulates between
invocations. Namespace: POWERTOOLS_METRICS_NAMESPACE; every metric carries the `service`
dimension (POWERTOOLS_SERVICE_NAME) plus any given here.

The Powertools Tracer (X-Ray SDK) costs ~100 ms of cold-start import, so it is imported only when
TRACER_ENABLED=true (the template's `PowertoolsTracer` parameter). Lambda's own active tracing
is on regardless.
"""

import os
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


def count(name: str, **dimensions: str) -> None:
    """Emit one count of `name` now (nothing when POWERTOOLS_METRICS_DISABLED=true, as make run
    sets it unless LOG_FORMAT=json)."""
    if os.environ.get("POWERTOOLS_METRICS_DISABLED", "").strip().lower() == "true":
        return
    namespace = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or DEFAULT_NAMESPACE
    service = os.environ.get("POWERTOOLS_SERVICE_NAME") or "tokenservice"
    with single_metric(
        name=name,
        unit=MetricUnit.Count,
        value=1,
        namespace=namespace,
        default_dimensions={"service": service},
    ) as metric:
        for key, value in dimensions.items():
            metric.add_dimension(name=key, value=value)


def traced(handler: Callable) -> Callable:
    """The handler, wrapped by the Powertools Tracer only when tracing is switched on."""
    if not config.TRACER_ENABLED.on():
        return handler
    from aws_lambda_powertools import Tracer

    return Tracer().capture_lambda_handler(handler)
