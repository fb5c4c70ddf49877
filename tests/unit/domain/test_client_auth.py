import base64

import pytest

from tokenservice.core import credentials
from tokenservice.core.errors import InvalidClient, InvalidRequest
from tokenservice.oauth import client_auth
from tokenservice.store.models import ClientModel


def basic(raw: str) -> dict:
    return {"authorization": "Basic " + base64.b64encode(raw.encode()).decode()}


def test_basic_credentials_are_base64_then_form_decoded():
    presented = client_auth.extract(basic("my%3Aid:s%2Bcret+x"), {})
    assert (presented.client_id, presented.client_secret) == ("my:id", "s+cret x")


def test_basic_scheme_is_case_insensitive():
    header = {"authorization": "basic " + base64.b64encode(b"id:secret").decode()}
    assert client_auth.extract(header, {}).client_id == "id"


def test_body_credentials_are_client_secret_post():
    presented = client_auth.extract({}, {"client_id": "id", "client_secret": "secret"})
    assert (presented.client_id, presented.client_secret) == ("id", "secret")


def test_both_methods_at_once_are_invalid_request():
    with pytest.raises(InvalidRequest):
        client_auth.extract(basic("id:secret"), {"client_id": "id", "client_secret": "secret"})


def test_body_client_id_must_match_basic_id():
    assert client_auth.extract(basic("id:secret"), {"client_id": "id"}).client_id == "id"
    with pytest.raises(InvalidRequest):
        client_auth.extract(basic("id:secret"), {"client_id": "other"})


@pytest.mark.parametrize(
    "headers,form",
    [
        ({}, {}),
        ({}, {"client_secret": "secret"}),
        ({"authorization": "Basic %%%"}, {}),
        (basic("nocolon"), {}),
        (basic(":secret"), {}),
        (basic("id:"), {}),
        ({"authorization": "Basic " + base64.b64encode(b"\xff\xfe:x").decode()}, {}),
        ({"authorization": "Digest abc"}, {}),
        (basic("id:" + "s" * 300), {}),
    ],
)
def test_broken_or_missing_credentials_are_invalid_client(headers, form):
    with pytest.raises(InvalidClient):
        client_auth.extract(headers, form)


def _client(secret: str) -> ClientModel:
    return ClientModel(
        client_id="id",
        name="n",
        secret_hash=credentials.digest(secret),
        grant_types="password",
        access_ttl=1,
        refresh_ttl=1,
        created_at=0,
    )


def test_authenticate_checks_the_secret():
    presented = client_auth.ClientCredentials("id", "secret")
    assert client_auth.authenticate(presented, _client("secret")).client_id == "id"
    with pytest.raises(InvalidClient):
        client_auth.authenticate(presented, _client("other"))
    with pytest.raises(InvalidClient):
        client_auth.authenticate(presented, None)


def test_a_client_id_alone_presents_a_public_client():
    presented = client_auth.extract({}, {"client_id": "spa"})
    assert (presented.client_id, presented.client_secret) == ("spa", None)


def _spa(public: bool):
    from tokenservice.core import credentials
    from tokenservice.store.models import ClientModel

    return ClientModel(
        client_id="spa",
        name="SPA",
        secret_hash=credentials.digest("s" * 43),
        scope="",
        grant_types="",
        created_at=0,
        public=public or None,
    )


def test_only_a_public_client_may_go_without_a_secret_and_it_may_not_use_one():
    alone, with_secret = (
        client_auth.ClientCredentials("spa", None),
        client_auth.ClientCredentials("spa", "s" * 43),
    )
    assert client_auth.authenticate(alone, _spa(public=True)).client_id == "spa"
    for presented, client in (
        (alone, _spa(public=False)),
        (alone, None),
        (with_secret, _spa(public=True)),
    ):
        with pytest.raises(InvalidClient):
            client_auth.authenticate(presented, client)
    assert client_auth.authenticate(with_secret, _spa(public=False)).client_id == "spa"
