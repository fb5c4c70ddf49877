"""tokenctl client create for the browser: --grant-types "authorization_code refresh_token",
--redirect-uris (checked, matched exactly), --post-logout-redirect-uris, --public (no secret,
token_endpoint_auth_method none, PKCE), --require-consent, --pkce-optional."""

import json

import pytest

from tests.functional.operations.test_tokenctl import run
from tokenservice.store import storage
from tokenservice.store.models import ClientModel

CODE = ["client", "create", "--name", "SPA", "--scopes", "read", "--json"]


def create(capsys, monkeypatch, *options):
    return run(capsys, monkeypatch, *CODE, *options)


def test_a_confidential_code_flow_client(aws, capsys, monkeypatch):
    code, out, _ = create(
        capsys,
        monkeypatch,
        "--grant-types",
        "authorization_code refresh_token",
        "--redirect-uris",
        "https://app.example.com/cb http://127.0.0.1:8400/cb",
        "--post-logout-redirect-uris",
        "https://app.example.com/",
    )
    document = json.loads(out)
    assert code == 0 and document["client_secret"]
    assert document["grant_types"] == ["refresh_token", "authorization_code"]
    assert document["redirect_uris"] == ["http://127.0.0.1:8400/cb", "https://app.example.com/cb"]
    assert document["post_logout_redirect_uris"] == ["https://app.example.com/"]
    assert (document["public"], document["token_endpoint_auth_method"]) == (False, "client_secret_basic")
    assert (document["require_consent"], document["pkce_required"]) == (False, True)


def test_a_public_client_gets_no_secret_and_the_code_and_refresh_grants(aws, capsys, monkeypatch):
    code, out, _ = create(capsys, monkeypatch, "--public", "--redirect-uris", "com.example.app:/callback")
    document = json.loads(out)
    assert code == 0 and "client_secret" not in document
    assert document["grant_types"] == ["refresh_token", "authorization_code"]
    assert (document["public"], document["token_endpoint_auth_method"], document["pkce_required"]) == (
        True,
        "none",
        True,
    )
    code, _, err = run(capsys, monkeypatch, "client", "rotate-secret", document["client_id"])
    assert code != 0 and "public" in err


def test_text_output_of_a_public_client_says_it_has_no_secret(aws, capsys, monkeypatch):
    code, out, err = run(
        capsys,
        monkeypatch,
        "client",
        "create",
        "--name",
        "App",
        "--scopes",
        "read",
        "--public",
        "--redirect-uris",
        "https://app.example.com/cb",
    )
    assert code == 0 and "client_secret: (none: a public client)" in out and "auth method:   none" in out
    assert "shown only now" not in err


def test_require_consent_makes_an_operators_client_ask(aws, capsys, monkeypatch):
    _, out, _ = create(
        capsys,
        monkeypatch,
        "--grant-types",
        "authorization_code",
        "--redirect-uris",
        "https://a.example/cb",
        "--require-consent",
    )
    assert json.loads(out)["require_consent"] is True


@pytest.mark.parametrize(
    "options,why",
    [
        (["--grant-types", "authorization_code"], "needs --redirect-uris"),
        (["--redirect-uris", "https://app.example.com/cb"], "needs the authorization_code grant"),
        (["--public", "--grant-types", "password", "--redirect-uris", "https://a.example/cb"], "public"),
        (["--public", "--redirect-uris", "https://a.example/cb", "--pkce-optional"], "PKCE"),
        (["--public", "--redirect-uris", "http://app.example.com/cb"], "loopback"),
        (["--public", "--redirect-uris", "https://app.example.com/cb#x"], "fragment"),
        (["--public", "--redirect-uris", "https://user@app.example.com/cb"], "userinfo"),
        (["--public", "--redirect-uris", "https://App.example.com/cb"], "lower case"),
        (["--public", "--redirect-uris", "https://\u0430pp.example.com/cb"], "ASCII"),
        (["--public", "--redirect-uris", "/relative/cb"], "absolute"),
        (["--public", "--redirect-uris", "javascript:alert(1)"], "absolute"),
        (["--public", "--redirect-uris", "https://app.example.com:99999/cb"], "port"),
    ],
)
def test_bad_browser_options_are_a_one_line_error(aws, capsys, monkeypatch, options, why):
    code, out, err = create(capsys, monkeypatch, *options)
    assert code != 0 and out == "" and len(err.strip().splitlines()) == 1 and why in err
    assert list(storage.scan(ClientModel)) == []


def test_the_default_grant_types_stay_the_token_apis_three(aws, capsys, monkeypatch):
    _, out, _ = run(capsys, monkeypatch, "client", "create", "--name", "Shop", "--scopes", "read", "--json")
    document = json.loads(out)
    assert document["grant_types"] == ["password", "refresh_token", "client_credentials"]
    assert document["redirect_uris"] == [] and document["public"] is False


def test_a_users_consents_are_listed_and_revoked(aws, capsys, monkeypatch):
    from tokenservice import admin
    from tokenservice.store.models import ConsentModel, consent_key

    admin.create_user("alice", "correct horse battery staple", "read")
    storage.save(
        ConsentModel(
            consent_key("client-1", "alice"),
            client_id="client-1",
            subject="alice",
            scope="openid read",
            created_at=1,
            updated_at=2,
        )
    )
    code, out, _ = run(capsys, monkeypatch, "user", "consents", "ALICE", "--json")
    assert code == 0 and json.loads(out) == [
        {"client_id": "client-1", "scope": "openid read", "updated_at": 2}
    ]
    code, out, _ = run(capsys, monkeypatch, "user", "revoke-consent", "alice", "client-1", "--json")
    assert code == 0 and json.loads(out) == {"client_id": "client-1", "revoked_tokens": 0}
    code, _, err = run(capsys, monkeypatch, "user", "revoke-consent", "alice", "client-1")
    assert code != 0 and "no consent" in err
