"""The rest of tokenctl against moto: list, rotate, delete, disable/enable, set-password,
stats, and --stack resolution from CloudFormation outputs."""

import io
import json

import boto3
import pytest

from tests.conftest import Provisioned, bearer_works, login, post_form
from tokenctl.cli import main
from tokenservice.core import config, credentials
from tokenservice.store import storage
from tokenservice.store.models import ClientModel, UserModel


@pytest.fixture
def run(capsys, monkeypatch):
    def run(*argv, stdin=""):
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        capsys.readouterr()  # only what this command prints (request handlers print metrics)
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_client_list_never_shows_secrets(provisioned, run):
    code, out, _ = run("client", "list", "--json")
    documents = json.loads(out)
    assert code == 0 and [d["client_id"] for d in documents] == [provisioned.client_id]
    assert provisioned.client_secret not in out
    assert not [key for document in documents for key in document if "secret" in key]
    assert credentials.digest(provisioned.client_secret) not in out
    code, text, _ = run("client", "list")
    assert code == 0 and provisioned.client_id in text and provisioned.client_secret not in text


def test_rotate_secret_prints_the_new_secret_once_and_the_old_one_stops_working(
    provisioned, run, lambda_context
):
    code, out, _ = run("client", "rotate-secret", provisioned.client_id, "--json")
    new_secret = json.loads(out)["client_secret"]
    assert code == 0 and new_secret != provisioned.client_secret
    assert storage.get(ClientModel, provisioned.client_id).secret_hash == credentials.digest(new_secret)
    assert login(lambda_context, provisioned)[0] == 401
    provisioned.client_secret = new_secret
    assert login(lambda_context, provisioned)[0] == 200


def test_delete_client_revokes_its_tokens(provisioned, run, lambda_context, monkeypatch):
    _, _, tokens = login(lambda_context, provisioned)
    waited = []  # the second sweep waits out requests that read the client before the delete
    monkeypatch.setattr("tokenservice.admin.time.sleep", waited.append)
    code, out, _ = run("client", "delete", provisioned.client_id, "--json")
    assert waited == [config.MAX_REQUEST_SECONDS + 1]
    assert code == 0 and json.loads(out)["revoked_tokens"] >= 2
    assert storage.get(ClientModel, provisioned.client_id) is None
    assert not bearer_works(lambda_context, tokens["access_token"])
    assert login(lambda_context, provisioned)[0] == 401


def test_user_list_shows_state_and_no_hashes(provisioned, run):
    code, out, _ = run("user", "list", "--json")
    assert code == 0
    assert json.loads(out) == [
        {
            "username": "alice",
            "scope": "read update",
            "roles": [],
            "disabled": False,
            "locked_until": None,
            "created_at": int(storage.get(UserModel, "alice").created_at),
        }
    ]
    assert "argon2" not in out


def test_disable_revokes_live_tokens_without_scanning_and_blocks_logins(
    provisioned, run, lambda_context, aws
):
    _, _, tokens = login(lambda_context, provisioned)
    operations = []
    aws.meta.events.register("before-call.dynamodb", lambda model, **_: operations.append(model.name))
    code, out, _ = run("user", "disable", "alice", "--json")
    assert code == 0 and json.loads(out)["revoked_tokens"] == 2
    assert "Scan" not in operations and "Query" in operations
    assert not bearer_works(lambda_context, tokens["access_token"])
    assert login(lambda_context, provisioned)[2]["error"] == "invalid_grant"
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    assert post_form(lambda_context, "/token", form, provisioned.basic)[2]["error"] == "invalid_grant"

    assert run("user", "enable", "alice")[0] == 0
    assert login(lambda_context, provisioned)[0] == 200


def test_enable_lifts_a_lockout(provisioned, run, lambda_context):
    for _ in range(5):
        login(lambda_context, provisioned, password="wrong password")
    assert login(lambda_context, provisioned)[0] == 400
    assert run("user", "enable", "alice")[0] == 0
    assert login(lambda_context, provisioned)[0] == 200


def test_set_password_reads_stdin_and_revokes_tokens(provisioned, run, lambda_context):
    _, _, tokens = login(lambda_context, provisioned)
    code, _, _ = run("user", "set-password", "alice", "--password-stdin", stdin="a brand new passphrase\n")
    assert code == 0
    assert not bearer_works(lambda_context, tokens["access_token"])
    assert login(lambda_context, provisioned)[0] == 400
    assert login(lambda_context, provisioned, password="a brand new passphrase")[0] == 200


