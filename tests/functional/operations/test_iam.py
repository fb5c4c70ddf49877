"""IAM exactly as used: every DynamoDB call each function makes is granted by its role in
template.yaml, and every permission the role grants is used by some flow (nothing more)."""

import base64
import re
from urllib.parse import urlencode

import pytest

from localrun import template
from tests.conftest import Provisioned, bearer_works, handler, login, post_form, token_event
from tests.functional.gateway_client import hidden
from tests.functional.oauth.test_races import lose_the_first_response
from tokenservice import admin
from tokenservice.core import config
from tokenservice.registry import openapi

TMPL = template.load()
TABLE_NAMES = {
    config.TABLE_DEFAULTS[variable]: logical_id
    for variable, logical_id in template.table_env_variables(TMPL).items()
}
ITEM_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def _resolve(value, conditions: dict[str, bool]):
    """A policy value with `!If` decided by `conditions`; None for `AWS::NoValue`."""
    if isinstance(value, dict) and "Fn::If" in value:
        name, yes, no = value["Fn::If"]
        return _resolve(yes if conditions[name] else no, conditions)
    if value == {"Ref": "AWS::NoValue"}:
        return None
    return value


def _table_of(resource) -> tuple[str, str | None]:
    """(table logical id, index) a policy resource names: `!GetAtt T.Arn` or `!Sub "${T.Arn}/index/i"`."""
    if "Fn::GetAtt" in resource:
        return resource["Fn::GetAtt"][0], None
    text = resource["Fn::Sub"]
    table = text.split("${", 1)[1].split(".Arn}", 1)[0]
    return table, text.split("/index/", 1)[1] if "/index/" in text else None


APIGATEWAY_ARN = "arn:${AWS::Partition}:apigateway:${AWS::Region}::"


def _granted_resource(action: str, resource) -> tuple[str, str | None]:
    """(table, index) of a DynamoDB or KMS grant; (path pattern, None) of an API Gateway one."""
    if action.startswith("apigateway:"):
        return resource["Fn::Sub"].removeprefix(APIGATEWAY_ARN), None
    return _table_of(resource)


def granted(function: str, conditions: dict[str, bool]) -> set[tuple]:
    """(action, table, index) triples a function's role grants, with the stack creating its tables."""
    grants = set()
    for policy in TMPL["Resources"][function]["Properties"].get("Policies", []):
        for statement in policy["Statement"]:
            statement = _resolve(statement, conditions)
            if statement is None:
                continue
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = (
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            )
            for action in actions:
                for resource in resources:
                    grants.add((action, *_granted_resource(action, _resolve(resource, conditions))))
    return grants


class Recorder:
    """(action, resource, index) of every DynamoDB and KMS call made while recording."""

    def __init__(self, client, monkeypatch):
        from tokenservice.jose import signing

        self.calls: set[tuple] = set()
        self.paused = False  # calls made meanwhile are other functions'
        client.meta.events.register("before-parameter-build.dynamodb", self.record)
        kms_client = signing._kms

        def recorded_kms(settings):
            kms = kms_client(settings)
            kms.meta.events.register(
                "before-parameter-build.kms",
                lambda model, **_: self.calls.add((f"kms:{model.name}", "SigningKeyEncryptionKey", None)),
            )
            return kms

        monkeypatch.setattr(signing, "_kms", recorded_kms)
        from tokenservice.registry import apigateway_plans

        apigateway_plans.client.cache_clear()
        apigateway_plans.client().meta.events.register(
            "before-parameter-build.api-gateway", self.record_apigateway
        )

    def record_apigateway(self, model, **_):
        """An API Gateway call as IAM sees it: apigateway:<method> on its path ({ids} as *)."""
        if not self.paused:
            path = re.sub(r"\{[^}]+\}", "*", model.http["requestUri"].split("?", 1)[0])
            self.calls.add((f"apigateway:{model.http['method']}", path, None))

    def record(self, model, params, **_):
        if self.paused:
            return
        name = model.name
        if name == "BatchGetItem":
            self.calls |= {(f"dynamodb:{name}", TABLE_NAMES[t], None) for t in params["RequestItems"]}
        elif name == "TransactWriteItems":
            for item in params["TransactItems"]:
                ((kind, request),) = item.items()
                self.calls.add((f"dynamodb:{ITEM_ACTIONS[kind]}", TABLE_NAMES[request["TableName"]], None))
        else:
            self.calls.add((f"dynamodb:{name}", TABLE_NAMES[params["TableName"]], params.get("IndexName")))


