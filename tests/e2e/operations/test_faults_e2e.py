"""Faults end to end: the DynamoDB endpoint goes away while `make run` is serving."""

import pytest
import requests
from moto.server import ThreadedMotoServer

from tests.e2e.conftest import free_port, password_token, start_make_run


@pytest.fixture(scope="module")
def outage():
    """`make run` against a separate moto server that the test can stop and start again."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    state = {"server": server, "port": port}
    api_runner = start_make_run({"AWS_ENDPOINT_URL_DYNAMODB": f"http://127.0.0.1:{port}"})
    api = next(api_runner)
    yield api, state
    state["server"].stop()
    next(api_runner, None)


def test_outage_is_503_at_the_token_endpoint_and_fails_closed_at_the_authorizer(outage):
    api, state = outage
    token = password_token(api, scope="read").json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert requests.get(f"{api.url}/orders", headers=bearer, timeout=30).status_code == 200

    state["server"].stop()
    down = password_token(api, scope="read")
    assert down.status_code == 503
    assert down.json()["error"] == "temporarily_unavailable" and down.headers["Retry-After"].isdigit()
    assert requests.get(f"{api.url}/orders", headers=bearer, timeout=30).status_code == 500  # never an Allow

    state["server"] = ThreadedMotoServer(ip_address="127.0.0.1", port=state["port"], verbose=False)
    state["server"].start()
    assert requests.get(f"{api.url}/orders", headers=bearer, timeout=30).status_code == 200
    assert password_token(api, scope="read").status_code == 200