def test_stats_counts_distinct_password_grant_users_per_client(aws, run, lambda_context):
    from tokenservice import admin

    p = Provisioned()
    admin.create_user("bob", "bob's long password", "read")
    for _ in range(3):
        login(lambda_context, p)
    post_form(
        lambda_context,
        "/token",
        {"grant_type": "password", "username": "bob", "password": "bob's long password"},
        p.basic,
    )
    post_form(lambda_context, "/token", {"grant_type": "client_credentials"}, p.basic)  # does not count
    login(lambda_context, p, password="wrong password")  # does not count
    other = admin.create_client("Other", "read")

    code, out, _ = run("stats", "--client", p.client_id, "--json")
    document = json.loads(out)
    assert code == 0
    assert document["registered_users"] == 2
    assert [u["username"] for u in document["users"]] == ["alice", "bob"]
    assert document["first_token_at"] <= document["last_token_at"]

    code, out, _ = run("stats", "--json")
    counts = {d["client_id"]: d["registered_users"] for d in json.loads(out)}
    assert counts == {p.client_id: 2, other.client.client_id: 0}
    code, text, _ = run("stats")
    assert code == 0 and "REGISTERED_USERS" in text


def test_stats_queries_not_scans_the_tokens_table(provisioned, run, lambda_context, aws):
    login(lambda_context, provisioned)
    calls = []
    aws.meta.events.register(
        "before-parameter-build.dynamodb", lambda model, params, **_: calls.append((model.name, params))
    )
    assert run("stats", "--client", provisioned.client_id)[0] == 0
    assert all(params.get("TableName") != "tokenservice-tokens" for name, params in calls if name == "Scan")
    assert any(name == "Query" and params["IndexName"] == "registrations" for name, params in calls)


@pytest.mark.parametrize(
    "argv",
    [
        ("client", "rotate-secret", "nope"),
        ("client", "delete", "nope"),
        ("user", "disable", "nobody"),
        ("user", "enable", "nobody"),
        ("stats", "--client", "nope"),
        ("user", "set-password", "alice"),
        ("client", "rotate-secret", "x" * 3000),
        ("user", "disable", "\U0001f600" * 700),
        ("stats", "--client", ""),
    ],
)
def test_unknown_targets_are_one_line_errors(provisioned, run, argv):
    code, out, err = run(*argv, stdin="long enough password\n")
    assert code != 0 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("tokenctl: error:")


STACK_TEMPLATE = {
    "Resources": {
        name: {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "TableName": f"prod-{name}",
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": key, "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": key, "KeyType": "HASH"}],
            },
        }
        for name, key in (
            ("Users", "username"),
            ("Clients", "client_id"),
            ("Tokens", "token_hash"),
            ("Registry", "id"),
        )
    },
    "Outputs": {
        "UsersTableName": {"Value": {"Ref": "Users"}},
        "ClientsTableName": {"Value": {"Ref": "Clients"}},
        "TokensTableName": {"Value": {"Ref": "Tokens"}},
        "RegistryTableName": {"Value": {"Ref": "Registry"}},
    },
}


def test_stack_option_uses_the_stacks_tables(aws, run, monkeypatch):
    from tokenservice.core import config
    from tokenservice.store.models import TABLE_MODELS

    for variable in config.STACK_OUTPUTS:  # --stack sets these; restore them afterwards
        monkeypatch.setenv(variable, config.TABLE_DEFAULTS[variable])
    for models in TABLE_MODELS.values():
        for model in models:
            monkeypatch.setattr(model.Meta, "table_name", model.Meta.table_name)
    boto3.client("cloudformation").create_stack(StackName="prod", TemplateBody=json.dumps(STACK_TEMPLATE))
    code, out, err = run("--stack", "prod", "client", "create", "--name", "x", "--scopes", "read", "--json")
    assert code == 0, err
    client_id = json.loads(out)["client_id"]
    assert aws.get_item(TableName="prod-Clients", Key={"client_id": {"S": client_id}}).get("Item")
    assert not aws.get_item(TableName="tokenservice-clients", Key={"client_id": {"S": client_id}}).get("Item")
    code, out, _ = run("client", "list", "--json", "--stack", "prod")  # also after the subcommand
    assert [d["client_id"] for d in json.loads(out)] == [client_id]


def test_unknown_stack_is_a_one_line_error(aws, run):
    code, _, err = run("--stack", "missing", "client", "list")
    assert code != 0 and len(err.strip().splitlines()) == 1 and "missing" in err
