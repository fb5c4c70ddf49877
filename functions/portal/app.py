"""The developer portal: the page (GET /portal) and its backend for frontend (/portal/...)."""

from pathlib import Path

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths

from tokenservice.core import observability
from tokenservice.portal import portal

logger = Logger()
STATIC = Path(__file__).resolve().parent / "static"  # the page, its script and styles


@observability.traced
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
def lambda_handler(event: dict, context) -> dict:
    return portal.dispatch(event, STATIC)
