"""The Lambda TOKEN authorizer for any API in the registry (RFC 6750).

An opaque token: it hashes the token and reads its record, and the record of the user the token
names, in one consistent round trip (GetItem for a client's token, BatchGetItem for a user's). A
JWT access token (RFC 9068) is verified locally with the signing keys in memory: no read at all
(JWT_REVOCATION_CHECK adds the record check). The rules of the API in the `methodArn` (and the
keys) come from memory (RULES_CACHE_SECONDS) or, on a miss, in that same round trip. A missing,
unknown, expired or revoked token, or one whose user is disabled or changed password since it was
issued, raises `Unauthorized` (API Gateway answers 401).

A valid token gets a policy for every resource of the API: Allow where its scopes suffice, Deny
elsewhere (403, insufficient_scope; the context's `denied` says why, for the gateway response).
An API that requires subscriptions (`tokenctl api import --subscriptions required`) admits an
application's token only while the application is subscribed to it: the authorizer reads the
token's client (one more round trip, only on APIs that require subscriptions or have had one) and
denies every resource otherwise. The subscription's API key is returned as `usageIdentifierKey`, so
that API Gateway's usage plan of its tier throttles the call; a call no subscription covers gets the
stack's default key (DEFAULT_USAGE_KEY). Tokens of clients that are not an application's (an
operator's, the portal's) are not bound by subscriptions.
"""

import re
import time
from dataclasses import dataclass

from tokenservice.core import caching, config, credentials, observability, scopes
from tokenservice.jose import keyset
from tokenservice.registry import rules
from tokenservice.store import dynamo, records
from tokenservice.store.records import ACCESS, REGISTRY_KEY, TOKEN_KEY, USER_KEY, TokenRecord, UserRecord

# RFC 6750 §2.1: "Bearer" 1*SP b64token (a user's token is up to ~730 characters: see credentials)
MAX_TOKEN_LENGTH = 1024
_BEARER = re.compile(rf"[Bb][Ee][Aa][Rr][Ee][Rr] +([-._~+/A-Za-z0-9]{{1,{MAX_TOKEN_LENGTH}}}=*)")

# API id → its rules, for RULES_CACHE_SECONDS; and what it says of subscriptions
# (`records.api_subscriptions`), for SUBSCRIPTIONS_CACHE_SECONDS (a second: an API that starts to
# require subscriptions does so at once, for one more item read a second).
_rules_cache: caching.Expiring[list[rules.Rule]] = caching.Expiring(config.RULES_CACHE_SECONDS.value)
_mode_cache: caching.Expiring[str | None] = caching.Expiring(
    lambda: min(config.SUBSCRIPTIONS_CACHE_SECONDS.value(), config.RULES_CACHE_SECONDS.value())
)  # never longer than the rules

NO_SCOPE = "The access token's scopes do not allow this resource"
NOT_SUBSCRIBED = "The application is not subscribed to this API: subscribe to it in the developer portal"


class Unauthorized(Exception):
    """API Gateway turns exactly this message into a 401."""

    def __init__(self):
        super().__init__("Unauthorized")


def bearer_token(authorization: str | None) -> str:
    match = _BEARER.fullmatch((authorization or "").strip())
    if not match:
        raise Unauthorized()
    return match.group(1)


@dataclass(frozen=True)
class Principal:
    """Who a valid access token speaks for, and its scope."""

    client_id: str
    username: str | None
    scope: str


def authorize(authorization: str | None, method_arn: str) -> dict:
    call = rules.MethodArn.parse(method_arn)
    if call is None:
        raise ValueError("not an execute-api method ARN")  # a misconfiguration: API Gateway answers 500
    try:
        token = bearer_token(authorization)
        check = _jwt if credentials.looks_like_jwt(token) else _opaque
        principal, (api_rules, subscriptions) = check(token, call.api_id)
        subscribed, key = _subscription(principal, call.api_id) if subscriptions else (True, None)
    except Unauthorized:
        observability.count(observability.AUTHORIZER_UNAUTHORIZED)
        if config.SAM_LOCAL.on():
            return refusal(method_arn)
        raise
    if not subscribed and subscriptions == records.REQUIRED:
        observability.count(observability.AUTHORIZER_DENY)
        return policy(principal, [_deny_all(call.prefix)], NOT_SUBSCRIBED)
    permissions = scopes.permissions(principal.scope)
    allowed = call.allowed(api_rules, permissions)
    if allowed:  # a success: summed per minute (observability); a refusal, counted at once
        observability.tally(observability.AUTHORIZER_ALLOW)
    else:
        observability.count(observability.AUTHORIZER_DENY)
    statements = rules.policy_statements(api_rules, call.prefix, permissions)
    return policy(principal, statements, NO_SCOPE, key or config.DEFAULT_USAGE_KEY.value() or None)


def _subscription(principal: "Principal", api_id: str) -> tuple[bool, str | None]:
    """For an API with subscriptions: whether the token's application is subscribed to it (True for a
    token that is not an application's: subscriptions do not bind it), and the subscription's key.
    A suspended application's client (its owner disabled) raises `Unauthorized`: its opaque tokens
    were revoked, and a JWT of it, read here anyway, counts no more than they do."""
    (item,) = dynamo.read(
        [(config.table_name(config.CLIENTS_TABLE), records.CLIENT_KEY, principal.client_id)]
    )
    client = records.ClientRecord.from_item(item)
    if client is None:  # deleted since (a JWT outlives its client): nobody's to admit
        return False, None
    if client.suspended:
        raise Unauthorized()
    if not client.application_id:
        return True, None
    key = records.subscriptions(client.subscriptions).get(api_id, {}).get("key")
    return (True, key) if isinstance(key, str) and key else (False, None)


