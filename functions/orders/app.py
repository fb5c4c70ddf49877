"""The sample protected API: GET /orders (scope read), POST /orders (scope update), GET /whoami.

The authorizer has already enforced the scopes; this function only reads its context.
Orders are sample data and are not persisted.
"""

import uuid

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import BadRequestError
from aws_lambda_powertools.logging import correlation_paths

from tokenservice.core import config, observability

config.validate()  # an invalid setting fails the cold start, in one line naming it
logger = Logger()
app = APIGatewayRestResolver()

SAMPLE_ORDERS = (
    {"id": "1001", "item": "coffee beans", "quantity": 2},
    {"id": "1002", "item": "tea", "quantity": 1},
)
CONTEXT_KEYS = ("username", "client_id", "scope")


def caller() -> dict:
    authorizer = app.current_event.request_context.authorizer.raw_event or {}
    return {key: authorizer[key] for key in CONTEXT_KEYS if authorizer.get(key)}


@app.get("/orders")
def list_orders() -> dict:
    return {"orders": list(SAMPLE_ORDERS)}


@app.post("/orders")
def create_order() -> Response:
    try:
        body = app.current_event.json_body
    except (ValueError, RecursionError) as error:  # RecursionError: JSON nested too deeply to parse
        raise BadRequestError("The body must be JSON") from error
    if not isinstance(body, dict) or not isinstance(body.get("item"), str) or not body["item"].strip():
        raise BadRequestError('The body must be a JSON object with an "item"')
    quantity = body.get("quantity", 1)
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 0 < quantity <= 1000:
        raise BadRequestError('"quantity" must be an integer from 1 to 1000')
    who = caller()
    order = {"id": uuid.uuid4().hex[:8], "item": body["item"][:200], "quantity": quantity}
    order["created_by"] = who.get("username") or who.get("client_id")
    return Response(status_code=201, content_type="application/json", body=order)


@app.get("/whoami")
def whoami() -> dict:
    return caller()


@observability.traced
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
def lambda_handler(event: dict, context) -> dict:
    return app.resolve(event, context)
