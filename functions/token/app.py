"""POST /token: the OAuth 2.0 token endpoint (RFC 6749 §3.2)."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from tokenservice import endpoints

logger = Logger()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
def lambda_handler(event: dict, context) -> dict:
    return endpoints.token(event)
