"""IAM exactly as used: every DynamoDB call each function makes is granted by its role in
template.yaml, and every permission the role grants is used by some flow (nothing more)."""

import base64

import pytest

from localrun import template
from tests.conftest import Provisioned, bearer_works, handler, login, post_form, token_event
from tests.functional.test_races import lose_the_first_response
from tokenservice import admin, config

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
                    grants.add((action, *_table_of(_resolve(resource, conditions))))
    return grants


class Recorder:
    """(action, resource, index) of every DynamoDB and KMS call made while recording."""

    def __init__(self, client, monkeypatch):
        from tokenservice import signing

        self.calls: set[tuple] = set()
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

    def record(self, model, params, **_):
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
    from tokenservice import credentials, tokens

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


def set_up_signing():
    """Signing as the stack sets it up (a KMS key, an issuer, a first key)."""
    import boto3

    from tokenservice import deployment

    kms_key = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]
    deployment.set_up_signing("https://auth.example.com", kms_key)


@pytest.mark.parametrize("signup", [False, True])
def test_the_token_functions_role_grants_exactly_what_its_flows_use(aws, lambda_context, monkeypatch, signup):
    monkeypatch.setenv("SELF_SIGNUP_ENABLED", "true" if signup else "false")
    provisioned = Provisioned(token_format="jwt")  # JWT access tokens: the keys, and KMS to decrypt one
    set_up_signing()
    admin.create_user("locked-out", "a long passphrase", "read")
    recorder = Recorder(aws, monkeypatch)
    token_function_flows(lambda_context, provisioned, signup)
    jwks = {**token_event("", None, resource="/.well-known/jwks.json"), "httpMethod": "GET"}
    handler("token")(jwks, lambda_context)
    lose_the_first_response(aws)  # the retry finds its tokens written (GetItem)
    assert login(lambda_context, provisioned)[0] == 200
    monkeypatch.setenv("LOCKOUT_THRESHOLD", "1")  # one more failure locks a user: the lockout's writes
    login(lambda_context, provisioned, password="wrong password", username="locked-out")
    assert recorder.calls == granted("TokenFunction", conditions(signup))


def test_the_authorizers_role_grants_exactly_what_it_uses(aws, lambda_context, monkeypatch):
    from tokenservice import caching, keyset, signing

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
    assert recorder.calls == granted("AuthorizerFunction", conditions(False))


def test_the_registry_functions_role_grants_exactly_what_it_uses(aws, lambda_context, monkeypatch):
    import boto3

    from tests.functional.test_deployment import event

    kms_key = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]
    answered = []
    recorder = Recorder(aws, monkeypatch)
    from unittest import mock

    with mock.patch("tokenservice.deployment._respond", lambda *args: answered.append(args[2])):
        for kind in ("Create", "Delete"):
            handler("registry")(event(kind, "http://unused", kms_key=kms_key), lambda_context)
    assert answered == ["SUCCESS", "SUCCESS"]
    assert recorder.calls == granted("RegistryFunction", conditions(False))
