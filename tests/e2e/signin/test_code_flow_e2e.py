"""The authorization code flow over HTTP against `make run` (DynamoDB Local): clients made with the
installed tokenctl, the hosted login page filled in without JavaScript, the codes exchanged with
requests; the demo that make run prints."""

import html
import re
import shlex
import subprocess

import pytest
import requests

from tests.e2e.conftest import tokenctl
from tests.e2e.signin.conftest import Browser, Flow, answer, make_client


def demo(api) -> tuple[str, str]:
    return api.demo["username"], api.demo["password"]


def test_a_confidential_client_gets_tokens_and_an_id_token(local_api, web):
    client, browser = web
    flow = Flow(local_api, client, client["redirect_uris"][0])
    got = browser.code(flow, *demo(local_api))
    assert (got["state"], got["iss"]) == (flow.state, local_api.url)
    tokens = flow.exchange(got["code"])
    assert tokens.status_code == 200 and tokens.headers["Cache-Control"] == "no-store"
    body = tokens.json()
    assert body["scope"] == "openid read" and body["id_token"].count(".") == 2
    orders = requests.get(
        f"{local_api.url}/orders", headers={"Authorization": f"Bearer {body['access_token']}"}, timeout=10
    )
    assert orders.status_code == 200
    info = requests.get(
        f"{local_api.url}/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}, timeout=10
    )
    assert info.json() == {"sub": "demo", "preferred_username": "demo"}


def test_a_public_client_uses_its_client_id_and_verifier_alone(local_api, callback):
    client = make_client(local_api, callback.url, "--public")
    assert "client_secret" not in client and client["token_endpoint_auth_method"] == "none"
    flow = Flow(local_api, client, callback.url)
    tokens = flow.exchange(Browser(local_api).code(flow, *demo(local_api))["code"])
    assert tokens.status_code == 200 and "id_token" in tokens.json()
    refreshed = requests.post(
        f"{local_api.url}/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens.json()["refresh_token"],
            "client_id": client["client_id"],
        },
        timeout=10,
    )
    assert refreshed.status_code == 200 and "id_token" in refreshed.json()


def test_code_replay_wrong_verifier_wrong_redirect_and_another_clients_code(local_api, web, callback):
    client, browser = web
    flow = Flow(local_api, client, callback.url)
    code = browser.code(flow, *demo(local_api))["code"]
    assert flow.exchange(code, code_verifier="x" * 43).json()["error"] == "invalid_grant"
    assert flow.exchange(code, redirect_uri=callback.url + "/").json()["error"] == "invalid_grant"
    other = Flow(local_api, make_client(local_api, callback.url), callback.url)
    other.verifier = flow.verifier
    assert other.exchange(code).json()["error"] == "invalid_grant"
    first = flow.exchange(code)
    assert first.status_code == 200
    assert flow.exchange(code).json()["error"] == "invalid_grant"
    bearer = {"Authorization": f"Bearer {first.json()['access_token']}"}
    assert requests.get(f"{local_api.url}/orders", headers=bearer, timeout=10).status_code == 401  # revoked


@pytest.mark.parametrize(
    "suffix",
    ["/", "/extra", "?x=1", "#f", "x", "%2F"],
)
def test_an_unregistered_redirect_uri_is_an_error_page_over_http(local_api, web, callback, suffix):
    client, browser = web
    response = browser.get(Flow(local_api, client, callback.url + suffix).url())
    assert response.status_code == 400 and "Location" not in response.headers
    assert response.headers["Content-Type"].startswith("text/html") and callback.url not in response.text


def test_missing_pkce_goes_back_as_invalid_request(local_api, web, callback):
    client, browser = web
    got = answer(
        browser.get(
            Flow(local_api, client, callback.url).url(code_challenge=None, code_challenge_method=None)
        )
    )
    assert (got["error"], got["iss"]) == ("invalid_request", local_api.url)


