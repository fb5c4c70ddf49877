"""The HTTP endpoints of the authorization server, as functions of an API Gateway event.

`oauth_endpoint` is the one place where errors become responses: OAuth errors answer with
their own status and JSON (RFC 6749 §5.2), anything unexpected is logged and answered with a
plain `server_error`, never a traceback. Nothing here logs request bodies or headers.
"""

import functools
from collections.abc import Callable, Mapping

from aws_lambda_powertools import Logger

from tokenservice import client_auth, grants
from tokenservice.errors import OAuthError, ServerError, TemporarilyUnavailable
from tokenservice.http import Request, json_response

logger = Logger(child=True)


def oauth_endpoint(endpoint: Callable[[Request], dict]) -> Callable[[Mapping], dict]:
    @functools.wraps(endpoint)
    def handle(event: Mapping) -> dict:
        try:
            return endpoint(Request.from_event(event))
        except TemporarilyUnavailable as error:
            cause = type(error.__cause__).__name__ if error.__cause__ else None
            logger.warning("Storage unavailable", extra={"cause": cause})
            return error.response()
        except OAuthError as error:
            logger.info("Request refused", extra={"error": error.error, "status": error.status_code})
            return error.response()
        except Exception:
            logger.exception("Unexpected error")
            return ServerError().response()

    return handle


@oauth_endpoint
def token(request: Request) -> dict:
    """POST /token (RFC 6749 §3.2)."""
    form = request.form()
    presented = client_auth.extract(request.headers, form)
    grant = grants.for_type(form.get("grant_type"))
    issued = grant.issue(form, presented)
    logger.info(
        "Token issued",
        extra={"grant_type": grant.GRANT_TYPE, "client_id": presented.client_id, "scope": issued.scope},
    )
    return json_response(200, issued.response())
