"""The sample protected API behind the authorizer (the context is what the authorizer set)."""

import json

from tests.conftest import handler, load_event

orders_handler = handler("orders")


def test_get_orders_lists_sample_orders(lambda_context):
    response = orders_handler(load_event("orders_get"), lambda_context)
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["orders"]


def test_post_orders_creates_an_order_for_the_caller(lambda_context):
    response = orders_handler(load_event("orders_post"), lambda_context)
    body = json.loads(response["body"])
    assert response["statusCode"] == 201
    assert body["item"] == "coffee beans" and body["quantity"] == 3 and body["created_by"] == "demo"


def test_post_orders_with_bad_json_is_400(lambda_context):
    event = load_event("orders_post")
    event["body"] = "{not json"
    assert orders_handler(event, lambda_context)["statusCode"] == 400


def test_post_orders_without_item_is_400(lambda_context):
    event = load_event("orders_post")
    event["body"] = json.dumps({"quantity": 2})
    assert orders_handler(event, lambda_context)["statusCode"] == 400


def test_whoami_echoes_the_authorizer_context(lambda_context):
    response = orders_handler(load_event("whoami"), lambda_context)
    assert json.loads(response["body"]) == {
        "username": "demo",
        "client_id": "demo-client",
        "scope": "read update",
    }


def test_a_deeply_nested_json_body_is_400_not_a_crash(lambda_context):
    event = load_event("orders_post")
    event["body"] = "[" * 100_000 + "]" * 100_000
    response = handler("orders")(event, lambda_context)
    assert response["statusCode"] == 400
