"""tokenctl import wso2-apps: the same consumer keys and secrets, owners' applications, reports."""

import io
import json
import zipfile

import pytest

from tests.functional.migration.conftest import USER_COLUMNS, carbon_row, write_csv
from tokenservice import admin
from tokenservice.core import credentials
from tokenservice.core.errors import InvalidClient
from tokenservice.oauth import client_auth
from tokenservice.oauth.client_auth import ClientCredentials
from tokenservice.portal import applications
from tokenservice.store import storage
from tokenservice.store.models import ClientModel

APP_COLUMNS = [
    "APPLICATION_ID", "APPLICATION_NAME", "KEY_TYPE", "CONSUMER_KEY", "CONSUMER_SECRET", "APP_NAME",
    "USERNAME", "GRANT_TYPES", "CALLBACK_URL", "USER_ACCESS_TOKEN_EXPIRE_TIME",
    "APP_ACCESS_TOKEN_EXPIRE_TIME", "REFRESH_TOKEN_EXPIRE_TIME",
]  # fmt: skip
KEY, SECRET = "wU62DjlyDBnq87GlBwplfqvmAbAa", "Xj3kQ0v8d2r_Lm5nPq7sT1uVw9ya"
GRANTS = "password refresh_token client_credentials urn:ietf:params:oauth:grant-type:saml2-bearer"


def app_row(key=KEY, secret=SECRET, *, app="1", name="Shop", key_type="PRODUCTION", owner="admin", **over):
    row = {
        "grants": GRANTS,
        "callback": "https://shop.example.com/cb",
        "user": 7200,
        "app": 3600,
        "refresh": 86400,
    }
    row.update(over)
    return [app, name, key_type, key, secret, f"{owner}_{name}_{key_type}", owner, row["grants"],
            row["callback"], row["user"], row["app"], row["refresh"]]  # fmt: skip


@pytest.fixture
def owner(aws, tmp_path):
    path = write_csv(
        tmp_path / "users.csv", USER_COLUMNS, [carbon_row("admin", "admin-password-1", roles="admin")]
    )
    admin.import_wso2_users(path)
    admin.define_scope("orders:read", "admin")


def imported_csv(tmp_path, *rows) -> str:
    return write_csv(tmp_path / "apps.csv", APP_COLUMNS, list(rows))


def authenticates(client_id: str, secret: str) -> bool:
    try:
        client_auth.authenticate_token_endpoint_client(ClientCredentials(client_id, secret))
    except InvalidClient:
        return False
    return True


def test_a_key_keeps_its_consumer_key_secret_lifetimes_callback_and_supported_grants(
    tokenctl, owner, tmp_path
):
    row = app_row(grants=GRANTS + " authorization_code implicit")
    report = tokenctl.json("import", "wso2-apps", imported_csv(tmp_path, row))
    client = storage.get(ClientModel, KEY)
    assert authenticates(KEY, SECRET) and client.secret_hash == credentials.digest(SECRET)
    assert (client.access_ttl, client.refresh_ttl) == (7200, 86400)
    assert client.redirect_uris == {"https://shop.example.com/cb"}
    assert client.grant_types == "password refresh_token client_credentials authorization_code"
    assert any("implicit" in warning for warning in report["warnings"])
    assert any("saml2-bearer" in warning for warning in report["warnings"])
    assert SECRET not in json.dumps(report)


@pytest.mark.parametrize(
    "callback", ["regexp=https://shop.example.com/(cb|back)", "http://shop.example.com/cb", ""]
)
def test_the_code_grant_is_carried_only_with_an_exact_callback_this_service_accepts(
    tokenctl, owner, tmp_path, callback
):
    row = app_row(grants="authorization_code refresh_token", callback=callback)
    report = tokenctl.json("import", "wso2-apps", imported_csv(tmp_path, row))
    client = storage.get(ClientModel, KEY)
    assert client.grant_types == "refresh_token" and client.redirect_uris is None
    assert any("authorization_code not carried" in warning for warning in report["warnings"])
    assert "shop.example.com" not in json.dumps(report)  # the report names no submitted value


def test_an_owned_application_appears_in_its_owners_portal_with_both_keys(tokenctl, owner, tmp_path):
    sandbox = ("SbXkQ0v8d2r_Lm5nPq7sT1uVw9yb", "SandboxSecret_Lm5nPq7sT1uVw9y")
    path = imported_csv(tmp_path, app_row(), app_row(*sandbox, key_type="SANDBOX"))
    tokenctl.json("import", "wso2-apps", path)
    (app,) = applications.owned("admin")
    document = applications.document(app)
    assert (document["name"], document["scope"]) == ("Shop", "orders:read")
    assert {env: keys["client_id"] for env, keys in document["keys"].items()} == {
        "production": KEY,
        "sandbox": sandbox[0],
    }
    assert authenticates(*sandbox)


def test_an_application_without_sandbox_keys_gets_a_sandbox_client_without_keys(tokenctl, owner, tmp_path):
    tokenctl.json("import", "wso2-apps", imported_csv(tmp_path, app_row()))
    (app,) = applications.owned("admin")
    assert applications.document(app)["keys"]["sandbox"] is None and "sandbox" in app.clients


