"""`tokenctl`'s façade (and the local runner's demo data, the load test's and the benchmarks'):
clients, users and their roles, the API registry (APIs, rules, scopes), the JWT signing keys and
the registered-users statistics, each in one call, over the modules that own them.

Bad input and conflicts are `AdminError` (`problems.Invalid`), said in one line. Secrets are
returned once, to be shown once; only their hashes are stored.
"""

import time

from tokenservice.core import config, problems, scopes
from tokenservice.jose import signing
from tokenservice.migration import wso2_apps, wso2_users
from tokenservice.oauth import clients, registrations, revocation
from tokenservice.portal import applications, subscriptions
from tokenservice.registry import openapi, registry, rules, tiers, usage_plans
from tokenservice.store import storage
from tokenservice.store.models import ApiModel, ClientModel, ScopeModel, UserModel
from tokenservice.users import accounts, identity, lockout, mfa, passwords, provisioning

AdminError = problems.Invalid  # bad input or a conflict, with a message fit for one line on stderr
AlreadyExists = problems.Exists  # the client id or username is taken

# -- what tokenctl calls as they are ----------------------------------------------------------------
NewClient = clients.NewClient
ClientBrowser = clients.Browser  # the authorization code grant's registration
create_client = clients.create_client
client_document = clients.client_document
rotate_secret = clients.rotate_secret
create_user = provisioning.create_user
valid_username = provisioning.valid_username
registered_users = registrations.registered_users
# Moving off WSO2 (docs/migrating-from-wso2.md): each returns a `migration.report.Report`.
import_wso2_users = wso2_users.import_users
import_wso2_apps = wso2_apps.import_apps


# -- clients ------------------------------------------------------------------------------------


def _username(username: str) -> str:
    """The key of an existing user named `username` (in any case or width)."""
    if not username or len(username) > config.MAX_USERNAME_LENGTH:
        raise problems.Invalid(f"no user {username[:40]!r}")
    return identity.canonical_username(username)


def list_clients() -> list[ClientModel]:
    return sorted(storage.scan(ClientModel), key=lambda client: (client.name, client.client_id))


def delete_client(client_id: str) -> int:
    """Delete a client and revoke every token issued to it; returns how many were revoked.

    A grant that read the client just before the delete may still write its tokens after this
    sweep: `settle_deleted_client` catches those.
    """
    deleted = storage.take(ClientModel, clients.client_key(client_id))
    if not deleted:
        raise problems.Invalid(f"no client {client_id}")
    if deleted.owner:  # a user's application: off its owner's list, as the portal would have done
        applications.forget_client(deleted)
    return revocation.revoke_client(client_id)


def settle_deleted_client(client_id: str) -> int:
    """After a client's deletion, wait until no request that read the client can still be running
    (MAX_REQUEST_SECONDS) and revoke what such requests wrote; returns how many."""
    time.sleep(config.MAX_REQUEST_SECONDS + 1)
    return revocation.revoke_client(client_id)


# -- users --------------------------------------------------------------------------------------


def user_document(user: UserModel, now: float | None = None) -> dict:
    now = time.time() if now is None else now
    locked = lockout.is_locked(user, now)
    document = {
        "username": user.username,
        "scope": user.scope,
        "roles": sorted(user.roles or ()),
        "disabled": bool(user.disabled),
        "locked_until": int(user.locked_until) if locked else None,
        "created_at": int(user.created_at),
    }
    if user.must_change_password:  # imported so (WSO2's UM_REQUIRE_CHANGE): no tokens until changed
        document["must_change_password"] = True
    return document


def list_users() -> list[UserModel]:
    """Every user (not the names held for clients' ids)."""
    users = storage.scan(UserModel, UserModel.reserved_for.does_not_exist())
    return sorted(users, key=lambda user: user.username)


def _found(user: UserModel | None, username: str) -> UserModel:
    if user is None:
        raise problems.Invalid(f"no user {username}")
    return user