def conditions(signup: bool) -> dict[str, bool]:
    created = {name: True for name in TMPL["Conditions"] if name.startswith("Create")}
    return {**created, "SignupEnabled": signup, "HasAlarmTopic": False}


def legacy_tokens(p: Provisioned) -> tuple[str, str]:
    """An access and a refresh token as issued before tokens named their user (same records)."""
    from tokenservice.core import credentials
    from tokenservice.oauth import tokens

    issued = tokens.issue(
        client_id=p.client_id,
        username=p.username,
        scope="read",
        grant_type="password",
        access_ttl=600,
        refresh_ttl=600,
    )
    plain = [credentials.new_token(), credentials.new_token()]
    for record, token in zip(issued.records, plain, strict=True):
        record.token_hash = credentials.digest(token)
    tokens.save(issued.records)
    return plain[0], plain[1]


def token_function_flows(ctx, p: Provisioned, signup: bool) -> None:
    login(ctx, p, password="wrong password")  # counts a failure
    _, _, first = login(ctx, p)
    form = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    _, _, second = post_form(ctx, "/token", form, p.basic)
    post_form(ctx, "/token", form, p.basic)  # a reuse: revokes the family (by_user query)
    post_form(ctx, "/token", {"grant_type": "client_credentials"}, p.basic)
    post_form(ctx, "/introspect", {"token": second["access_token"]}, p.basic)
    _, _, third = login(ctx, p, scope="read")  # the requested scopes' definitions are read too
    metadata = {
        **token_event("", None, resource="/.well-known/oauth-authorization-server"),
        "httpMethod": "GET",
    }
    handler("token")(metadata, ctx)  # its scopes_supported lists the registry's scopes
    post_form(ctx, "/revoke", {"token": third["access_token"]}, p.basic)
    post_form(ctx, "/revoke", {"token": third["refresh_token"]}, p.basic)
    if signup:
        post_form(ctx, "/signup", {"username": "newcomer", "password": "a fine long passphrase"}, p.basic)
    _, old_refresh = legacy_tokens(p)  # its user is read apart (GetItem)
    post_form(ctx, "/token", {"grant_type": "refresh_token", "refresh_token": old_refresh}, p.basic)


def code_flow(ctx, p: Provisioned, client, third_party) -> None:
    """The authorization code flow: the pages, the code, its exchange and replay, UserInfo, logout."""
    from tests.functional.gateway_client import Browser, gateway
    from tests.functional.signin.conftest import answer, attempt, exchange

    browser = Browser(gateway())
    trial = attempt(client)
    page = browser.request("GET", trial.path())  # a login transaction (PutItem)
    assert browser.log_in(page, p.username, "wrong password").status == 400  # a failure counted
    code = answer(browser.log_in(page, p.username, p.password))["code"]  # session, code: one transaction
    _, _, tokens = exchange(ctx, trial, code)  # the code spent, the tokens written, with an ID token
    exchange(ctx, trial, code)  # a replay: what it issued is revoked (by_user query)
    again = attempt(client)
    code = answer(browser.request("GET", again.path()))["code"]  # with the session: the code alone
    _, _, tokens = exchange(ctx, again, code)
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    post_form(ctx, "/token", refresh, client.basic)  # a refreshed ID token
    asking = attempt(third_party)
    consent = browser.request("GET", asking.path())  # the consent page's transaction
    form = {name: hidden(consent.text, name) for name in ("transaction", "client_id", "csrf_token")}
    browser.request("POST", "/consent", form={**form, "decision": "allow"})  # remembered
    userinfo = {"Authorization": f"Bearer {tokens['access_token']}"}
    browser.request("GET", "/userinfo", headers=userinfo)
    browser.request("GET", "/logout?" + urlencode({"id_token_hint": tokens["id_token"]}))
    browser.request(
        "GET",
        "/logout?"
        + urlencode({"client_id": client.client_id, "post_logout_redirect_uri": "https://app.example.com/"}),
    )


