"""The hosted pages' pieces: escaping, cookies, CSRF tokens, PKCE, the authorization request's
rules, ID tokens' at_hash."""

import base64
import hashlib
from urllib.parse import parse_qsl

import pytest

from tokenservice.core.errors import InvalidRequest, UnsupportedResponseType
from tokenservice.oauth import codes, id_tokens
from tokenservice.signin import authorization, cookies, pages, responses, transactions
from tokenservice.store.models import ClientModel
from tokenservice.web.http import Request


def request_with(cookie: str) -> Request:
    return Request("GET", "/authorize", {"cookie": cookie}, b"")


def test_rendered_values_are_escaped_and_only_markup_built_here_is_not():
    html = pages.render(
        "message.html", title="<b>", text='"><script>x</script>', stylesheet="s.css", role="alert"
    )
    assert "<script>x" not in html and "&lt;script&gt;" in html and "<title>&lt;b&gt;</title>" in html


def test_a_page_without_a_form_allows_no_form_action():
    policy = pages.content_security_policy(None)
    assert "form-action 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "form-action 'self' https://a.example" in pages.content_security_policy(["https://a.example"])


def test_cookies_are_host_only_httponly_lax_and_secure_except_on_make_runs_http(monkeypatch):
    monkeypatch.setenv("ISSUER", "https://auth.example.com")
    assert cookies.set_cookie(cookies.SESSION, "v", 60) == (
        "__Host-login-session=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=60; Secure"
    )
    monkeypatch.setenv("ISSUER", "http://127.0.0.1:3000")
    assert cookies.set_cookie(cookies.BROWSER, "v") == "login-browser=v; Path=/; HttpOnly; SameSite=Lax"


def test_only_cookies_of_the_right_shape_are_read(monkeypatch):
    from tokenservice.core import credentials

    monkeypatch.setenv("ISSUER", "https://auth.example.com")
    browser_id, session_id = credentials.new_token(), credentials.new_token("alice")
    both = f"__Host-login-browser={browser_id}; __Host-login-session={session_id}"
    assert cookies.read(request_with(both), cookies.BROWSER) == browser_id
    assert cookies.read(request_with(both), cookies.SESSION) == session_id
    assert cookies.read(request_with("__Host-login-session=short.x"), cookies.SESSION) is None
    assert cookies.read(request_with("__Host-login-browser=" + "x" * 42), cookies.BROWSER) is None
    assert cookies.read(request_with(f"login-browser={browser_id}"), cookies.BROWSER) is None  # not on https


def test_csrf_tokens_are_bound_to_the_browser_and_the_transaction():
    token = transactions.csrf_token("b" * 43, "t" * 43)
    assert token == transactions.csrf_token("b" * 43, "t" * 43)
    assert token != transactions.csrf_token("c" * 43, "t" * 43)
    assert token != transactions.csrf_token("b" * 43, "u" * 43)


def test_s256_is_rfc_7636s_appendix_b_example():
    assert (
        codes.s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_at_hash_is_the_left_half_of_the_access_tokens_sha256():
    digest = hashlib.sha256(b"an access token").digest()[:16]
    assert id_tokens.at_hash("an access token") == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def client(**attributes) -> ClientModel:
    defaults = {"client_id": "c", "name": "n", "secret_hash": "h", "scope": "read", "created_at": 0}
    defaults |= {"grant_types": "authorization_code", "redirect_uris": {"https://a.example/cb"}}
    return ClientModel(**{**defaults, **attributes})


def parsed(**query):
    query = {"client_id": "c", "response_type": "code", **query}
    where = authorization.target({k: (v,) for k, v in query.items()}, client())
    return authorization.parse({k: (v,) for k, v in query.items()}, where, [])


CHALLENGE = codes.s256("v" * 43)


def test_a_request_round_trips_through_its_transaction():
    ask = parsed(code_challenge=CHALLENGE, code_challenge_method="S256", scope="openid read", max_age="5")
    again = authorization.AuthorizationRequest.from_json(ask.to_json())
    assert again == ask and again.redirect_uri == "https://a.example/cb" and not again.redirect_given


@pytest.mark.parametrize(
    "query,error",
    [
        ({"response_type": "token"}, UnsupportedResponseType),
        ({}, InvalidRequest),  # no PKCE
        ({"code_challenge": CHALLENGE}, InvalidRequest),  # plain by default
        (
            {"code_challenge": CHALLENGE, "code_challenge_method": "S256", "prompt": "select_account"},
            InvalidRequest,
        ),
        ({"code_challenge": CHALLENGE, "code_challenge_method": "S256", "max_age": "-1"}, InvalidRequest),
    ],
)
def test_request_errors(query, error):
    with pytest.raises(error):
        parsed(**query)


def test_max_age_and_prompt_login_force_a_new_sign_in():
    ask = parsed(code_challenge=CHALLENGE, code_challenge_method="S256", max_age="60")
    assert ask.forces_login(1000, 1061) and not ask.forces_login(1000, 1059)
    assert parsed(code_challenge=CHALLENGE, code_challenge_method="S256", prompt="login").forces_login(
        1000, 1000
    )


def test_an_answer_keeps_the_redirect_uris_query_and_adds_state_and_iss():
    response = responses.to_client("https://a.example/cb?t=1", "s", "https://issuer", {"code": "c"})
    location = response["headers"]["Location"]
    assert location.startswith("https://a.example/cb?t=1&")
    assert dict(parse_qsl(location.split("?", 1)[1])) == {
        "t": "1",
        "code": "c",
        "state": "s",
        "iss": "https://issuer",
    }
    assert response["headers"]["Cache-Control"] == "no-store"
