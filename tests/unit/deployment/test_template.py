"""template.yaml agrees with the code: key schemas, protected routes, lifetimes, least privilege."""

import pytest

from localrun import template
from tokenservice.core import config
from tokenservice.registry import openapi
from tokenservice.store.models import (
    ApiModel,
    ClientModel,
    RegistrationModel,
    ScopeModel,
    SessionModel,
    TokenModel,
    UserModel,
)

TMPL = template.load()
TABLES = {
    "USERS_TABLE": [UserModel],
    "CLIENTS_TABLE": [ClientModel],
    "TOKENS_TABLE": [TokenModel, RegistrationModel, SessionModel],
    "REGISTRY_TABLE": [ApiModel, ScopeModel],
}


def _keys(schema: list[dict]) -> list[tuple]:
    return sorted((k["AttributeName"], k["KeyType"]) for k in schema)


def _attributes(definitions: list[dict]) -> list[tuple]:
    return sorted((a["AttributeName"], a["AttributeType"]) for a in definitions)


@pytest.mark.parametrize("variable", sorted(TABLES))
def test_table_key_schema_matches_the_model(variable):
    schemas = [model._get_schema() for model in TABLES[variable]]  # what PynamoDB would create
    definition = template.table_definition(template.table_env_variables(TMPL)[variable], TMPL)
    for schema in schemas:
        assert _keys(definition["KeySchema"]) == _keys(schema["key_schema"])
    model_attributes = {a for schema in schemas for a in _attributes(schema["attribute_definitions"])}
    assert _attributes(definition["AttributeDefinitions"]) == sorted(model_attributes)
    indexes = {
        i["IndexName"]: (_keys(i["KeySchema"]), i["Projection"])
        for i in definition.get("GlobalSecondaryIndexes", [])
    }
    model_indexes = {
        i["index_name"]: (_keys(i["key_schema"]), _projection(i["projection"]))
        for schema in schemas
        for i in schema["global_secondary_indexes"]
    }
    assert indexes == model_indexes


def _projection(projection: dict) -> dict:
    """PynamoDB's projection in CloudFormation's spelling."""
    spelled = {"ProjectionType": projection["ProjectionType"]}
    if projection.get("NonKeyAttributes"):
        spelled["NonKeyAttributes"] = projection["NonKeyAttributes"]
    return spelled


def test_models_default_to_the_local_table_names():
    for variable, models in TABLES.items():
        assert all(model.Meta.table_name == config.TABLE_DEFAULTS[variable] for model in models)


