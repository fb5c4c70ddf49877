"""An HTTP API protected by API Gateway's own JWT authorizer: API Gateway has verified the token
(signature from the issuer's JWKS, iss, aud, exp, the route's scopes) before this runs; no Lambda
authorizer, no database read. The verified claims arrive in the event."""

import json


def lambda_handler(event: dict, context) -> dict:
    claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("jwt", {}).get("claims", {})
    body = {"route": event.get("routeKey"), "sub": claims.get("sub"), "scope": claims.get("scope")}
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}
