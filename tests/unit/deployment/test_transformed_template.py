"""What CloudFormation gets: template.yaml transformed by aws-sam-translator (as `sam deploy` does),
then its conditions decided for given parameters (as CloudFormation does)."""

import copy
import json

import pytest
from samtranslator.translator.transform import transform

from localrun import template


class _NoManagedPolicies:
    def load(self) -> dict:
        return {}


def transformed(path=None) -> dict:
    """A template after the SAM transform (code locations replaced by S3 placeholders)."""
    tmpl = copy.deepcopy(template.load(path) if path else template.load())
    for resource in tmpl["Resources"].values():
        for key in ("CodeUri", "ContentUri"):
            if key in resource.get("Properties", {}):
                resource["Properties"][key] = "s3://bucket/key"
    return transform(tmpl, {}, _NoManagedPolicies())


@pytest.fixture(scope="module")
def cfn(request) -> dict:
    import os

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    return transformed()


def _condition(expression, conditions: dict, parameters: dict) -> bool:
    if isinstance(expression, dict) and "Fn::Equals" in expression:
        left, right = (_value(side, conditions, parameters) for side in expression["Fn::Equals"])
        return left == right
    if isinstance(expression, dict) and "Fn::Not" in expression:
        return not _condition(expression["Fn::Not"][0], conditions, parameters)
    if isinstance(expression, dict) and "Condition" in expression:
        return conditions[expression["Condition"]]
    raise AssertionError(f"unsupported condition {expression}")


def _value(value, conditions: dict, parameters: dict):
    """A value with parameters substituted (Ref, ${...} in Fn::Sub), Fn::If and AWS::NoValue decided;
    other intrinsics kept."""
    if isinstance(value, dict):
        if "Ref" in value and value["Ref"] in parameters:
            return parameters[value["Ref"]]
        if "Fn::If" in value:
            name, yes, no = value["Fn::If"]
            return _value(yes if conditions[name] else no, conditions, parameters)
        if isinstance(value.get("Fn::Sub"), str):
            text = value["Fn::Sub"]
            for name, parameter in parameters.items():
                text = text.replace("${" + name + "}", parameter)
            return {"Fn::Sub": text}
        decided = {key: _value(item, conditions, parameters) for key, item in value.items()}
        return {key: item for key, item in decided.items() if item != {"Ref": "AWS::NoValue"}}
    if isinstance(value, list):
        return [
            item
            for item in (_value(item, conditions, parameters) for item in value)
            if item != {"Ref": "AWS::NoValue"}
        ]
    return value


def deployed(cfn: dict, **overrides: str) -> dict:
    """The resources and outputs CloudFormation creates with these parameter values."""
    parameters = {name: str(spec.get("Default", "")) for name, spec in cfn["Parameters"].items()} | overrides
    conditions: dict[str, bool] = {}
    for name, expression in cfn.get("Conditions", {}).items():
        conditions[name] = _condition(expression, conditions, parameters)
    resources = {
        name: _value(resource, conditions, parameters)
        for name, resource in cfn["Resources"].items()
        if conditions.get(resource.get("Condition"), True)
    }
    outputs = {name: _value(output, conditions, parameters) for name, output in cfn["Outputs"].items()}
    return {"Resources": resources, "Outputs": outputs}


def of_type(stack: dict, kind: str) -> dict:
    return {name: r for name, r in stack["Resources"].items() if r["Type"] == kind}


def test_the_api_has_exactly_one_stage_the_one_named_by_the_parameter(cfn):
    stack = deployed(cfn)
    stages = of_type(stack, "AWS::ApiGateway::Stage")
    assert [stage["Properties"]["StageName"] for stage in stages.values()] == ["v1"]
    deployments = of_type(stack, "AWS::ApiGateway::Deployment").values()
    assert all("StageName" not in deployment["Properties"] for deployment in deployments)  # no "Stage" stage


