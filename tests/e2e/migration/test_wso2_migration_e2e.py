"""The migration guide's worked example on `make run` (docs/migrating-from-wso2.md): a WSO2 export
made by examples/wso2-migration/make_export.py (hashes computed as Carbon computes them), imported
with tokenctl, then the seed's curl with the OLD consumer key, secret and password, through WSO2's
/oauth2/token and through /token; role-bound WSO2 scopes guard the API."""

import base64
import json
import subprocess
import sys

import boto3
import pytest
import requests

from tests.e2e.conftest import ROOT, start_make_run, tokenctl


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """Its own make run (the import replaces the local API's rules), with the example imported."""
    out = tmp_path_factory.mktemp("wso2-export")
    script = ROOT / "examples/wso2-migration/make_export.py"
    subprocess.run([sys.executable, str(script), str(out)], check=True, capture_output=True, timeout=60)
    for api in start_make_run():
        for command in (
            ("import", "wso2-users", str(out / "users.csv")),
            ("api", "import", str(out / "orders-api.yaml"), "--api", "local"),
            ("import", "wso2-apps", str(out / "apps.csv")),
        ):
            done = tokenctl(api, *command)
            assert done.returncode == 0, done.stderr
        yield api, json.loads((out / "old-credentials.json").read_text())


def seeds_curl(url: str, key: dict, username: str, password: str, scope: str) -> dict:
    """The curl make run prints, with the old consumer key and secret."""
    basic = base64.b64encode(f"{key['consumer_key']}:{key['consumer_secret']}".encode()).decode()
    answer = subprocess.run(
        ["curl", "-sk", "-d", f"grant_type=password&username={username}&password={password}&scope={scope}",
         "-H", f"Authorization: Basic {basic}", "-H", "Content-Type: application/x-www-form-urlencoded", url],
        capture_output=True, text=True, check=True, timeout=30,
    )  # fmt: skip
    return json.loads(answer.stdout)


def stored_hash(api, username: str) -> str:
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=api.dynamodb_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    item = dynamodb.get_item(
        TableName="tokenservice-users", Key={"username": {"S": username}}, ConsistentRead=True
    )
    return item["Item"]["password_hash"]["S"]


def test_the_old_consumer_key_and_password_work_through_oauth2_token_and_the_hash_becomes_argon2id(migrated):
    api, old = migrated
    production = old["applications"]["production"]
    assert stored_hash(api, "alice").startswith("wso2-sha256|")
    tokens = seeds_curl(f"{api.url}/oauth2/token", production, "alice", old["users"]["alice"], "orders:read")
    assert tokens["token_type"] == "Bearer" and tokens["scope"] == "orders:read"
    assert stored_hash(api, "alice").startswith("$argon2id$")


def test_the_old_credentials_work_through_token_too_and_for_the_sandbox_key(migrated):
    api, old = migrated
    for key in old["applications"].values():
        tokens = seeds_curl(f"{api.url}/token", key, "carol", old["users"]["carol"], "orders:read")
        assert tokens["scope"] == "orders:read", tokens
    assert stored_hash(api, "carol").startswith("$argon2id$")


def test_role_bound_wso2_scopes_guard_the_api(migrated):
    api, old = migrated
    key = old["applications"]["production"]
    manager = seeds_curl(
        f"{api.url}/oauth2/token", key, "bob", old["users"]["bob"], "orders:read%20orders:write"
    )
    assert manager["scope"] == "orders:read"  # bob has no role bound to orders:write
    bob = {"Authorization": f"Bearer {manager['access_token']}"}
    assert requests.get(f"{api.url}/orders", headers=bob, timeout=10).status_code == 200
    refused = requests.post(f"{api.url}/orders", headers=bob, json={"item": "tea"}, timeout=10)
    assert refused.status_code == 403 and "insufficient_scope" in refused.headers["WWW-Authenticate"]
    writer = seeds_curl(f"{api.url}/token", key, "alice", old["users"]["alice"], "orders:write")
    alice = {"Authorization": f"Bearer {writer['access_token']}"}
    assert (
        requests.post(f"{api.url}/orders", headers=alice, json={"item": "tea"}, timeout=10).status_code == 201
    )


def test_a_user_who_must_change_their_password_is_sent_to_the_portal(migrated):
    api, old = migrated
    answer = seeds_curl(
        f"{api.url}/oauth2/token", old["applications"]["production"], "dave", old["users"]["dave"], ""
    )
    assert answer["error"] == "invalid_grant" and "portal" in answer["error_description"]


def test_the_owners_portal_lists_the_imported_application_with_both_keys(migrated):
    api, old = migrated
    listed = tokenctl(api, "client", "list", "--json")
    owners = {client["client_id"]: client["owner"] for client in json.loads(listed.stdout)}
    assert {owners[key["consumer_key"]] for key in old["applications"].values()} == {"admin"}