@pytest.mark.parametrize("logical_id", ["UsersTable", "ClientsTable", "TokensTable", "RegistryTable"])
def test_tables_are_on_demand_encrypted_and_recoverable(logical_id):
    props = TMPL["Resources"][logical_id]["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_tokens_table_expires_items_by_the_models_expiry_attribute():
    ttl = TMPL["Resources"]["TokensTable"]["Properties"]["TimeToLiveSpecification"]
    assert ttl == {"AttributeName": TokenModel.expires_at.attr_name, "Enabled": True}


def test_authorizer_protected_routes_are_exactly_the_sample_apis_registry_rules():
    protected = {(e.method, e.path) for e in template.api_endpoints(TMPL) if e.authorizer}
    rules = openapi.access_rules(openapi.load(openapi.SAMPLE))
    assert protected == {(r.method, r.path) for r in rules}


def test_token_endpoint_is_public():
    token = [e for e in template.api_endpoints(TMPL) if e.path == "/token"]
    assert [(e.method, e.authorizer) for e in token] == [("ANY", None)]


def test_authorizer_is_a_token_authorizer_on_the_bearer_header_with_bounded_caching():
    api = TMPL["Resources"]["Api"]["Properties"]
    authorizer = api["Auth"]["Authorizers"][api["Auth"]["DefaultAuthorizer"]]
    assert authorizer["Identity"]["Header"] == "Authorization"
    assert authorizer["Identity"]["ReauthorizeEvery"] == {"Ref": "AuthorizerCacheTtl"}
    cache = TMPL["Parameters"]["AuthorizerCacheTtl"]
    assert cache["Default"] == 300
    assert cache["MaxValue"] <= config.ACCESS_TTL.default


def test_gateway_responses_carry_rfc6750_challenges():
    responses = TMPL["Resources"]["Api"]["Properties"]["GatewayResponses"]
    assert responses["UNAUTHORIZED"]["StatusCode"] == 401
    challenge = responses["UNAUTHORIZED"]["ResponseParameters"]["Headers"]["WWW-Authenticate"]
    assert template.resolve(challenge, {"AuthRealm": "shop"}) == "'Bearer realm=\"shop\"'"
    assert responses["ACCESS_DENIED"]["StatusCode"] == 403
    assert responses["ACCESS_DENIED"]["ResponseParameters"]["Headers"]["WWW-Authenticate"] == (
        "'Bearer error=\"insufficient_scope\"'"
    )


def test_every_gateway_response_is_json_never_cached_nor_sniffed():
    for name, response in TMPL["Resources"]["Api"]["Properties"]["GatewayResponses"].items():
        headers = response["ResponseParameters"]["Headers"]
        assert headers["Cache-Control"] == "'no-store'", name
        assert headers["X-Content-Type-Options"] == "'nosniff'", name
        assert list(response["ResponseTemplates"]) == ["application/json"], name


def policy_statements(function: str) -> list[dict]:
    policies = TMPL["Resources"][function]["Properties"]["Policies"]
    return [statement for policy in policies for statement in policy["Statement"]]


def test_functions_run_python313_on_arm64_with_tracing_and_the_shared_layer():
    globals_ = TMPL["Globals"]["Function"]
    assert (globals_["Runtime"], globals_["Architectures"], globals_["Tracing"]) == (
        "python3.13",
        ["arm64"],
        "Active",
    )
    assert globals_["Layers"] == [{"Ref": "CommonLayer"}]
    assert globals_["Environment"]["Variables"]["AWS_ENDPOINT_URL_DYNAMODB"] == ""
    layer = TMPL["Resources"]["CommonLayer"]
    assert layer["Metadata"] == {"BuildMethod": "python3.13", "BuildArchitecture": "arm64"}


def test_outputs_name_the_api_and_the_three_tables():
    assert {"ApiUrl", "UsersTableName", "ClientsTableName", "TokensTableName"} <= set(TMPL["Outputs"])


def test_authorization_server_routes_are_public_and_all_dispatched():
    from tokenservice.server.routes import ROUTER

    routes = {e.path: e for e in template.api_endpoints(TMPL) if e.function == "TokenFunction"}
    served = ROUTER.routes()
    assert set(routes) == {resource for _, resource in served}
    assert all(endpoint.authorizer is None for endpoint in routes.values())
    # POST endpoints take ANY method in the template so the function can answer 405, not 404
    assert all(routes[resource].method in (method, "ANY") for method, resource in served)


def test_openapi_description_covers_exactly_the_templates_routes():
    import yaml

    document = yaml.safe_load((template.ROOT / "openapi.yaml").read_text())
    described = {path for path in document["paths"]}
    assert described == {e.path for e in template.api_endpoints(TMPL)}


def test_stack_outputs_name_every_table_as_tokenctl_expects():
    outputs = TMPL["Outputs"]
    variables = TMPL["Globals"]["Function"]["Environment"]["Variables"]
    for variable, output in config.STACK_OUTPUTS.items():
        assert outputs[output]["Value"] == variables[variable]  # the table the functions use


def test_every_function_has_a_log_group_with_retention():
    groups = template.resources("AWS::Logs::LogGroup", TMPL)
    named = {g["Properties"]["LogGroupName"]["Fn::Sub"] for g in groups.values()}
    functions = template.resources("AWS::Serverless::Function", TMPL)
    assert named == {f"/aws/lambda/${{{name}}}" for name in functions}
    assert all(g["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"} for g in groups.values())


def test_the_5xx_alarm_watches_the_metric_the_token_endpoint_emits():
    from tokenservice.core import observability

    alarm = TMPL["Resources"]["TokenEndpoint5xxAlarm"]["Properties"]
    stats = {m["Id"]: m["MetricStat"]["Metric"] for m in alarm["Metrics"] if "MetricStat" in m}
    service = TMPL["Globals"]["Function"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
    assert stats["answers"]["MetricName"] == observability.SERVER_ERRORS
    assert stats["answers"]["Dimensions"] == [{"Name": "service", "Value": service}]
    assert stats["answers"]["Namespace"] == {"Ref": "MetricsNamespace"}
    assert stats["failures"]["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "TokenFunction"}}]


def test_tracer_and_self_signup_are_off_by_default():
    variables = TMPL["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["TRACER_ENABLED"] == {"Ref": "PowertoolsTracer"}
    assert TMPL["Parameters"]["PowertoolsTracer"]["Default"] == "false"
    token_env = TMPL["Resources"]["TokenFunction"]["Properties"]["Environment"]["Variables"]
    assert token_env["SELF_SIGNUP_ENABLED"] == {"Ref": "SelfSignupEnabled"}
    assert TMPL["Parameters"]["SelfSignupEnabled"]["Default"] == "false"


def test_one_realm_setting_names_both_the_basic_and_the_bearer_challenge():
    variables = TMPL["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["AUTH_REALM"] == {"Ref": "AuthRealm"}
    assert TMPL["Parameters"]["AuthRealm"]["Default"] == config.AUTH_REALM.default
    challenge = TMPL["Resources"]["Api"]["Properties"]["GatewayResponses"]["UNAUTHORIZED"]
    assert "${AuthRealm}" in challenge["ResponseParameters"]["Headers"]["WWW-Authenticate"]["Fn::Sub"]


@pytest.mark.parametrize(
    "parameter,setting", [("AccessTokenTtl", config.ACCESS_TTL), ("RefreshTokenTtl", config.REFRESH_TTL)]
)
def test_lifetime_parameters_have_the_bounds_tokenctl_accepts(parameter, setting):
    spec = TMPL["Parameters"][parameter]
    assert (spec["Default"], spec["MinValue"], spec["MaxValue"]) == (
        setting.default,
        setting.minimum,
        setting.maximum,
    )
    variables = TMPL["Globals"]["Function"]["Environment"]["Variables"]
    assert variables[setting.variable] == {"Ref": parameter}


def test_the_session_cap_parameter_has_the_settings_bounds():
    spec = TMPL["Parameters"]["MaxSessionSeconds"]
    setting = config.MAX_SESSION_SECONDS
    assert (spec["Default"], spec["MinValue"], spec["MaxValue"]) == (
        setting.default,
        setting.minimum,
        setting.maximum,
    )
    token_env = TMPL["Resources"]["TokenFunction"]["Properties"]["Environment"]["Variables"]
    assert token_env[setting.variable] == {"Ref": "MaxSessionSeconds"}


def test_the_issuer_is_configurable_and_empty_by_default():
    assert TMPL["Parameters"]["Issuer"]["Default"] == ""
    assert TMPL["Globals"]["Function"]["Environment"]["Variables"][config.ISSUER.variable] == {
        "Ref": "Issuer"
    }


def test_no_request_outlives_the_wait_of_a_client_deletion():
    assert TMPL["Globals"]["Function"]["Timeout"] == config.MAX_REQUEST_SECONDS
    functions = template.resources("AWS::Serverless::Function", TMPL).values()
    assert all("Timeout" not in function["Properties"] for function in functions)


def test_the_sample_api_is_a_parameter_on_by_default_and_off_in_prod():
    import tomllib

    assert TMPL["Parameters"]["DeploySampleApi"]["Default"] == "true"
    assert TMPL["Conditions"]["SampleApi"] == {"Fn::Equals": [{"Ref": "DeploySampleApi"}, "true"]}
    assert TMPL["Resources"]["OrdersFunction"]["Condition"] == "SampleApi"
    assert TMPL["Resources"]["OrdersFunctionLogGroup"]["Condition"] == "SampleApi"
    samconfig = tomllib.loads((template.ROOT / "samconfig.toml").read_text())
    assert "DeploySampleApi=false" in samconfig["prod"]["deploy"]["parameters"]["parameter_overrides"].split()


def _parameter_settings() -> list[tuple[str, str]]:
    """(setting variable, template parameter) of every function variable set by `!Ref Parameter`."""
    pairs = set()
    for name, value in template.function_variables(TMPL).items():
        if isinstance(value, dict) and value.get("Ref") in TMPL["Parameters"]:
            pairs.add((name, value["Ref"]))
    return sorted(pairs)


def test_every_parameter_passed_to_a_setting_has_the_settings_default_and_bounds():
    declared = {setting.variable: setting for setting in config.SETTINGS}
    checked = []
    for variable, parameter in _parameter_settings():
        setting, spec = declared.get(variable), TMPL["Parameters"][parameter]
        if setting is None:
            continue
        checked.append(variable)
        if isinstance(setting, config.Number):
            assert (spec["Default"], spec.get("MinValue"), spec.get("MaxValue")) == (
                setting.default,
                setting.minimum,
                setting.maximum,
            ), variable
        elif isinstance(setting, config.Flag):
            assert (spec["Default"], sorted(spec["AllowedValues"])) == ("false", ["false", "true"]), variable
        elif isinstance(setting, config.Choice):
            assert (spec["Default"], spec["AllowedValues"]) == (setting.default, list(setting.choices))
        else:
            assert spec["Default"] == setting.default, variable
    assert {"LOCKOUT_THRESHOLD", "REFRESH_RETRY_GRACE_SECONDS", "ACCESS_TOKEN_FORMAT"} <= set(checked)


def test_the_refresh_retry_grace_reaches_the_token_function_off_by_default():
    token_env = TMPL["Resources"]["TokenFunction"]["Properties"]["Environment"]["Variables"]
    assert token_env["REFRESH_RETRY_GRACE_SECONDS"] == {"Ref": "RefreshRetryGraceSeconds"}
    assert TMPL["Parameters"]["RefreshRetryGraceSeconds"]["Default"] == 0


# -- usage plans (the store's tiers on AWS) --------------------------------------------------------


def test_each_built_in_tier_has_a_usage_plan_with_its_numbers_on_the_apis_stage():
    from tokenservice.registry import tiers

    resources = TMPL["Resources"]
    recorded = resources["OwnApiRules"]["Properties"]["UsagePlans"]
    assert set(recorded) == {tier.name for tier in tiers.BUILT_IN.values()}
    for tier in tiers.BUILT_IN.values():
        plan = resources[recorded[tier.name]["Ref"]]
        assert plan["Type"] == "AWS::ApiGateway::UsagePlan"
        expected = {"RateLimit": tier.rate, "BurstLimit": tier.burst} if tier.rate is not None else None
        assert plan["Properties"].get("Throttle") == expected, tier.name
        assert "Quota" not in plan["Properties"]
        assert plan["Properties"]["ApiStages"] == [{"ApiId": {"Ref": "Api"}, "Stage": {"Ref": "Api.Stage"}}]


def test_the_rest_api_takes_its_usage_keys_from_the_authorizer_and_requires_one_on_every_method():
    api = TMPL["Resources"]["Api"]["Properties"]
    assert api["ApiKeySourceType"] == "AUTHORIZER"
    assert api["Auth"]["ApiKeyRequired"] is True
    assert not any(
        event["Properties"].get("Auth", {}).get("ApiKeyRequired") is False
        for resource in TMPL["Resources"].values()
        for event in resource.get("Properties", {}).get("Events", {}).values()
        if event["Type"] == "Api"
    )


def test_the_default_key_is_in_the_default_plan_and_is_the_authorizers_default_usage_key():
    resources = TMPL["Resources"]
    key = resources["DefaultUsageKey"]
    assert key["Type"] == "AWS::ApiGateway::ApiKey" and key["Properties"]["Enabled"] is True
    variables = resources["AuthorizerFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["DEFAULT_USAGE_KEY"] == key["Properties"]["Value"]
    uuid = "0a1b2c3d-4e5f-6789-abcd-ef0123456789"
    stack_id = f"arn:aws:cloudformation:eu-west-1:123456789012:stack/tokenservice/{uuid}"
    text, names = key["Properties"]["Value"]["Fn::Sub"]
    separator, (index, parts) = names["Id"]["Fn::Select"][1]["Fn::Split"][0], names["Id"]["Fn::Select"]
    value = text.replace("${Id}", stack_id.split(separator)[index])
    assert value == f"tokenservice-default-{uuid}" and len(value) >= 20
    assert parts["Fn::Split"][1] == {"Ref": "AWS::StackId"}
    plan_key = resources["DefaultUsagePlanKey"]["Properties"]
    assert plan_key == {
        "KeyId": {"Ref": "DefaultUsageKey"},
        "KeyType": "API_KEY",
        "UsagePlanId": {"Ref": "DefaultUsagePlan"},
    }
    default = resources["DefaultUsagePlan"]["Properties"]
    assert "Throttle" not in default and "Quota" not in default
    assert resources["OwnApiRules"]["Properties"]["DefaultUsagePlan"] == {"Ref": "DefaultUsagePlan"}
    assert resources["OwnApiRules"]["Properties"]["Stage"] == {"Ref": "Api.Stage"}


def test_the_registrys_custom_resource_is_exported_for_other_stacks():
    output = TMPL["Outputs"]["RegistryServiceToken"]
    assert output["Value"] == {"Fn::GetAtt": ["StackSetupFunction", "Arn"]}
    assert output["Export"]["Name"] == {"Fn::Sub": "${AWS::StackName}-RegistryServiceToken"}


def test_the_stage_and_the_authorization_server_are_throttled_by_default():
    stage = TMPL["Resources"]["Api"]["Properties"]["MethodSettings"]
    assert stage == [
        {
            "ResourcePath": "/*",
            "HttpMethod": "*",
            "ThrottlingRateLimit": {"Ref": "ResourceApiRateLimit"},
            "ThrottlingBurstLimit": {"Ref": "ResourceApiBurstLimit"},
        }
    ]
    routes = TMPL["Resources"]["AuthApi"]["Properties"]["DefaultRouteSettings"]
    assert routes == {
        "ThrottlingRateLimit": {"Ref": "AuthApiRateLimit"},
        "ThrottlingBurstLimit": {"Ref": "AuthApiBurstLimit"},
    }
    parameters = TMPL["Parameters"]
    assert (parameters["AuthApiRateLimit"]["Default"], parameters["AuthApiBurstLimit"]["Default"]) == (
        100,
        200,
    )
    gold = TMPL["Resources"]["GoldUsagePlan"]["Properties"]["Throttle"]
    assert parameters["ResourceApiRateLimit"]["Default"] > gold["RateLimit"]
    assert parameters["ResourceApiBurstLimit"]["Default"] > gold["BurstLimit"]


def _apigateway_statements(function: str) -> set[tuple[str, str]]:
    found = set()
    for statement in (
        policy_statements(function) if "Policies" in TMPL["Resources"][function]["Properties"] else []
    ):
        if "Action" not in statement:
            continue
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        found |= {(a, r["Fn::Sub"]) for a in actions if a.startswith("apigateway:") for r in resources}
    return found


def test_only_the_stores_functions_and_the_setup_function_may_touch_usage_plans_and_keys():
    prefix = "arn:${AWS::Partition}:apigateway:${AWS::Region}::"
    for store in ("ApplicationsFunction", "PortalFunction"):  # keys and usage, never plans
        assert _apigateway_statements(store) == {
            ("apigateway:POST", prefix + "/apikeys"),
            ("apigateway:POST", prefix + "/usageplans/*/keys"),
            ("apigateway:DELETE", prefix + "/apikeys/*"),
            ("apigateway:GET", prefix + "/usageplans/*/usage"),
        }, store
    assert _apigateway_statements("StackSetupFunction") == {
        ("apigateway:GET", prefix + "/usageplans/*"),
        ("apigateway:PATCH", prefix + "/usageplans/*"),
    }
    others = [name for name, r in TMPL["Resources"].items() if r["Type"] == "AWS::Serverless::Function"]
    assert [name for name in others if _apigateway_statements(name)] == [
        "ApplicationsFunction",
        "PortalFunction",
        "StackSetupFunction",
    ]


def test_the_protected_api_example_joins_the_usage_plans_and_answers_429_as_the_stack_does():
    example = template.load(template.ROOT / "examples" / "protected-api" / "template.yaml")
    api = example["Resources"]["Api"]["Properties"]
    assert (api["ApiKeySourceType"], api["Auth"]["ApiKeyRequired"]) == ("AUTHORIZER", True)
    ours = TMPL["Resources"]["Api"]["Properties"]["GatewayResponses"]
    for name in ("THROTTLED", "QUOTA_EXCEEDED"):
        response = api["GatewayResponses"][name]
        assert response["StatusCode"] == 429
        assert response["ResponseTemplates"] == ours[name]["ResponseTemplates"]
    assert api["GatewayResponses"]["THROTTLED"]["ResponseParameters"]["Headers"]["Retry-After"] == "'1'"
    joined = [r["Properties"] for r in example["Resources"].values() if r["Type"] == "Custom::ApiStage"]
    assert joined == [
        {
            "ServiceToken": {"Fn::ImportValue": {"Fn::Sub": "${TokenServiceStack}-RegistryServiceToken"}},
            "ApiId": {"Ref": "Api"},
            "Stage": {"Ref": "Api.Stage"},
        }
    ]
    export = TMPL["Outputs"]["RegistryServiceToken"]["Export"]["Name"]["Fn::Sub"]
    assert (
        export.replace("${AWS::StackName}", "${TokenServiceStack}")
        == joined[0]["ServiceToken"]["Fn::ImportValue"]["Fn::Sub"]
    )
