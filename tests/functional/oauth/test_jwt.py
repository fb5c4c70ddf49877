"""JWT access tokens (RFC 9068) in-process against moto (DynamoDB and KMS): issuing, the JWKS and
discovery, verification by an independent library (joserfc), refusals, rotation, introspection
and revocation by jti, and an authorizer that reads nothing for a valid JWT."""

import base64
import json
import time

import pytest
from joserfc import jwt as jose_jwt
from joserfc.jwk import KeySet

from tests.conftest import Provisioned, bearer_works, handler, load_event, login, post_form, token_event
from tokenservice import admin
from tokenservice.deploy import deployment
from tokenservice.jose import signing

ISSUER = "https://auth.example.com"


@pytest.fixture
def keys(aws):
    """Signing set up as the stack's custom resource does: a KMS key, the issuer, a first key."""
    import boto3

    kms_key = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]
    return deployment.set_up_signing(ISSUER, kms_key)


@pytest.fixture
def jwt_client(keys) -> Provisioned:
    return Provisioned(token_format="jwt")


def get(ctx, path: str) -> dict:
    event = {**token_event("", None, resource=path), "httpMethod": "GET"}
    response = handler("token")(event, ctx)
    assert response["statusCode"] == 200
    return json.loads(response["body"])


def jwks(ctx) -> KeySet:
    return KeySet.import_key_set(get(ctx, "/.well-known/jwks.json"))


def part(token: str, index: int) -> dict:
    segment = token.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def forge(header: dict, claims: dict, signature: bytes = b"") -> str:
    encode = lambda data: base64.urlsafe_b64encode(data).rstrip(b"=").decode()  # noqa: E731
    return ".".join(
        [encode(json.dumps(header).encode()), encode(json.dumps(claims).encode()), encode(signature)]
    )


def test_a_jwt_client_gets_an_rfc9068_token_an_independent_library_verifies(jwt_client, lambda_context):
    status, _, body = login(lambda_context, jwt_client, scope="read")
    assert status == 200 and set(body) == {
        "access_token",
        "token_type",
        "expires_in",
        "refresh_token",
        "scope",
    }
    token = jose_jwt.decode(body["access_token"], jwks(lambda_context), algorithms=["ES256"])
    assert token.header["typ"] == "at+jwt" and token.header["alg"] == "ES256" and token.header["kid"]
    claims = token.claims
    assert claims["iss"] == ISSUER and claims["aud"] == ISSUER
    assert (claims["sub"], claims["client_id"], claims["scope"]) == ("alice", jwt_client.client_id, "read")
    assert claims["exp"] - claims["iat"] == body["expires_in"] and claims["jti"]
    assert abs(claims["auth_time"] - time.time()) < 10
    assert body["refresh_token"].count(".") == 1  # refresh tokens stay opaque


def test_client_credentials_jwts_name_the_client_as_subject(jwt_client, lambda_context):
    _, _, body = post_form(lambda_context, "/token", {"grant_type": "client_credentials"}, jwt_client.basic)
    claims = jose_jwt.decode(body["access_token"], jwks(lambda_context)).claims
    assert claims["sub"] == claims["client_id"] == jwt_client.client_id and "auth_time" not in claims


def test_a_clients_audience_goes_into_aud(keys, lambda_context):
    client = Provisioned(token_format="jwt", audience="https://api.example.com")
    _, _, body = login(lambda_context, client)
    assert part(body["access_token"], 1)["aud"] == "https://api.example.com"


def test_the_service_default_format_applies_to_clients_without_their_own(keys, lambda_context, monkeypatch):
    monkeypatch.setenv("ACCESS_TOKEN_FORMAT", "jwt")
    default = Provisioned()
    assert login(lambda_context, default)[2]["access_token"].count(".") == 2
    opaque = admin.create_client("Opaque app", "read", token_format="opaque")
    basic = "Basic " + base64.b64encode(f"{opaque.client.client_id}:{opaque.client_secret}".encode()).decode()
    form = {"grant_type": "password", "username": "alice", "password": default.password}
    assert post_form(lambda_context, "/token", form, basic)[2]["access_token"].count(".") == 1


