"""API Gateway's usage plans (AWS): a usage plan per tier, an API key per subscription, GetUsage.

Written by the AWS-side work of the store (see registry.usage_plans for the interface)."""

from tokenservice.store.models import UsagePlansModel


class ApiGatewayPlans:
    def __init__(self, settings: UsagePlansModel):
        self.settings = settings