def test_by_default_the_stack_creates_its_tables(cfn):
    stack = deployed(cfn)
    assert set(of_type(stack, "AWS::DynamoDB::Table")) == {
        "UsersTable",
        "ClientsTable",
        "TokensTable",
        "RegistryTable",
    }
    function = stack["Resources"]["TokenFunction"]["Properties"]["Environment"]["Variables"]
    assert function["USERS_TABLE"] == {"Ref": "UsersTable"}


def test_a_stack_can_deploy_onto_existing_tables(cfn):
    names = {
        "ExistingUsersTable": "old-users",
        "ExistingClientsTable": "old-clients",
        "ExistingTokensTable": "old-tokens",
        "ExistingRegistryTable": "old-registry",
    }
    stack = deployed(cfn, **names)
    assert of_type(stack, "AWS::DynamoDB::Table") == {}
    for function in of_type(stack, "AWS::Lambda::Function").values():
        variables = function["Properties"]["Environment"]["Variables"]
        tables = ("USERS_TABLE", "CLIENTS_TABLE", "TOKENS_TABLE", "REGISTRY_TABLE")
        assert tuple(variables[name] for name in tables) == tuple(names.values())
    kinds = ("Users", "Clients", "Tokens", "Registry")
    assert {stack["Outputs"][f"{kind}TableName"]["Value"] for kind in kinds} == set(names.values())
    policies = json.dumps([role["Properties"] for role in of_type(stack, "AWS::IAM::Role").values()])
    assert "UsersTable.Arn" not in policies and "table/old-users" in policies
    assert "table/old-tokens/index/by_user" in policies


def test_user_writes_from_requests_are_granted_only_when_sign_up_is_on(cfn):
    def put_on_users(stack) -> bool:
        role = stack["Resources"]["TokenFunctionRole"]["Properties"]
        statements = [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]
        return any(
            "dynamodb:PutItem" in json.dumps(s["Action"]) and "UsersTable" in json.dumps(s["Resource"])
            for s in statements
        )

    assert not put_on_users(deployed(cfn))
    assert put_on_users(deployed(cfn, SelfSignupEnabled="true"))


def test_every_gateway_generated_error_is_oauth_json_and_never_cached(cfn):
    api = deployed(cfn)["Resources"]["Api"]["Properties"]["Body"]
    responses = api["x-amazon-apigateway-gateway-responses"]
    assert {"DEFAULT_4XX", "DEFAULT_5XX", "UNAUTHORIZED", "ACCESS_DENIED", "THROTTLED"} <= set(responses)
    for name, response in responses.items():
        body = response["responseTemplates"]["application/json"]
        assert '"error":' in body and '"error_description":' in body, name
        assert response["responseParameters"]["gatewayresponse.header.Cache-Control"] == "'no-store'", name
    assert responses["THROTTLED"]["statusCode"] == "429"