def test_discovery_documents_name_the_issuer_and_its_keys(keys, lambda_context):
    discovery = get(lambda_context, "/.well-known/openid-configuration")
    assert discovery["issuer"] == ISSUER
    assert discovery["jwks_uri"] == f"{ISSUER}/.well-known/jwks.json"
    assert discovery["token_endpoint"] == f"{ISSUER}/token"
    assert set(discovery["grant_types_supported"]) == {
        "authorization_code",
        "password",
        "refresh_token",
        "client_credentials",
    }
    assert {"read", "update"} <= set(discovery["scopes_supported"])
    assert get(lambda_context, "/.well-known/oauth-authorization-server")["jwks_uri"] == discovery["jwks_uri"]


def test_the_jwks_holds_public_keys_only(keys, lambda_context):
    published = get(lambda_context, "/.well-known/jwks.json")["keys"]
    assert len(published) == 1
    assert all(key["kty"] == "EC" and key["crv"] == "P-256" and "d" not in key for key in published)


def test_the_private_key_is_stored_only_encrypted(keys, aws):
    items = json.dumps(aws.scan(TableName="tokenservice-registry")["Items"], default=str)
    assert '"d"' not in items and "PRIVATE KEY" not in items


# -- the authorizer --------------------------------------------------------------------------------

API = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/v1"


def authorize(ctx, token: str, path="GET/orders") -> dict:
    event = load_event("authorizer_token")
    event["authorizationToken"] = f"Bearer {token}"
    event["methodArn"] = f"{API}/{path}"
    return handler("authorizer")(event, ctx)


def test_the_authorizer_accepts_a_jwt_with_no_dynamodb_call_once_keys_and_rules_are_known(
    jwt_client, lambda_context, aws
):
    token = login(lambda_context, jwt_client, scope="read")[2]["access_token"]
    authorize(lambda_context, token)  # the keys and the API's rules are now in memory
    calls = []
    aws.meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))
    policy = authorize(lambda_context, token)
    assert calls == []
    context = {key: value for key, value in policy["context"].items() if key != "denied"}
    assert context == {"client_id": jwt_client.client_id, "scope": "read", "username": "alice"}
    assert bearer_works(lambda_context, token)


def refused(ctx, token: str) -> bool:
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorize(ctx, token)
    return True


def test_tampered_expired_and_foreign_jwts_are_refused(jwt_client, lambda_context, monkeypatch):
    token = login(lambda_context, jwt_client, scope="read")[2]["access_token"]
    header, claims, signature = part(token, 0), part(token, 1), token.split(".")[2]
    widened = forge(header, {**claims, "scope": "read update"}).rsplit(".", 1)[0] + "." + signature
    assert refused(lambda_context, widened)
    assert refused(lambda_context, forge({**header, "alg": "none"}, claims))
    assert refused(lambda_context, forge(header, {**claims, "exp": int(time.time()) - 3600}))
    assert refused(lambda_context, forge({**header, "typ": "JWT"}, claims))
    import jwt as pyjwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    stranger = ec.generate_private_key(ec.SECP256R1())
    for changed in ({"iss": "https://evil.example"}, {"aud": "https://other.example"}, {}):
        forged = pyjwt.encode(
            {**claims, **changed},
            stranger,
            algorithm="ES256",
            headers={"kid": header["kid"], "typ": "at+jwt"},
        )
        assert refused(lambda_context, forged)
    # HS256 signed with the public key as the secret (the algorithm-confusion attack), by hand
    import hashlib
    import hmac

    public_jwk = get(lambda_context, "/.well-known/jwks.json")["keys"][0]
    public_pem = pyjwt.PyJWK(public_jwk).key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for secret in (public_pem, json.dumps(public_jwk).encode()):
        unsigned = forge({**header, "alg": "HS256"}, claims).rsplit(".", 1)[0]
        mac = hmac.new(secret, unsigned.encode(), hashlib.sha256).digest()
        assert refused(lambda_context, unsigned + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode())


