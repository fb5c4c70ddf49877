"""`make load`'s HTTP: one keep-alive connection per worker, and what it counts (latencies per
route, unexpected answers by status, connection errors)."""

import http.client
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from load.common import REQUEST_TIMEOUT


@dataclass
class Stats:
    """One worker's (or, merged, the run's) latencies per route and unexpected answers."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    unexpected: Counter = field(default_factory=Counter)  # status (or "connection") → count
    examples: dict[str, str] = field(default_factory=dict)  # one example per kind of failure
    answered: Counter = field(default_factory=Counter)  # (route, status) → count, of the expected ones

    def merge(self, other: "Stats") -> None:
        for route, values in other.latencies.items():
            self.latencies.setdefault(route, []).extend(values)
        self.unexpected.update(other.unexpected)
        self.answered.update(other.answered)
        for key, text in other.examples.items():
            self.examples.setdefault(key, text)


class Connection:
    """One keep-alive HTTP/1.1 connection, re-opened after a failure; every call timed."""

    def __init__(self, base_url: str, stats: Stats):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.stats = stats
        self.failed = False  # a connection error happened: the run has failed already
        self._connection: http.client.HTTPConnection | None = None

    def call(
        self,
        route: str,
        method: str,
        path: str,
        expect: int | tuple[int, ...],
        form: dict | None = None,
        headers: dict | None = None,
        json_body: dict | None = None,
    ) -> tuple[int | None, dict]:
        """(status, JSON body or {}); status None on a connection error. Anything but `expect`
        (a status, or several) is counted as unexpected."""
        status, _, payload = self.exchange(route, method, path, expect, form, headers, json_body)
        try:
            return status, json.loads(payload) if payload else {}
        except ValueError:
            return status, {}

    def exchange(
        self,
        route: str,
        method: str,
        path: str,
        expect: int | tuple[int, ...],
        form: dict | None = None,
        headers: dict | None = None,
        json_body: dict | None = None,
    ) -> tuple[int | None, list[tuple[str, str]], bytes]:
        """(status, response headers, body), as `call` counts them (status None: no answer)."""
        body = urlencode(form).encode() if form is not None else None
        headers = dict(headers or {})
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        try:
            if self._connection is None:
                self._connection = http.client.HTTPConnection(self.host, self.port, timeout=REQUEST_TIMEOUT)
            self._connection.request(method, path, body, headers)
            response = self._connection.getresponse()
            payload = response.read()
            if response.will_close:
                self.close()
        except (OSError, http.client.HTTPException) as error:
            self.close()
            self.failed = True
            self.stats.unexpected["connection"] += 1
            self.stats.examples.setdefault("connection", f"{route}: {type(error).__name__}: {error}")
            return None, [], b""
        self.stats.latencies.setdefault(route, []).append((time.perf_counter() - started) * 1000)
        if response.status in (expect if isinstance(expect, tuple) else (expect,)):
            self.stats.answered[route, response.status] += 1
        else:
            self.stats.unexpected[response.status] += 1
            self.stats.examples.setdefault(
                str(response.status), f"{route}: {payload[:200].decode('utf-8', 'replace')}"
            )
        return response.status, response.getheaders(), payload

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
