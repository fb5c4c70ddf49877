"""The standing of the user behind a call on their applications: checked by every Applications API
and portal call, in the same round trip as the reads of the owner's applications.

A call counts only while its user exists and is enabled, its access token is active and still at
its user's credential version (disable, password and role changes raise it), and the user may
still obtain the scopes the call's route needs (`needed`: the registry's rules for this API; the
user's direct scopes or scopes bound to one of their roles, from the scopes' definitions). The
user item is where the owner's applications are listed, so one BatchGetItem reads the list, the
token's record and the definitions together (`read`), whatever the token's format: a JWT that
the authorizer verifies without any read is still judged here by its record (`jti`). Every change
then carries `guard` in its own transaction: a disable or a role change that lands between the
read and the write makes the write fail, so nothing is created or re-keyed after it.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass

from pynamodb.models import Model

from tokenservice.core import caching, config, scopes
from tokenservice.core.errors import InsufficientScope, InvalidToken, OAuthError
from tokenservice.registry import registry, rules
from tokenservice.store import records, storage
from tokenservice.store.models import TokenModel, UserModel
from tokenservice.users import accounts
from tokenservice.web.http import Request

_BEARER = re.compile(r"[Bb][Ee][Aa][Rr][Ee][Rr] +([-._~+/A-Za-z0-9]{1,1024}=*)")
NO_ROLE = "Your roles no longer grant the scope this call needs"


@dataclass(frozen=True)
class Caller:
    """Who makes a call: the user, the key of their access token's record (None: an operator or a
    test acting for the user, no token), the scopes the call needs, and the error that refuses a
    token or user that no longer counts (401)."""

    username: str
    token_key: str | None = None
    needs: frozenset[str] = frozenset()
    refusal: type[OAuthError] = InvalidToken


# -- what a call needs: the registry's rules for this API (kept in memory, as the authorizer does) --

_rules: caching.Expiring[list[rules.Rule]] = caching.Expiring(config.RULES_CACHE_SECONDS.value)


def api_rules(api_id: str) -> list[rules.Rule]:
    def load() -> list[rules.Rule]:
        try:
            return registry.api_rules(registry.api(api_id))
        except registry.RegistryError:
            return []

    return _rules.get(api_id, load)


def needed(api_id: str, method: str, path: str) -> frozenset[str] | None:
    """The scopes a call of `method path` on this API needs (every rule governing it); None when no
    rule governs it (denied)."""
    governing = [rule for rule in api_rules(api_id) if rule.matches(method, path)]
    if not governing:
        return None
    return frozenset().union(*(rule.scopes for rule in governing))


def bearer_caller(request: Request) -> Caller:
    """The caller of an Applications API request: the user the authorizer names, the record of the
    bearer token the request carries (the one the authorizer checked), the route's scopes."""
    username = str(request.authorizer.get("username") or "")
    if not username:
        raise InsufficientScope("Applications belong to users: a client's own token cannot manage them")
    match = _BEARER.fullmatch(request.headers.get("authorization", "").strip())
    record_key, named = records.token_key(match.group(1)) if match else (None, None)
    if record_key is None or (named is not None and named != username):
        raise InvalidToken()
    needs = needed(str(request.context.get("apiId") or ""), request.method, request.path)
    if needs is None:
        raise InsufficientScope()
    return Caller(username, record_key, needs)


# -- the check ----------------------------------------------------------------------------------------


def read(owner: "Caller | str", *also: tuple[type[Model], str]) -> tuple:
    """The owner's user item, checked (`judge`), then the items `also` names, all in one strongly
    consistent round trip."""
    caller = owner if isinstance(owner, Caller) else Caller(owner)
    wanted = [(UserModel, caller.username)]
    if caller.token_key is not None:
        wanted.append((TokenModel, caller.token_key))
    wanted += registry.scope_keys(caller.needs)
    items = _read_unique([*wanted, *also])
    user = items[0]
    record = items[1] if caller.token_key is not None else None
    judge(caller, user, record, items[len(wanted) - len(caller.needs) : len(wanted)])
    return user, *items[len(wanted) :]


def _read_unique(wanted: list[tuple[type[Model], str]]) -> list:
    """`storage.get_many`, each key read once (a BatchGetItem refuses a key twice)."""
    unique = list(dict.fromkeys((model, key) for model, key in wanted))
    found: Mapping = dict(zip(unique, storage.get_many(unique), strict=True))
    return [found[(model, key)] for model, key in wanted]


def judge(caller: Caller, user: UserModel | None, record: TokenModel | None, defined: list) -> UserModel:
    """The user, when the call still counts; else the caller's refusal (401), or InsufficientScope
    (403) when the user's roles no longer grant what the call needs."""
    if user is None or user.disabled:
        raise caller.refusal()
    if caller.token_key is not None:
        if (
            record is None
            or record.username != caller.username
            or not records.is_active(record, records.ACCESS)
        ):
            raise caller.refusal()
        if not records.accepts(user, record):
            raise caller.refusal()
        if caller.needs - scopes.permissions(record.scope):
            raise InsufficientScope()
    if caller.needs - (scopes.parse(user.scope) | registry.role_bound(defined, user.roles)):
        raise InsufficientScope(NO_ROLE)
    return user


def guard(user: UserModel) -> dict:
    """The transaction item that holds a change to the owner's applications to the owner being as
    read: enabled, at the same credential version."""
    return accounts.guard(user)