def application_basic(owner: str) -> str:
    """HTTP Basic for a new application of the owner's (made as the portal makes it)."""
    from tokenservice.portal import applications

    app = applications.create(owner, "An application", "read")
    keys = applications.generate_keys(owner, app.id, applications.PRODUCTION)
    return "Basic " + base64.b64encode(f"{keys.client_id}:{keys.client_secret}".encode()).decode()


def set_up_signing():
    """Signing as the stack sets it up (a KMS key, an issuer, a first key)."""
    import boto3

    from tokenservice.deploy import deployment

    kms_key = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]
    deployment.set_up_signing("https://auth.example.com", kms_key)


@pytest.mark.parametrize("signup", [False, True])
def test_the_token_functions_role_grants_exactly_what_its_flows_use(aws, lambda_context, monkeypatch, signup):
    monkeypatch.setenv("SELF_SIGNUP_ENABLED", "true" if signup else "false")
    provisioned = Provisioned(token_format="jwt")  # JWT access tokens: the keys, and KMS to decrypt one
    set_up_signing()
    admin.create_user("locked-out", "a long passphrase", "read")
    application = application_basic(provisioned.username)
    from tests.functional.signin.conftest import code_client

    browser_clients = code_client(), code_client(require_consent=True)
    recorder = Recorder(aws, monkeypatch)
    token_function_flows(lambda_context, provisioned, signup)
    code_flow(lambda_context, provisioned, *browser_clients)
    # a user's application: its grant holds on the client being as read (ConditionCheck)
    grant = {"grant_type": "client_credentials"}
    assert post_form(lambda_context, "/token", grant, application)[0] == 200
    jwks = {**token_event("", None, resource="/.well-known/jwks.json"), "httpMethod": "GET"}
    handler("token")(jwks, lambda_context)
    lose_the_first_response(aws)  # the retry finds its tokens written (GetItem)
    assert login(lambda_context, provisioned)[0] == 200
    monkeypatch.setenv("LOCKOUT_THRESHOLD", "1")  # one more failure locks a user: the lockout's writes
    login(lambda_context, provisioned, password="wrong password", username="locked-out")
    assert recorder.calls == granted("TokenFunction", conditions(signup))


def test_the_authorizers_role_grants_exactly_what_it_uses(aws, lambda_context, monkeypatch):
    from tokenservice.core import caching
    from tokenservice.jose import keyset, signing

    provisioned = Provisioned()
    set_up_signing()
    _, _, tokens = login(lambda_context, provisioned)
    _, _, service = post_form(
        lambda_context, "/token", {"grant_type": "client_credentials"}, provisioned.basic
    )
    old_access, _ = legacy_tokens(provisioned)
    jwt_client = admin.create_client("JWT app", "read", token_format="jwt")
    basic = (
        "Basic "
        + base64.b64encode(f"{jwt_client.client.client_id}:{jwt_client.client_secret}".encode()).decode()
    )
    first_jwt = post_form(lambda_context, "/token", {"grant_type": "client_credentials"}, basic)[2][
        "access_token"
    ]
    before_rotation = signing.read()
    signing.rotate()
    newer_jwt = post_form(lambda_context, "/token", {"grant_type": "client_credentials"}, basic)[2][
        "access_token"
    ]

    caching.clear_all()  # a new execution environment
    recorder = Recorder(aws, monkeypatch)
    assert bearer_works(lambda_context, tokens["access_token"])  # the token, its user, the API's rules
    assert bearer_works(lambda_context, service["access_token"])
    assert bearer_works(lambda_context, old_access)  # a token from before tokens named their user
    assert bearer_works(lambda_context, first_jwt)  # the keys, read alone (the rules are in memory)
    caching.clear_all()
    assert bearer_works(lambda_context, first_jwt)  # the keys with the rules
    keyset.remember(before_rotation)  # this environment knows only the older key
    assert bearer_works(lambda_context, newer_jwt)  # an unknown kid: the keys are read again
    monkeypatch.setenv("JWT_REVOCATION_CHECK", "true")
    assert bearer_works(lambda_context, first_jwt)  # the JWT's record and its client
    recorder.paused = True
    admin.import_api(str(openapi.SAMPLE), "abcdef1234", subscriptions="required")
    caching.clear_all()
    recorder.paused = False
    assert bearer_works(lambda_context, service["access_token"])  # its client: is it subscribed?
    assert recorder.calls == granted("AuthorizerFunction", conditions(False))


