"""The one place errors become HTTP responses (`oauth_endpoint`, around every endpoint).

OAuth errors answer with their own status, headers and JSON (RFC 6749 §5.2, RFC 6750 §3.1); a
storage outage is `503 temporarily_unavailable` with `Retry-After`; anything unexpected is logged
and answered with a plain `server_error`, never a traceback. Nothing here logs request bodies,
headers or tokens.
"""

import functools
from collections.abc import Callable, Mapping

from aws_lambda_powertools import Logger

from tokenservice.core import observability
from tokenservice.core.errors import OAuthError, ServerError, TemporarilyUnavailable
from tokenservice.store.dynamo import Unavailable
from tokenservice.web.http import Request, error_response

logger = Logger(child=True)
REFUSAL_METRICS = {
    "invalid_grant": observability.INVALID_GRANT,
    "invalid_client": observability.INVALID_CLIENT,
}


def _unavailable(error: Exception) -> TemporarilyUnavailable:
    cause = type(error.__cause__).__name__ if error.__cause__ else None
    logger.warning("Storage unavailable", extra={"cause": cause})
    observability.count(observability.SERVER_ERRORS)
    return TemporarilyUnavailable()


Render = Callable[[OAuthError], dict]


def oauth_endpoint(
    endpoint: Callable[[Request], dict] | None = None, *, render: Render = error_response
) -> Callable[[Mapping], dict]:
    """An endpoint of a Request, as a function of an API Gateway event that always answers; errors
    are rendered by `render` (OAuth's JSON; a page for the pages a browser shows)."""
    if endpoint is None:
        return functools.partial(oauth_endpoint, render=render)

    @functools.wraps(endpoint)
    def handle(event: Mapping) -> dict:
        try:
            return endpoint(Request.from_event(event))
        except (TemporarilyUnavailable, Unavailable) as error:
            return render(_unavailable(error))
        except OAuthError as error:
            logger.info("Request refused", extra={"error": error.error, "status": error.status_code})
            if error.error in REFUSAL_METRICS:
                observability.count(REFUSAL_METRICS[error.error])
            return render(error)
        except Exception:
            logger.exception("Unexpected error")
            observability.count(observability.SERVER_ERRORS)
            return render(ServerError())

    return handle