def test_single_sign_on_with_prompt_none_and_login_then_logout(local_api, web, callback):
    client, browser = web
    flow = Flow(local_api, client, callback.url)
    assert answer(browser.get(flow.url(prompt="none")))["error"] == "login_required"
    first = browser.code(flow, *demo(local_api))
    tokens = flow.exchange(first["code"]).json()
    again = browser.get(Flow(local_api, client, callback.url).url())
    assert again.status_code == 302 and "code" in answer(again)  # no password the second time
    assert "code" in answer(browser.get(flow.url(prompt="none")))
    assert browser.get(flow.url(prompt="login")).status_code == 200  # the login page, despite the session
    assert browser.get(flow.url(max_age="0")).status_code == 200
    logout = browser.get(
        f"{local_api.url}/logout?"
        + requests.compat.urlencode(
            {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": callback.url, "state": "bye"}
        )
    )
    assert (logout.status_code, logout.headers["Location"]) == (302, callback.url + "?state=bye")
    assert answer(browser.get(flow.url(prompt="none")))["error"] == "login_required"


def test_lockout_through_the_login_page_and_a_wrong_password(local_api, web, callback):
    client, browser = web
    assert (
        tokenctl(
            local_api,
            "user",
            "create",
            "lockee",
            "--scopes",
            "read",
            "--password-stdin",
            stdin="a fine long passphrase\n",
        ).returncode
        == 0
    )
    page = browser.get(Flow(local_api, client, callback.url).url())
    for _ in range(5):
        wrong = browser.log_in(page, "lockee", "not the password at all")
        assert wrong.status_code == 400 and "Invalid username or password." in wrong.text
    locked = browser.log_in(page, "lockee", "a fine long passphrase")
    assert locked.status_code == 400 and "Invalid username or password." in locked.text
    unknown = browser.log_in(page, "nobody-at-all", "not the password at all")
    assert unknown.status_code == 400 and "Invalid username or password." in unknown.text


def test_the_login_form_refuses_another_sites_post_and_a_missing_csrf_token(local_api, web, callback):
    client, browser = web
    page = browser.get(Flow(local_api, client, callback.url).url())
    forged = browser.log_in(page, *demo(local_api), Origin="https://evil.example")
    assert forged.status_code == 403 and "Location" not in forged.headers
    form = {"transaction": "x", "client_id": client["client_id"], "username": "demo", "password": "x"}
    assert (
        browser.session.post(
            f"{local_api.url}/login", data=form, allow_redirects=False, timeout=10
        ).status_code
        == 400
    )
    attacker = Browser(local_api)  # its own cookies: the victim's page's token is not its own
    assert attacker.log_in(page, *demo(local_api)).status_code == 400
    assert browser.log_in(page, *demo(local_api)).status_code == 303


def test_both_discovery_documents_agree_on_the_code_flow(local_api):
    openid = requests.get(f"{local_api.url}/.well-known/openid-configuration", timeout=10).json()
    oauth = requests.get(f"{local_api.url}/.well-known/oauth-authorization-server", timeout=10).json()
    assert openid["response_types_supported"] == oauth["response_types_supported"] == ["code"]
    assert openid["code_challenge_methods_supported"] == ["S256"]
    assert openid["authorization_response_iss_parameter_supported"] is True
    assert "none" in openid["token_endpoint_auth_methods_supported"]
    shared = set(openid) & set(oauth)
    assert {k: openid[k] for k in shared} == {k: oauth[k] for k in shared}
    for name in ("authorization_endpoint", "userinfo_endpoint", "end_session_endpoint", "jwks_uri"):
        assert requests.get(openid[name], timeout=10).status_code != 404, name


def test_the_printed_demo_gets_a_code_flow_token_with_an_id_token(local_api):
    url = next(
        line.strip() for line in local_api.output if line.strip().startswith(f"{local_api.url}/authorize?")
    )
    session = requests.Session()
    page = session.get(url, timeout=10)
    landed = Browser(local_api)
    landed.session = session
    callback = session.get(landed.log_in(page, *demo(local_api)).headers["Location"], timeout=10)
    assert callback.status_code == 200 and "Authorization response" in callback.text
    curl = html.unescape(re.search(r"<pre><code>(.*?)</code></pre>", callback.text, re.S).group(1))
    result = subprocess.run(shlex.split(curl), capture_output=True, text=True, timeout=30)
    assert '"id_token"' in result.stdout and '"scope": "openid read"' in result.stdout
