"""A small API Gateway emulator driven by template.yaml, invoking the real handlers in-process:
the REST API (Lambda proxy integration, TOKEN authorizers, gateway responses) and the
authorization server's HTTP API (Lambda payload format 1.0), both on the one local port.

The two differ as on AWS: a REST API remaps some of a function's response headers
(`WWW-Authenticate` → `x-amzn-Remapped-WWW-Authenticate`, ...), an HTTP API passes them through;
an HTTP API has no gateway responses (its own errors are `{"message": ...}`).

Like `sam local start-api` it does not cache authorizer results, so revocation shows at once.
Authorizer outcomes map as on AWS: raised "Unauthorized" → 401, a policy that does not allow
the method → 403, anything else → 500; gateway errors take the template's GatewayResponses.
"""

import base64
import fnmatch
import importlib.util
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from localrun import events, template, throttling
from localrun.events import LambdaContext, ProxyRequest

ANY_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")  # what API Gateway's ANY covers
MAX_PAYLOAD = 10 * 1024 * 1024
EXAMPLES = template.ROOT / "examples"

# Response types API Gateway produces itself: default status, the key of its default body and its
# message ($context.error.message).
DEFAULT_RESPONSES = {
    "UNAUTHORIZED": (401, "message", "Unauthorized"),
    "ACCESS_DENIED": (403, "Message", "User is not authorized to access this resource"),
    "MISSING_AUTHENTICATION_TOKEN": (403, "message", "Missing Authentication Token"),
    "AUTHORIZER_FAILURE": (500, "message", None),
    "AUTHORIZER_CONFIGURATION_ERROR": (500, "message", None),
    "REQUEST_TOO_LARGE": (413, "message", "Request Too Long"),
    "INTEGRATION_FAILURE": (502, "message", "Internal server error"),
    "THROTTLED": (429, "message", "Too Many Requests"),
    "QUOTA_EXCEEDED": (429, "message", "Limit Exceeded"),
    "FORBIDDEN": (403, "message", "Forbidden"),  # an API key of no usage plan for this API
}
EXPLICIT_DENY = "User is not authorized to access this resource with an explicit deny"

# What a REST API does to a Lambda proxy integration's response headers: these reach the client as
# x-amzn-Remapped-<name> (the API Gateway developer guide's header notes); Transfer-Encoding is
# dropped. Pragma, Cache-Control and the rest pass through.
REMAPPED_RESPONSE_HEADERS = frozenset(
    name.lower()
    for name in (
        "Authorization",
        "Connection",
        "Content-Length",
        "Content-MD5",
        "Date",
        "Max-Forwards",
        "Server",
        "User-Agent",
        "WWW-Authenticate",
    )
)
DROPPED_RESPONSE_HEADERS = frozenset({"transfer-encoding"})

# What an HTTP API answers itself (it has no gateway responses to customise): status and message.
HTTP_API_RESPONSES = {
    "MISSING_AUTHENTICATION_TOKEN": (404, "Not Found"),
    "REQUEST_TOO_LARGE": (413, "Request Entity Too Large"),
    "INTEGRATION_FAILURE": (500, "Internal Server Error"),
}


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass
class Function:
    name: str
    handler: object
    memory_mb: int
    timeout_s: int

    def invoke(self, event: dict):
        return self.handler(event, LambdaContext(self.name, self.memory_mb, self.timeout_s))


@dataclass
class Authorizer:
    function: Function
    header: str
    validation: re.Pattern | None


@dataclass
class GatewayRoute:
    """A method and resource path of a REST API, the function behind it and its authorizer."""

    method: str
    resource: str
    pattern: re.Pattern
    function: Function
    authorizer: Authorizer | None


@dataclass
class RestApi:
    """One API: its id (in method ARNs), stage, gateway responses and routes; `http_api`: an HTTP
    API (payload format 1.0, headers passed through, no gateway responses). Locally the stack's two
    APIs share the root and every example API is served under a path prefix (`/<example name>`)."""

    api_id: str
    prefix: str
    stage: str
    parameters: dict[str, str]
    gateway_responses: dict
    routes: list[GatewayRoute]
    http_api: bool = False


def function_environment(tmpl: dict, parameters: dict[str, str]) -> dict[str, str]:
    """The functions' environment variables, with `!Ref Parameter` resolved to its value.

    Table references are left out: the caller names local tables. Later definitions win.
    """
    tables = template.table_env_variables(tmpl)
    env = {}
    for name, value in template.function_variables(tmpl).items():
        resolved = template.resolve(value, parameters)
        if name not in tables and resolved is not None:
            env[name] = str(resolved)
    return env


