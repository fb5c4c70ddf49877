"""Token lifecycle through the real handlers and moto: refresh rotation and reuse detection,
client credentials, revocation (RFC 7009), introspection (RFC 7662), metadata (RFC 8414)."""

import base64
import json
import threading
import time

from tests.conftest import Provisioned, bearer_works, handler, load_event, login, post_form
from tokenservice.core import credentials
from tokenservice.oauth import revocation
from tokenservice.store import storage
from tokenservice.store.models import TokenModel

authorizer_handler = handler("authorizer")


def password_tokens(ctx, p: Provisioned, scope="read update") -> dict:
    status, _, body = login(ctx, p, scope=scope)
    assert status == 200, body
    return body


def refresh(ctx, p: Provisioned, refresh_token: str, **extra):
    return post_form(
        ctx, "/token", {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra}, p.basic
    )


def introspect(ctx, p: Provisioned, token: str, **extra) -> dict:
    status, headers, body = post_form(ctx, "/introspect", {"token": token, **extra}, p.basic)
    assert status == 200 and headers["Cache-Control"] == "no-store"
    return body


def revoke(ctx, p: Provisioned, token: str, **extra) -> int:
    return post_form(ctx, "/revoke", {"token": token, **extra}, p.basic)[0]


# -- refresh_token ------------------------------------------------------------------------


def test_refresh_rotates_both_tokens_and_keeps_the_scope(provisioned, lambda_context):
    first = password_tokens(lambda_context, provisioned)
    status, headers, second = refresh(lambda_context, provisioned, first["refresh_token"])
    assert status == 200 and headers["Cache-Control"] == "no-store"
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert second["scope"] == "read update" and second["expires_in"] == 3600
    assert bearer_works(lambda_context, second["access_token"])


def test_a_rotated_refresh_token_cannot_be_used_again(provisioned, lambda_context):
    first = password_tokens(lambda_context, provisioned)
    refresh(lambda_context, provisioned, first["refresh_token"])
    status, _, body = refresh(lambda_context, provisioned, first["refresh_token"])
    assert (status, body["error"]) == (400, "invalid_grant")


def test_reusing_a_refresh_token_revokes_the_whole_family(provisioned, lambda_context):
    first = password_tokens(lambda_context, provisioned)
    _, _, second = refresh(lambda_context, provisioned, first["refresh_token"])
    _, _, third = refresh(lambda_context, provisioned, second["refresh_token"])
    assert bearer_works(lambda_context, third["access_token"])

    status, _, body = refresh(lambda_context, provisioned, first["refresh_token"])  # replay
    assert (status, body["error"]) == (400, "invalid_grant")
    for access in (first["access_token"], second["access_token"], third["access_token"]):
        assert not bearer_works(lambda_context, access)
    assert refresh(lambda_context, provisioned, third["refresh_token"])[2]["error"] == "invalid_grant"


def test_reuse_revokes_successors_even_before_the_index_has_them(provisioned, lambda_context, monkeypatch):
    first = password_tokens(lambda_context, provisioned)
    _, _, second = refresh(lambda_context, provisioned, first["refresh_token"])
    monkeypatch.setattr(revocation, "user_tokens", lambda username, **_: [])  # a lagging GSI
    refresh(lambda_context, provisioned, first["refresh_token"])
    assert not bearer_works(lambda_context, second["access_token"])
    assert refresh(lambda_context, provisioned, second["refresh_token"])[2]["error"] == "invalid_grant"


