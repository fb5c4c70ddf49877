"""The API registry (WSO2's publisher model): API → resources → scopes → roles → users, as data.

- An API, keyed by its API Gateway REST API id, has a name and its resource rules (`rules`); the
  authorizer reads them (cached for RULES_CACHE_SECONDS) to decide calls to that API.
- A scope is defined once, with a description and the roles that may obtain it. A user may obtain
  their direct scopes and every scope bound to one of their roles (`obtainable`).
"""

import time
from collections.abc import Iterable, Iterator

from tokenservice.core import caching, config, problems
from tokenservice.registry import openapi, rules
from tokenservice.store import records, storage
from tokenservice.store.models import ApiModel, ClientModel, ScopeModel, UserModel, api_key, scope_key

MAX_API_ID_LENGTH = 128
MAX_NAME_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 1000


class RegistryError(problems.Invalid):
    """Bad input for the registry; the message says why, in one line."""


MAX_ROLE_LENGTH = 64
MAX_ROLES = 50


def valid_roles(value: str | None) -> set[str]:
    """Role names from a space-separated list: printable, without spaces, at most 64 characters."""
    roles = set((value or "").split())
    if len(roles) > MAX_ROLES:
        raise RegistryError(f"at most {MAX_ROLES} roles")
    for role in roles:
        if len(role) > MAX_ROLE_LENGTH or not role.isprintable():
            raise RegistryError(f"a role name is 1 to {MAX_ROLE_LENGTH} printable characters without spaces")
    return roles


def _api_id(api_id: str) -> str:
    if not api_id or len(api_id) > MAX_API_ID_LENGTH or not all(c.isalnum() or c in "-_." for c in api_id):
        raise RegistryError("an API id is 1 to 128 letters, digits, '-', '_' or '.'")
    return api_id


# -- APIs -----------------------------------------------------------------------------------------


def subscriptions_choice(value: str | None) -> str | None:
    """The stored form of `--subscriptions`: "required", or None for "none" (the default)."""
    if value in (None, "", "none"):
        return None
    if value != "required":
        raise RegistryError("--subscriptions is required or none")
    return value


def put_api(
    api_id: str,
    access_rules: Iterable[rules.Rule],
    name: str | None = None,
    *,
    description: str | None = None,
    subscriptions: str | None = None,
    stage: str | None = None,
    subscribed: bool | None = None,
) -> ApiModel:
    """Register an API with exactly these rules (replacing any it had)."""
    api = ApiModel(
        api_key(_api_id(api_id)),
        api_id=api_id,
        name=(name or api_id)[:MAX_NAME_LENGTH],
        rules=rules.encode(list(access_rules)),
        updated_at=int(time.time()),
        description=(description or "")[:MAX_DESCRIPTION_LENGTH] or None,
        subscriptions=subscriptions_choice(subscriptions),
        stage=stage,
        subscribed=subscribed or None,
    )
    storage.save(api)
    return api


def subscribed_clients() -> Iterator[tuple[ClientModel, dict[str, dict]]]:
    """Every client with subscriptions, and them (a strongly consistent scan of the clients:
    administration only, never on a request path)."""
    for client in storage.scan(ClientModel, ClientModel.subscriptions.exists()):
        yield client, records.subscriptions(client.subscriptions)


def has_subscribers(api_id: str) -> bool:
    """Whether an application is subscribed to the API: for an API an operator registers anew, whose
    subscriptions may have outlived its deletion (the stack's own loader never asks: its role cannot
    read the clients)."""
    return any(api_id in held for _, held in subscribed_clients())


def registered_anew(api: ApiModel) -> ApiModel:
    """An API an operator registered anew, marked as having subscriptions when some outlived its
    deletion (so that the authorizer applies their tiers again)."""
    if api.subscribed or not has_subscribers(api.api_id):
        return api
    storage.update(ApiModel, api.id, [ApiModel.subscribed.set(True)])
    return storage.get(ApiModel, api.id) or api


def apis_by_id() -> dict[str, ApiModel]:
    return {api.api_id: api for api in apis()}


def mark_subscribed(api_id: str) -> dict:
    """The transaction item that marks an API as having (had) subscriptions, on the condition that
    it is registered: from then on the authorizer looks for its callers' subscriptions."""
    return {
        "Update": storage.update_request(
            ApiModel, api_key(_api_id(api_id)), [ApiModel.subscribed.set(True)], ApiModel.id.exists()
        )
    }


def api(api_id: str) -> ApiModel | None:
    return storage.get(ApiModel, api_key(_api_id(api_id)))


def api_rules(api: ApiModel | None) -> list[rules.Rule]:
    return rules.decode(api.rules) if api is not None else []


def import_api(api_id: str, document, name: str | None = None, subscriptions: str | None = None) -> ApiModel:
    """Register an API from an OpenAPI 3 document: its bearer-protected operations become its rules
    (replacing any it had) and its oauth2 scopes are defined, with the roles its `x-scope-roles`
    names (a scope already defined keeps its description and roles)."""
    return import_api_noting(api_id, document, name, subscriptions)[0]


