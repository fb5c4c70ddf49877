"""tokenctl client/user create against moto: outputs, validation and what gets stored."""

import io
import json

import pytest

from tokenctl.cli import main
from tokenservice.core import credentials
from tokenservice.store import storage
from tokenservice.store.models import ClientModel, UserModel
from tokenservice.users import passwords


def run(capsys, monkeypatch, *argv, stdin=""):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    capsys.readouterr()  # only what this command prints (request handlers print metrics)
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_client_create_json_prints_id_and_secret_once_and_stores_only_a_hash(aws, capsys, monkeypatch):
    code, out, _ = run(
        capsys, monkeypatch, "client", "create", "--name", "Shop", "--scopes", "read update", "--json"
    )
    document = json.loads(out)
    assert code == 0
    assert document["grant_types"] == ["password", "refresh_token", "client_credentials"]
    assert (document["access_ttl"], document["refresh_ttl"]) == (None, None)  # the service's defaults
    stored = storage.get(ClientModel, document["client_id"])
    assert stored.secret_hash == credentials.digest(document["client_secret"])
    assert document["client_secret"] not in json.dumps(aws.scan(TableName="tokenservice-clients")["Items"])


def test_client_create_text_output_shows_credentials(aws, capsys, monkeypatch):
    code, out, _ = run(
        capsys,
        monkeypatch,
        "client",
        "create",
        "--name",
        "Shop",
        "--scopes",
        "read",
        "--grant-types",
        "password",
        "--access-ttl",
        "600",
        "--refresh-ttl",
        "1200",
    )
    assert code == 0 and "client_id:" in out and "client_secret:" in out
    client_id = out.split("client_id:")[1].split()[0]
    stored = storage.get(ClientModel, client_id)
    assert (stored.grant_types, stored.access_ttl, stored.refresh_ttl, stored.scope) == (
        "password",
        600,
        1200,
        "read",
    )


def test_user_create_reads_the_password_from_stdin_and_hashes_it(aws, capsys, monkeypatch):
    code, out, _ = run(
        capsys,
        monkeypatch,
        "user",
        "create",
        "bob",
        "--scopes",
        "read",
        "--password-stdin",
        stdin="s3cret passphrase\n",
    )
    assert code == 0 and "bob" in out
    user = storage.get(UserModel, "bob")
    assert passwords.verify(user.password_hash, "s3cret passphrase") and user.scope == "read"


@pytest.mark.parametrize(
    "argv,stdin",
    [
        (["client", "create", "--name", "x", "--scopes", "read", "--grant-types", "implicit"], ""),
        (["client", "create", "--name", "x", "--scopes", 'bad"scope'], ""),
        (["client", "create", "--name", "x", "--scopes", "read", "--access-ttl", "-5"], ""),
        (["client", "create", "--scopes", "read"], ""),
        (["user", "create", "bob", "--scopes", "read"], "long enough password\n"),
        (["user", "create", "bob", "--scopes", "read", "--password-stdin"], "short\n"),
        (["user", "create", "bob", "--scopes", "read", "--password-stdin"], "bob\n"),
        (["nonsense"], ""),
    ],
)
def test_bad_input_is_a_one_line_error_and_non_zero_exit(aws, capsys, monkeypatch, argv, stdin):
    code, out, err = run(capsys, monkeypatch, *argv, stdin=stdin)
    assert code != 0
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("tokenctl: error:")


def test_duplicate_user_is_an_error(aws, capsys, monkeypatch):
    args = ("user", "create", "bob", "--scopes", "read", "--password-stdin")
    assert run(capsys, monkeypatch, *args, stdin="first password\n")[0] == 0
    code, _, err = run(capsys, monkeypatch, *args, stdin="second password\n")
    assert code != 0 and "already exists" in err
    assert passwords.verify(storage.get(UserModel, "bob").password_hash, "first password")


def test_database_unreachable_is_a_one_line_error(monkeypatch, capsys):
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    storage.dynamodb.cache_clear()
    try:
        code, _, err = run(capsys, monkeypatch, "client", "create", "--name", "x", "--scopes", "read")
    finally:
        storage.dynamodb.cache_clear()
    assert code != 0 and len(err.strip().splitlines()) == 1 and "DynamoDB" in err


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_at_a_terminal_the_password_is_read_without_echo(aws, capsys, monkeypatch):
    prompted = []
    monkeypatch.setattr("sys.stdin", Terminal(""))
    monkeypatch.setattr(
        "getpass.getpass", lambda prompt="": prompted.append(prompt) or "typed unseen passphrase"
    )
    assert main(["user", "create", "dora", "--scopes", "read", "--password-stdin"]) == 0
    assert prompted == ["Password: "]
    assert passwords.verify(storage.get(UserModel, "dora").password_hash, "typed unseen passphrase")


def test_user_names_are_stored_canonical_and_found_in_any_case(aws, capsys, monkeypatch):
    assert (
        run(
            capsys,
            monkeypatch,
            "user",
            "create",
            "Eve",
            "--scopes",
            "read",
            "--password-stdin",
            stdin="a long passphrase\n",
        )[0]
        == 0
    )
    assert storage.get(UserModel, "eve") is not None
    assert run(capsys, monkeypatch, "user", "disable", "EVE")[0] == 0
    assert storage.get(UserModel, "eve").disabled is True


@pytest.mark.parametrize("name", ["eve\u200b", "\u202eeve", "eve\x07"])
def test_names_with_invisible_characters_are_refused(aws, capsys, monkeypatch, name):
    code, out, err = run(
        capsys,
        monkeypatch,
        "user",
        "create",
        name,
        "--scopes",
        "read",
        "--password-stdin",
        stdin="a long passphrase\n",
    )
    assert code != 0 and out == "" and err.startswith("tokenctl: error:")


def test_common_passwords_are_refused(aws, capsys, monkeypatch):
    code, _, err = run(
        capsys,
        monkeypatch,
        "user",
        "create",
        "frank",
        "--scopes",
        "read",
        "--password-stdin",
        stdin="iloveyou\n",
    )
    assert code != 0 and "common" in err


def test_client_create_reports_the_stacks_token_format_not_its_own_environment(aws, capsys, monkeypatch):
    import boto3

    from tokenservice.deploy import deployment

    kms_key = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]
    deployment.set_up_signing("https://auth.example.com", kms_key, access_token_format="jwt")  # the stack's
    monkeypatch.delenv("ACCESS_TOKEN_FORMAT", raising=False)  # tokenctl's own shell sets nothing
    _, out, _ = run(capsys, monkeypatch, "client", "create", "--name", "Shop", "--scopes", "read", "--json")
    assert json.loads(out)["token_format"] == "jwt"
    _, out, _ = run(capsys, monkeypatch, "client", "list", "--json")
    assert {client["token_format"] for client in json.loads(out)} == {"jwt"}
