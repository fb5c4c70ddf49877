"""The contract over HTTP against `make sam-local` (SAM CLI's `sam local start-api` in Docker): the
functions in Lambda containers, DynamoDB Local and KMS in the services container.

Where SAM CLI differs from API Gateway (docs/sam-local.md), the test says so: its authorizer
refusals are `{"message": ...}` bodies (gateway responses are ignored), and a refused token is 403
(the authorizer answers a deny-all policy under `AWS_SAM_LOCAL`: SAM CLI turns a raised
"Unauthorized" into a 502). Every other answer is the one make run and AWS give.
"""

import json
import re
import shlex
import subprocess

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from localrun.launch import LocalApi
from tests.e2e.conftest import ROOT, password_token, tokenctl

OPENAPI = str(ROOT / "openapi.yaml")
SAM_API_ID = "1234567890"  # SAM CLI's API id in every methodArn: the rules are registered under it
NOT_AUTHORIZED = {"message": "User is not authorized to access this resource"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def orders(api: LocalApi, token: str | None, method: str = "GET") -> requests.Response:
    headers = bearer(token) if token else {}
    return requests.request(method, f"{api.url}/orders", headers=headers, json={"item": "tea"}, timeout=60)


def access_token(api: LocalApi, scope: str) -> dict:
    answer = password_token(api, scope=scope)
    assert answer.status_code == 200, answer.text
    return answer.json()


def basic(api: LocalApi) -> tuple[str, str]:
    return api.demo["client_id"], api.demo["client_secret"]


# -- the seed's curl -------------------------------------------------------------------------------


def test_the_printed_curl_gets_a_token_that_the_api_accepts(sam_api):
    assert sam_api.curl.endswith(f"{sam_api.url}/token")
    printed = subprocess.run(shlex.split(sam_api.curl), capture_output=True, text=True, timeout=120)
    token = json.loads(printed.stdout)
    assert token["token_type"] == "Bearer" and token["scope"] == "read update"
    answer = orders(sam_api, token["access_token"])
    assert answer.status_code == 200 and "orders" in answer.json()


def test_post_orders_records_who_created_it(sam_api):
    created = orders(sam_api, access_token(sam_api, "update")["access_token"], "POST")
    assert created.status_code == 201, created.text
    assert created.json()["created_by"] == sam_api.demo["username"]


# -- the authorizer is enforced --------------------------------------------------------------------


def test_no_token_is_401(sam_api):
    answer = orders(sam_api, None)
    assert (answer.status_code, answer.json()) == (401, {"message": "Unauthorized"})
    assert orders(sam_api, None, "POST").status_code == 401


def test_a_bogus_token_is_refused(sam_api):
    for token in ("bogus", "ZGVtbw.aGVsbG8td29ybGQtdGhpcy1pcy1ub3QtYS10b2tlbg"):
        answer = orders(sam_api, token)
        assert (answer.status_code, answer.json()) == (403, NOT_AUTHORIZED)


def test_a_token_without_the_routes_scope_is_403(sam_api):
    read_only = access_token(sam_api, "read")["access_token"]
    assert orders(sam_api, read_only).status_code == 200
    answer = orders(sam_api, read_only, "POST")
    assert (answer.status_code, answer.json()) == (403, NOT_AUTHORIZED)


def test_a_revoked_token_is_refused_at_once(sam_api):
    token = access_token(sam_api, "read")["access_token"]
    assert orders(sam_api, token).status_code == 200
    revoked = requests.post(f"{sam_api.url}/revoke", data={"token": token}, auth=basic(sam_api), timeout=60)
    assert revoked.status_code == 200
    assert orders(sam_api, token).status_code == 403  # no authorizer cache locally


# -- the authorization server ----------------------------------------------------------------------


def test_bad_client_credentials_are_401_with_the_basic_challenge(sam_api):
    answer = requests.post(
        f"{sam_api.url}/token",
        data={"grant_type": "client_credentials"},
        auth=(sam_api.demo["client_id"], "wrong secret"),
        timeout=60,
    )
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"
    assert answer.headers["WWW-Authenticate"].startswith('Basic realm="tokenservice"')


def test_a_refresh_rotates_and_the_old_refresh_token_is_refused(sam_api):
    first = access_token(sam_api, "read")
    form = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    second = requests.post(f"{sam_api.url}/token", data=form, auth=basic(sam_api), timeout=60)
    assert second.status_code == 200, second.text
    assert second.json()["refresh_token"] != first["refresh_token"]
    assert orders(sam_api, second.json()["access_token"]).status_code == 200
    replayed = requests.post(f"{sam_api.url}/token", data=form, auth=basic(sam_api), timeout=60)
    assert replayed.status_code == 400 and replayed.json()["error"] == "invalid_grant"


def test_introspection_tells_a_live_token_from_a_revoked_one(sam_api):
    token = access_token(sam_api, "read")["access_token"]

    def introspect() -> dict:
        answer = requests.post(
            f"{sam_api.url}/introspect", data={"token": token}, auth=basic(sam_api), timeout=60
        )
        assert answer.status_code == 200
        return answer.json()

    live = introspect()
    assert live["active"] is True and live["scope"] == "read" and live["username"] == sam_api.demo["username"]
    requests.post(f"{sam_api.url}/revoke", data={"token": token}, auth=basic(sam_api), timeout=60)
    assert introspect() == {"active": False}


def test_a_jwt_client_gets_tokens_that_verify_from_the_jwks_and_pass_the_authorizer(sam_api):
    created = tokenctl(
        sam_api,
        "client",
        "create",
        "--name",
        "JWT app",
        "--scopes",
        "read",
        "--token-format",
        "jwt",
        "--json",
    )
    assert created.returncode == 0, created.stderr
    client = json.loads(created.stdout)
    answer = requests.post(
        f"{sam_api.url}/token",
        data={"grant_type": "client_credentials", "scope": "read"},
        auth=(client["client_id"], client["client_secret"]),
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    discovery = requests.get(f"{sam_api.url}/.well-known/openid-configuration", timeout=60).json()
    keys = KeySet.import_key_set(requests.get(discovery["jwks_uri"], timeout=60).json())
    token = jwt.decode(answer.json()["access_token"], keys, algorithms=["ES256"])
    assert token.header["typ"] == "at+jwt"
    assert token.claims["iss"] == discovery["issuer"] == sam_api.url
    assert token.claims["client_id"] == client["client_id"] and token.claims["scope"] == "read"
    whoami = requests.get(f"{sam_api.url}/whoami", headers=bearer(answer.json()["access_token"]), timeout=60)
    assert whoami.status_code == 200 and whoami.json()["client_id"] == client["client_id"]


def test_the_metadata_names_the_local_issuer(sam_api):
    metadata = requests.get(f"{sam_api.url}/.well-known/oauth-authorization-server", timeout=60)
    assert metadata.status_code == 200
    assert metadata.json()["token_endpoint"] == f"{sam_api.url}/token"


# -- the registry ----------------------------------------------------------------------------------


def test_a_registry_rule_change_is_enforced_under_sams_api_id(sam_api):
    token = access_token(sam_api, "read")["access_token"]

    def whoami() -> int:
        return requests.get(f"{sam_api.url}/whoami", headers=bearer(token), timeout=60).status_code

    assert whoami() == 200  # openapi.yaml: any valid token
    changed = tokenctl(sam_api, "api", "rule", SAM_API_ID, "GET", "/whoami", "update")
    assert changed.returncode == 0, changed.stderr
    try:
        assert whoami() == 403  # RULES_CACHE_SECONDS=0: at once
    finally:
        restored = tokenctl(sam_api, "api", "rule", SAM_API_ID, "GET", "/whoami", "-")
        assert restored.returncode == 0, restored.stderr
    assert whoami() == 200


# -- the store -------------------------------------------------------------------------------------


def test_an_api_that_requires_subscriptions_admits_only_subscribed_applications(sam_api):
    """The authorizer's subscription check holds under sam local too (SAM CLI has no usage plans:
    no 429 there; docs/sam-local.md)."""
    developer = bearer(access_token(sam_api, "apim:subscribe")["access_token"])
    app = requests.post(
        f"{sam_api.url}/applications", json={"name": "Store", "scope": "read"}, headers=developer, timeout=60
    ).json()
    keys = requests.post(
        f"{sam_api.url}/applications/{app['id']}/keys",
        json={"environment": "production"},
        headers=developer,
        timeout=60,
    ).json()
    form = {"grant_type": "client_credentials", "scope": "read"}
    issued = requests.post(
        f"{sam_api.url}/token", data=form, auth=(keys["client_id"], keys["client_secret"]), timeout=60
    ).json()

    def whoami() -> int:
        return requests.get(
            f"{sam_api.url}/whoami", headers=bearer(issued["access_token"]), timeout=60
        ).status_code

    subscriptions = f"{sam_api.url}/applications/{app['id']}/subscriptions"
    imported = tokenctl(sam_api, "api", "import", OPENAPI, "--api", SAM_API_ID, "--subscriptions", "required")
    assert imported.returncode == 0, imported.stderr
    try:
        assert whoami() == 403  # not subscribed
        subscribed = requests.post(
            subscriptions, json={"api": SAM_API_ID, "tier": "Gold"}, headers=developer, timeout=60
        )
        assert subscribed.status_code == 201, subscribed.text
        assert whoami() == 200
        assert (
            requests.delete(f"{subscriptions}/{SAM_API_ID}", headers=developer, timeout=60).status_code == 200
        )
        assert whoami() == 403
    finally:
        restored = tokenctl(sam_api, "api", "import", OPENAPI, "--api", SAM_API_ID)
        assert restored.returncode == 0, restored.stderr
    assert whoami() == 200


# -- the portal ------------------------------------------------------------------------------------


def test_the_portal_page_is_served(sam_api):
    page = requests.get(f"{sam_api.url}/portal", timeout=60)
    assert page.status_code == 200 and page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


@pytest.fixture
def browser(sam_api):
    session = requests.Session()
    session.headers["Origin"] = sam_api.url
    return session


def test_the_demo_user_signs_in_to_the_portal_and_manages_applications(sam_api, browser):
    # The portal signs in through the code flow: to the hosted login page and back.
    page = browser.get(f"{sam_api.url}/portal/login", timeout=60)
    assert page.status_code == 200 and 'action="' in page.text, page.text[:300]
    form = {
        name: re.search(rf'name="{name}" value="([^"]*)"', page.text).group(1)
        for name in ("transaction", "client_id", "csrf_token")
    }
    form |= {"username": sam_api.demo["username"], "password": sam_api.demo["password"]}
    back = browser.post(f"{sam_api.url}/login", data=form, timeout=60)
    assert back.status_code == 200 and back.url.rstrip("/").endswith("/portal"), back.url
    assert "portal-session" in {cookie.name for cookie in browser.cookies}
    session = browser.get(f"{sam_api.url}/portal/session", timeout=60).json()
    # The portal (HTTP API) checks the session against the REST API's rules (APPLICATIONS_API_ID).
    assert session["signed_in"] is True and session["may_manage_applications"] is True
    csrf = {"X-CSRF-Token": session["csrf_token"]}
    app = browser.post(
        f"{sam_api.url}/portal/applications", json={"name": "Shop", "scope": "read"}, headers=csrf, timeout=60
    )
    assert app.status_code == 201, app.text
    listed = browser.get(f"{sam_api.url}/portal/applications", timeout=60).json()
    assert "Shop" in json.dumps(listed)
    assert browser.post(f"{sam_api.url}/portal/signout", headers=csrf, timeout=60).status_code == 204
