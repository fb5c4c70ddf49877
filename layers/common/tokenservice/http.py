"""HTTP plumbing for API Gateway REST proxy events: the request, form bodies, JSON responses.

Form bodies follow RFC 6749 §3.1/§3.2 and Appendix B: `application/x-www-form-urlencoded`,
UTF-8, parameters without a value are treated as omitted, and a repeated parameter is
`invalid_request`. Sizes are capped so that bad input is a 400, never a 5xx. Every response,
errors included, is rendered by `json_response`.
"""

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from tokenservice import config
from tokenservice.errors import InvalidRequest, InvalidScope, OAuthError
from tokenservice.text import has_control_characters, printable

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

MAX_BODY_BYTES = 8 * 1024
MAX_FIELD_LENGTH = 1024
MAX_FIELDS = 32
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: Mapping[str, str]  # names in lower case
    body: bytes
    authorizer: Mapping[str, str] = field(default_factory=dict)
    context: Mapping = field(default_factory=dict)  # API Gateway's requestContext

    @classmethod
    def from_event(cls, event: Mapping) -> "Request":
        headers = {str(name).lower(): str(value) for name, value in (event.get("headers") or {}).items()}
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
                raise InvalidRequest(f"The parameter '{printable(name)}' is repeated")
            seen.add(name)
            if len(value) > MAX_FIELD_LENGTH or len(name) > MAX_FIELD_LENGTH:
                raise InvalidRequest("A parameter is too long")
            if has_control_characters(name) or has_control_characters(value):
                error = InvalidScope if name == "scope" else InvalidRequest  # RFC 6749 §3.3
                raise error(f"The parameter '{printable(name)}' contains control characters")
            if value:
                form[name] = value
        return form

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


def required(form: Mapping[str, str], name: str) -> str:
    """A form parameter that must be present (and, as every parameter, non-empty)."""
    value = form.get(name)
    if not value:
        raise InvalidRequest(f"The '{name}' parameter is required")
    return value


def json_response(status_code: int, body: object, headers: Mapping[str, str] | None = None) -> dict:
    """A Lambda proxy response with a JSON body that must never be cached (RFC 6749 §5.1)."""
    return {
        "statusCode": status_code,
        "headers": {"Content-Type": "application/json", **NO_STORE, **(headers or {})},
        "body": json.dumps(body),
    }


def error_response(error: OAuthError) -> dict:
    """An OAuth error as its HTTP response: its status, its headers, its JSON body."""
    return json_response(error.status_code, error.body(), error.headers())
