"""What `make run` prints per request: by default one readable line (method, path, status,
milliseconds: `server`), not the functions' JSON logs and CloudWatch metrics (EMF) that would
bury the banner. LOG_FORMAT=json prints those too, exactly as on AWS.

With the default (`text`), metrics are off (Powertools' POWERTOOLS_METRICS_DISABLED) and the
functions log warnings and errors only (POWERTOOLS_LOG_LEVEL, unless set in the shell).
"""

import os
import sys

LOG_FORMAT = "LOG_FORMAT"
FORMATS = ("text", "json")


def log_format() -> str:
    value = os.environ.get(LOG_FORMAT, "").strip() or "text"
    if value not in FORMATS:
        sys.exit(f"{LOG_FORMAT} must be one of {', '.join(FORMATS)}, not {value[:40]!r}")
    return value


def configure() -> None:
    """Set the functions' logging for the chosen format (before their environment is applied)."""
    if log_format() == "json":
        return
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