def test_an_owned_applications_keys_carry_only_what_its_owner_may_obtain(tokenctl, owner, tmp_path):
    admin.define_scope("orders:write", "manager")
    report = tokenctl.json("import", "wso2-apps", imported_csv(tmp_path, app_row()))
    assert storage.get(ClientModel, KEY).scope == "orders:read"
    assert any("orders:write" in warning for warning in report["warnings"])
    unowned = tokenctl.json(
        "import", "wso2-apps", imported_csv(tmp_path, app_row("OtherKey1234", app="2")), "--unowned"
    )
    assert (
        unowned["created"][0]["owner"] == ""
        and "orders:write" in storage.get(ClientModel, "OtherKey1234").scope.split()
    )


def test_applications_over_the_owners_limit_are_reported(tokenctl, owner, tmp_path, monkeypatch):
    monkeypatch.setenv("APPLICATIONS_PER_USER", "1")
    path = imported_csv(tmp_path, app_row(), app_row("SecondKey123456", app="2", name="Two"))
    report = tokenctl.json("import", "wso2-apps", path)
    assert [entry["client_id"] for entry in report["created"]] == [KEY]
    assert "at most 1" in report["skipped"][0]["reason"]


def test_rerunning_leaves_imported_applications_as_they_are(tokenctl, owner, tmp_path):
    path = imported_csv(tmp_path, app_row())
    tokenctl.json("import", "wso2-apps", path)
    admin.rotate_secret(KEY)
    again = tokenctl.json("import", "wso2-apps", path)
    assert again["created"] == [] and again["existing"] == ["Shop"] and not authenticates(KEY, SECRET)


def test_sha256_hashed_secrets_still_work(tokenctl, owner, tmp_path):
    hashed = credentials.digest(SECRET)  # WSO2's HashingPersistenceProcessor: hex SHA-256
    tokenctl.json(
        "import", "wso2-apps", imported_csv(tmp_path, app_row(secret=hashed)), "--secrets", "sha256"
    )
    assert authenticates(KEY, SECRET)


def test_an_encrypted_secret_is_reported_and_new_secrets_makes_one(tokenctl, owner, tmp_path):
    encrypted = "eyJjIjoi" + "QUJD" * 90
    path = imported_csv(tmp_path, app_row(secret=encrypted))
    report = tokenctl.json("import", "wso2-apps", path)
    assert report["created"] == [] and "encrypted" in report["skipped"][0]["reason"]
    report = tokenctl.json("import", "wso2-apps", path, "--new-secrets")
    assert authenticates(KEY, report["created"][0]["client_secret"])


def test_an_apictl_archive_imports_its_keys(tokenctl, owner, tmp_path):
    definition = {
        "type": "application",
        "version": "v4.2.0",
        "data": {
            "applicationInfo": {
                "applicationId": "1f2e", "name": "Mobile", "owner": "admin", "hashEnabled": False,
                "keys": [{
                    "consumerKey": KEY, "consumerSecret": SECRET, "keyType": "PRODUCTION",
                    "keyManager": "Resident Key Manager", "callbackUrl": "",
                    "supportedGrantTypes": ["password", "refresh_token"],
                    "additionalProperties": {"user_access_token_expiry_time": 1800},
                }],
            }
        },
    }  # fmt: skip
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("admin-Mobile/application.json", json.dumps(definition))
    (tmp_path / "admin-Mobile.zip").write_bytes(archive.getvalue())
    report = tokenctl.json("import", "wso2-apps", str(tmp_path / "admin-Mobile.zip"))
    assert report["created"][0]["application"] == "Mobile" and authenticates(KEY, SECRET)
    assert storage.get(ClientModel, KEY).access_ttl == 1800


def test_a_zip_without_an_application_definition_is_a_one_line_error(tokenctl, tmp_path):
    with zipfile.ZipFile(tmp_path / "x.zip", "w") as zipped:
        zipped.writestr("readme.txt", "nothing")
    code, _, err = tokenctl("import", "wso2-apps", str(tmp_path / "x.zip"))
    assert code == 2 and "application.yaml" in err and err.count("\n") == 1


def test_a_dry_run_reports_what_the_owners_limit_would_refuse_and_writes_nothing(
    tokenctl, owner, tmp_path, monkeypatch
):
    monkeypatch.setenv("APPLICATIONS_PER_USER", "1")
    path = imported_csv(tmp_path, app_row(), app_row("SecondKey123456", app="2", name="Two"))
    report = tokenctl.json("import", "wso2-apps", path, "--dry-run")
    assert [entry["client_id"] for entry in report["created"]] == [KEY]
    assert "at most 1" in report["skipped"][0]["reason"]
    assert storage.get(ClientModel, KEY) is None and applications.owned("admin") == []


def test_a_plain_secret_that_looks_like_a_sha256_hash_is_imported_with_a_warning(tokenctl, owner, tmp_path):
    hashed = credentials.digest(SECRET)  # what a deployment with HashingPersistenceProcessor stores
    report = tokenctl.json("import", "wso2-apps", imported_csv(tmp_path, app_row(secret=hashed)))
    assert any("--secrets sha256" in warning for warning in report["warnings"])
    assert hashed not in json.dumps(report)
    assert authenticates(KEY, hashed)  # imported as asked: plain