def test_names_and_signals_are_per_stack(cfn):
    stack = deployed(cfn)
    layer = next(iter(of_type(stack, "AWS::Lambda::LayerVersion").values()))
    assert layer["Properties"]["LayerName"] == {"Fn::Sub": "${AWS::StackName}-common"}
    for function in of_type(stack, "AWS::Lambda::Function").values():
        service = function["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
        assert service == {"Ref": "AWS::StackName"}
    alarm = stack["Resources"]["TokenEndpoint5xxAlarm"]["Properties"]
    dimensions = [m["MetricStat"]["Metric"]["Dimensions"] for m in alarm["Metrics"] if m["Id"] == "answers"]
    assert dimensions == [[{"Name": "service", "Value": {"Ref": "AWS::StackName"}}]]


EXAMPLES = template.ROOT / "examples"


def test_the_protected_api_example_uses_the_exported_authorizer_and_may_call_it_for_itself_only(cfn):
    example = transformed(EXAMPLES / "protected-api" / "template.yaml")
    export = cfn["Outputs"]["AuthorizerFunctionArn"]["Export"]["Name"]["Fn::Sub"]
    assert export == "${AWS::StackName}-AuthorizerFunctionArn"
    imported = {"Fn::ImportValue": {"Fn::Sub": "${TokenServiceStack}-AuthorizerFunctionArn"}}
    body = example["Resources"]["Api"]["Properties"]["Body"]
    authorizer = body["components"]["securitySchemes"]["TokenService"]["x-amazon-apigateway-authorizer"]
    name = authorizer["authorizerUri"]["Fn::Sub"][1]["__FunctionArn__"]["Fn::ImportValue"]["Fn::Sub"]
    assert authorizer["type"] == "token"
    assert name in ("${TokenServiceStack}-AuthorizerFunctionArn", "tokenservice-AuthorizerFunctionArn")
    permission = example["Resources"]["AuthorizerPermission"]["Properties"]
    assert permission["FunctionName"] == imported and permission["Principal"] == "apigateway.amazonaws.com"
    assert permission["SourceArn"]["Fn::Sub"].endswith("${Api}/authorizers/*")


def test_the_jwt_http_api_example_trusts_the_issuers_discovery_and_scopes_each_route(cfn):
    example = transformed(EXAMPLES / "jwt-http-api" / "template.yaml")
    body = example["Resources"]["HttpApi"]["Properties"]["Body"]
    jwt_config = body["components"]["securitySchemes"]["TokenService"]["x-amazon-apigateway-authorizer"][
        "jwtConfiguration"
    ]
    assert jwt_config["issuer"] == {"Ref": "Issuer"}
    scopes = {
        (path, method): operation["security"][0]["TokenService"]
        for path, operations in body["paths"].items()
        for method, operation in operations.items()
    }
    assert scopes[("/items", "get")] == ["inventory:read"] and scopes[("/items", "post")] == [
        "inventory:write"
    ]
    assert not [r for r in example["Resources"].values() if r["Type"] == "AWS::ApiGateway::Authorizer"]


@pytest.mark.parametrize("on", [True, False])
def test_snapstart_applies_to_published_versions_behind_the_alias_api_gateway_calls(cfn, on):
    stack = deployed(cfn, SnapStart="true" if on else "false")
    for name in ("TokenFunction", "AuthorizerFunction"):
        function = stack["Resources"][name]["Properties"]
        assert function["SnapStart"] == {"ApplyOn": "PublishedVersions" if on else "None"}
        alias = stack["Resources"][f"{name}Aliaslive"]["Properties"]
        assert alias["Name"] == "live" and alias["FunctionVersion"]["Fn::GetAtt"][1] == "Version"
    # API Gateway calls the aliases: the token function's by reference, the authorizer's by its
    # ARN written out (sam local cannot parse `!Ref Fn.Alias`), the alias created before the API.
    authorizer = stack["Resources"]["Api"]["Properties"]["Body"]["components"]["securitySchemes"]
    uri = authorizer["BearerAuthorizer"]["x-amazon-apigateway-authorizer"]["authorizerUri"]
    alias = stack["Resources"]["AuthorizerFunctionAliaslive"]["Properties"]["Name"]
    assert uri["Fn::Sub"][1]["__FunctionArn__"] == {
        "Fn::Sub": [f"${{Function}}:{alias}", {"Function": {"Fn::GetAtt": ["AuthorizerFunction", "Arn"]}}]
    }
    assert "AuthorizerFunctionAliaslive" in stack["Resources"]["Api"]["DependsOn"]
    permission = stack["Resources"]["ApiBearerAuthorizerAuthorizerPermission"]["Properties"]
    assert permission["FunctionName"] == uri["Fn::Sub"][1]["__FunctionArn__"]
    assert {"Ref": "Api"} in permission["SourceArn"]["Fn::Sub"][1].values()  # so after the alias
    auth_body = json.dumps(stack["Resources"]["AuthApi"]["Properties"]["Body"])
    assert "TokenFunctionAliaslive" in auth_body
    assert stack["Outputs"]["AuthorizerFunctionArn"]["Value"] == {"Ref": "AuthorizerFunctionAliaslive"}
