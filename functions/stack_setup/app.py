"""CloudFormation custom resource: registers the stack's own API (the sample API's rules from the
bundled openapi.yaml) in the API registry when the stack is created or updated."""

from aws_lambda_powertools import Logger

from tokenservice.core import config
from tokenservice.deploy import deployment

config.validate()  # an invalid setting fails the cold start, in one line naming it
logger = Logger()


@logger.inject_lambda_context(log_event=False)
def lambda_handler(event: dict, context) -> None:
    deployment.register_own_api(event)
