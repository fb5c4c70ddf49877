"""Redirect URIs: what may be registered, exact matching, and the CSP source a page allows."""

import pytest

from tokenservice.core import problems
from tokenservice.oauth import redirects

REGISTERED = {"https://app.example.com/callback"}


@pytest.mark.parametrize(
    "uri",
    [
        "https://app.example.com/callback",
        "https://app.example.com",
        "https://app.example.com:8443/cb?tenant=7",
        "https://xn--80ak6aa92e.example/cb",  # an IDN, in its xn-- form
        "http://127.0.0.1:8400/callback",
        "http://[::1]:8400/callback",
        "http://localhost:3000/cb",
    ],
)
def test_https_and_loopback_http_may_be_registered(uri):
    assert redirects.valid(uri) == uri


@pytest.mark.parametrize(
    "uri",
    [
        "",
        "http://app.example.com/callback",
        "https://app.example.com/cb#fragment",
        "https://user:pw@app.example.com/cb",
        "https://App.example.com/cb",
        "HTTPS://app.example.com/cb",
        "https://\u0430pp.example.com/cb",
        "https://app.example.com/c b",
        "https://app.example.com:0/cb",
        "https://app.example.com:/cb",
        "https:app.example.com/cb",
        "/callback",
        "javascript:alert(1)",
        "data:text/html,hi",
        "com.example.app:/callback",  # a private-use scheme: the operator's only
        "https://" + "a" * 1100 + ".example/cb",
    ],
)
def test_anything_else_is_refused_in_one_line(uri):
    with pytest.raises(problems.Invalid) as refused:
        redirects.valid(uri)
    assert ("\n" not in str(refused.value) and uri[:30] not in str(refused.value)) or not uri


def test_an_operator_may_register_a_native_apps_reverse_domain_scheme():
    assert redirects.valid("com.example.app:/callback", private_schemes=True) == "com.example.app:/callback"
    with pytest.raises(problems.Invalid):
        redirects.valid("myapp:/callback", private_schemes=True)  # not a reverse domain name
    with pytest.raises(problems.Invalid):
        redirects.valid("com.example.app:callback", private_schemes=True)


@pytest.mark.parametrize(
    "presented",
    [
        "https://app.example.com/callback/",
        "https://app.example.com/Callback",
        "https://app.example.com/callback?x=1",
        "https://app.example.com/callback#x",
        "https://app.example.com/%63allback",
        "https://app.example.com:443/callback",
        "https://app.example.com/callbac",
        "",
    ],
)
def test_only_an_exact_match_is_registered(presented):
    assert not redirects.registered(presented, REGISTERED)
    assert redirects.registered("https://app.example.com/callback", REGISTERED)


def test_at_most_ten_redirect_uris():
    with pytest.raises(problems.Invalid):
        redirects.valid_list([f"https://app.example.com/{i}" for i in range(11)])
    assert redirects.valid_list([]) is None


@pytest.mark.parametrize(
    "uri,source",
    [
        ("https://app.example.com/cb?x=1", "https://app.example.com"),
        ("http://127.0.0.1:8400/cb", "http://127.0.0.1:8400"),
        ("http://[::1]:8400/cb", "http:"),  # CSP's host-source has no IP-literal form
        ("com.example.app:/callback", "com.example.app:"),
    ],
)
def test_a_pages_form_action_allows_exactly_the_redirect_uris_origin(uri, source):
    assert redirects.form_action_source(uri) == source