def import_api_noting(
    api_id: str, document, name: str | None = None, subscriptions: str | None = None
) -> tuple[ApiModel, list[str]]:
    """`import_api`, and what it could not carry (WSO2's extensions: `openapi.access_rules`), or
    kept (roles of scopes defined before), said in lines."""
    notes: list[str] = []
    access_rules = openapi.access_rules(document, notes)
    bound = {scope: _bindable(roles, notes) for scope, roles in openapi.scope_roles(document).items()}
    for scope, description in openapi.scope_descriptions(document).items():
        defined = describe_scope(scope, description, bound.get(scope, ()))
        if scope in bound and set(defined.roles or ()) != bound[scope]:
            notes.append(f"scope {scope} was defined before: its roles are kept (tokenctl scope create)")
    subscriptions_choice(subscriptions)
    info = document.get("info") if isinstance(document.get("info"), dict) else {}
    title, description = info.get("title"), info.get("description")
    current = api(api_id)
    return put_api(
        api_id,
        access_rules,
        name or (title if isinstance(title, str) else None),
        description=description if isinstance(description, str) else None,
        # None keeps what it had (the stack's own loader, make run's); "none" or "required" sets it
        subscriptions=subscriptions
        if subscriptions is not None
        else (current.subscriptions if current else None),
        stage=current.stage if current is not None else None,
        subscribed=current.subscribed if current is not None else None,
    ), notes


def _bindable(roles: list[str], notes: list[str]) -> set[str]:
    """The role names a binding may hold here (names with spaces cannot be listed: noted)."""
    spaced = [role for role in roles if any(char.isspace() for char in role)]
    if spaced:
        notes.append(f"roles with spaces are not bound: {', '.join(role[:40] for role in spaced)}")
    return valid_roles(" ".join(role for role in roles if role not in spaced))


def set_rule(api_id: str, rule: rules.Rule) -> ApiModel:
    """Add a rule to an API (registering it if new), replacing the rule of the same resource."""
    current = api(api_id)
    kept = [r for r in api_rules(current) if (r.method, r.path) != (rule.method, rule.path)]
    if current is None:
        return put_api(api_id, [*kept, rule])
    return put_api(
        api_id,
        [*kept, rule],
        current.name,
        description=current.description,
        subscriptions=current.subscriptions,
        stage=current.stage,
        subscribed=current.subscribed,
    )


def delete_api(api_id: str) -> bool:
    return storage.delete(ApiModel, api_key(_api_id(api_id)))


def apis() -> list[ApiModel]:
    return sorted(storage.scan(ApiModel, ApiModel.kind == "api"), key=lambda a: a.api_id)


# -- scopes and roles -----------------------------------------------------------------------------


def define_scope(name: str, roles: Iterable[str] = (), description: str | None = None) -> ScopeModel:
    """Define a scope (or redefine it): the roles that may obtain it, and what it is for."""
    current = storage.get(ScopeModel, scope_key(name))
    scope = ScopeModel(
        scope_key(name),
        name=name,
        description=description if description is not None else (current.description if current else ""),
        roles=set(roles) or None,
    )
    storage.save(scope)
    return scope


def describe_scope(name: str, description: str, roles: Iterable[str] = ()) -> ScopeModel:
    """Define a scope with a description and roles unless it is defined (keeping its roles)."""
    current = storage.get(ScopeModel, scope_key(name))
    if current is not None:
        return current
    return define_scope(name, roles, description)


def scopes() -> list[ScopeModel]:
    return sorted(storage.scan(ScopeModel, ScopeModel.kind == "scope"), key=lambda s: s.name)


_scope_names: caching.Expiring[list[str]] = caching.Expiring(config.RULES_CACHE_SECONDS.value)


def scope_names() -> list[str]:
    """Every defined scope's name, kept in memory for RULES_CACHE_SECONDS (for the metadata)."""
    return _scope_names.get("all", lambda: [scope.name for scope in scopes()])


def scope_keys(names: Iterable[str]) -> list[tuple[type[ScopeModel], str]]:
    """What to read to know which roles may obtain these scopes."""
    return [(ScopeModel, scope_key(name)) for name in sorted(names)]


def role_bound(defined: Iterable[ScopeModel | None], roles: Iterable[str] | None) -> frozenset[str]:
    """Of these scope definitions, the scopes bound to one of `roles`."""
    held = set(roles or ())
    return frozenset(scope.name for scope in defined if scope is not None and held & set(scope.roles or ()))


_definitions: caching.Expiring[list[ScopeModel]] = caching.Expiring(config.RULES_CACHE_SECONDS.value)


def obtainable(user: UserModel) -> frozenset[str]:
    """Every scope a user may obtain: their direct scopes and those bound to one of their roles
    (the scopes' definitions kept in memory for RULES_CACHE_SECONDS: a list to choose from; a
    grant reads the definitions of what it is asked for)."""
    direct = frozenset(user.scope.split())
    return direct | role_bound(_definitions.get("all", scopes), user.roles)