def disable_user(username: str) -> int:
    """Disable a user: their tokens stop counting at once (a new credential version); their live
    tokens are also marked revoked (found by a query). Returns how many were marked."""
    user = _found(accounts.disable(_username(username)), username)
    return revocation.revoke_user(user.username) + _applications_follow(user)


def enable_user(username: str) -> UserModel:
    """Enable a user again, and lift any lockout (tokens from before the disable stay void)."""
    user = _found(accounts.enable(_username(username)), username)
    _applications_follow(user)
    return user


def set_password(username: str, password: str) -> int:
    """Set a new password and lift any lockout: the user's tokens stop counting at once, and their
    live tokens are marked revoked. Returns how many were marked."""
    key = _username(username)
    hashed = passwords.hash_password(identity.valid_new_password(password, key))
    user = _found(accounts.set_password_hash(key, hashed), username)
    return revocation.revoke_user(user.username)


def mfa_status(username: str) -> dict:
    """A user's second factor: whether TOTP is on, since when, how many recovery codes are left."""
    user = _found(storage.get(UserModel, _username(username)), username)
    return {"username": user.username, **mfa.status(user)}


def reset_mfa(username: str) -> int:
    """Turn a user's TOTP off (a lost phone): their sessions end and their tokens stop counting at
    once (a new credential version), their live tokens are marked revoked. Returns how many."""
    user = _found(mfa.reset(_username(username)), username)
    return revocation.revoke_user(user.username)


def set_roles(username: str, roles: str) -> UserModel:
    """Give a user exactly these roles; their tokens stop counting (they were issued for the old
    roles' scopes), as after a password change. Their applications' keys lose the scopes the user
    may no longer obtain."""
    user = _found(accounts.set_roles(_username(username), provisioning.valid_roles(roles)), username)
    _applications_follow(user)
    return user


def _applications_follow(user: UserModel) -> int:
    """A user's applications follow them (suspended, narrowed); returns how many tokens revoked."""
    if not user.application_clients:
        return 0
    return applications.follow_owner(user)


def consents(username: str) -> list[dict]:
    """The consents a user gave third parties' clients (the code flow's consent page)."""
    from tokenservice.signin import consents as given

    return [
        {"client_id": consent.client_id, "scope": consent.scope, "updated_at": int(consent.updated_at)}
        for consent in given.of_user(_username(username))
    ]


def revoke_consent(username: str, client_id: str) -> int:
    """Forget a user's consent to a client and revoke the user's tokens for it; returns how many.
    The next authorization asks again."""
    from tokenservice.signin import consents as given

    key = _username(username)
    if not any(consent["client_id"] == client_id for consent in consents(key)):
        raise problems.Invalid(f"user {key} gave client {client_id[:40]} no consent")
    return given.revoke(client_id, key)


# -- the API registry ------------------------------------------------------------------------------


def api_document(api: ApiModel) -> dict:
    return {
        "api_id": api.api_id,
        "name": api.name,
        "subscriptions": api.subscriptions or "none",
        "rules": [{"method": r.method, "path": r.path, "scope": r.scope} for r in registry.api_rules(api)],
        "updated_at": int(api.updated_at),
    }


def import_api(
    path: str, api_id: str, name: str | None = None, subscriptions: str | None = None
) -> tuple[ApiModel, list[str]]:
    """Register an API from an OpenAPI 3 (or WSO2's Swagger 2.0) file, replacing its rules; and
    what of WSO2's extensions it could not carry. `subscriptions`: "required" admits only the
    applications subscribed to it."""
    registry.subscriptions_choice(subscriptions)
    new = registry.api(api_id) is None
    api, notes = registry.import_api_noting(api_id, openapi.load(path), name, subscriptions or "none")
    return (registry.registered_anew(api) if new else api), notes


# -- the store: tiers and usage --------------------------------------------------------------------


def create_tier(
    name: str, rate: float, burst: int, quota: int | None = None, period: str | None = None
) -> tiers.Tier:
    return tiers.create(name, rate, burst, quota, period, plans=usage_plans.backend())


def delete_tier(name: str) -> tiers.Tier:
    return tiers.delete(name, plans=usage_plans.backend())


