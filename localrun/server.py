"""The HTTP front of the emulator: a threaded server on 127.0.0.1 handing requests to Gateway."""

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from localrun.gateway import MAX_PAYLOAD, Gateway, HttpResponse


def make_server(gateway: Gateway, host: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "tokenservice-local"

        def _dispatch(self) -> None:
            body = self._read_body()
            if body is None:
                response = gateway.gateway_response("REQUEST_TOO_LARGE")
            else:
                response = gateway.handle(
                    self.command, self.path, list(self.headers.items()), body, self.client_address[0]
                )
            self._send(response)
            print(
                f"{self.command} {self.path.partition('?')[0]} {response.status}", file=sys.stderr, flush=True
            )

        def _read_body(self) -> bytes | None:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                chunks, size = [], 0
                while True:
                    length = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if length == 0:
                        self.rfile.readline()
                        return b"".join(chunks)
                    size += length
                    if size > MAX_PAYLOAD:
                        self.close_connection = True
                        return None
                    chunks.append(self.rfile.read(length))
                    self.rfile.readline()
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = 0
            if length > MAX_PAYLOAD:
                self.close_connection = True
                return None
            return self.rfile.read(length) if length > 0 else b""

        def _send(self, response: HttpResponse) -> None:
            self.send_response(response.status)
            for name, value in response.headers:
                if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)

        def log_message(self, format: str, *args) -> None:  # quiet: _dispatch logs one line
            pass

        def __getattr__(self, name: str):
            if name.startswith("do_"):  # any method, even unknown ones: the gateway answers
                return self._dispatch
            raise AttributeError(name)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server
