"""CloudFormation custom resource: provisions the developer portal's own OAuth client."""

from aws_lambda_powertools import Logger

from tokenservice.portal import portal_client

logger = Logger()


@logger.inject_lambda_context(log_event=False)
def lambda_handler(event: dict, context) -> None:
    portal_client.handle_custom_resource(event, context)
