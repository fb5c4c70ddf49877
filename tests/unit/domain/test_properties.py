"""Property tests: request parsing never fails with anything but the RFC's own errors."""

import base64
import contextlib
from urllib.parse import unquote_plus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tokenservice.authorizer import authorizer
from tokenservice.core import scopes
from tokenservice.core.errors import InvalidClient, InvalidRequest, InvalidScope, OAuthError
from tokenservice.oauth import client_auth
from tokenservice.web.http import Request

FORM = {"content-type": "application/x-www-form-urlencoded"}
form_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=300)
form_pairs = st.dictionaries(
    st.sampled_from(["grant_type", "username", "password", "scope", "client_id"]), form_text
)


@given(st.binary(max_size=2000))
def test_any_body_parses_or_is_invalid_request(body):
    try:
        form = Request("POST", "/token", FORM, body).form()
    except (InvalidRequest, InvalidScope):
        return
    assert all(isinstance(k, str) and isinstance(v, str) and v for k, v in form.items())


@given(form_pairs)
def test_well_formed_forms_round_trip(pairs):
    from urllib.parse import urlencode

    try:
        form = Request("POST", "/token", FORM, urlencode(pairs).encode()).form()
    except (InvalidRequest, InvalidScope):
        return  # control characters or over-long values
    assert form == {k: v for k, v in pairs.items() if v}


@given(st.text(max_size=200), st.text(max_size=50), st.booleans())
def test_any_event_body_and_content_type_gives_a_request_or_invalid_request(body, content_type, encoded):
    event = {
        "httpMethod": "POST",
        "headers": {"Content-Type": content_type},
        "body": body,
        "isBase64Encoded": encoded,
    }
    with contextlib.suppress(InvalidRequest, InvalidScope):
        Request.from_event(event).form()


@given(st.text(max_size=300), st.dictionaries(st.sampled_from(["client_id", "client_secret"]), form_text))
def test_any_authorization_header_extracts_or_is_an_oauth_error(header, form):
    sent = {k: v for k, v in form.items() if v}
    try:
        presented = client_auth.extract({"authorization": header}, sent)
    except (InvalidClient, InvalidRequest):
        return
    assert presented.client_id  # with its secret, or alone: a public client naming itself
    assert presented.client_secret or (not header.strip() and "client_secret" not in sent)


@given(st.binary(max_size=200))
def test_any_basic_payload_extracts_or_is_invalid_client(raw):
    header = "Basic " + base64.b64encode(raw).decode()
    try:
        presented = client_auth.extract({"authorization": header}, {})
    except InvalidClient:
        return
    raw_id, colon, raw_secret = raw.decode("utf-8").partition(":")
    assert colon and (presented.client_id, presented.client_secret) == (
        unquote_plus(raw_id),
        unquote_plus(raw_secret),
    )


@given(st.text(max_size=1100))
def test_any_scope_string_parses_to_valid_tokens_or_is_invalid_scope(value):
    try:
        parsed = scopes.parse(value)
    except InvalidScope:
        return
    assert scopes.parse(scopes.format_scope(parsed)) == (parsed or {"default"})


@given(st.text(max_size=1100))
@settings(max_examples=300)
def test_any_bearer_header_yields_a_token_or_unauthorized(value):
    try:
        token = authorizer.bearer_token(value)
    except authorizer.Unauthorized as error:
        assert str(error) == "Unauthorized"
        return
    assert token and " " not in token and value.strip().endswith(token)
    assert 1 <= len(token.rstrip("=")) <= authorizer.MAX_TOKEN_LENGTH


def test_a_bearer_token_has_at_most_the_longest_length_a_token_can_have():
    longest = "a" * authorizer.MAX_TOKEN_LENGTH
    assert authorizer.bearer_token(f"Bearer {longest}") == longest
    with pytest.raises(authorizer.Unauthorized):
        authorizer.bearer_token(f"Bearer {longest}a")


def test_every_oauth_error_has_a_4xx_or_5xx_status():
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    for cls in subclasses(OAuthError):
        assert 400 <= cls.status_code < 600
