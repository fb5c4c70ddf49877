"""HTTP plumbing for API Gateway REST proxy events: the request, form bodies, JSON responses.

Form bodies follow RFC 6749 §3.1/§3.2 and Appendix B: `application/x-www-form-urlencoded`,
UTF-8, parameters without a value are treated as omitted, and a repeated parameter is
`invalid_request`. Sizes are capped so that bad input is a 400, never a 5xx. Every response,
errors included, is rendered by `json_response`.
"""

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from tokenservice.core import config, loopback
from tokenservice.core.errors import InvalidRequest, InvalidScope, OAuthError
from tokenservice.core.text import has_control_characters

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
NOSNIFF = {"X-Content-Type-Options": "nosniff"}

MAX_BODY_BYTES = 8 * 1024
MAX_FIELD_LENGTH = 1024
MAX_FIELDS = 32
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
JSON_CONTENT_TYPE = "application/json"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: Mapping[str, str]  # names in lower case
    body: bytes
    authorizer: Mapping[str, str] = field(default_factory=dict)
    context: Mapping = field(default_factory=dict)  # API Gateway's requestContext
    parameters: Mapping[str, str] = field(default_factory=dict)  # the path's {parameters}
    query: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # every value of each name

    @classmethod
    def from_event(cls, event: Mapping) -> "Request":
        headers = {str(name).lower(): str(value) for name, value in (event.get("headers") or {}).items()}
        cookies = [  # HTTP/2 clients may send their cookies in several header fields
            str(value)
            for name, values in (event.get("multiValueHeaders") or {}).items()
            if str(name).lower() == "cookie"
            for value in values or ()
        ]
        if len(cookies) > 1:
            headers["cookie"] = "; ".join(cookies)
        body = event.get("body") or ""
        if event.get("isBase64Encoded"):
            try:
                raw = base64.b64decode(body, validate=True)
            except (binascii.Error, ValueError) as error:
                raise InvalidRequest("The request body is not valid base64") from error
        else:
            raw = body.encode("utf-8", "surrogatepass")
        context = event.get("requestContext") or {}
        return cls(
            method=str(event.get("httpMethod") or "").upper(),
            path=str(event.get("path") or ""),
            headers=headers,
            body=raw,
            authorizer=context.get("authorizer") or {},
            context=context,
            parameters={str(k): str(v) for k, v in (event.get("pathParameters") or {}).items()},
            query=_query(event),
        )

    def form(self) -> dict[str, str]:
        """The form parameters, each at most once (even when a copy is empty: RFC 6749 §3.1);
        empty values count as omitted."""
        content_type = self.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if content_type != FORM_CONTENT_TYPE:
            raise InvalidRequest(f"The request body must be {FORM_CONTENT_TYPE}")
        if len(self.body) > MAX_BODY_BYTES:
            raise InvalidRequest("The request body is too large")
        try:
            text = self.body.decode("utf-8")
            pairs = parse_qsl(
                text, keep_blank_values=True, strict_parsing=False, errors="strict", max_num_fields=MAX_FIELDS
            )
        except (UnicodeDecodeError, ValueError) as error:
            raise InvalidRequest("The request body is not valid UTF-8 form data") from error
        form: dict[str, str] = {}
        seen: set[str] = set()
        for name, value in pairs:
            if name in seen:
                raise InvalidRequest(f"{_named(name)} is repeated")
            seen.add(name)
            if len(value) > MAX_FIELD_LENGTH or len(name) > MAX_FIELD_LENGTH:
                raise InvalidRequest("A parameter is too long")
            if has_control_characters(name) or has_control_characters(value):
                error = InvalidScope if name == "scope" else InvalidRequest  # RFC 6749 §3.3
                raise error(f"{_named(name)} contains control characters")
            if value:
                form[name] = value
        return form

    def json(self) -> dict:
        """A JSON object body (RFC 8259) with each member at most once; anything else, or more than
        MAX_BODY_BYTES, is invalid_request."""
        content_type = self.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if content_type != JSON_CONTENT_TYPE:
            raise InvalidRequest(f"The request body must be {JSON_CONTENT_TYPE}")
        if len(self.body) > MAX_BODY_BYTES:
            raise InvalidRequest("The request body is too large")
        try:
            document = json.loads(
                self.body.decode("utf-8"), object_pairs_hook=_unique_members, parse_constant=_no_constant
            )
        except (UnicodeDecodeError, ValueError, RecursionError) as error:
            raise InvalidRequest("The request body is not valid JSON") from error
        if not isinstance(document, dict):
            raise InvalidRequest("The request body must be a JSON object")
        return document

    def origin(self) -> str:
        """This API's own origin, as a browser that loaded a page from it names it: https and the
        domain API Gateway received the request on (its own, or a custom domain); http on make
        run's loopback address."""
        return own_origin(self.context)

    def base_path(self) -> str:
        """The path before the resource in this request's URL (the stage, or a custom domain's base
        path; "" on make run), for links from a page back to this API."""
        full_path = str(self.context.get("path") or "")
        if full_path.endswith(self.path):
            return full_path[: len(full_path) - len(self.path)].rstrip("/")
        stage = str(self.context.get("stage") or "")
        return f"/{stage}" if stage and stage != "$default" else ""

    def issuer(self) -> str:
        """The issuer (RFC 8414 §2): ISSUER when configured, else the URL of this API as API Gateway
        knows it: its domain name and the path before the resource (the stage, or a custom domain's
        base path), from the request context, never from the client's Host header."""
        configured = config.ISSUER.value()
        if configured:
            return configured.rstrip("/")
        domain = str(self.context.get("domainName") or "")
        full_path = str(self.context.get("path") or "")
        if full_path.endswith(self.path):
            prefix = full_path[: len(full_path) - len(self.path)]
        else:
            prefix = f"/{self.context['stage']}" if self.context.get("stage") else ""
        return f"https://{domain}{prefix.rstrip('/')}"


