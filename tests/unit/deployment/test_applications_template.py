"""template.yaml agrees with the code on the Applications API and the sign-up role."""

from localrun import template
from tokenservice.core import config

TMPL = template.load()


def variables(function: str) -> dict:
    return TMPL["Resources"][function]["Properties"]["Environment"]["Variables"]


def test_the_application_limit_parameter_has_the_settings_bounds():
    spec, setting = TMPL["Parameters"]["ApplicationsPerUser"], config.APPLICATIONS_PER_USER
    assert (spec["Default"], spec["MinValue"], spec["MaxValue"]) == (
        setting.default,
        setting.minimum,
        setting.maximum,
    )
    assert variables("ApplicationsFunction")[setting.variable] == {"Ref": "ApplicationsPerUser"}


def test_self_signed_up_users_get_the_subscriber_role_by_default():
    assert TMPL["Parameters"]["SelfSignupRoles"]["Default"] == config.SIGNUP_ROLES.default == "subscriber"
    assert variables("TokenFunction")[config.SIGNUP_ROLES.variable] == {"Ref": "SelfSignupRoles"}


def test_the_applications_api_is_behind_the_authorizer():
    api = {
        (e.method, e.path, e.authorizer)
        for e in template.api_endpoints(TMPL)
        if e.function == "ApplicationsFunction"
    }
    assert api == {
        ("GET", "/applications", "BearerAuthorizer"),
        ("POST", "/applications", "BearerAuthorizer"),
        ("DELETE", "/applications/{id}", "BearerAuthorizer"),
        ("POST", "/applications/{id}/keys", "BearerAuthorizer"),
        ("GET", "/apis", "BearerAuthorizer"),
        ("GET", "/applications/{id}/subscriptions", "BearerAuthorizer"),
        ("POST", "/applications/{id}/subscriptions", "BearerAuthorizer"),
        ("DELETE", "/applications/{id}/subscriptions/{api}", "BearerAuthorizer"),
        ("GET", "/applications/{id}/usage", "BearerAuthorizer"),
    }
