"""CloudFormation custom resource: provisions the developer portal's own OAuth client."""

from aws_lambda_powertools import Logger

from tokenservice.core import config
from tokenservice.deploy import portal_resource

config.validate()  # an invalid setting fails the cold start, in one line naming it
logger = Logger()


@logger.inject_lambda_context(log_event=False)
def lambda_handler(event: dict, context) -> None:
    portal_resource.handle_custom_resource(event)