def _deny_all(api_prefix: str) -> dict:
    return {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": [f"{api_prefix}/*"]}


def _registry(item_id: str) -> dynamo.ItemKey:
    return config.table_name(config.REGISTRY_TABLE), REGISTRY_KEY, item_id


def _read(
    wanted: dict[str, dynamo.ItemKey | None], api_id: str
) -> tuple[dict, tuple[list[rules.Rule], str | None]]:
    """The raw items `wanted` (by name), the API's rules (from memory, else read with the items) and
    what it says of subscriptions (from memory for SUBSCRIPTIONS_CACHE_SECONDS, else read with the
    items), in one round trip, none at all when nothing needs reading."""
    api_rules, mode = _rules_cache.fresh(api_id), _mode_cache.fresh(api_id)
    if api_rules is caching.MISS or mode is caching.MISS:
        wanted = {**wanted, "rules": _registry(f"api#{api_id}")}
    found = dict(zip(wanted, dynamo.read(list(wanted.values())), strict=True))
    if api_rules is caching.MISS:
        api_rules = _rules_cache.put(api_id, rules.decode(records.api_rules_text(found["rules"])))
    if mode is caching.MISS:
        mode = _mode_cache.put(api_id, records.api_subscriptions(found["rules"]))
    return found, (api_rules, mode)


def _token_and_user(token: str) -> dict[str, dynamo.ItemKey | None]:
    """The token's record and the user it names (`records.token_key`)."""
    record_key, username = records.token_key(token)
    return {
        "token": (config.table_name(config.TOKENS_TABLE), TOKEN_KEY, record_key) if record_key else None,
        "user": (config.table_name(config.USERS_TABLE), USER_KEY, username) if username else None,
    }


def _counts(record: TokenRecord | None, user: UserRecord | None, token: str) -> bool:
    """An access token's record is active and its user (if any) still as it was."""
    if records.needs_its_user_read_apart(record, token):
        (item,) = dynamo.read([(config.table_name(config.USERS_TABLE), USER_KEY, record.username)])
        user = UserRecord.from_item(item)
    return records.is_active(record, ACCESS) and records.accepts(user, record)


def _opaque(token: str, api_id: str) -> tuple[Principal, tuple[list[rules.Rule], str | None]]:
    """An opaque token: its record and its user, read in one round trip (with the rules on a miss)."""
    found, api_rules = _read(_token_and_user(token), api_id)
    record = TokenRecord.from_item(found["token"])
    if not _counts(record, UserRecord.from_item(found["user"]), token):
        raise Unauthorized()
    return Principal(record.client_id, record.username, record.scope), api_rules


def _jwt(token: str, api_id: str) -> tuple[Principal, tuple[list[rules.Rule], str | None]]:
    """A JWT (RFC 9068), verified locally with the keys in memory: no DynamoDB read at all when the
    keys and the API's rules are known, unless JWT_REVOCATION_CHECK asks for the token's record."""
    from tokenservice.jose import jwt_tokens  # JWT only: kept off the opaque path

    settings = keyset.cached()
    check_record = config.JWT_REVOCATION_CHECK.on()
    wanted = _token_and_user(token) if check_record else {}
    if settings is caching.MISS:
        wanted["signing"] = _registry(keyset.SETTINGS_ID)
    found, api_rules = _read(wanted, api_id)
    if settings is caching.MISS:
        settings = keyset.remember(keyset.stored(records.signing_fields(found["signing"])))
    claims = _verify(token, settings, jwt_tokens)
    if claims is None and settings and jwt_tokens.kid_of(token) not in {k.kid for k in settings.keys}:
        (item,) = dynamo.read([_registry(keyset.SETTINGS_ID)])  # a key newer than our copy
        claims = _verify(token, keyset.remember(keyset.stored(records.signing_fields(item))), jwt_tokens)
    if claims is None:
        raise Unauthorized()
    if check_record and not _counts(
        TokenRecord.from_item(found["token"]), UserRecord.from_item(found["user"]), token
    ):
        raise Unauthorized()
    username = claims["sub"] if claims["sub"] != claims["client_id"] else None
    return Principal(claims["client_id"], username, claims["scope"]), api_rules


def _verify(token: str, settings: keyset.Settings | None, jwt_tokens) -> dict | None:
    if settings is None:
        return None
    audiences = {settings.issuer, *config.JWT_AUDIENCES.value().split()}
    return jwt_tokens.verify(token, settings.verification_keys(time.time()), settings.issuer, audiences)


def policy(
    principal: Principal, statements: list[dict], denied: str = NO_SCOPE, key: str | None = None
) -> dict:
    """The authorizer's answer: the policy, the context the integration receives (and `denied`, the
    ACCESS_DENIED gateway response's description), and the usage plans' API key."""
    context = {"client_id": principal.client_id, "scope": principal.scope, "denied": denied}
    if principal.username:
        context["username"] = principal.username
    answer = {
        "principalId": principal.username or principal.client_id,
        "policyDocument": {"Version": "2012-10-17", "Statement": statements},
        "context": context,
    }
    if key:
        answer["usageIdentifierKey"] = key
    return answer


def refusal(method_arn: str) -> dict:
    """A policy that denies everything: what the authorizer answers instead of raising under
    `sam local`, whose emulator turns a raised "Unauthorized" into a 502 (it then answers 403)."""
    api_prefix = "/".join(method_arn.split("/", 2)[:2])
    statement = {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": [f"{api_prefix}/*"]}
    return {"principalId": "anonymous", "policyDocument": {"Version": "2012-10-17", "Statement": [statement]}}