def _load_handler(root: Path, code_uri: str, handler: str):
    module_name, _, attribute = handler.rpartition(".")
    path = root / code_uri / (module_name.replace(".", "/") + ".py")
    qualified = ".".join((*path.parent.relative_to(template.ROOT).parts, module_name))
    spec = importlib.util.spec_from_file_location(qualified, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, attribute)


def _path_pattern(path: str) -> re.Pattern:
    parts = []
    for part in path.strip("/").split("/"):
        if part.endswith("+}"):
            parts.append(f"(?P<{part[1:-2]}>.+)")
        elif part.startswith("{"):
            parts.append(f"(?P<{part[1:-1]}>[^/]+)")
        else:
            parts.append(re.escape(part))
    return re.compile("/" + "/".join(parts))


def policy_decision(policy: dict, method_arn: str) -> str | None:
    """IAM evaluation for execute-api:Invoke: "Deny" (an explicit Deny wins), "Allow", or None when
    no statement names the call (an implicit deny)."""
    statements = policy.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    allowed = False
    for statement in statements or []:
        actions = statement.get("Action", [])
        resources = statement.get("Resource", [])
        actions = [actions] if isinstance(actions, str) else actions
        resources = [resources] if isinstance(resources, str) else resources
        if not any(fnmatch.fnmatchcase("execute-api:Invoke", action) for action in actions):
            continue
        if not any(fnmatch.fnmatchcase(method_arn, resource) for resource in resources):
            continue
        if statement.get("Effect") == "Deny":
            return "Deny"
        allowed = allowed or statement.get("Effect") == "Allow"
    return "Allow" if allowed else None


