"""The example protected API: an inventory. The token service's authorizer has already checked the
token and the scopes; this function only reads the authorizer's context. Items are not stored."""

import json

SAMPLE_ITEMS = ({"id": "A-1", "name": "anvil"}, {"id": "B-2", "name": "bellows"})


def _answer(status: int, body: dict) -> dict:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


def lambda_handler(event: dict, context) -> dict:
    caller = (event.get("requestContext") or {}).get("authorizer") or {}
    who = caller.get("username") or caller.get("client_id")
    method, resource = event.get("httpMethod"), event.get("resource")
    if (method, resource) == ("GET", "/items"):
        return _answer(200, {"items": list(SAMPLE_ITEMS), "caller": who})
    if (method, resource) == ("GET", "/items/{id}"):
        wanted = (event.get("pathParameters") or {}).get("id")
        found = next((item for item in SAMPLE_ITEMS if item["id"] == wanted), None)
        return _answer(200, found) if found else _answer(404, {"message": "No such item"})
    if (method, resource) == ("POST", "/items"):
        try:
            body = json.loads(event.get("body") or "")
        except (ValueError, RecursionError):
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("name"), str) or not body["name"].strip():
            return _answer(400, {"message": 'The body must be a JSON object with a "name"'})
        return _answer(201, {"id": "new", "name": body["name"][:200], "created_by": who})
    return _answer(404, {"message": "Not found"})