# Parameters an error may name (RFC 6749, 7009, 7662, sign-up): any other name a client sends is
# its own text, and error descriptions never repeat what a client sent.
KNOWN_PARAMETERS = frozenset(
    {
        "grant_type",
        "scope",
        "username",
        "password",
        "refresh_token",
        "client_id",
        "client_secret",
        "token",
        "token_type_hint",
    }
)


def _named(name: str) -> str:
    return f"The parameter '{name}'" if name in KNOWN_PARAMETERS else "A parameter"


def _query(event: Mapping) -> dict[str, tuple[str, ...]]:
    """The query's parameters, every value of each (API Gateway's multi-value view, else its
    single-value one)."""
    multi = event.get("multiValueQueryStringParameters") or {}
    if multi:
        return {str(name): tuple(str(value) for value in values or ()) for name, values in multi.items()}
    return {str(name): (str(value),) for name, value in (event.get("queryStringParameters") or {}).items()}


def required(form: Mapping[str, str], name: str) -> str:
    """A form parameter that must be present (and, as every parameter, non-empty)."""
    value = form.get(name)
    if not value:
        raise InvalidRequest(f"The '{name}' parameter is required")
    return value


def json_response(status_code: int, body: object, headers: Mapping[str, str] | None = None) -> dict:
    """A Lambda proxy response with a JSON body that must never be cached (RFC 6749 §5.1), nor read
    as anything but JSON."""
    return {
        "statusCode": status_code,
        "headers": {"Content-Type": "application/json", **NO_STORE, **NOSNIFF, **(headers or {})},
        "body": json.dumps(body),
    }


def error_response(error: OAuthError) -> dict:
    """An OAuth error as its HTTP response: its status, its headers, its JSON body."""
    return json_response(error.status_code, error.body(), error.headers())


def _unique_members(pairs: list[tuple[str, object]]) -> dict:
    document = dict(pairs)
    if len(document) != len(pairs):
        raise ValueError("a member is repeated")
    return document


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def json_fields(document: Mapping, required: Iterable[str], optional: Iterable[str] = ()) -> dict[str, str]:
    """The string members of a JSON object body: `required` ones present and non-empty, no member
    outside `required` and `optional`, each at most MAX_FIELD_LENGTH characters, without control
    characters (as form parameters)."""
    required, known = tuple(required), {*required, *optional}
    unknown = sorted(set(document) - known)
    if unknown:
        raise InvalidRequest("The body has a member this request does not take")
    fields: dict[str, str] = {}
    for name, value in document.items():
        if not isinstance(value, str):
            raise InvalidRequest(f"'{name}' must be a string")
        if len(value) > MAX_FIELD_LENGTH:
            raise InvalidRequest(f"'{name}' is too long")
        if has_control_characters(value):
            raise InvalidRequest(f"'{name}' contains control characters")
        if value:
            fields[name] = value
    for name in required:
        if name not in fields:
            raise InvalidRequest(f"'{name}' is required")
    return fields


def local_http() -> bool:
    """Whether this is make run serving plain http on a loopback address, as its ISSUER says (on AWS
    the issuer is https: the template's Issuer parameter allows nothing else)."""
    return loopback.is_loopback_http_url(config.ISSUER.value())


def own_origin(context: Mapping) -> str:
    scheme = "http" if local_http() else "https"
    return f"{scheme}://{context.get('domainName') or ''}"


def cors_headers(event: Mapping) -> dict[str, str]:
    """CORS for the portal's own origin only: a response names the request's Origin as allowed only
    when it is this API's own (where the portal is served); never `*`, never for another origin.
    `Vary: Origin` keeps caches from mixing the two."""
    headers = {str(name).lower(): str(value) for name, value in (event.get("headers") or {}).items()}
    origin = headers.get("origin")
    if origin and origin == own_origin(event.get("requestContext") or {}):
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
    return {"Vary": "Origin"}