class Gateway:
    """API Gateway for the stack's REST API, and for the example APIs named in `examples` (each
    from examples/<name>/template.yaml, served under /<name>, API id <name>)."""

    def __init__(self, tmpl: dict | None = None, examples: Sequence[str] = ()):
        self.template = tmpl or template.load()
        self._functions: dict[tuple[Path, str], Function] = {}
        self.main = self._rest_api(self.template, template.ROOT, events.API_ID, "")
        self.auth = [
            self._http_api(self.template, name)
            for name in template.resources("AWS::Serverless::HttpApi", self.template)
        ]
        self.apis = [
            self._rest_api(
                template.load(EXAMPLES / name / "template.yaml"), EXAMPLES / name, name, f"/{name}"
            )
            for name in examples
        ] + [*self.auth, self.main]
        self.routes = [route for api in self.apis for route in api.routes]
        self.usage_plans = throttling.UsagePlans()

    @property
    def stage(self) -> str:
        return self.main.stage

    def _rest_api(self, tmpl: dict, root: Path, api_id: str, prefix: str) -> RestApi:
        parameters = template.parameter_values(tmpl)
        name, api = next(iter(template.resources("AWS::Serverless::Api", tmpl).items()))
        api = api["Properties"]
        authorizers = {
            name: self._authorizer(spec, tmpl, root, parameters)
            for name, spec in (api.get("Auth", {}).get("Authorizers") or {}).items()
        }
        routes = [
            GatewayRoute(
                endpoint.method,
                endpoint.path,
                _path_pattern(endpoint.path),
                self._function(tmpl, root, endpoint.function),
                authorizers[endpoint.authorizer] if endpoint.authorizer else None,
            )
            for endpoint in template.api_endpoints(tmpl)
            if endpoint.api == name and not endpoint.http_api
        ]
        stage = str(template.resolve(api.get("StageName", "Prod"), parameters))
        return RestApi(api_id, prefix, stage, parameters, api.get("GatewayResponses", {}), routes)

    def _http_api(self, tmpl: dict, name: str) -> RestApi:
        """The stack's HTTP API: public routes only (its functions authenticate their callers)."""
        routes = []
        for endpoint in template.api_endpoints(tmpl):
            if endpoint.api != name or not endpoint.http_api:
                continue
            if endpoint.payload != "1.0" or endpoint.authorizer:
                raise ValueError(
                    f"{endpoint.method} {endpoint.path}: make run serves HTTP API routes of payload 1.0"
                )
            function = self._function(tmpl, template.ROOT, endpoint.function)
            routes.append(
                GatewayRoute(endpoint.method, endpoint.path, _path_pattern(endpoint.path), function, None)
            )
        parameters = template.parameter_values(tmpl)
        return RestApi(events.HTTP_API_ID, "", events.HTTP_API_STAGE, parameters, {}, routes, http_api=True)

    def _function(self, tmpl: dict, root: Path, name: str) -> Function:
        if (root, name) not in self._functions:
            globals_ = tmpl.get("Globals", {}).get("Function", {})
            props = {**globals_, **tmpl["Resources"][name]["Properties"]}
            parameters = template.parameter_values(tmpl)
            self._functions[(root, name)] = Function(
                name,
                _load_handler(root, props["CodeUri"], props["Handler"]),
                int(template.resolve(props.get("MemorySize", 128), parameters)),
                int(template.resolve(props.get("Timeout", 3), parameters)),
            )
        return self._functions[(root, name)]

    def _authorizer(self, spec: dict, tmpl: dict, root: Path, parameters: dict) -> Authorizer:
        arn = spec["FunctionArn"]
        if "Fn::ImportValue" in arn:  # another stack's export: the token service's authorizer
            name = template.exported_function(
                self.template, template.resolve(arn["Fn::ImportValue"], parameters)
            )
            function = self._function(self.template, template.ROOT, name)
        else:
            function = self._function(tmpl, root, template.function_named(arn))
        identity = spec.get("Identity", {})
        expression = identity.get("ValidationExpression")
        return Authorizer(
            function,
            identity.get("Header", "Authorization"),
            re.compile(expression) if expression else None,
        )

    # -- requests ---------------------------------------------------------------------------

    def api_for(self, path: str) -> RestApi:
        """The API a request goes to: an example's by its prefix; at the root, the HTTP API that has
        the route (or the path, with another method), else the REST API."""
        prefixed = next(
            (a for a in self.apis if a.prefix and (path == a.prefix or path.startswith(a.prefix + "/"))), None
        )
        if prefixed is not None:
            return prefixed
        candidates = (path, path[:-1]) if len(path) > 1 and path.endswith("/") else (path,)
        for api in self.auth:
            if any(route.pattern.fullmatch(candidate) for route in api.routes for candidate in candidates):
                return api
        return self.main

    def handle(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes, source_ip: str):
        raw_path, _, query = target.partition("?")
        path = unquote(raw_path) or "/"
        api = self.api_for(path)
        request = ProxyRequest(method, path[len(api.prefix) :] or "/", query, headers, body, source_ip)
        if len(body) > MAX_PAYLOAD:
            return self.gateway_response("REQUEST_TOO_LARGE", api=api)
        route, path_parameters = self._match(api, request.method, request.path)
        if route is None:
            return self.gateway_response("MISSING_AUTHENTICATION_TOKEN", api=api)
        authorizer_context = None
        if route.authorizer is not None:
            outcome = self._authorize(api, route, request)
            if isinstance(outcome, HttpResponse):
                return outcome
            authorizer_context, usage_key = outcome
            default_key = os.environ.get("DEFAULT_USAGE_KEY")  # the stack's default plan: no limit of its own
            covered = usage_key and usage_key != default_key
            refused = self.usage_plans.admit(usage_key, api.api_id) if covered else None
            if refused is not None:
                return self.gateway_response(refused, api=api)
        event = events.proxy_event(
            request,
            resource=route.resource,
            stage=api.stage,
            path_parameters=path_parameters,
            authorizer=authorizer_context,
            api_id=api.api_id,
            http_api=api.http_api,
        )
        try:
            result = route.function.invoke(event)
            return self._proxy_result(result, api)
        except Exception:  # the Lambda failed: API Gateway answers 502
            return self.gateway_response("INTEGRATION_FAILURE", api=api)

    @staticmethod
    def _match(api: RestApi, method: str, path: str):
        """The route of a call and its path parameters. As a REST API does, a trailing slash reaches
        the resource without it (`/portal/` → `/portal`; the event's path keeps the slash)."""
        for candidate in (path, path[:-1]) if len(path) > 1 and path.endswith("/") else (path,):
            for route in api.routes:
                match = route.pattern.fullmatch(candidate)
                if match and (route.method == method or (route.method == "ANY" and method in ANY_METHODS)):
                    return route, match.groupdict() or None
        return None, None

    def _authorize(self, api: RestApi, route: GatewayRoute, request: ProxyRequest):
        authorizer = route.authorizer
        header = authorizer.header.lower()
        token = next((value for name, value in request.headers if name.lower() == header), "")
        if not token or (authorizer.validation and not authorizer.validation.fullmatch(token)):
            return self.gateway_response("UNAUTHORIZED", api=api)
        method_arn = events.method_arn(api.stage, request.method, request.path, api.api_id)
        try:
            result = authorizer.function.invoke(events.authorizer_event(token, method_arn))
        except Exception as error:
            kind = "UNAUTHORIZED" if str(error) == "Unauthorized" else "AUTHORIZER_FAILURE"
            return self.gateway_response(kind, api=api)
        try:
            decision = policy_decision(result["policyDocument"], method_arn)
            context = {key: _context_value(value) for key, value in (result.get("context") or {}).items()}
            context["principalId"] = str(result["principalId"])
            usage_key = result.get("usageIdentifierKey")
            usage_key = str(usage_key) if usage_key is not None else None
        except (KeyError, TypeError, AttributeError, ValueError):
            return self.gateway_response("AUTHORIZER_CONFIGURATION_ERROR", api=api)
        if decision != "Allow":
            return self.gateway_response(
                "ACCESS_DENIED", EXPLICIT_DENY if decision == "Deny" else None, api=api, authorizer=context
            )
        context["integrationLatency"] = 0
        return context, usage_key

    def _proxy_result(self, result, api: RestApi) -> HttpResponse:
        if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
            return self.gateway_response("INTEGRATION_FAILURE", api=api)
        headers = [(str(k), str(v)) for k, v in (result.get("headers") or {}).items()]
        for name, values in (result.get("multiValueHeaders") or {}).items():
            headers.extend((str(name), str(value)) for value in values)
        body = result.get("body") or ""
        payload = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode("utf-8")
        if not any(name.lower() == "content-type" for name, _ in headers):
            headers.append(("Content-Type", "application/json"))
        if api.http_api:  # an HTTP API passes the function's headers through
            sent = [(name, value) for name, value in headers if name.lower() not in DROPPED_RESPONSE_HEADERS]
            return HttpResponse(result["statusCode"], sent, payload)
        return HttpResponse(result["statusCode"], _as_api_gateway_sends(headers), payload)

    def gateway_response(
        self,
        response_type: str,
        message: str | None = None,
        api: RestApi | None = None,
        authorizer: dict | None = None,
    ) -> HttpResponse:
        """An error API Gateway produces itself, customised by the API's GatewayResponses (whose
        templates substitute $context.error.* and $context.authorizer.* but are not VTL)."""
        api = api or self.main
        if api.http_api:
            status, text = HTTP_API_RESPONSES[response_type]
            return HttpResponse(
                status, [("Content-Type", "application/json")], json.dumps({"message": text}).encode()
            )
        status, key, default_message = DEFAULT_RESPONSES[response_type]
        message = message or default_message
        family = "DEFAULT_5XX" if status >= 500 else "DEFAULT_4XX"
        custom = api.gateway_responses.get(response_type) or api.gateway_responses.get(family) or {}
        status = int(custom.get("StatusCode", status))
        headers = [("Content-Type", "application/json")]
        for name, value in (custom.get("ResponseParameters", {}).get("Headers") or {}).items():
            headers.append((name, str(template.resolve(value, api.parameters)).strip("'")))
        body = (custom.get("ResponseTemplates") or {}).get("application/json") or json.dumps({key: message})
        body = _authorizer_values(body, authorizer or {})
        body = body.replace("$context.error.messageString", json.dumps(message or ""))
        body = body.replace("$context.error.message", message or "").replace(
            "$context.error.responseType", response_type
        )
        return HttpResponse(status, headers, body.encode("utf-8"))


