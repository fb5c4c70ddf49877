"""The HTTP front of the emulator: a threaded HTTP/1.1 server on 127.0.0.1 handing requests to
Gateway, built to hold load from many local clients.

- A listen backlog of 128 (the stdlib's 5 resets connections when a few dozen clients connect at
  once) and one thread per connection.
- TCP_NODELAY, and every response written with one `sendall`: headers and body written apart
  meet Nagle's algorithm and the client's delayed ACK, ~40 ms on every keep-alive request.
- Malformed HTTP (a bad chunk size, a bad, negative or conflicting Content-Length, header lines
  too long or too many, a stalled request) is answered with a 4xx and a JSON body, and the
  connection closed: never dropped silently, never a traceback.
- One line per request on stderr: method, path without the query, status, milliseconds.
"""

import contextlib
import re
import sys
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from json import dumps
from typing import ClassVar
from urllib.parse import parse_qsl, urlsplit

from localrun.gateway import MAX_PAYLOAD, Gateway, HttpResponse
from tokenservice.core.loopback import is_loopback_host

LISTEN_BACKLOG = 128
IDLE_SECONDS = 30  # a connection idle (or stalled mid-request) this long is closed
MAX_REQUEST_LINE = 65536  # as the stdlib's handler
MAX_CHUNK_LINE = 1024  # a chunk-size line (with extensions) or a trailer line
MAX_TRAILERS = 64
HEX_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")
DIGITS = re.compile(r"[0-9]{1,19}")
LOGGED_PATH = 200  # characters of a path kept in the log line


class BadRequest(Exception):
    """Malformed HTTP: answered with `status` and a JSON body; the connection is closed after."""

    def __init__(self, description: str, status: int = 400):
        super().__init__(description)
        self.description = description
        self.status = status


