"""template.yaml agrees with the code on the developer portal."""

from localrun import template
from tokenservice.core import config
from tokenservice.portal.routes import PORTAL_ROUTER

TMPL = template.load()
RESOURCES = TMPL["Resources"]


def variables(function: str) -> dict:
    return RESOURCES[function]["Properties"]["Environment"]["Variables"]


def test_the_portal_signs_in_under_the_same_lockout_sign_up_and_session_settings_as_the_token_endpoint():
    shared = ("LOCKOUT_THRESHOLD", "LOCKOUT_SECONDS", "LOCKOUT_MAX_SECONDS", "SELF_SIGNUP_ENABLED")
    shared += ("SIGNUP_SCOPES", "SIGNUP_ROLES", "MAX_SESSION_SECONDS")
    for name in shared:
        assert variables("PortalFunction")[name] == variables("TokenFunction")[name], name
    memory = [RESOURCES[name]["Properties"]["MemorySize"] for name in ("PortalFunction", "TokenFunction")]
    assert memory[0] == memory[1]  # argon2id gets the same CPU
    assert variables("PortalFunction")[config.APPLICATIONS_PER_USER.variable] == {
        "Ref": "ApplicationsPerUser"
    }


def test_the_portal_client_comes_from_its_custom_resource():
    env = variables("PortalFunction")
    assert env[config.PORTAL_CLIENT_ID.variable] == {"Fn::GetAtt": ["PortalClient", "ClientId"]}
    assert env[config.PORTAL_CLIENT_SECRET.variable] == {"Fn::GetAtt": ["PortalClient", "ClientSecret"]}
    client = RESOURCES["PortalClient"]
    assert client["Type"] == "Custom::PortalClient"
    assert client["Properties"]["ServiceToken"] == {"Fn::GetAtt": ["PortalClientFunction", "Arn"]}


def test_the_portal_is_public_and_serves_exactly_its_routes():
    endpoints = [e for e in template.api_endpoints(TMPL) if e.function == "PortalFunction"]
    assert all(e.authorizer is None for e in endpoints)
    served = {(e.method, e.path) for e in endpoints}
    assert served == set(PORTAL_ROUTER.routes())


def test_the_stack_outputs_the_portals_url():
    # served by the authorization server's HTTP API (stage $default: no stage in the path)
    assert TMPL["Outputs"]["PortalUrl"]["Value"]["Fn::Sub"] == (
        "https://${AuthApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/portal"
    )


def test_the_portal_clients_redirect_uri_is_under_the_issuer_as_the_portal_computes_it():
    properties = RESOURCES["PortalClient"]["Properties"]
    assert properties["Issuer"] == {"Ref": "Issuer"}
    default = properties["DefaultIssuer"]
    assert default == RESOURCES["OwnApiRules"]["Properties"]["DefaultIssuer"]  # the JWTs' too
