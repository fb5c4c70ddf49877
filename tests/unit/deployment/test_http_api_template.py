"""The split of template.yaml: the authorization server on an HTTP API (payload format 1.0), the
protected resource APIs on the REST API behind the TOKEN authorizer."""

from localrun import template

TMPL = template.load()
ENDPOINTS = template.api_endpoints(TMPL)
CREDENTIAL_ROUTES = {
    ("ANY", "/token"),
    ("ANY", "/revoke"),
    ("ANY", "/introspect"),
    ("ANY", "/signup"),
    ("ANY", "/login"),  # the hosted login page's password form
    ("GET", "/portal/callback"),  # the portal's code exchange, with its client secret
    ("POST", "/portal/signup"),
    ("POST", "/portal/mfa/confirm"),  # a TOTP code (enrolment)
    ("POST", "/portal/mfa/disable"),  # a TOTP or recovery code
}
# WSO2 Key Manager's paths for the same credential endpoints (server/routes.py WSO2_PATHS)
CREDENTIAL_ROUTES |= {("ANY", f"/oauth2{path}") for path in ("/token", "/revoke", "/introspect")}


def _events(function: str) -> dict:
    return TMPL["Resources"][function]["Properties"]["Events"]


def test_the_authorization_servers_routes_are_on_the_http_api_in_payload_format_1():
    served = {(e.method, e.path) for e in ENDPOINTS if e.http_api}
    assert {
        (e.method, e.path) for e in ENDPOINTS if e.function in ("TokenFunction", "PortalFunction")
    } == served
    assert {e.api for e in ENDPOINTS if e.http_api} == {"AuthApi"}
    assert {e.payload for e in ENDPOINTS if e.http_api} == {"1.0"}
    assert {("ANY", "/token"), ("GET", "/.well-known/jwks.json"), ("GET", "/portal")} <= served


def test_every_route_of_the_rest_api_is_behind_the_authorizer():
    rest = [e for e in ENDPOINTS if not e.http_api]
    assert {e.api for e in rest} == {"Api"}
    assert all(e.authorizer == "BearerAuthorizer" for e in rest)
    assert {e.path for e in rest} == {
        "/orders",
        "/whoami",
        "/applications",
        "/applications/{id}",
        "/applications/{id}/keys",
        "/apis",
        "/applications/{id}/subscriptions",
        "/applications/{id}/subscriptions/{api}",
        "/applications/{id}/usage",
    }


def test_the_routes_that_check_credentials_are_throttled_by_the_parameters():
    throttled = set()
    for function in ("TokenFunction", "PortalFunction"):
        for event in _events(function).values():
            settings = event["Properties"].get("RouteSettings")
            if settings:
                assert settings == {
                    "ThrottlingRateLimit": {"Ref": "CredentialRoutesRateLimit"},
                    "ThrottlingBurstLimit": {"Ref": "CredentialRoutesBurstLimit"},
                }
                throttled.add((event["Properties"]["Method"].upper(), event["Properties"]["Path"]))
    assert throttled == CREDENTIAL_ROUTES


def test_the_default_issuer_is_the_http_apis_url_or_the_custom_domain():
    issuer = TMPL["Resources"]["OwnApiRules"]["Properties"]["DefaultIssuer"]["Fn::If"]
    assert issuer == [
        "HasDomain",
        {"Fn::Sub": "https://${DomainName}"},
        {"Fn::Sub": "https://${AuthApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"},
    ]


def test_the_portal_is_told_the_rest_apis_id_for_its_rules():
    variables = TMPL["Resources"]["PortalFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["APPLICATIONS_API_ID"] == {"Ref": "Api"}


def test_the_authorizer_is_called_through_its_alias_by_an_arn_sam_local_can_parse():
    authorizer = TMPL["Resources"]["Api"]["Properties"]["Auth"]["Authorizers"]["BearerAuthorizer"]
    alias = TMPL["Resources"]["AuthorizerFunction"]["Properties"]["AutoPublishAlias"]
    text, variables = authorizer["FunctionArn"]["Fn::Sub"]
    assert text == "${Function}:" + alias
    assert variables == {"Function": {"Fn::GetAtt": ["AuthorizerFunction", "Arn"]}}
    assert TMPL["Resources"]["Api"]["DependsOn"] == f"AuthorizerFunctionAlias{alias}"


def test_the_outputs_name_both_apis():
    outputs = TMPL["Outputs"]
    assert "${AuthApi}" in outputs["AuthApiUrl"]["Value"]["Fn::Sub"]
    assert "${AuthApi}" in outputs["TokenUrl"]["Value"]["Fn::Sub"]
    assert "${Api}" in outputs["ApiUrl"]["Value"]["Fn::Sub"]
    assert outputs["AuthApiId"]["Value"] == {"Ref": "AuthApi"}
