"""API Gateway under moto (usage plans, API keys) next to the moto tables of tests/conftest.py."""

import pytest


@pytest.fixture
def apigateway(aws):
    """The API Gateway client of registry.apigateway_plans (moto's), created afresh."""
    from tokenservice.registry import apigateway_plans

    apigateway_plans.client.cache_clear()
    yield apigateway_plans.client()
    apigateway_plans.client.cache_clear()


@pytest.fixture
def own_api(apigateway) -> str:
    """A REST API with a deployed stage "v1" (the stack's own API): "<id>:v1"."""
    api_id = apigateway.create_rest_api(name="own")["id"]
    root = apigateway.get_resources(restApiId=api_id)["items"][0]["id"]
    apigateway.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigateway.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK")
    apigateway.create_deployment(restApiId=api_id, stageName="v1")
    return f"{api_id}:v1"
