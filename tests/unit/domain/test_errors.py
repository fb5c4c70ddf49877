import json

import pytest

from tokenservice.core import errors
from tokenservice.web.http import error_response


@pytest.mark.parametrize(
    "cls,status,code",
    [
        (errors.InvalidRequest, 400, "invalid_request"),
        (errors.InvalidClient, 401, "invalid_client"),
        (errors.InvalidGrant, 400, "invalid_grant"),
        (errors.UnauthorizedClient, 400, "unauthorized_client"),
        (errors.UnsupportedGrantType, 400, "unsupported_grant_type"),
        (errors.InvalidScope, 400, "invalid_scope"),
        (errors.TemporarilyUnavailable, 503, "temporarily_unavailable"),
        (errors.ServerError, 500, "server_error"),
    ],
)
def test_each_error_becomes_its_rfc6749_response(cls, status, code):
    response = error_response(cls("why"))
    assert response["statusCode"] == status
    assert json.loads(response["body"]) == {"error": code, "error_description": "why"}
    assert response["headers"]["Cache-Control"] == "no-store"


def test_invalid_client_challenges_with_basic_realm(monkeypatch):
    monkeypatch.setenv("AUTH_REALM", "shop")
    assert error_response(errors.InvalidClient())["headers"]["WWW-Authenticate"].startswith(
        'Basic realm="shop"'
    )


def test_temporarily_unavailable_says_when_to_retry():
    assert error_response(errors.TemporarilyUnavailable())["headers"]["Retry-After"] == "1"
