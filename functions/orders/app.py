"""The sample protected API: GET /orders (scope read), POST /orders (scope update), GET /whoami.

The authorizer has already enforced the scopes; this function only reads its context.
Orders are sample data and are not persisted.
"""

import json
import uuid

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths

from tokenservice.core import config, observability
from tokenservice.core.errors import InvalidRequest
from tokenservice.web.endpoint import oauth_endpoint
from tokenservice.web.http import Request, json_response
from tokenservice.web.routing import Router

config.validate()  # an invalid setting fails the cold start, in one line naming it
logger = Logger()

SAMPLE_ORDERS = (
    {"id": "1001", "item": "coffee beans", "quantity": 2},
    {"id": "1002", "item": "tea", "quantity": 1},
)
CONTEXT_KEYS = ("username", "client_id", "scope")


def caller(request: Request) -> dict:
    return {key: str(request.authorizer[key]) for key in CONTEXT_KEYS if request.authorizer.get(key)}


@oauth_endpoint
def list_orders(request: Request) -> dict:
    return json_response(200, {"orders": list(SAMPLE_ORDERS)})


def _order(body: bytes) -> dict:
    """The order a body asks for: a JSON object (whatever its Content-Type, as curl -d sends it)."""
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:  # RecursionError: nested too deep
        raise InvalidRequest("The body must be JSON") from error
    if (
        not isinstance(document, dict)
        or not isinstance(document.get("item"), str)
        or not document["item"].strip()
    ):
        raise InvalidRequest('The body must be a JSON object with an "item"')
    quantity = document.get("quantity", 1)
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 0 < quantity <= 1000:
        raise InvalidRequest('"quantity" must be an integer from 1 to 1000')
    return {"item": document["item"][:200], "quantity": quantity}


@oauth_endpoint
def create_order(request: Request) -> dict:
    who = caller(request)
    order = {"id": uuid.uuid4().hex[:8], **_order(request.body)}
    order["created_by"] = who.get("username") or who.get("client_id")
    return json_response(201, order)


@oauth_endpoint
def whoami(request: Request) -> dict:
    return json_response(200, caller(request))


ROUTER = Router(
    {("GET", "/orders"): list_orders, ("POST", "/orders"): create_order, ("GET", "/whoami"): whoami}
)


@observability.traced
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
def lambda_handler(event: dict, context) -> dict:
    return ROUTER.dispatch(event)