def test_the_registry_functions_role_grants_exactly_what_it_uses(aws, lambda_context, monkeypatch):
    import boto3

    from tests.functional.operations.test_deployment import event

    kms_key = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]
    answered = []
    recorder = Recorder(aws, monkeypatch)
    from unittest import mock

    from tests.functional.usage_plans.test_api_stages import stage_event, usage_plan

    create, delete = (event(kind, "http://unused", kms_key=kms_key) for kind in ("Create", "Delete"))
    recorder.paused = True  # the stack's usage plans, made by CloudFormation
    plans = {name: usage_plan(name) for name in ("Unlimited", "Gold", "Silver", "Bronze", "default")}
    recorder.paused = False
    default = plans.pop("default")
    create["ResourceProperties"].update({"UsagePlans": plans, "DefaultUsagePlan": default, "Stage": "v1"})
    respond = lambda *args: answered.append(args[1])  # noqa: E731
    with (
        mock.patch("tokenservice.deploy.deployment._respond", respond),
        mock.patch("tokenservice.deploy.cloudformation.respond", respond),
    ):
        handler("stack_setup")(create, lambda_context)
        for kind in ("Create", "Delete"):  # another stack's API stage joins the plans, and leaves
            physical = "api-stage:inventory1:v1" if kind == "Delete" else None
            handler("stack_setup")(
                stage_event(kind, "http://unused", "inventory1", physical=physical), lambda_context
            )
        handler("stack_setup")(delete, lambda_context)
    assert answered == ["SUCCESS"] * 4
    assert recorder.calls == granted("StackSetupFunction", conditions(False))


def applications_event(
    method: str,
    resource: str,
    body=None,
    app_id: str | None = None,
    token: str = "unused",
    api: str | None = None,
) -> dict:
    """An Applications API event as API Gateway sends it after the authorizer allowed alice's token."""
    import json

    from localrun.events import ProxyRequest, proxy_event

    path = resource.replace("{id}", app_id or "").replace("{api}", api or "")
    headers = [("Authorization", f"Bearer {token}")]
    headers += [("Content-Type", "application/json")] if body is not None else []
    request = ProxyRequest(method, path, "", headers, json.dumps(body).encode() if body is not None else b"")
    return proxy_event(
        request,
        resource=resource,
        stage="v1",
        path_parameters=({"id": app_id} | ({"api": api} if api else {})) if app_id else None,
        authorizer={"username": "alice", "client_id": "console", "scope": "apim:subscribe"},
    )


