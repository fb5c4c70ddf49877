"""schemathesis against `make run`: generated requests never get a 5xx, and every response
matches the committed OpenAPI description (openapi.yaml)."""

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e.conftest import ROOT

schema = schemathesis.openapi.from_path(str(ROOT / "openapi.yaml"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def credentials(local_api) -> dict[str, str]:
    """A valid client (Basic) and a valid read+update bearer token, so requests get past the door."""
    demo = local_api.demo
    token = requests.post(
        f"{local_api.url}/token",
        data={
            "grant_type": "password",
            "username": demo["username"],
            "password": demo["password"],
            "scope": "read update",
        },
        auth=(demo["client_id"], demo["client_secret"]),
        timeout=10,
    ).json()["access_token"]
    basic = requests.auth._basic_auth_str(demo["client_id"], demo["client_secret"])
    return {"basic": basic, "bearer": f"Bearer {token}"}


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_openapi_and_never_5xx(case, local_api, credentials):
    security = case.operation.definition.raw.get("security") or [{}]
    schemes = {name for requirement in security for name in requirement}
    headers = {}
    if "clientBasic" in schemes:
        headers["Authorization"] = credentials["basic"]
    elif "bearer" in schemes:
        headers["Authorization"] = credentials["bearer"]
    case.call_and_validate(base_url=local_api.url, headers=headers, checks=CHECKS, timeout=15)
