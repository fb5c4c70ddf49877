"""The token lifecycle end to end through `make run`, with an unmodified authlib client."""

import requests
from authlib.integrations.requests_client import OAuth2Session


def session(api, scope="read update") -> OAuth2Session:
    demo = api.demo
    return OAuth2Session(demo["client_id"], demo["client_secret"], scope=scope)


def test_fetch_refresh_introspect_revoke_round_trip(local_api):
    demo, url = local_api.demo, local_api.url
    client = session(local_api)
    first = client.fetch_token(f"{url}/token", username=demo["username"], password=demo["password"])

    second = client.refresh_token(f"{url}/token", refresh_token=first["refresh_token"])
    assert second["refresh_token"] != first["refresh_token"]
    assert client.get(f"{url}/orders", timeout=10).status_code == 200  # uses the new access token

    answer = client.introspect_token(f"{url}/introspect", token=second["access_token"]).json()
    assert answer["active"] is True and answer["username"] == demo["username"]
    assert answer["scope"] == "read update" and answer["client_id"] == demo["client_id"]

    assert client.revoke_token(f"{url}/revoke", token=second["refresh_token"]).status_code == 200
    assert client.introspect_token(f"{url}/introspect", token=second["access_token"]).json() == {
        "active": False
    }
    assert client.get(f"{url}/orders", timeout=10).status_code == 401  # revocation shows at once locally


def test_replayed_refresh_token_kills_the_family(local_api):
    demo, url = local_api.demo, local_api.url
    auth = (demo["client_id"], demo["client_secret"])
    first = session(local_api).fetch_token(
        f"{url}/token", username=demo["username"], password=demo["password"]
    )
    second = requests.post(
        f"{url}/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        auth=auth,
    ).json()
    replay = requests.post(
        f"{url}/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        auth=auth,
    )
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    bearer = {"Authorization": f"Bearer {second['access_token']}"}
    assert requests.get(f"{url}/whoami", headers=bearer, timeout=10).status_code == 401


def test_client_credentials_token_calls_whoami_as_the_client(local_api):
    demo, url = local_api.demo, local_api.url
    client = OAuth2Session(demo["client_id"], demo["client_secret"], scope="read")
    token = client.fetch_token(f"{url}/token", grant_type="client_credentials")
    assert "refresh_token" not in token
    assert client.get(f"{url}/whoami", timeout=10).json() == {"client_id": demo["client_id"], "scope": "read"}


def test_metadata_names_the_local_endpoints(local_api):
    document = requests.get(f"{local_api.url}/.well-known/oauth-authorization-server", timeout=10).json()
    assert document["issuer"] == local_api.url
    assert document["token_endpoint"] == f"{local_api.url}/token"
    assert document["revocation_endpoint"] == f"{local_api.url}/revoke"
    assert document["introspection_endpoint"] == f"{local_api.url}/introspect"
