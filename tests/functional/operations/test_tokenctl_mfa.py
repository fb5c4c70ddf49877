"""tokenctl user mfa status|reset against moto: what an operator sees of a user's TOTP, and the
reset that turns it off and ends the user's tokens."""

import io
import json
import time

import boto3
import pytest

from tests.conftest import bearer_works, login
from tokenctl.cli import main
from tokenservice.deploy import deployment
from tokenservice.store import storage
from tokenservice.store.models import UserModel
from tokenservice.users import mfa, totp


@pytest.fixture
def run(capsys, monkeypatch):
    def run(*argv):
        monkeypatch.setattr("sys.stdin", io.StringIO(""))
        capsys.readouterr()
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def enrolled(provisioned):
    kms_key = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]
    deployment.set_up_signing("https://auth.example.com", kms_key)
    secret, _ = mfa.begin(storage.get(UserModel, provisioned.username))
    code = totp.code_at(secret, totp.step_at(time.time()))
    mfa.confirm(storage.get(UserModel, provisioned.username), code)
    return provisioned


def test_status_of_a_user_without_totp_says_off(provisioned, run):
    code, out, _ = run("user", "mfa", "status", provisioned.username, "--json")
    assert code == 0
    assert json.loads(out) == {
        "username": provisioned.username,
        "totp": False,
        "enabled_at": None,
        "recovery_codes_left": 0,
    }


def test_status_of_a_user_with_totp_says_on_with_ten_recovery_codes(enrolled, run):
    code, out, _ = run("user", "mfa", "status", enrolled.username)
    assert code == 0
    assert "is on since" in out and "10 recovery code(s) left" in out


def test_reset_turns_totp_off_and_ends_the_users_tokens(provisioned, lambda_context, run):
    status, _, body = login(lambda_context, provisioned)  # a token from before TOTP was on
    assert status == 200
    kms_key = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]
    deployment.set_up_signing("https://auth.example.com", kms_key)
    secret, _ = mfa.begin(storage.get(UserModel, provisioned.username))
    mfa.confirm(storage.get(UserModel, provisioned.username), totp.code_at(secret, totp.step_at(time.time())))
    code, out, _ = run("user", "mfa", "reset", provisioned.username, "--json")
    assert code == 0 and json.loads(out)["totp"] is False
    assert not bearer_works(lambda_context, body["access_token"])
    assert run("user", "mfa", "status", provisioned.username, "--json")[1].count('"totp": false') == 1


def test_an_unknown_user_is_a_one_line_error(aws, run):
    code, out, err = run("user", "mfa", "reset", "nobody")
    assert code != 0 and out == "" and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_client_create_with_require_mfa_records_it(aws, run):
    code, out, _ = run(
        "client", "create", "--name", "Strict", "--scopes", "read",
        "--grant-types", "authorization_code refresh_token",
        "--redirect-uris", "https://app.example.com/callback", "--require-mfa", "--json",
    )  # fmt: skip
    assert code == 0 and json.loads(out)["require_mfa"] is True
    code, out, _ = run(
        "client", "create", "--name", "Lax", "--scopes", "read", "--grant-types", "authorization_code",
        "--redirect-uris", "https://app.example.com/callback", "--json",
    )  # fmt: skip
    assert code == 0 and json.loads(out)["require_mfa"] is False
