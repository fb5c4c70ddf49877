"""Lambda events and context, built one way for the emulator, the benchmark and the tests.

- `proxy_event`: an API Gateway REST API Lambda proxy event, as the emulator sends it.
- `authorizer_event`: a TOKEN authorizer event.
- `load_event` / `token_event`: real API Gateway payloads recorded under events/.
- `LambdaContext`: what the Lambda runtime passes as `context`, enough for Powertools.
"""

import base64
import copy
import json
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from localrun.template import ROOT

REGION = "us-east-1"
ACCOUNT = "123456789012"
API_ID = "local"  # the local API's id, in method ARNs and for `tokenctl api ...`
EVENTS = ROOT / "events"  # also what `sam local invoke -e` takes


class LambdaContext:
    """What the Lambda runtime passes as `context`, enough for Powertools."""

    def __init__(self, function_name: str = "test", memory_mb: int = 256, timeout_s: int = 10):
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_name}"
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass(frozen=True)
class ProxyRequest:
    """An HTTP request as it reaches API Gateway."""

    method: str
    path: str  # decoded, without the query
    query: str = ""
    headers: Sequence[tuple[str, str]] = ()
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))


def _single_and_multi(pairs: Sequence[tuple[str, str]]) -> tuple[dict | None, dict | None]:
    """API Gateway's two views of repeated names: the last value, and every value."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single or None, multi or None


def proxy_event(
    request: ProxyRequest,
    *,
    resource: str,
    stage: str,
    path_parameters: Mapping[str, str] | None = None,
    authorizer: Mapping | None = None,
    api_id: str = API_ID,
) -> dict:
    """The Lambda proxy integration event API Gateway (REST API) sends for `request`."""
    # API Gateway adds these; the emulator serves plain HTTP.
    forwarded = [("X-Forwarded-For", request.source_ip), ("X-Forwarded-Proto", "http")]
    headers, multi_headers = _single_and_multi([*request.headers, *forwarded])
    query, multi_query = _single_and_multi(parse_qsl(request.query, keep_blank_values=True))
    try:
        text, encoded = request.body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(request.body).decode("ascii"), True
    now = time.time()
    request_context = {
        "accountId": ACCOUNT,
        "apiId": api_id,
        "domainName": headers.get("Host", "127.0.0.1"),
        "httpMethod": request.method,
        "identity": {"sourceIp": request.source_ip, "userAgent": headers.get("User-Agent")},
        "path": request.path,  # locally the stage is not part of the URL (as with sam local)
        "protocol": "HTTP/1.1",
        "requestId": request.request_id,
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "requestTimeEpoch": int(now * 1000),
        "resourceId": "local",
        "resourcePath": resource,
        "stage": stage,
    }
    if authorizer is not None:
        request_context["authorizer"] = dict(authorizer)
    return {
        "resource": resource,
        "path": request.path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": dict(path_parameters) if path_parameters else None,
        "stageVariables": None,
        "requestContext": request_context,
        "body": text if request.body else None,
        "isBase64Encoded": encoded,
    }


def method_arn(stage: str, method: str, path: str, api_id: str = API_ID) -> str:
    """The execute-api ARN of a call, as a TOKEN authorizer receives it."""
    return f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/{stage}/{method}{path}"


def authorizer_event(token: str, arn: str) -> dict:
    """A TOKEN authorizer event."""
    return {"type": "TOKEN", "authorizationToken": token, "methodArn": arn}


# -- recorded payloads ---------------------------------------------------------------------------


def load_event(name: str) -> dict:
    """A real API Gateway payload from events/<name>.json (a fresh copy)."""
    return copy.deepcopy(json.loads((EVENTS / f"{name}.json").read_text()))


def token_event(
    body: str,
    authorization: str | None = None,
    content_type="application/x-www-form-urlencoded",
    resource: str = "/token",
) -> dict:
    """A real POST /token event (events/token_password.json), re-targeted at `resource`."""
    event = load_event("token_password")
    event["resource"] = event["path"] = event["requestContext"]["resourcePath"] = resource
    event["requestContext"]["path"] = "/v1" + resource
    for headers in (event["headers"], event["multiValueHeaders"]):
        headers.pop("Authorization")
        headers.pop("Content-Type")
    if authorization is not None:
        event["headers"]["Authorization"] = authorization
        event["multiValueHeaders"]["Authorization"] = [authorization]
    if content_type is not None:
        event["headers"]["Content-Type"] = content_type
        event["multiValueHeaders"]["Content-Type"] = [content_type]
    event["body"] = body
    return event
