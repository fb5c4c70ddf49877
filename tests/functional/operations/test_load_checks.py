"""`make load`'s own detectors (load/__main__.py): a token missing from the table, an unexpected
status and a connection error are each counted, so a broken run cannot pass."""

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from load.checks import Losses, missing_tokens
from load.connection import Connection, Stats
from localrun.launch import free_port
from tests.conftest import login


def test_issued_tokens_are_found_and_an_unknown_one_is_missing(provisioned, lambda_context):
    status, _, body = login(lambda_context, provisioned)
    assert status == 200
    assert missing_tokens([body["access_token"], body["refresh_token"]]) == 0
    assert missing_tokens([body["access_token"], "never-issued"]) == 1


@pytest.fixture
def answering_500():
    class Fails(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            body = b'{"message": "boom"}'
            self.send_response(500)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Fails)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_an_unexpected_status_is_counted_with_an_example(answering_500):
    stats = Stats()
    connection = Connection(answering_500, stats)
    assert connection.call("GET /orders", "GET", "/orders", 200)[0] == 500
    assert stats.unexpected == {500: 1} and "boom" in stats.examples["500"]
    assert not connection.failed


def test_a_connection_error_is_counted_and_stops_the_worker():
    stats = Stats()
    connection = Connection(f"http://127.0.0.1:{free_port()}", stats)  # nothing listens there
    assert connection.call("GET /orders", "GET", "/orders", 200) == (None, {})
    assert stats.unexpected == {"connection": 1} and connection.failed


@pytest.mark.parametrize(
    "field", ["tokens_missing", "registered_mismatch", "revoked_accepted", "live_refused"]
)
def test_every_kind_of_loss_fails_the_run(field):
    assert Losses().total == 0
    assert Losses(**{field: 1}).total == 1


def test_the_throttled_traffic_passes_with_429s_and_the_usage_of_what_was_admitted():
    from load import throttled

    assert throttled.problems(throttled.Outcome(Stats(), admitted=18, throttled=46), usage=18) == []


@pytest.mark.parametrize(
    "outcome, usage, problem",
    [
        ({"admitted": 64, "throttled": 0}, 64, "never throttled"),
        ({"admitted": 0, "throttled": 64}, 0, "no call was admitted"),
        ({"admitted": 18, "throttled": 46, "malformed": 1}, 18, "without Retry-After"),
        ({"admitted": 18, "throttled": 46}, 0, "usage reports 0 calls, 18 were admitted"),
    ],
)
def test_a_tier_that_does_not_throttle_or_count_fails_the_run(outcome, usage, problem):
    from load import throttled

    (found,) = throttled.problems(throttled.Outcome(Stats(), **outcome), usage)
    assert problem in found


def test_a_429_must_say_when_to_retry_in_oauth_json():
    from load import throttled

    body = b'{"error":"temporarily_unavailable","error_description":"Too Many Requests"}'
    assert throttled._well_formed_429([("Retry-After", "1")], body)
    assert not throttled._well_formed_429([], body)
    assert not throttled._well_formed_429([("Retry-After", "1")], b'{"message":"Too Many Requests"}')
