"""The authorization server: /token, /revoke, /introspect, /signup, the metadata and the JWKS."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths

from tokenservice.core import config, observability
from tokenservice.deploy import snapstart
from tokenservice.server import routes
from tokenservice.server.routes import ROUTER

config.validate()  # an invalid setting fails the cold start, in one line naming it
routes.initialise()  # the first request's modules and the DynamoDB client, at init
logger = Logger()
snapstart.register(snapstart.prime_token_function)


@observability.traced
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
def lambda_handler(event: dict, context) -> dict:
    return ROUTER.dispatch(event)
