"""CloudFormation custom resources: the stack's own API (the sample API's rules from the bundled
openapi.yaml, the signing settings, the usage plans) registered when the stack is created or
updated; and `Custom::ApiStage`, which other stacks' APIs use to join the usage plans (the export
<stack>-RegistryServiceToken)."""

from aws_lambda_powertools import Logger

from tokenservice.core import config
from tokenservice.deploy import api_stages, deployment

config.validate()  # an invalid setting fails the cold start, in one line naming it
logger = Logger()


@logger.inject_lambda_context(log_event=False)
def lambda_handler(event: dict, context) -> None:
    if event.get("ResourceType") == api_stages.RESOURCE_TYPE:
        api_stages.handle_custom_resource(event)
    else:
        deployment.register_own_api(event)