def test_the_applications_functions_role_grants_exactly_what_its_flows_use(aws, lambda_context, monkeypatch):
    import json

    admin.create_user("alice", "correct horse battery staple", "read", roles="subscriber")
    console = admin.create_client("Console", "read apim:subscribe")
    form = {"grant_type": "password", "username": "alice", "password": "correct horse battery staple"}
    basic = _basic({"client_id": console.client.client_id, "client_secret": console.client_secret})
    token = post_form(lambda_context, "/token", {**form, "scope": "apim:subscribe"}, basic)[2]["access_token"]
    call = handler("applications")

    def send(method, resource, body=None, app_id=None, api=None) -> dict:
        response = call(applications_event(method, resource, body, app_id, token, api), lambda_context)
        return json.loads(response["body"])

    on_aws = usage_plans_on_aws()  # the store's keys and usage on API Gateway (moto)

    recorder = Recorder(aws, monkeypatch)
    send("GET", "/applications")
    plain = send("POST", "/applications", {"name": "Plain"})  # no scopes: the owner alone is read
    lose_the_first_response(aws)  # the retry finds its application created (GetItem of a client)
    app = send("POST", "/applications", {"name": "Shop", "scope": "read"})  # with the scopes' definitions
    keys = send("POST", "/applications/{id}/keys", {"environment": "production"}, app["id"])
    recorder.paused = True  # the token function's: a token to revoke
    post_form(lambda_context, "/token", {"grant_type": "client_credentials"}, _basic(keys))
    recorder.paused = False
    send("GET", "/applications")  # registered users: the registrations index
    store_flows(send, recorder, app["id"], on_aws)
    send("DELETE", "/applications/{id}", None, app["id"])  # and its tokens revoked (a scan), its keys deleted
    send("DELETE", "/applications/{id}", None, plain["id"])
    assert recorder.calls == granted("ApplicationsFunction", conditions(False))


def usage_plans_on_aws() -> dict[str, str]:
    """The stack's usage plans recorded (as OwnApiRules does): the store then uses API Gateway."""
    from tests.functional.usage_plans.test_api_stages import usage_plan
    from tokenservice.deploy import api_stages

    plans = {name: usage_plan(name) for name in ("Unlimited", "Gold", "Silver", "Bronze")}
    api_stages.record_own_plans(
        "stackapi1", {"UsagePlans": plans, "DefaultUsagePlan": usage_plan("d"), "Stage": "v1"}
    )
    return plans


def store_flows(send, recorder, app_id: str, on_aws: dict[str, str]) -> None:
    """The catalogue; subscriptions with a built-in tier and with a created one (held on the tier
    existing: a ConditionCheck); the list; the usage (GetUsage: moto has none, so that answers
    503 here, after the call); unsubscribing (the key deleted)."""
    from tokenservice.core import caching

    recorder.paused = True
    admin.create_tier("Tight", 1, 2)
    caching.clear_all()
    recorder.paused = False
    assert "apis" in send("GET", "/apis")
    assert (
        send("POST", "/applications/{id}/subscriptions", {"api": "local", "tier": "Gold"}, app_id)["tier"]
        == "Gold"
    )
    body = {"api": "abcdef1234", "tier": "Tight"}
    assert send("POST", "/applications/{id}/subscriptions", body, app_id)["tier"] == "Tight"
    assert len(send("GET", "/applications/{id}/subscriptions", None, app_id)["subscriptions"]) == 2
    assert send("GET", "/applications/{id}/usage", None, app_id)["error"] == "temporarily_unavailable"
    assert send("DELETE", "/applications/{id}/subscriptions/{api}", None, app_id, "local")["deleted"] is True


def _basic(keys: dict) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{keys['client_id']}:{keys['client_secret']}".encode()).decode()


def portal_sign_in(browser, recorder, password: str) -> None:
    """The portal's sign-in, recording only the portal function's calls (the hosted login page and
    /authorize are the token function's)."""
    start = browser.request("GET", "/portal/login")
    recorder.paused = True
    answer = browser.follow(start)
    if answer.status == 200:
        answer = browser.log_in(answer, "carol", password)
    recorder.paused = False
    browser.follow(answer)  # the callback: the code exchanged, the session begun