def test_a_right_signature_with_the_wrong_issuer_or_audience_is_refused(jwt_client, lambda_context):
    kid, _, key = signing.signer(time.time())
    from tokenservice.jose import jwt_tokens

    now = int(time.time())
    base = {
        "sub": "alice",
        "client_id": jwt_client.client_id,
        "scope": "read",
        "iat": now,
        "exp": now + 60,
        "jti": "x",
    }
    assert refused(
        lambda_context, jwt_tokens.mint(kid, key, {**base, "iss": "https://evil.example", "aud": ISSUER})
    )
    assert refused(
        lambda_context, jwt_tokens.mint(kid, key, {**base, "iss": ISSUER, "aud": "https://else.example"})
    )
    assert authorize(lambda_context, jwt_tokens.mint(kid, key, {**base, "iss": ISSUER, "aud": ISSUER}))


def test_with_the_revocation_check_a_revoked_jwt_is_refused(jwt_client, lambda_context, monkeypatch):
    monkeypatch.setenv("JWT_REVOCATION_CHECK", "true")
    token = login(lambda_context, jwt_client, scope="read")[2]["access_token"]
    assert authorize(lambda_context, token)
    assert post_form(lambda_context, "/revoke", {"token": token}, jwt_client.basic)[0] == 200
    assert refused(lambda_context, token)


def test_without_the_revocation_check_a_jwt_is_good_until_it_expires(jwt_client, lambda_context):
    token = login(lambda_context, jwt_client, scope="read")[2]["access_token"]
    post_form(lambda_context, "/revoke", {"token": token}, jwt_client.basic)
    assert authorize(lambda_context, token)  # the documented trade-off: no read, no revocation


# -- introspection, revocation, rotation -----------------------------------------------------------


def test_introspection_and_revocation_take_a_jwt_by_its_jti(jwt_client, lambda_context):
    token = login(lambda_context, jwt_client, scope="read")[2]["access_token"]
    answer = post_form(lambda_context, "/introspect", {"token": token}, jwt_client.basic)[2]
    assert answer["active"] is True and answer["jti"] == part(token, 1)["jti"] and answer["iss"] == ISSUER
    post_form(lambda_context, "/revoke", {"token": token}, jwt_client.basic)
    assert post_form(lambda_context, "/introspect", {"token": token}, jwt_client.basic)[2] == {
        "active": False
    }


def test_a_forged_jwt_naming_a_real_jti_is_not_introspected_as_active(jwt_client, lambda_context):
    token = login(lambda_context, jwt_client, scope="read")[2]["access_token"]
    forged = forge(part(token, 0), {**part(token, 1), "scope": "read update"}, b"not a signature")
    assert post_form(lambda_context, "/introspect", {"token": forged}, jwt_client.basic)[2] == {
        "active": False
    }


def test_rotation_keeps_older_tokens_valid_and_signs_new_ones_with_the_new_key(jwt_client, lambda_context):
    old = login(lambda_context, jwt_client, scope="read")[2]["access_token"]
    new_key = signing.rotate()
    new = login(lambda_context, jwt_client, scope="read")[2]["access_token"]
    assert part(new, 0)["kid"] == new_key.kid != part(old, 0)["kid"]
    published = jwks(lambda_context)
    for token in (old, new):
        assert jose_jwt.decode(token, published).claims["scope"] == "read"
        assert bearer_works(lambda_context, token)
    states = {document["kid"]: document["state"] for document in admin.key_documents()}
    assert states == {part(old, 0)["kid"]: "retired", new_key.kid: "active"}


def test_a_key_announced_ahead_is_published_before_it_signs(jwt_client, lambda_context):
    ahead = signing.rotate(activate_in=3600)
    assert ahead.kid in {key["kid"] for key in get(lambda_context, "/.well-known/jwks.json")["keys"]}
    assert part(login(lambda_context, jwt_client)[2]["access_token"], 0)["kid"] != ahead.kid


def test_a_retired_key_leaves_the_jwks_once_its_tokens_can_have_expired(keys):
    first = keys.keys[0]
    later = signing.Key("k2", {}, first.created_at, first.activates_at + 10)
    assert first.state([first, later], later.activates_at + 1) == "retired"
    assert first.state([first, later], later.activates_at + 86401) == "expired"


def test_without_a_signing_key_a_jwt_client_gets_a_500_not_an_opaque_token(aws, lambda_context):
    client = Provisioned(token_format="jwt")
    status, _, body = login(lambda_context, client)
    assert (status, body["error"]) == (500, "server_error")
