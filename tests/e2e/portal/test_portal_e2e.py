"""The developer portal over HTTP against `make run` (no browser needed): the printed URL, the
page's headers through the local server, and the backend for frontend with a plain cookie jar —
signing in through the hosted login page (the code flow) as a browser without JavaScript does."""

import re
import secrets

import requests

PASSWORD = "a fine long passphrase"


def test_make_run_prints_the_portal_url_and_whether_sign_up_is_on(signup_api, local_api):
    assert (
        f"Developer portal (applications, keys, access tokens): {signup_api.url}/portal" in signup_api.output
    )
    assert "  self sign-up: on" in signup_api.output
    assert "  self sign-up: off (SELF_SIGNUP_ENABLED=true make run)" in local_api.output


def test_the_page_comes_with_its_security_headers_through_the_local_server(signup_api):
    page = requests.get(f"{signup_api.url}/portal", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["Referrer-Policy"] == "no-referrer"
    assert "Strict-Transport-Security" not in page.headers  # plain http on loopback


def test_a_newcomer_gets_a_working_token_through_the_portals_json_api(signup_api):
    url, username = signup_api.url, f"jar-{secrets.token_hex(3)}"
    browser = requests.Session()
    browser.headers["Origin"] = url
    anonymous = {"X-CSRF-Token": "sign-in"}
    credentials = {"username": username, "password": PASSWORD}
    assert (
        browser.post(f"{url}/portal/signup", json=credentials, headers=anonymous, timeout=10).status_code
        == 201
    )
    page = browser.get(f"{url}/portal/login?login_hint={username}", timeout=10)  # to the login page
    assert page.status_code == 200 and page.url.startswith(f"{url}/authorize?")
    form = dict(re.findall(r'name="(transaction|client_id|csrf_token)" value="([^"]*)"', page.text))
    answer = browser.post(f"{url}/login", data={**form, **credentials}, allow_redirects=False, timeout=10)
    assert answer.status_code == 303 and answer.headers["Location"].startswith(f"{url}/portal/callback?")
    callback = browser.get(answer.headers["Location"], allow_redirects=False, timeout=10)
    assert (callback.status_code, callback.headers["Location"]) == (303, f"{url}/portal")
    cookie = next(c for c in callback.headers["Set-Cookie"].split(", ") if c.startswith("portal-session="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Secure" not in cookie  # make run's plain http (AWS: Secure and __Host-, tested in-process)
    session = browser.get(f"{url}/portal/session", timeout=10).json()
    assert session["username"] == username
    csrf = {"X-CSRF-Token": session["csrf_token"]}
    app = browser.post(
        f"{url}/portal/applications", json={"name": "Shop", "scope": "read"}, headers=csrf, timeout=10
    )
    keys = browser.post(
        f"{url}/portal/applications/{app.json()['id']}/keys",
        json={"environment": "production"},
        headers=csrf,
        timeout=10,
    ).json()
    token = browser.post(
        f"{url}/portal/applications/{app.json()['id']}/token",
        json={
            "environment": "production",
            "grant_type": "client_credentials",
            "client_secret": keys["client_secret"],
            "scope": "read",
        },
        headers=csrf,
        timeout=10,
    ).json()
    orders = requests.get(
        f"{url}/orders", headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10
    )
    assert (token["scope"], orders.status_code) == ("read", 200)
    assert browser.post(f"{url}/portal/signout", headers=csrf, timeout=10).status_code == 204
    assert browser.get(f"{url}/portal/applications", timeout=10).status_code == 401