def test_concurrent_refreshes_of_one_token_yield_exactly_one_success(
    provisioned, lambda_context, atomic_requests
):
    for _ in range(3):
        first = password_tokens(lambda_context, provisioned)
        barrier = threading.Barrier(4)
        results = []

        def attempt(token=first["refresh_token"], barrier=barrier, results=results):
            barrier.wait()
            results.append(refresh(lambda_context, provisioned, token)[0])

        threads = [threading.Thread(target=attempt) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == [200, 400, 400, 400]


def test_refresh_token_only_works_for_its_own_client(provisioned, lambda_context):
    first = password_tokens(lambda_context, provisioned)
    other = Provisioned.__new__(Provisioned)
    from tokenservice import admin

    new = admin.create_client("Other", "read update")
    other.client_id, other.client_secret = new.client.client_id, new.client_secret
    status, _, body = refresh(lambda_context, other, first["refresh_token"])
    assert (status, body["error"]) == (400, "invalid_grant")
    assert refresh(lambda_context, provisioned, first["refresh_token"])[0] == 200  # untouched


def test_refresh_narrows_the_access_token_and_the_refresh_token_keeps_the_original_scope(
    provisioned, lambda_context
):
    first = password_tokens(lambda_context, provisioned)
    status, _, narrowed = refresh(lambda_context, provisioned, first["refresh_token"], scope="read")
    assert (status, narrowed["scope"]) == (200, "read")
    assert introspect(lambda_context, provisioned, narrowed["access_token"])["scope"] == "read"
    assert introspect(lambda_context, provisioned, narrowed["refresh_token"])["scope"] == "read update"
    status, _, again = refresh(lambda_context, provisioned, narrowed["refresh_token"], scope="read update")
    assert (status, again["scope"]) == (200, "read update")  # RFC 6749 §6: the original scope, again


def test_refresh_may_not_widen_the_scope(provisioned, lambda_context):
    first = password_tokens(lambda_context, provisioned, scope="read")
    status, _, body = refresh(lambda_context, provisioned, first["refresh_token"], scope="read update")
    assert (status, body["error"]) == (400, "invalid_scope")
    assert refresh(lambda_context, provisioned, first["refresh_token"])[0] == 200  # not consumed


def test_expired_refresh_token_is_invalid_grant(provisioned, lambda_context):
    first = password_tokens(lambda_context, provisioned)
    record = storage.get(TokenModel, credentials.digest(first["refresh_token"]))
    record.expires_at = int(time.time()) - 1
    storage.save(record)
    status, _, body = refresh(lambda_context, provisioned, first["refresh_token"])
    assert (status, body["error"]) == (400, "invalid_grant")


def test_an_access_token_is_not_a_refresh_token(provisioned, lambda_context):
    first = password_tokens(lambda_context, provisioned)
    assert refresh(lambda_context, provisioned, first["access_token"])[2]["error"] == "invalid_grant"


def test_client_without_the_refresh_grant_is_unauthorized_client(aws, lambda_context):
    p = Provisioned(grant_types="password")
    issued = Provisioned.__new__(Provisioned)
    issued.__dict__.update(p.__dict__)
    from tokenservice.oauth import tokens

    tokens_ = tokens.issue(
        client_id=p.client_id,
        username="alice",
        scope="read",
        grant_type="password",
        access_ttl=60,
        refresh_ttl=60,
    )
    tokens.save(tokens_.records)
    status, _, body = refresh(lambda_context, p, tokens_.refresh_token)
    assert (status, body["error"]) == (400, "unauthorized_client")


def test_refresh_without_the_token_is_invalid_request(provisioned, lambda_context):
    status, _, body = post_form(lambda_context, "/token", {"grant_type": "refresh_token"}, provisioned.basic)
    assert (status, body["error"]) == (400, "invalid_request")


# -- client_credentials -------------------------------------------------------------------


def test_client_credentials_issues_an_access_token_for_the_client_only(provisioned, lambda_context):
    form = {"grant_type": "client_credentials", "scope": "read admin"}
    status, _, body = post_form(lambda_context, "/token", form, provisioned.basic)
    assert status == 200
    assert body["scope"] == "read" and "refresh_token" not in body
    event = load_event("authorizer_token")
    event["authorizationToken"] = f"Bearer {body['access_token']}"
    result = authorizer_handler(event, lambda_context)
    assert result["principalId"] == provisioned.client_id
    assert "username" not in result["context"] and result["context"]["client_id"] == provisioned.client_id


def test_client_credentials_without_scope_is_default(provisioned, lambda_context):
    status, _, body = post_form(
        lambda_context, "/token", {"grant_type": "client_credentials"}, provisioned.basic
    )
    assert (status, body["scope"]) == (200, "default")


def test_client_credentials_needs_the_grant(aws, lambda_context):
    p = Provisioned(grant_types="password refresh_token")
    status, _, body = post_form(lambda_context, "/token", {"grant_type": "client_credentials"}, p.basic)
    assert (status, body["error"]) == (400, "unauthorized_client")


def test_client_credentials_with_bad_secret_is_invalid_client(provisioned, lambda_context):
    auth = "Basic " + base64.b64encode(f"{provisioned.client_id}:wrong".encode()).decode()
    status, _, body = post_form(lambda_context, "/token", {"grant_type": "client_credentials"}, auth)
    assert (status, body["error"]) == (401, "invalid_client")


# -- revocation ---------------------------------------------------------------------------


def test_revoking_an_access_token_stops_it_at_once(provisioned, lambda_context):
    tokens = password_tokens(lambda_context, provisioned)
    assert revoke(lambda_context, provisioned, tokens["access_token"]) == 200
    assert not bearer_works(lambda_context, tokens["access_token"])
    assert refresh(lambda_context, provisioned, tokens["refresh_token"])[0] == 200  # the grant lives on


def test_revoking_a_refresh_token_revokes_its_grants_access_tokens(provisioned, lambda_context):
    tokens = password_tokens(lambda_context, provisioned)
    assert (
        revoke(lambda_context, provisioned, tokens["refresh_token"], token_type_hint="refresh_token") == 200
    )
    assert not bearer_works(lambda_context, tokens["access_token"])
    assert refresh(lambda_context, provisioned, tokens["refresh_token"])[2]["error"] == "invalid_grant"


def test_revoking_a_grant_costs_its_family_not_the_users_other_grants(provisioned, lambda_context, aws):
    """The family query answers with the family alone (DynamoDB filters it), and only the family
    is revoked: the user's other grants live on."""
    others = [password_tokens(lambda_context, provisioned) for _ in range(5)]
    tokens = password_tokens(lambda_context, provisioned)
    answered, updates = [], []
    aws.meta.events.register(
        "after-call.dynamodb.Query", lambda parsed, **_: answered.append(parsed["Count"])
    )
    aws.meta.events.register("before-call.dynamodb.UpdateItem", lambda **_: updates.append(1))
    assert revoke(lambda_context, provisioned, tokens["refresh_token"]) == 200
    assert answered == [2] and len(updates) == 2  # the grant's refresh and access token
    assert not bearer_works(lambda_context, tokens["access_token"])
    assert all(bearer_works(lambda_context, other["access_token"]) for other in others)


def test_a_wrong_token_type_hint_does_not_matter(provisioned, lambda_context):
    tokens = password_tokens(lambda_context, provisioned)
    assert revoke(lambda_context, provisioned, tokens["access_token"], token_type_hint="refresh_token") == 200
    assert not bearer_works(lambda_context, tokens["access_token"])


def test_unknown_and_foreign_tokens_answer_200_and_change_nothing(provisioned, lambda_context):
    tokens = password_tokens(lambda_context, provisioned)
    from tokenservice import admin

    new = admin.create_client("Other", "read")
    other = Provisioned.__new__(Provisioned)
    other.client_id, other.client_secret = new.client.client_id, new.client_secret
    assert revoke(lambda_context, other, tokens["access_token"]) == 200
    assert revoke(lambda_context, other, tokens["refresh_token"]) == 200
    assert revoke(lambda_context, provisioned, "no-such-token") == 200
    assert bearer_works(lambda_context, tokens["access_token"])
    assert refresh(lambda_context, provisioned, tokens["refresh_token"])[0] == 200


def test_revoke_requires_client_authentication(provisioned, lambda_context):
    tokens = password_tokens(lambda_context, provisioned)
    status, headers, body = post_form(lambda_context, "/revoke", {"token": tokens["access_token"]})
    assert (status, body["error"]) == (401, "invalid_client") and "WWW-Authenticate" in headers
    assert bearer_works(lambda_context, tokens["access_token"])


def test_revoke_without_a_token_is_invalid_request(provisioned, lambda_context):
    status, _, body = post_form(lambda_context, "/revoke", {}, provisioned.basic)
    assert (status, body["error"]) == (400, "invalid_request")


# -- introspection ------------------------------------------------------------------------


def test_introspecting_an_active_access_token(provisioned, lambda_context):
    tokens = password_tokens(lambda_context, provisioned, scope="read")
    answer = introspect(lambda_context, provisioned, tokens["access_token"])
    assert answer["active"] is True
    assert (answer["scope"], answer["client_id"], answer["username"], answer["sub"]) == (
        "read",
        provisioned.client_id,
        "alice",
        "alice",
    )
    assert answer["token_type"] == "Bearer"
    assert answer["exp"] - answer["iat"] == 3600 and abs(answer["iat"] - time.time()) < 60


def test_introspecting_own_refresh_token(provisioned, lambda_context):
    tokens = password_tokens(lambda_context, provisioned)
    answer = introspect(lambda_context, provisioned, tokens["refresh_token"])
    assert answer["active"] is True and answer["token_type"] == "refresh_token"


def test_client_credentials_token_has_the_client_as_subject(provisioned, lambda_context):
    _, _, body = post_form(lambda_context, "/token", {"grant_type": "client_credentials"}, provisioned.basic)
    answer = introspect(lambda_context, provisioned, body["access_token"])
    assert answer["sub"] == provisioned.client_id and "username" not in answer


def test_inactive_tokens_are_exactly_active_false(provisioned, lambda_context):
    tokens = password_tokens(lambda_context, provisioned)
    _, _, rotated = refresh(lambda_context, provisioned, tokens["refresh_token"])
    revoke(lambda_context, provisioned, rotated["access_token"])
    expired = password_tokens(lambda_context, provisioned)
    record = storage.get(TokenModel, credentials.digest(expired["access_token"]))
    record.expires_at = int(time.time()) - 1
    storage.save(record)
    for token in ("unknown", tokens["refresh_token"], rotated["access_token"], expired["access_token"]):
        assert introspect(lambda_context, provisioned, token) == {"active": False}


def test_other_clients_see_nothing_unless_they_are_resource_servers(provisioned, lambda_context):
    from tokenservice import admin

    tokens = password_tokens(lambda_context, provisioned)
    plain, server = (
        admin.create_client("Plain", "read"),
        admin.create_client("RS", "read", introspect_any=True),
    )
    as_plain, as_server = Provisioned.__new__(Provisioned), Provisioned.__new__(Provisioned)
    as_plain.client_id, as_plain.client_secret = plain.client.client_id, plain.client_secret
    as_server.client_id, as_server.client_secret = server.client.client_id, server.client_secret
    assert introspect(lambda_context, as_plain, tokens["access_token"]) == {"active": False}
    assert introspect(lambda_context, as_server, tokens["access_token"])["active"] is True
    assert introspect(lambda_context, as_server, tokens["refresh_token"]) == {"active": False}


def test_introspection_requires_client_authentication(provisioned, lambda_context):
    tokens = password_tokens(lambda_context, provisioned)
    status, _, body = post_form(lambda_context, "/introspect", {"token": tokens["access_token"]})
    assert (status, body["error"]) == (401, "invalid_client")


# -- metadata -----------------------------------------------------------------------------


def test_metadata_uses_the_requests_host_and_stage(aws, lambda_context):
    event = load_event("token_password")
    path = "/.well-known/oauth-authorization-server"
    event.update(httpMethod="GET", resource=path, path=path, body=None)
    event["requestContext"].update(httpMethod="GET", resourcePath=path, path="/v1" + path)
    response = handler("token")(event, lambda_context)
    import json

    document = json.loads(response["body"])
    base = "https://abcdef1234.execute-api.us-east-1.amazonaws.com/v1"
    assert response["statusCode"] == 200
    assert document["issuer"] == base
    assert document["token_endpoint"] == f"{base}/token"
    assert document["revocation_endpoint"] == f"{base}/revoke"
    assert document["introspection_endpoint"] == f"{base}/introspect"
    assert set(document["grant_types_supported"]) == {
        "authorization_code",
        "password",
        "refresh_token",
        "client_credentials",
    }
    assert document["token_endpoint_auth_methods_supported"] == [
        "client_secret_basic",
        "client_secret_post",
        "none",  # public clients of the code flow
    ]
    assert document["authorization_endpoint"] == f"{base}/authorize"
    assert {"read", "update"} <= set(document["scopes_supported"])


def _metadata(lambda_context, host: str | None = None) -> dict:
    import json

    event = load_event("token_password")
    path = "/.well-known/oauth-authorization-server"
    event.update(httpMethod="GET", resource=path, path=path, body=None)
    event["requestContext"].update(httpMethod="GET", resourcePath=path, path="/v1" + path)
    if host is not None:
        event["headers"]["Host"] = event["multiValueHeaders"]["Host"][0] = host
    return json.loads(handler("token")(event, lambda_context)["body"])


def test_the_issuer_never_comes_from_the_clients_host_header(aws, lambda_context, monkeypatch):
    monkeypatch.delenv("ISSUER", raising=False)
    document = _metadata(lambda_context, host="evil.example")
    assert document["issuer"] == "https://abcdef1234.execute-api.us-east-1.amazonaws.com/v1"
    assert "evil" not in json_text(document)


def test_a_configured_issuer_names_every_endpoint(aws, lambda_context, monkeypatch):
    monkeypatch.setenv("ISSUER", "https://auth.example.com/")
    document = _metadata(lambda_context, host="evil.example")
    assert document["issuer"] == "https://auth.example.com"
    assert document["token_endpoint"] == "https://auth.example.com/token"


def json_text(document: dict) -> str:
    import json

    return json.dumps(document)


def test_revocation_answers_a_json_body_that_matches_its_content_type(provisioned, lambda_context):
    from tests.conftest import token_event

    event = token_event("token=anything", provisioned.basic, resource="/revoke")
    response = handler("token")(event, lambda_context)
    assert response["statusCode"] == 200 and response["headers"]["Content-Type"] == "application/json"
    assert json.loads(response["body"]) == {} and response["headers"]["Cache-Control"] == "no-store"
