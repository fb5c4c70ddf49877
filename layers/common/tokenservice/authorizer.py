"""The Lambda TOKEN authorizer for the protected API (RFC 6750).

It hashes the bearer token and reads its record, and the record of the user the token names, in
one consistent round trip (GetItem for a client's token, BatchGetItem for a user's). A missing,
unknown, expired or revoked token, or one whose user is disabled or changed password since it
was issued, raises `Unauthorized` (API Gateway answers 401). A valid token gets a
policy that covers every protected route: Allow where its scopes suffice, Deny elsewhere (403,
insufficient_scope). API Gateway caches the policy per token and reuses it for other routes, so
it must never be specific to the route being called. A storage failure raises, so API Gateway
answers 500: the authorizer never allows without a successful lookup.
"""

import re

from tokenservice import accounts, config, observability, scopes, storage, tokens
from tokenservice.models import TokenModel
from tokenservice.routes import PROTECTED_ROUTES, Route

# RFC 6750 §2.1: "Bearer" 1*SP b64token (a user's token is up to ~730 characters: see credentials)
_BEARER = re.compile(r"[Bb][Ee][Aa][Rr][Ee][Rr] +([-._~+/A-Za-z0-9]{1,1024}=*)")


class Unauthorized(Exception):
    """API Gateway turns exactly this message into a 401."""

    def __init__(self):
        super().__init__("Unauthorized")


def bearer_token(authorization: str | None) -> str:
    match = _BEARER.fullmatch((authorization or "").strip())
    if not match:
        raise Unauthorized()
    return match.group(1)


def authorize(authorization: str | None, method_arn: str) -> dict:
    try:
        record = active_access_token(bearer_token(authorization))
        if record is None:
            raise Unauthorized()
    except Unauthorized:
        observability.count(observability.AUTHORIZER_UNAUTHORIZED)
        if config.SAM_LOCAL.on():
            return refusal(method_arn)
        raise
    route = called_route(method_arn)
    allowed = route is not None and route.allows(scopes.permissions(record.scope))
    observability.count(observability.AUTHORIZER_ALLOW if allowed else observability.AUTHORIZER_DENY)
    return policy(record, method_arn)


def active_access_token(token: str) -> TokenModel | None:
    """The record of an access token that counts: active, and its user (if any) still as it was."""
    record, user = storage.get_many(tokens.lookup_keys(token))
    user = tokens.user_of(record, user, token)
    if not tokens.is_active(record, tokens.ACCESS) or not accounts.accepts(user, record):
        return None
    return record


def refusal(method_arn: str) -> dict:
    """A policy that denies everything: what the authorizer answers instead of raising under
    `sam local`, whose emulator turns a raised "Unauthorized" into a 502 (it then answers 403)."""
    api_prefix = "/".join(method_arn.split("/", 2)[:2])
    statement = {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": [f"{api_prefix}/*"]}
    return {"principalId": "anonymous", "policyDocument": {"Version": "2012-10-17", "Statement": [statement]}}


def called_route(method_arn: str) -> Route | None:
    """The protected route a method ARN (arn:...:api/stage/METHOD/path) calls."""
    parts = method_arn.split("/", 3)
    if len(parts) < 3:
        return None
    path = "/" + (parts[3] if len(parts) > 3 else "")
    return next((route for route in PROTECTED_ROUTES if route.matches(parts[2], path)), None)


def policy(record: TokenModel, method_arn: str) -> dict:
    """An IAM policy for every protected route of this API and stage, and the context."""
    api_prefix = "/".join(method_arn.split("/", 2)[:2])  # arn:aws:execute-api:region:account:api/stage
    permissions = scopes.permissions(record.scope)
    statements = []
    for effect, allowed in (("Allow", True), ("Deny", False)):
        resources = [
            route.resource(api_prefix) for route in PROTECTED_ROUTES if route.allows(permissions) is allowed
        ]
        if resources:
            statements.append({"Action": "execute-api:Invoke", "Effect": effect, "Resource": resources})
    context = {"client_id": record.client_id, "scope": record.scope}
    if record.username:
        context["username"] = record.username
    return {
        "principalId": record.username or record.client_id,
        "policyDocument": {"Version": "2012-10-17", "Statement": statements},
        "context": context,
    }
