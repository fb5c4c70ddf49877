"""Pure rules behind the portal's sessions: the cookie's name and attributes, the presented id,
CSRF tokens, cookies sent in several header fields."""

from tests.unit.domain.test_applications_units import request
from tokenservice.portal import sessions
from tokenservice.web import http


def test_the_session_cookie_is_secure_and_host_only_except_on_make_runs_loopback_http(monkeypatch):
    monkeypatch.delenv("ISSUER", raising=False)
    assert sessions.cookie_name() == "__Host-portal-session" and "Secure" in sessions.clear_cookie()
    monkeypatch.setenv("ISSUER", "https://auth.example.com")
    assert "Secure" in sessions.clear_cookie()
    for local in ("http://127.0.0.1:3000", "http://localhost:8080"):
        monkeypatch.setenv("ISSUER", local)
        assert sessions.cookie_name() == "portal-session" and "Secure" not in sessions.clear_cookie()
    monkeypatch.setenv("ISSUER", "http://auth.example.com")  # not loopback: still Secure
    assert "Secure" in sessions.clear_cookie()


def test_a_presented_session_id_must_have_the_shape_of_one(monkeypatch):
    monkeypatch.delenv("ISSUER", raising=False)
    good = "A" * 43
    assert sessions.presented_id(request(Cookie=f"x=1; __Host-portal-session={good}")) == good
    for cookie in (
        "__Host-portal-session=short",
        f"portal-session={good}",
        f"__Host-portal-session ={good}x",
    ):
        assert sessions.presented_id(request(Cookie=cookie)) is None


def test_csrf_tokens_are_bound_to_their_session():
    assert sessions.csrf_token("a" * 43) == sessions.csrf_token("a" * 43)
    assert sessions.csrf_token("a" * 43) != sessions.csrf_token("b" * 43)
    assert "a" * 43 not in sessions.csrf_token("a" * 43)


def test_cookies_sent_in_several_header_fields_are_all_read():
    event = {
        "headers": {"Cookie": "b=2"},
        "multiValueHeaders": {"Cookie": ["a=1", "b=2"]},
        "httpMethod": "GET",
        "path": "/",
    }
    assert http.Request.from_event(event).headers["cookie"] == "a=1; b=2"
