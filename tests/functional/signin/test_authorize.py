"""GET /authorize through the API Gateway emulator in-process: the client and the redirect URI are
checked before anything else (an error page, never a redirect), then everything else (an error
sent back to the registered redirect URI, with state and iss); the login page it shows."""

import re
from urllib.parse import urlencode

import pytest

from tests.functional.signin.conftest import ISSUER, REDIRECT, answer, attempt, code_client
from tokenservice import admin
from tokenservice.portal import applications

TRICKY_REDIRECTS = [
    "https://app.example.com/callback/",  # trailing slash
    "https://app.example.com/callback/extra",  # extra path
    "https://app.example.com/callbackx",  # a prefix
    "https://app.example.com/call",  # a prefix of it
    "https://app.example.com/callback/../evil",  # dot segments
    "https://app.example.com/callback?next=https://evil.example",  # a query
    "https://app.example.com/callback#fragment",  # a fragment
    "https://APP.example.com/callback",  # case of the host
    "HTTPS://app.example.com/callback",  # case of the scheme
    "https://app.example.com/CALLBACK",  # case of the path
    "https://evil.example@app.example.com/callback",  # userinfo
    "https://app.example.com@evil.example/callback",  # userinfo pointing elsewhere
    "https://app.example.com/%63allback",  # percent-encoding
    "https://app.example.com/callback%2F",
    "https://\u0430pp.example.com/callback",  # IDN: a Cyrillic a (U+0430)
    "https://xn--pp-8cd.example.com/callback",  # and its punycode
    "https://app.example.com:443/callback",  # the default port, spelled out
    "https://app.example.com:8443/callback",
    "http://app.example.com/callback",  # the scheme
    "//app.example.com/callback",  # scheme-relative
    "https://app.example.com.evil.example/callback",  # a suffix of the host
    " https://app.example.com/callback",  # whitespace
]


