import pytest

from tokenservice.core.errors import InvalidRequest
from tokenservice.web.http import MAX_BODY_BYTES, Request

FORM = {"content-type": "application/x-www-form-urlencoded"}


def request(body: bytes, headers=FORM) -> Request:
    return Request("POST", "/token", headers, body)


def test_form_decodes_percent_and_plus():
    assert request(b"a=b%20c&d=e+f").form() == {"a": "b c", "d": "e f"}


def test_charset_parameter_of_content_type_is_accepted():
    assert request(b"a=1", {"content-type": "application/x-www-form-urlencoded; charset=UTF-8"}).form() == {
        "a": "1"
    }


def test_empty_values_count_as_omitted():
    assert request(b"scope=&a=1").form() == {"a": "1"}


@pytest.mark.parametrize(
    "body",
    [
        b"a=1&a=2",
        b"a=%ff%fe",
        b"\xff=1",
        b"a=" + b"x" * 2000,
        b"a=%00",
        b"a=line%0Abreak",
        b"x" * (MAX_BODY_BYTES + 1),
    ],
)
def test_bad_form_bodies_are_invalid_request(body):
    with pytest.raises(InvalidRequest):
        request(body).form()


def test_other_content_types_are_invalid_request():
    with pytest.raises(InvalidRequest):
        request(b'{"a": 1}', {"content-type": "application/json"}).form()


def test_event_headers_are_case_insensitive_and_base64_bodies_decoded():
    event = {"httpMethod": "post", "headers": {"Content-Type": "x"}, "body": "YT0x", "isBase64Encoded": True}
    parsed = Request.from_event(event)
    assert parsed.headers == {"content-type": "x"} and parsed.body == b"a=1" and parsed.method == "POST"


def test_invalid_base64_body_is_invalid_request():
    with pytest.raises(InvalidRequest):
        Request.from_event({"body": "@@@", "isBase64Encoded": True})


def test_event_without_headers_or_body_parses():
    parsed = Request.from_event({"headers": None, "body": None})
    assert parsed.headers == {} and parsed.body == b""


def test_every_json_answer_is_never_cached_nor_sniffed():
    from tokenservice.core.errors import InvalidRequest
    from tokenservice.web.http import error_response, json_response

    for response in (json_response(200, {"a": 1}), error_response(InvalidRequest("x"))):
        headers = response["headers"]
        assert headers["Content-Type"] == "application/json"
        assert (headers["Cache-Control"], headers["X-Content-Type-Options"]) == ("no-store", "nosniff")
