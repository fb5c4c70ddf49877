"""Lambda TOKEN authorizer: bearer token → IAM policy over every route its scopes allow."""

from aws_lambda_powertools import Logger

from tokenservice.authorizer import authorizer
from tokenservice.core import config, observability
from tokenservice.deploy import snapstart

config.validate()  # an invalid setting fails the cold start, in one line naming it
logger = Logger()
snapstart.register(snapstart.prime_authorizer)


@observability.traced
@logger.inject_lambda_context(log_event=False)
def lambda_handler(event: dict, context) -> dict:
    try:
        return authorizer.authorize(event.get("authorizationToken"), event["methodArn"])
    except authorizer.Unauthorized:
        logger.info("Bearer token refused")
        raise
