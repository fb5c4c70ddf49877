"""The local HTTP server (localrun/server.py) driven over raw sockets: it holds many connections,
answers malformed HTTP with a 4xx and a JSON body, writes each response in one piece with
TCP_NODELAY, and logs one line per request."""

import http.client
import json
import re
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from localrun import server as local_server
from localrun import template
from localrun.gateway import MAX_PAYLOAD, Gateway
from localrun.launch import free_port


class Echo:
    """Every route's function: answers 200 with what it got."""

    def __call__(self, event, context):
        body = {"method": event["httpMethod"], "path": event["path"], "body": event["body"]}
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


def _start(port: int | None = None, serve: bool = True):
    gateway = Gateway(template.load())
    for route in gateway.routes:
        route.function.handler = Echo()
    httpd = local_server.make_server(gateway, "127.0.0.1", port or free_port())
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    if serve:
        thread.start()
    return httpd, thread


@pytest.fixture
def port():
    httpd, _ = _start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def read_response(sock: socket.socket, method: str = "POST") -> http.client.HTTPResponse:
    response = http.client.HTTPResponse(sock, method=method)
    response.begin()
    response.body = response.read()
    return response


def closed_by_server(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def exchange(port: int, raw: bytes, half_close: bool = False) -> tuple[http.client.HTTPResponse, bool]:
    """Send raw bytes, read one response; also whether the server then closed the connection."""
    with connect(port) as sock:
        sock.sendall(raw)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        response = read_response(sock)
        return response, closed_by_server(sock)


def post(body: bytes, *headers: str) -> bytes:
    head = ["POST /token HTTP/1.1", "Host: 127.0.0.1", *headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


# -- load --------------------------------------------------------------------------------------


def test_a_hundred_clients_connecting_at_once_are_all_accepted_and_answered():
    """All connect before the server accepts any (the listen backlog holds them), then all are
    answered concurrently."""
    clients = 100
    httpd, thread = _start(serve=False)
    port = httpd.server_address[1]
    sockets = []
    try:
        for _ in range(clients):  # with the stdlib's backlog of 5, the 7th connect hangs
            sockets.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        thread.start()
        for sock in sockets:
            sock.sendall(post(b"grant_type=password", "Content-Length: 19"))
        with ThreadPoolExecutor(clients) as pool:
            statuses = list(pool.map(lambda sock: read_response(sock).status, sockets))
        assert statuses == [200] * clients
    finally:
        for sock in sockets:
            sock.close()
        httpd.shutdown()
        httpd.server_close()


def test_keep_alive_connection_serves_requests_in_turn(port):
    with connect(port) as sock:
        for index in range(3):
            body = f"n={index}".encode()
            sock.sendall(post(body, f"Content-Length: {len(body)}"))
            response = read_response(sock)
            assert response.status == 200 and json.loads(response.body)["body"] == f"n={index}"


def test_accepted_sockets_have_tcp_nodelay_and_each_response_is_one_write(port, monkeypatch):
    writes, options = [], []
    setup = local_server.Handler.setup

    class Recorder:
        def __init__(self, wfile):
            self.wfile = wfile

        def write(self, data):
            writes.append(bytes(data))
            return self.wfile.write(data)

        def flush(self):
            self.wfile.flush()

        def __getattr__(self, name):  # closed, close(): what the handler's finish() uses
            return getattr(self.wfile, name)

    def recording_setup(handler):
        setup(handler)
        options.append(handler.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        handler.wfile = Recorder(handler.wfile)

    monkeypatch.setattr(local_server.Handler, "setup", recording_setup)
    with connect(port) as sock:
        for _ in range(3):
            sock.sendall(post(b"a=b", "Content-Length: 3"))
            assert read_response(sock).status == 200
    assert options == [1]
    assert len(writes) == 3
    assert all(write.startswith(b"HTTP/1.1 200 OK\r\n") and write.endswith(b"}") for write in writes)


# -- request bodies -----------------------------------------------------------------------------


def test_chunked_body_is_read(port):
    raw = post(b"4\r\nn=ab\r\n3;ext=1\r\ncde\r\n0\r\nX-Trailer: 1\r\n\r\n", "Transfer-Encoding: chunked")
    with connect(port) as sock:
        sock.sendall(raw)
        response = read_response(sock)
    assert response.status == 200 and json.loads(response.body)["body"] == "n=abcde"


def test_head_gets_headers_and_no_body(port):
    with connect(port) as sock:
        sock.sendall(b"HEAD /.well-known/oauth-authorization-server HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        response = read_response(sock, method="HEAD")
        assert response.status == 404 and int(response.headers["Content-Length"]) > 0
        assert response.body == b""


# -- malformed HTTP: a 4xx with a JSON body, then the connection is closed -------------------------

MALFORMED = {
    "bad chunk size": (post(b"zz\r\nabc\r\n0\r\n\r\n", "Transfer-Encoding: chunked"), 400),
    "negative chunk size": (post(b"-4\r\nabcd\r\n0\r\n\r\n", "Transfer-Encoding: chunked"), 400),
    "empty chunk size": (post(b"\r\nabcd\r\n0\r\n\r\n", "Transfer-Encoding: chunked"), 400),
    "chunk longer than its size": (post(b"2\r\nabcd\r\n0\r\n\r\n", "Transfer-Encoding: chunked"), 400),
    "chunk-size line too long": (post(b"1" * 5000 + b"\r\n", "Transfer-Encoding: chunked"), 400),
    "chunked too large": (post(b"%x\r\n" % (MAX_PAYLOAD + 1), "Transfer-Encoding: chunked"), 413),
    "unsupported transfer coding": (post(b"", "Transfer-Encoding: gzip, chunked"), 501),
    "chunked not last": (post(b"", "Transfer-Encoding: chunked, gzip"), 400),
    "negative Content-Length": (post(b"abc", "Content-Length: -1"), 400),
    "non-numeric Content-Length": (post(b"abc", "Content-Length: 3x"), 400),
    "non-ASCII digits in Content-Length": (post(b"abc", "Content-Length: ³"), 400),
    "conflicting Content-Length headers": (post(b"abc", "Content-Length: 3", "Content-Length: 4"), 400),
    "conflicting Content-Length list": (post(b"abc", "Content-Length: 3, 4"), 400),
    "Content-Length with Transfer-Encoding": (
        post(b"3\r\nabc\r\n0\r\n\r\n", "Content-Length: 3", "Transfer-Encoding: chunked"),
        400,
    ),
    "Content-Length too large": (post(b"", f"Content-Length: {MAX_PAYLOAD + 1}"), 413),
    "header line too long": (post(b"", "X-Long: " + "a" * 70_000), 431),
    "too many headers": (post(b"", *(f"X-H{i}: {i}" for i in range(101))), 431),
    "request line too long": (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414),
    "garbage request line": (b"GARBAGE\r\n\r\n", 400),
    "bad protocol version": (b"GET / HTTP/one\r\n\r\n", 400),
}


@pytest.mark.parametrize("raw,status", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_request_is_answered_with_json_and_closed(port, raw, status, capsys):
    response, closed = exchange(port, raw)
    assert response.status == status
    assert response.headers["Content-Type"] == "application/json"
    body = json.loads(response.body)
    # 413 on /token is the HTTP API's own {"message": ...}, as every other refusal of the server
    assert body["message"]
    assert response.headers["Connection"] == "close" and closed
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize(
    "raw",
    [
        post(b"ab", "Content-Length: 10"),
        post(b"5\r\nab", "Transfer-Encoding: chunked"),
        post(b"5\r\nabcde\r\n", "Transfer-Encoding: chunked"),
    ],
    ids=["body shorter than Content-Length", "chunk cut short", "no last chunk"],
)
def test_body_cut_short_by_the_client_is_400(port, raw, capsys):
    response, closed = exchange(port, raw, half_close=True)
    assert response.status == 400 and json.loads(response.body)["message"] and closed
    assert "Traceback" not in capsys.readouterr().err


def test_stalled_request_is_408_after_the_timeout(port, monkeypatch):
    monkeypatch.setattr(local_server.Handler, "timeout", 0.5)
    with connect(port) as sock:  # a new connection: the handler reads the patched timeout
        sock.sendall(post(b"ab", "Content-Length: 10"))
        response = read_response(sock)
        assert response.status == 408 and closed_by_server(sock)


def test_idle_keep_alive_connection_is_closed_without_an_answer(port, monkeypatch, capsys):
    monkeypatch.setattr(local_server.Handler, "timeout", 0.2)
    with connect(port) as sock:
        assert closed_by_server(sock)
    assert capsys.readouterr().err == ""


# -- logging ----------------------------------------------------------------------------------------


def test_one_log_line_per_request_without_the_query(port, capsys):
    with connect(port) as sock:
        sock.sendall(b"GET /orders?password=hunter2 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert read_response(sock).status == 401
        sock.sendall(post(b"a=b", "Content-Length: 3"))
        assert read_response(sock).status == 200
    exchange(port, post(b"", "Content-Length: -1"))
    lines = capsys.readouterr().err.splitlines()
    assert [re.sub(r"\d+\.\d ms$", "<ms>", line) for line in lines] == [
        "GET /orders 401 <ms>",
        "POST /token 200 <ms>",
        "POST /token 400 <ms>",
    ]
    assert "hunter2" not in "\n".join(lines)


def test_unparseable_request_line_is_logged_with_dashes(port, capsys):
    exchange(port, b"\x00\x01 GARBAGE\r\n\r\n")
    (line,) = capsys.readouterr().err.splitlines()
    assert re.fullmatch(r"- - 400 \d+\.\d ms", line)


@pytest.mark.parametrize(
    "host,allowed",
    [
        ("127.0.0.1", True),
        ("127.0.0.1:3000", True),
        ("localhost:3000", True),
        ("LocalHost", True),
        ("[::1]:3000", True),
        ("app.localhost:3000", True),
        ("", True),
        ("rebind.evil.example:3000", False),
        ("127.0.0.1.evil.example", False),
        ("localhost.evil.example:3000", False),
        ("[::2]:3000", False),
        ("10.0.0.7:3000", False),
    ],
)
def test_only_loopback_host_names_are_served(host, allowed):
    from localrun.server import loopback_host

    assert loopback_host(host) is allowed


def test_a_request_for_another_host_name_is_refused_before_it_reaches_a_function(port):
    raw = b"GET /portal HTTP/1.1\r\nHost: rebind.evil.example:3000\r\n\r\n"
    response, closed = exchange(port, raw)
    assert closed and response.status == 403 and "Host" in json.loads(response.body)["message"]
    with connect(port) as sock:
        sock.sendall(b"GET /orders HTTP/1.1\r\nHost: localhost:3000\r\n\r\n")
        assert read_response(sock).status == 401  # the gateway's answer: the request got through
