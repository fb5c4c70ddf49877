"""The developer portal: the page (GET /portal) and its backend for frontend (/portal/...)."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths

from tokenservice.core import config, observability
from tokenservice.portal.routes import PORTAL_ROUTER

config.validate()  # an invalid setting fails the cold start, in one line naming it
logger = Logger()


@observability.traced
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
def lambda_handler(event: dict, context) -> dict:
    return PORTAL_ROUTER.dispatch(event)
