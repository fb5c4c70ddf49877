"""The Lambda TOKEN authorizer for any API in the registry (RFC 6750).

It hashes the bearer token and reads its record, and the record of the user the token names, in
one consistent round trip (GetItem for a client's token, BatchGetItem for a user's); the rules of
the API in the `methodArn` come from memory (RULES_CACHE_SECONDS) or, on a miss, in that same
BatchGetItem. A missing, unknown, expired or revoked token, or one whose user is disabled or
changed password since it was issued, raises `Unauthorized` (API Gateway answers 401).

A valid token gets a policy for every resource of the API: Allow where its scopes suffice, Deny
elsewhere (403, insufficient_scope). API Gateway caches the policy per token and reuses it for the
API's other resources, so it must never be specific to the resource being called. An API with no
rules gets a policy that denies everything (fail closed). A storage failure raises, so API Gateway
answers 500: the authorizer never allows without a successful lookup.
"""

import re

from tokenservice import accounts, caching, config, observability, rules, scopes, storage, tokens
from tokenservice.models import ApiModel, TokenModel, api_key

# RFC 6750 §2.1: "Bearer" 1*SP b64token (a user's token is up to ~730 characters: see credentials)
_BEARER = re.compile(r"[Bb][Ee][Aa][Rr][Ee][Rr] +([-._~+/A-Za-z0-9]{1,1024}=*)")

# API id → its rules, for RULES_CACHE_SECONDS.
_rules_cache: caching.Expiring[list[rules.Rule]] = caching.Expiring(config.RULES_CACHE_SECONDS.value)


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
    call = rules.MethodArn.parse(method_arn)
    if call is None:
        raise ValueError("not an execute-api method ARN")  # a misconfiguration: API Gateway answers 500
    try:
        record, api_rules = lookup(bearer_token(authorization), call.api_id)
    except Unauthorized:
        observability.count(observability.AUTHORIZER_UNAUTHORIZED)
        if config.SAM_LOCAL.on():
            return refusal(method_arn)
        raise
    permissions = scopes.permissions(record.scope)
    allowed = call.allowed(api_rules, permissions)
    observability.count(observability.AUTHORIZER_ALLOW if allowed else observability.AUTHORIZER_DENY)
    return policy(record, rules.policy_statements(api_rules, call.prefix, permissions))


def lookup(token: str, api_id: str) -> tuple[TokenModel, list[rules.Rule]]:
    """The record of an access token that counts (active, its user still as it was) and the rules
    of the API, in one round trip; Unauthorized for a token that does not count."""
    api_rules = _rules_cache.fresh(api_id)
    wanted = tokens.lookup_keys(token) + ([] if api_rules is not None else [(ApiModel, api_key(api_id))])
    record, user, *api = storage.get_many(wanted)
    if api_rules is None:
        api_rules = _rules_cache.put(api_id, rules.decode(api[0].rules) if api[0] else [])
    user = tokens.user_of(record, user, token)
    if not tokens.is_active(record, tokens.ACCESS) or not accounts.accepts(user, record):
        raise Unauthorized()
    return record, api_rules


def policy(record: TokenModel, statements: list[dict]) -> dict:
    """The authorizer's answer: the policy and the context the integration receives."""
    context = {"client_id": record.client_id, "scope": record.scope}
    if record.username:
        context["username"] = record.username
    return {
        "principalId": record.username or record.client_id,
        "policyDocument": {"Version": "2012-10-17", "Statement": statements},
        "context": context,
    }


def refusal(method_arn: str) -> dict:
    """A policy that denies everything: what the authorizer answers instead of raising under
    `sam local`, whose emulator turns a raised "Unauthorized" into a 502 (it then answers 403)."""
    api_prefix = "/".join(method_arn.split("/", 2)[:2])
    statement = {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": [f"{api_prefix}/*"]}
    return {"principalId": "anonymous", "policyDocument": {"Version": "2012-10-17", "Statement": [statement]}}