def portal_flows(browser, signup: bool, recorder) -> None:
    password = "correct horse battery staple"
    browser.request("GET", "/portal")
    browser.request("GET", "/portal/session")
    if signup:
        assert browser.sign_up("carol", password).status == 201
    portal_sign_in(browser, recorder, password)
    portal_sign_in(browser, recorder, password)  # ends the previous session
    browser.csrf = browser.request("GET", "/portal/session").json()["csrf_token"]
    browser.request("GET", "/portal/session")
    app = browser.request("POST", "/portal/applications", {"name": "Shop", "scope": "read"}).json()
    keys = browser.request(
        "POST", f"/portal/applications/{app['id']}/keys", {"environment": "production"}
    ).json()
    token = {"environment": "production", "client_secret": keys["client_secret"], "scope": "read"}
    path = f"/portal/applications/{app['id']}/token"
    assert browser.request("POST", path, {**token, "grant_type": "client_credentials"}).status == 200
    assert (
        browser.request("POST", path, {**token, "grant_type": "password", "password": password}).status == 200
    )
    browser.request("GET", "/portal/applications")
    portal_store(browser, app["id"])
    browser.request("DELETE", f"/portal/applications/{app['id']}")  # its subscriptions' keys deleted
    portal_two_step(browser)
    assert browser.request("POST", "/portal/signout").status == 204


def portal_store(browser, app_id: str) -> None:
    """The store in the portal, on API Gateway (moto): as the Applications API's flows above."""
    path = f"/portal/applications/{app_id}"
    assert browser.request("GET", "/portal/apis").status == 200
    for api, tier in (("local", "Gold"), ("abcdef1234", "Tight")):
        assert browser.request("POST", path + "/subscriptions", {"api": api, "tier": tier}).status == 201
    assert browser.request("GET", path + "/subscriptions").status == 200
    assert browser.request("GET", path + "/usage").status == 503  # moto has no GetUsage: after the call
    assert browser.request("DELETE", path + "/subscriptions/local").status == 200


def portal_two_step(browser) -> None:
    """TOTP turned on (the secret sealed with KMS) and off again (opened to check the code)."""
    from tests import otp

    assert browser.request("GET", "/portal/mfa").status == 200
    secret = browser.request("POST", "/portal/mfa/enrol").json()["secret"]
    otp.wait_for_fresh_step()
    assert browser.request("POST", "/portal/mfa/confirm", {"code": otp.code(secret)}).status == 200
    assert (
        browser.request("POST", "/portal/mfa/disable", {"code": otp.code(secret, offset_steps=1)}).status
        == 200
    )


@pytest.mark.parametrize("signup", [False, True])
def test_the_portal_functions_role_grants_exactly_what_its_flows_use(aws, monkeypatch, signup):
    from tests.functional.gateway_client import Browser, gateway
    from tokenservice.portal import portal_client

    new = portal_client.provision("developer-portal", "https://portal.example.test")
    monkeypatch.setenv("PORTAL_CLIENT_SECRET", new.client_secret)
    monkeypatch.setenv("SELF_SIGNUP_ENABLED", "true" if signup else "false")
    monkeypatch.setenv("ACCESS_TOKEN_FORMAT", "jwt")  # applications' tokens are JWTs: KMS, the keys
    set_up_signing()
    if not signup:
        admin.create_user("carol", "correct horse battery staple", "read", roles="subscriber")
    usage_plans_on_aws()  # the store's keys and usage on API Gateway
    admin.create_tier("Tight", 1, 2)
    browser = Browser(gateway())
    recorder = Recorder(aws, monkeypatch)
    portal_flows(browser, signup, recorder)
    assert recorder.calls == granted("PortalFunction", conditions(signup))


def test_the_portal_client_functions_role_grants_exactly_what_it_uses(aws, lambda_context, monkeypatch):
    from unittest import mock

    from tests.functional.portal.test_portal_client import event

    answered = []
    recorder = Recorder(aws, monkeypatch)
    with mock.patch("tokenservice.deploy.portal_resource._respond", lambda *args: answered.append(args[1])):
        for kind in ("Create", "Update", "Delete"):
            handler("portal_client")(event(kind, "http://unused", physical_id="shop-portal"), lambda_context)
    assert answered == ["SUCCESS"] * 3
    assert recorder.calls == granted("PortalClientFunction", conditions(False))