class TooLarge(BadRequest):
    """A body over API Gateway's 10 MB payload limit (its REQUEST_TOO_LARGE response)."""

    def __init__(self):
        super().__init__("Request Too Long", 413)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _printable(text: str) -> str:
    """A request's path as it may appear in a log line: bounded, no control characters."""
    text = text[:LOGGED_PATH]
    return "".join(c if c.isprintable() and c != " " else f"\\x{ord(c):02x}" for c in text) or "-"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tokenservice-local"
    sys_version = ""
    disable_nagle_algorithm = True  # TCP_NODELAY on every accepted socket
    timeout = IDLE_SECONDS
    gateway: Gateway  # set by make_server
    local_pages: ClassVar[
        dict
    ] = {}  # path → page(query): make run's own (the demo callback), not the stack's

    def handle_one_request(self) -> None:
        self.command, self.path, self.request_version = "", "", "HTTP/1.1"
        self._started = None
        try:
            self.raw_requestline = self.rfile.readline(MAX_REQUEST_LINE + 1)
            if not self.raw_requestline:
                self.close_connection = True  # the client closed an idle connection
                return
            self._started = time.perf_counter()
            if len(self.raw_requestline) > MAX_REQUEST_LINE:
                raise BadRequest("The request line is too long", 414)
            if not self.parse_request():
                return  # answered through send_error (400, 431, 505...)
            if self.request_version == "HTTP/0.9":
                raise BadRequest("HTTP/0.9 is not supported")
            self._dispatch()
        except BadRequest as error:
            self._refuse(error)
        except TimeoutError:
            self.close_connection = True
            if self._started is not None:  # stalled mid-request; an idle connection just closes
                self._refuse(BadRequest("The request was not completed in time", 408))
        except OSError:
            self.close_connection = True  # the client went away mid-request or mid-response
        except Exception as error:  # a bug in the emulator: an answer and one line, no traceback
            print(f"Emulator error: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
            self._refuse(BadRequest("Internal server error", 500))

    def _dispatch(self) -> None:
        if not loopback_host(self.headers.get("Host", "")):
            raise BadRequest("make run answers only for 127.0.0.1, localhost or [::1] in Host", 403)
        body = self._read_body()
        path, _, query = self.path.partition("?")
        if self.command == "GET" and path in self.local_pages:
            status, page = self.local_pages[path](dict(parse_qsl(query)))
            self._respond(HttpResponse(status, [("Content-Type", "text/html; charset=utf-8")], page.encode()))
            return
        response = self.gateway.handle(
            self.command, self.path, list(self.headers.items()), body, self.client_address[0]
        )
        self._respond(response)

    def _read_body(self) -> bytes:
        codings = [
            coding.strip().lower()
            for value in self.headers.get_all("Transfer-Encoding", [])
            for coding in value.split(",")
            if coding.strip()
        ]
        lengths = [
            length.strip()
            for value in self.headers.get_all("Content-Length", [])
            for length in value.split(",")
        ]
        if codings:
            if lengths:  # the framing that request smuggling exploits (RFC 9112 §6.3)
                raise BadRequest("Content-Length and Transfer-Encoding cannot be combined")
            if codings[-1] != "chunked":
                raise BadRequest("The last transfer coding must be chunked")
            if codings != ["chunked"]:
                raise BadRequest("Only the chunked transfer coding is supported", 501)
            return self._read_chunked()
        if not lengths:
            return b""
        if len(set(lengths)) != 1:
            raise BadRequest("Conflicting Content-Length values")
        if not DIGITS.fullmatch(lengths[0]):
            raise BadRequest("Content-Length must be a non-negative integer")
        length = int(lengths[0])
        if length > MAX_PAYLOAD:
            raise TooLarge()
        body = self.rfile.read(length)
        if len(body) < length:
            raise BadRequest("The body is shorter than its Content-Length")
        return body

    def _read_chunked(self) -> bytes:
        chunks, size = [], 0
        while True:
            line = self._chunk_line()
            length_text = line.split(b";", 1)[0].strip()
            if not HEX_SIZE.fullmatch(length_text):
                raise BadRequest("Bad chunk size")
            length = int(length_text, 16)
            if length == 0:
                break
            size += length
            if size > MAX_PAYLOAD:
                raise TooLarge()
            chunk = self.rfile.read(length)
            if len(chunk) < length:
                raise BadRequest("A chunk is shorter than its size")
            if self._chunk_line().strip():
                raise BadRequest("A chunk is longer than its size")
            chunks.append(chunk)
        for _ in range(MAX_TRAILERS):
            if not self._chunk_line().strip():
                return b"".join(chunks)
        raise BadRequest("Too many trailer fields")

    def _chunk_line(self) -> bytes:
        line = self.rfile.readline(MAX_CHUNK_LINE + 1)
        if len(line) > MAX_CHUNK_LINE:
            raise BadRequest("A chunk-size or trailer line is too long")
        if not line.endswith(b"\n"):
            raise BadRequest("The chunked body ended early")
        return line

    # -- answering -----------------------------------------------------------------------------

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """What the stdlib's request parsing answers with (bad request line, 431, 505...)."""
        self._refuse(BadRequest(message or _phrase(code) or "Error", code))

    def _refuse(self, error: BadRequest) -> None:
        self.close_connection = True
        if isinstance(error, TooLarge):
            api = self.gateway.api_for(self.path.partition("?")[0])
            response = self.gateway.gateway_response("REQUEST_TOO_LARGE", api=api)
        else:
            body = dumps({"message": error.description}).encode()
            response = HttpResponse(error.status, [("Content-Type", "application/json")], body)
        with contextlib.suppress(OSError):  # the client is gone; _respond still logs the request
            self._respond(response)

    def _respond(self, response: HttpResponse) -> None:
        """Its log line, then the whole response in one write."""
        lines = [
            f"HTTP/1.1 {response.status} {_phrase(response.status)}",
            f"Server: {self.server_version}",
            f"Date: {self.date_time_string()}",
        ]
        for name, value in response.headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding", "date", "server"):
                lines.append(f"{name}: {' '.join(str(value).splitlines())}")
        lines.append(f"Content-Length: {len(response.body)}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        self._log(response.status)  # before the client can see the answer: lines come in order
        self.wfile.write(head if self.command == "HEAD" else head + response.body)

    def _log(self, status: int) -> None:
        elapsed = (time.perf_counter() - self._started) * 1000 if self._started else 0.0
        method = _printable(self.command) if self.command else "-"
        path = _printable(self.path.partition("?")[0])
        print(f"{method} {path} {status} {elapsed:.1f} ms", file=sys.stderr, flush=True)

    def log_message(self, format: str, *args) -> None:  # quiet: _respond logs one line
        pass

    def __getattr__(self, name: str):
        if name.startswith("do_"):  # any method, even unknown ones: the gateway answers
            return self._dispatch
        raise AttributeError(name)


class LocalServer(ThreadingHTTPServer):
    request_queue_size = LISTEN_BACKLOG
    daemon_threads = True
    block_on_close = False  # stopping does not wait for idle keep-alive connections

    def handle_error(self, request, client_address) -> None:
        """One line, never a traceback; a client that went away is not an error."""
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError | TimeoutError):
            print(f"- - connection error: {type(error).__name__}", file=sys.stderr, flush=True)


def loopback_host(value: str) -> bool:
    """Whether a Host header names this machine's loopback (any port; none given: HTTP/1.0). The
    server answers only for those: another name is a page on some other site whose name was
    rebound to 127.0.0.1 (DNS rebinding), which would pass the portal's same-origin checks; API
    Gateway too refuses a Host that is not its own."""
    value = value.strip()
    if not value:
        return True
    try:
        name = urlsplit(f"//{value}").hostname or ""
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False
    return is_loopback_host(name)


def make_server(gateway: Gateway, host: str, port: int, local_pages: dict | None = None) -> LocalServer:
    handler = type("GatewayHandler", (Handler,), {"gateway": gateway, "local_pages": dict(local_pages or {})})
    return LocalServer((host, port), handler)
