"""tokenctl import wso2-users: what is created, left alone, skipped and reported."""

import pytest

from tests.functional.migration.conftest import USER_COLUMNS, carbon_row, write_csv
from tokenservice import admin
from tokenservice.store import storage
from tokenservice.store.models import UserModel


@pytest.fixture
def users_csv(tmp_path):
    rows = [
        carbon_row("alice", "alice-password-1", roles="manager,Internal/subscriber"),
        carbon_row("PRIMARY/frank", "frank-password-1"),
        carbon_row("grace@carbon.super", "grace-password-1"),
        carbon_row("LDAP/henry", "henry-password-1"),
        carbon_row("erin", "erin-password-1", tenant=1),
        carbon_row("Alice", "other-alice-password"),
        carbon_row("dave", "dave-password-1", change=True),
        ["ivan", "not-a-hash", "", "false", -1234, ""],
    ]
    return write_csv(tmp_path / "users.csv", USER_COLUMNS, rows)


def test_import_creates_the_super_tenants_users_with_their_roles(tokenctl, users_csv):
    report = tokenctl.json("import", "wso2-users", users_csv)
    assert [entry["username"] for entry in report["created"]] == ["alice", "frank", "grace", "dave"]
    alice = storage.get(UserModel, "alice")
    assert alice.roles == {"manager", "Internal/subscriber"}
    assert storage.get(UserModel, "dave").must_change_password is True


def test_import_reports_every_row_it_skips_and_why(tokenctl, users_csv):
    skipped = {
        entry["name"]: entry["reason"]
        for entry in tokenctl.json("import", "wso2-users", users_csv)["skipped"]
    }
    assert set(skipped) == {"LDAP/henry", "erin", "Alice", "ivan"}
    assert "tenant 1" in skipped["erin"] and "user store LDAP" in skipped["LDAP/henry"]
    assert "row 2" in skipped["Alice"] and "hash" in skipped["ivan"]
    assert storage.get(UserModel, "henry") is None and storage.get(UserModel, "erin") is None


def test_tenant_option_imports_another_tenant(tokenctl, users_csv):
    report = tokenctl.json("import", "wso2-users", users_csv, "--tenant=1")
    assert [entry["username"] for entry in report["created"]] == ["erin"]


def test_dry_run_reports_and_writes_nothing(tokenctl, users_csv):
    report = tokenctl.json("import", "wso2-users", users_csv, "--dry-run")
    assert report["dry_run"] and len(report["created"]) == 4
    assert storage.get(UserModel, "alice") is None


def test_rerunning_changes_no_existing_user_not_even_an_upgraded_hash(tokenctl, users_csv):
    tokenctl.json("import", "wso2-users", users_csv)
    admin.set_password("alice", "a brand new passphrase")
    upgraded = storage.get(UserModel, "alice").password_hash
    again = tokenctl.json("import", "wso2-users", users_csv)
    assert again["created"] == [] and set(again["existing"]) == {"alice", "frank", "grace", "dave"}
    assert storage.get(UserModel, "alice").password_hash == upgraded


def test_a_name_taken_by_a_client_is_refused(tokenctl, tmp_path):
    admin.create_client("Shop", "read", client_id="shopclient")
    path = write_csv(tmp_path / "u.csv", USER_COLUMNS, [carbon_row("shopclient", "a-password-1")])
    assert "exists" in tokenctl.json("import", "wso2-users", path)["skipped"][0]["reason"]


def test_no_hash_or_salt_is_printed(tokenctl, tmp_path):
    row = carbon_row("judy", "judy-password-1")
    path = write_csv(tmp_path / "u.csv", USER_COLUMNS, [row])
    code, out, err = tokenctl("import", "wso2-users", path)
    assert code == 0 and "created" in out
    assert row[1] not in out + err and row[2] not in out + err


def test_a_csv_without_the_password_column_is_a_one_line_error(tokenctl, tmp_path):
    path = write_csv(tmp_path / "u.csv", ["UM_USER_NAME", "UM_SALT_VALUE"], [["bob", "x"]])
    code, out, err = tokenctl("import", "wso2-users", path)
    assert code == 2 and out == "" and err.count("\n") == 1 and "UM_USER_PASSWORD" in err


def test_a_file_that_is_not_utf8_is_a_one_line_error(tokenctl, tmp_path):
    path = tmp_path / "u.csv"
    path.write_bytes(b"UM_USER_NAME,UM_USER_PASSWORD,UM_SALT_VALUE\n\xff\xfe,x,y\n")
    code, _, err = tokenctl("import", "wso2-users", str(path))
    assert code == 2 and "UTF-8" in err and "Traceback" not in err


def test_user_list_shows_who_must_change_their_password(tokenctl, users_csv):
    tokenctl.json("import", "wso2-users", users_csv)
    listed = {user["username"]: user for user in tokenctl.json("user", "list")}
    assert listed["dave"]["must_change_password"] is True and "must_change_password" not in listed["alice"]


def test_a_role_with_spaces_is_not_given_and_is_reported(tokenctl, tmp_path):
    path = write_csv(
        tmp_path / "u.csv", USER_COLUMNS, [carbon_row("kim", "kim-password-1", roles="Sales Team,clerk")]
    )
    report = tokenctl.json("import", "wso2-users", path)
    assert storage.get(UserModel, "kim").roles == {"clerk"}
    assert any("Sales Team" in warning for warning in report["warnings"])