def test_a_registered_client_gets_the_login_page_with_its_security_headers(browser, user):
    trial = attempt(code_client(name="Shop"))
    page = browser.request("GET", trial.path())
    assert page.status == 200 and page.header("Content-Type") == "text/html; charset=utf-8"
    policy = dict(part.split(" ", 1) for part in page.header("Content-Security-Policy").split("; "))
    assert policy["default-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'self' https://app.example.com"  # this origin, and the one client
    assert "script-src" not in policy and "unsafe" not in page.header("Content-Security-Policy")
    assert page.header("X-Frame-Options") == "DENY" and page.header("Referrer-Policy") == "same-origin"
    assert page.header("Cache-Control") == "no-store" and page.header("X-Content-Type-Options") == "nosniff"
    assert "Sign in" in page.text and "Shop" in page.text
    (cookie,) = page.headers_named("Set-Cookie")
    name_value, *attributes = cookie.split("; ")
    assert name_value.startswith("__Host-login-browser=") and "Domain" not in cookie
    assert {"Path=/", "HttpOnly", "Secure", "SameSite=Lax"} <= set(attributes)


def test_the_login_page_is_plain_html_with_labelled_fields_readable_on_a_phone(browser, user):
    html = browser.request("GET", attempt(code_client()).path()).text
    assert "<script" not in html and "<style" not in html and " style=" not in html
    assert re.search(r"(?:src|href)=\"(?:https?:)?//", html) is None  # nothing from another origin
    visible = re.findall(r'<input id="([^"]+)"', html)
    assert visible == ["username", "password"]
    assert set(visible) <= set(re.findall(r'<label for="([^"]+)"', html))
    assert 'autocomplete="username"' in html and 'autocomplete="current-password"' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert '<form method="post" action="/login">' in html


def test_the_pages_stylesheet_is_served_from_this_origin(browser):
    response = browser.request("GET", "/signin/style.css")
    assert response.status == 200 and response.header("Content-Type") == "text/css; charset=utf-8"
    assert "@media" in response.text  # a narrow screen's layout


def test_the_client_name_and_login_hint_are_escaped(browser, user):
    client = code_client(name='<script>alert("name")</script>')
    page = browser.request("GET", attempt(client).path(login_hint='"><img src=x onerror=alert(1)>'))
    assert "<script>alert" not in page.text and "<img" not in page.text
    assert "&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;" in page.text
    assert 'value="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"' in page.text


@pytest.mark.parametrize("presented", TRICKY_REDIRECTS)
def test_a_redirect_uri_not_registered_exactly_is_an_error_page_never_a_redirect(browser, user, presented):
    trial = attempt(code_client())
    response = browser.request("GET", trial.path(redirect_uri=presented))
    assert response.status == 400 and response.header("Location") is None
    assert response.header("Content-Type") == "text/html; charset=utf-8"
    assert "not one this client registered" in response.text
    assert "evil" not in response.text and "example.com" not in response.text  # nothing echoed


@pytest.mark.parametrize(
    "overrides",
    [{"client_id": "no-such-client"}, {"client_id": None}, {"client_id": "x" * 300}],
)
def test_an_unknown_or_missing_client_is_an_error_page(browser, user, overrides):
    response = browser.request("GET", attempt(code_client()).path(**overrides))
    assert response.status == 400 and response.header("Location") is None
    assert "no-such-client" not in response.text and "Sign-in cannot continue" in response.text


def test_a_repeated_client_id_or_redirect_uri_is_an_error_page(browser, user):
    client = code_client()
    trial = attempt(client)
    for name in ("client_id", "redirect_uri"):
        query = urlencode([*trial.query().items(), (name, trial.query()[name])])
        response = browser.request("GET", f"/authorize?{query}")
        assert response.status == 400 and response.header("Location") is None


def test_a_missing_redirect_uri_is_the_one_registered_else_an_error_page(browser, user):
    single = attempt(code_client())
    assert browser.request("GET", single.path(redirect_uri=None)).status == 200
    several = attempt(code_client(redirect_uris=(REDIRECT, "https://app.example.com/other")))
    response = browser.request("GET", several.path(redirect_uri=None))
    assert response.status == 400 and response.header("Location") is None


@pytest.mark.parametrize(
    "overrides,error",
    [
        ({"response_type": None}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),  # no implicit flow
        ({"response_type": "code id_token"}, "unsupported_response_type"),
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),  # PKCE required
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),  # plain by default: refused
        ({"code_challenge": "too-short-xyzzy"}, "invalid_request"),
        ({"scope": 'read "xyzzy'}, "invalid_scope"),
        ({"prompt": "consent"}, "invalid_request"),
        ({"prompt": "none login"}, "invalid_request"),
        ({"max_age": "xyzzy"}, "invalid_request"),
        ({"response_mode": "fragment"}, "invalid_request"),
        ({"request": "eyJhbGciOiJub25lIn0.xyzzy."}, "request_not_supported"),
        ({"request_uri": "https://evil.example/xyzzy"}, "request_uri_not_supported"),
    ],
)
def test_other_errors_go_back_to_the_redirect_uri_with_state_and_iss(browser, user, overrides, error):
    trial = attempt(code_client())
    response = browser.request("GET", trial.path(**overrides))
    assert response.status == 302 and response.header("Location").startswith(REDIRECT + "?")
    got = answer(response)
    assert (got["error"], got["state"], got["iss"]) == (error, trial.state, ISSUER)
    assert "xyzzy" not in got.get("error_description", "") and "evil" not in response.header("Location")
    assert "code" not in got


def test_a_repeated_parameter_goes_back_as_invalid_request(browser, user):
    trial = attempt(code_client())
    response = browser.request("GET", f"/authorize?{urlencode([*trial.query().items(), ('scope', 'x')])}")
    assert answer(response)["error"] == "invalid_request"


def test_a_client_not_allowed_the_code_grant_is_unauthorized_client(browser, user):
    owner = admin.create_user("owen", "a fine long passphrase", "read", roles="subscriber")
    app = applications.create(owner.username, "Shop", "read", REDIRECT)
    admin.disable_user(owner.username)  # its applications are suspended
    client = app.clients[applications.PRODUCTION]
    query = attempt(code_client()).query(client_id=client.client_id)
    got = answer(browser.request("GET", "/authorize?" + urlencode(query)))
    assert (got["error"], got["iss"]) == ("unauthorized_client", ISSUER)


def test_a_registered_redirect_uri_keeps_its_own_query(browser, user):
    with_query = "https://app.example.com/cb?tenant=7"
    trial = attempt(code_client(redirect_uris=(with_query,)))
    page = browser.request("GET", trial.path())
    response = browser.log_in(page, "alice", "correct horse battery staple")
    assert response.status == 303 and response.header("Location").startswith(with_query + "&code=")


def test_pkce_may_be_left_out_only_by_a_confidential_client_created_so(browser, user):
    optional = attempt(code_client(pkce_optional=True))
    assert (
        browser.request("GET", optional.path(code_challenge=None, code_challenge_method=None)).status == 200
    )
    public = attempt(code_client(public=True))
    got = answer(browser.request("GET", public.path(code_challenge=None, code_challenge_method=None)))
    assert got["error"] == "invalid_request"
