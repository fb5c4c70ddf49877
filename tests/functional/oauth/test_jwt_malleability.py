"""A JWT has exactly one valid string: ES256 signatures are made low-s, and a malleated twin (the
same token with s replaced by n - s, also a valid ECDSA signature) is refused by the authorizer,
introspection and revocation (issue 19 finding 3)."""

import base64

from tests.conftest import bearer_works, login, post_form
from tests.functional.oauth.test_jwt import jwt_client, keys  # noqa: F401 - fixtures

# The order of the P-256 group (SEC 2 §2.4.2).
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signature_s(token: str) -> int:
    segment = token.rsplit(".", 1)[1]
    raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    assert len(raw) == 64
    return int.from_bytes(raw[32:], "big")


def malleated(token: str) -> str:
    """The twin: the same r, and n - s for s."""
    head, segment = token.rsplit(".", 1)
    raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    twin = raw[:32] + (N - int.from_bytes(raw[32:], "big")).to_bytes(32, "big")
    return f"{head}.{_b64(twin)}"


def access_tokens(ctx, client, count: int) -> list[str]:
    return [login(ctx, client)[2]["access_token"] for _ in range(count)]


def test_every_signature_made_is_low_s(jwt_client, lambda_context):  # noqa: F811
    tokens = access_tokens(lambda_context, jwt_client, 24)  # high-s half the time, were it not normalised
    assert all(signature_s(token) <= N // 2 for token in tokens)


def test_the_malleated_twin_of_a_token_is_refused_everywhere(jwt_client, lambda_context):  # noqa: F811
    token = access_tokens(lambda_context, jwt_client, 1)[0]
    twin = malleated(token)
    assert twin != token and bearer_works(lambda_context, token)
    assert not bearer_works(lambda_context, twin)
    assert post_form(lambda_context, "/introspect", {"token": twin}, jwt_client.basic)[2] == {"active": False}
    assert post_form(lambda_context, "/revoke", {"token": twin}, jwt_client.basic)[0] == 200
    assert post_form(lambda_context, "/introspect", {"token": token}, jwt_client.basic)[2]["active"] is True