def list_tiers() -> list[tiers.Tier]:
    return tiers.all_tiers()


def usage(application_id: str | None = None, days: int = 30) -> list[dict]:
    """Calls per application, API and day (the last `days` days), one row each; only applications
    with subscriptions (an unknown application id: an error)."""
    found: dict[str, applications.Application] = {}
    for client in storage.scan(ClientModel, ClientModel.application_id.exists()):
        if application_id is None or client.application_id == application_id:
            app = found.get(client.application_id)
            clients = {**(app.clients if app else {}), client.environment: client}
            found[client.application_id] = applications.application_of(
                client.owner, client.application_id, clients
            )
    if application_id is not None and application_id not in found:
        raise AdminError(f"no application {application_id}")
    rows, apis = [], registry.apis_by_id()
    for app_id in sorted(found):
        report = subscriptions.usage_of(found[app_id], days, apis)
        for api in report["apis"]:
            for day in api["days"]:
                rows.append(
                    {
                        "application_id": app_id,
                        "application": found[app_id].name,
                        "owner": found[app_id].owner,
                        "api": api["api"],
                        "tier": api["tier"],
                        "date": day["date"],
                        "calls": day["calls"],
                    }
                )
    return rows


def set_rule(api_id: str, method: str, path: str, scope: str) -> ApiModel:
    """Add or replace one resource's rule (`-`: any valid token)."""
    rule = rules.rule(method, path, scope)
    if rule.scopes:
        scopes.canonical_list(" ".join(rule.scopes))
    new = registry.api(api_id) is None
    api = registry.set_rule(api_id, rule)
    return registry.registered_anew(api) if new else api


def api_rules(api_id: str) -> ApiModel:
    api = registry.api(api_id)
    if api is None:
        raise problems.Invalid(f"no API {api_id} (an API with no rules is denied everything)")
    return api


def delete_api(api_id: str) -> None:
    if not registry.delete_api(api_id):
        raise problems.Invalid(f"no API {api_id}")


def list_scopes() -> list[ScopeModel]:
    return registry.scopes()


def scope_document(scope: ScopeModel) -> dict:
    return {"name": scope.name, "description": scope.description or "", "roles": sorted(scope.roles or ())}


def define_scope(name: str, roles: str, description: str | None = None) -> ScopeModel:
    """Define a scope and the roles that may obtain it (WSO2's scope-role binding)."""
    if scopes.canonical_list(name) != name or " " in name or name == scopes.DEFAULT_SCOPE:
        raise problems.Invalid("a scope name is one scope token (RFC 6749 §3.3), not 'default'")
    return registry.define_scope(name, provisioning.valid_roles(roles) or (), description)


# -- JWT signing keys ----------------------------------------------------------------------------


def key_documents(now: float | None = None) -> list[dict]:
    """Every signing key: its id, age and state (never anything private)."""
    now = time.time() if now is None else now
    current = signing.read()
    if current is None:
        raise problems.Invalid("no signing settings: deploy the stack (or start make run) first")
    return [
        {
            "kid": key.kid,
            "state": key.state(current.keys, now),
            "created_at": key.created_at,
            "activates_at": key.activates_at,
            "age_seconds": int(now - key.created_at),
        }
        for key in sorted(current.keys, key=lambda k: k.activates_at)
    ]


def rotate_keys(activate_in: int = 0) -> dict:
    """A new signing key, signing from `activate_in` seconds on; the others stay published until
    every token they signed has expired."""
    if not 0 <= activate_in <= 86400:
        raise problems.Invalid("--activate-in must be between 0 and 86400 seconds")
    key = signing.rotate(activate_in)
    return next(document for document in key_documents() if document["kid"] == key.kid)


# -- statistics ---------------------------------------------------------------------------------


def stats(client_id: str | None = None) -> list[dict]:
    if client_id is None:
        return [registrations.registered_users(client) for client in list_clients()]
    client = storage.get(ClientModel, clients.client_key(client_id))
    if client is None:
        raise problems.Invalid(f"no client {client_id}")
    return [registrations.registered_users(client)]
