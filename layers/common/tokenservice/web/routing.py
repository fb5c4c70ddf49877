"""One function's routes: which endpoint serves a method on an API Gateway resource, and the
answer for everything else.

Each function has one table (a `Router`). Its endpoints are named `"module:function"` and imported
on the first request that needs them, not when the function's module is imported: SnapStart
priming imports them before the snapshot (`modules`), and without SnapStart the first request
pays what the import would have. (A function whose endpoints are its own, the sample API, names
them directly.) A resource the table does not have is `404 not_found`; a method
the resource does not take is `405` with `Allow` naming the methods it takes (RFC 9110 §15.5.6).
"""

import importlib
from collections.abc import Callable, Mapping

from tokenservice.core.errors import MethodNotAllowed, NotFound
from tokenservice.web.http import error_response

Endpoint = Callable[[Mapping], dict]
Target = str | Endpoint  # "module:function", or the endpoint itself


class Router:
    """(method, resource) → endpoint; `finish` (optional) adds to every answer, errors included."""

    def __init__(
        self,
        routes: Mapping[tuple[str, str], Target],
        finish: Callable[[Mapping, dict], None] | None = None,
    ):
        self._methods: dict[str, dict[str, Target]] = {}
        for (method, resource), target in routes.items():
            self._methods.setdefault(resource, {})[method.upper()] = target
        self._finish = finish
        self._loaded: dict[str, Endpoint] = {}

    def routes(self) -> dict[tuple[str, str], Target]:
        """Every (method, resource) served, and the endpoint serving it."""
        return {(m, r): target for r, methods in self._methods.items() for m, target in methods.items()}

    def modules(self) -> list[str]:
        """The endpoints' modules (what SnapStart priming imports)."""
        return sorted({t.partition(":")[0] for t in self.routes().values() if isinstance(t, str)})

    def allowed(self, resource: str) -> tuple[str, ...]:
        return tuple(sorted(self._methods.get(resource, ())))

    def endpoint(self, target: Target) -> Endpoint:
        if not isinstance(target, str):
            return target
        endpoint = self._loaded.get(target)
        if endpoint is None:
            module, _, name = target.partition(":")
            endpoint = self._loaded[target] = getattr(importlib.import_module(module), name)
        return endpoint

    def dispatch(self, event: Mapping) -> dict:
        """The answer to an API Gateway event (REST, or HTTP API payload 1.0)."""
        methods = self._methods.get(str(event.get("resource") or ""))
        method = str(event.get("httpMethod") or "").upper()
        if methods is None:
            response = error_response(NotFound())
        elif method not in methods:
            response = error_response(MethodNotAllowed(tuple(sorted(methods))))
        else:
            response = self.endpoint(methods[method])(event)
        if self._finish is not None:
            self._finish(event, response)
        return response