_AUTHORIZER_VARIABLE = re.compile(r"\$context\.authorizer\.([A-Za-z0-9_]+)")


def _authorizer_values(body: str, context: dict) -> str:
    """A gateway response template's $context.authorizer.<key>: the authorizer's context value (an
    empty string where it has none), as API Gateway substitutes it (JSON-escaped here, since our
    templates put it inside a JSON string)."""
    return _AUTHORIZER_VARIABLE.sub(lambda m: json.dumps(str(context.get(m.group(1), "")))[1:-1], body)


def _as_api_gateway_sends(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A Lambda proxy integration's headers as a REST API passes them on (remapped or dropped)."""
    sent = []
    for name, value in headers:
        lowered = name.lower()
        if lowered in REMAPPED_RESPONSE_HEADERS:
            sent.append((f"x-amzn-Remapped-{name}", value))
        elif lowered not in DROPPED_RESPONSE_HEADERS:
            sent.append((name, value))
    return sent


def _context_value(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str | int | float):
        return str(value)
    raise ValueError("authorizer context values must be strings, numbers or booleans")


def local_api_ids(tmpl: dict) -> dict[str, str]:
    """The stack's APIs' local ids by logical id (what `!Ref Api` gives the functions here): the REST
    API `local`, the HTTP API `local-http`."""
    ids = {name: events.API_ID for name in template.resources("AWS::Serverless::Api", tmpl)}
    ids.update({name: events.HTTP_API_ID for name in template.resources("AWS::Serverless::HttpApi", tmpl)})
    return ids


def apply_environment(gateway_template: dict, overrides: dict[str, str]) -> None:
    """Set the functions' environment in this process; variables already set win."""
    parameters = {**template.parameter_values(gateway_template), **local_api_ids(gateway_template)}
    for name, value in {**function_environment(gateway_template, parameters), **overrides}.items():
        if not os.environ.get(name):
            os.environ[name] = value
