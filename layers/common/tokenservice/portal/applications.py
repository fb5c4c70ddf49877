"""A user's applications: WSO2 API Store applications with their Production and Sandbox keys.

- An application belongs to one user, its owner, and only its owner sees or changes it. It has a
  name (1 to 70 printable characters, unique among its owner's in one canonical form: NFKC, case
  folded) and the scopes its keys may request: only scopes the owner may obtain (direct or bound
  to one of their roles), judged from the scopes' definitions as the password grant judges them.
- It has two OAuth clients, as WSO2 does: Production and Sandbox, each allowed every grant type.
  For the authorization code flow its owner registers its redirect URIs (https, or http to the
  loopback: `redirects`), the same for both; it is a third party's application, so it asks each
  user's consent at the hosted login page.
  A client's consumer secret is random from the start and shown only when its keys are generated;
  generating them again replaces it: the old secret stops working at once, tokens issued with it
  stay valid (as `tokenctl client rotate-secret`).
- The owner's user item lists their applications' names and clients. Creating an application is
  one transaction (its two clients, and that list on the condition that the name is free and the
  owner has fewer than APPLICATIONS_PER_USER), so concurrent creations can neither pass the limit
  nor repeat a name. Listing reads the user item, then its clients (both strongly consistent).
- Deleting an application deletes its clients (as read: with the subscriptions whose API keys it
  then deletes) and takes them off the list in one transaction, then revokes every token issued
  to them (one filtered scan of the tokens table). A grant that read one of its clients just
  before cannot write tokens after: grants through an application's client hold on the client
  being as read (`client_auth.unchanged`), so one sweep suffices.
- Applications follow their owner (`follow_owner`, from `tokenctl user disable/enable/set-roles`):
  suspended while the owner is disabled, narrowed to the scopes the owner may still obtain.
- "Registered Users": the distinct users who got tokens with either client through the password
  grant (the `registrations` index).
"""

import re
import secrets
import time
import unicodedata
from dataclasses import dataclass

from pynamodb.expressions.condition import Condition, size

from tokenservice.core import config, credentials, grant_types, problems, scopes
from tokenservice.core.errors import (
    ApplicationExists,
    ApplicationLimit,
    InvalidRequest,
    InvalidScope,
    NotFound,
)
from tokenservice.oauth import redirects, registrations, revocation
from tokenservice.portal import standing
from tokenservice.portal.portal_client import SESSION_SCOPE
from tokenservice.registry import registry, usage_plans
from tokenservice.store import records, storage
from tokenservice.store.models import ClientModel, UserModel
from tokenservice.users import accounts, provisioning

PRODUCTION, SANDBOX = "production", "sandbox"
ENVIRONMENTS = (PRODUCTION, SANDBOX)
MAX_NAME_LENGTH = 70  # as WSO2's API Store
MAX_SCOPES = 64
_ID = re.compile(r"[0-9a-f]{16}")


@dataclass(frozen=True)
class Application:
    id: str
    owner: str
    name: str
    scope: str
    created_at: int
    clients: dict[str, ClientModel]  # environment → its client

    @property
    def redirect_uris(self) -> list[str]:
        return sorted({uri for client in self.clients.values() for uri in client.redirect_uris or ()})


@dataclass(frozen=True)
class NewKeys:
    application: Application
    environment: str
    client_id: str
    client_secret: str  # plaintext, shown once
    generated_at: int

    def document(self) -> dict:
        return {
            "application_id": self.application.id,
            "environment": self.environment,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "generated_at": self.generated_at,
        }


def limit() -> int:
    return config.APPLICATIONS_PER_USER.value()


def valid_name(name: str) -> str:
    """A name fit for an application: 1 to 70 printable characters, no surrounding or double spaces."""
    if not 0 < len(name) <= MAX_NAME_LENGTH or name != name.strip() or "  " in name:
        raise InvalidRequest(
            f"An application name has 1 to {MAX_NAME_LENGTH} characters, without surrounding or double spaces"
        )
    if not name.isprintable():
        raise InvalidRequest("An application name cannot contain control or invisible characters")
    return name


def canonical_name(name: str) -> str:
    """The form in which two names of one owner are the same name."""
    return unicodedata.normalize("NFKC", name).casefold()


def environment(value: str | None) -> str:
    if value not in ENVIRONMENTS:
        raise InvalidRequest("'environment' must be 'production' or 'sandbox'")
    return value


# -- reading ---------------------------------------------------------------------------------------


def owned(owner: "standing.Caller | str") -> list[Application]:
    """The owner's applications, oldest first (the owner's standing checked with the list)."""
    return owned_by(standing.read(owner)[0])


def owned_by(user: UserModel | None) -> list[Application]:
    """The applications a user item lists, oldest first (their clients: one more round trip)."""
    ids = sorted(user.application_clients or ()) if user is not None else []
    if not ids:
        return []
    owner = user.username
    clients = storage.get_many([(ClientModel, client_id) for client_id in ids])
    grouped: dict[str, dict[str, ClientModel]] = {}
    for client in clients:
        if client is not None and client.owner == owner and client.application_id:
            grouped.setdefault(client.application_id, {})[client.environment] = client
    found = [_application(owner, app_id, pair) for app_id, pair in grouped.items()]
    return sorted(found, key=lambda app: (app.created_at, app.name))


def application_of(owner: str, app_id: str, clients: dict[str, ClientModel]) -> Application:
    """An application from its clients (an operator's view: `tokenctl usage`)."""
    return _application(owner, app_id, clients)


def _application(owner: str, app_id: str, clients: dict[str, ClientModel]) -> Application:
    """An application from the clients it has left (an operator may have deleted one of them)."""
    first = clients.get(PRODUCTION) or clients[SANDBOX]
    return Application(app_id, owner, first.name, first.scope, int(first.created_at), clients)


def find(owner: "standing.Caller | str", app_id: str) -> Application:
    """One of the owner's applications; NotFound for anyone else's, or none."""
    return _found(owner, app_id)[0]


def find_with_owner(owner: "standing.Caller | str", app_id: str) -> tuple[Application, UserModel]:
    """`find`, and the owner's user item as read (for a change held to the owner being so)."""
    return _found(owner, app_id)


def _found(owner: "standing.Caller | str", app_id: str) -> tuple[Application, UserModel]:
    """One of the owner's applications and the owner's user item, as read (standing checked)."""
    user = standing.read(owner)[0]
    if _ID.fullmatch(app_id or ""):
        for app in owned_by(user):
            if app.id == app_id:
                return app, user
    raise NotFound("No such application")


def _changed_meanwhile(owner: "standing.Caller | str") -> UserModel:
    """After a change's condition failed: the owner's standing judged again (its refusal when it
    no longer counts); the owner's user item as it is now."""
    return standing.read(owner)[0]


def keyed_client(app: Application, env: str) -> ClientModel:
    """The client of an application's environment, once its keys were generated."""
    env = environment(env)
    client = app.clients.get(env)
    if client is None or client.keys_generated_at is None:
        raise InvalidRequest(f"Generate the application's {env} keys first")
    return client


def registered_users(app: Application) -> int:
    """Distinct users who got tokens through the password grant with either of its clients."""
    users: set[str] = set()
    for client in app.clients.values():
        if client.keys_generated_at is not None:  # without keys, nobody can have used it
            users.update(user["username"] for user in registrations.registered_users(client)["users"])
    return len(users)


def document(app: Application) -> dict:
    """What the owner sees of an application (never a secret)."""
    keys = {
        env: None
        if (client := app.clients.get(env)) is None or client.keys_generated_at is None
        else {"client_id": client.client_id, "generated_at": int(client.keys_generated_at)}
        for env in ENVIRONMENTS
    }
    return {
        "id": app.id,
        "name": app.name,
        "scope": app.scope,
        "created_at": app.created_at,
        "redirect_uris": app.redirect_uris,
        "registered_users": registered_users(app),
        "keys": keys,
    }


# -- changing ---------------------------------------------------------------------------------------


def _requested_scopes(value: str | None) -> frozenset[str]:
    requested = scopes.parse(value) - {scopes.DEFAULT_SCOPE}
    if SESSION_SCOPE in requested:  # its keys would manage their owner's applications
        raise InvalidScope("An application cannot have the portal's own scope")
    if len(requested) > MAX_SCOPES:
        raise InvalidScope(f"An application may request at most {MAX_SCOPES} scopes")
    return requested


def _room_for(canonical: str) -> Condition:
    """The owner has no application of that name and fewer than the limit."""
    names = UserModel.application_names
    return names.does_not_exist() | (~names.contains(canonical) & (size(names) < limit()))


def _refuse_when_full(user: UserModel | None, canonical: str) -> None:
    names = set(user.application_names or ()) if user is not None else set()
    if canonical in names:
        raise ApplicationExists()
    if len(names) >= limit():
        raise ApplicationLimit(f"A user may have at most {limit()} applications")


def redirect_uris(value: str | None) -> set[str] | None:
    """An application's redirect URIs, space-separated: https, or http to the loopback."""
    try:
        return redirects.valid_list((value or "").split())
    except problems.Invalid as error:
        raise InvalidRequest(str(error)[0].upper() + str(error)[1:]) from error


def _new_client(owner: str, app_id: str, name: str, scope: str, env: str, now: int) -> ClientModel:
    return ClientModel(
        client_id=credentials.new_client_id(),
        name=name,
        secret_hash=credentials.digest(credentials.new_client_secret()),  # nobody knows it: no keys yet
        scope=scope,
        grant_types=" ".join(grant_types.ALL),
        introspect_any=False,
        created_at=now,
        owner=owner,
        application_id=app_id,
        environment=env,
    )


def create(
    owner: "standing.Caller | str", name: str, scope: str | None, uris: str | None = None
) -> Application:
    """A new application of the owner's, with scopes they may obtain, and its two clients (with the
    redirect URIs given, space-separated); written on the condition that the owner is still as read
    (enabled, same credential version)."""
    name = valid_name(name)
    registered = redirect_uris(uris)
    canonical = canonical_name(name)
    requested = _requested_scopes(scope)
    user, *defined = standing.read(owner, *registry.scope_keys(requested))
    refused = requested - scopes.parse(user.scope) - registry.role_bound(defined, user.roles)
    if refused:
        raise InvalidScope("You may not obtain one of the requested scopes")
    _refuse_when_full(user, canonical)
    now, app_id, username = int(time.time()), secrets.token_hex(8), user.username
    scope = " ".join(sorted(requested))
    clients = {env: _new_client(username, app_id, name, scope, env, now) for env in ENVIRONMENTS}
    for client in clients.values():
        client.redirect_uris = registered
    return _write(owner, user, app_id, name, clients)


def _write(
    owner: "standing.Caller | str", user: UserModel, app_id: str, name: str, clients: dict[str, ClientModel]
) -> Application:
    """Store an application's clients (each id reserved against usernames) and list them on the
    owner, in one transaction on the condition that the owner is still as read, the name is free
    and the owner has room."""
    canonical, now = canonical_name(name), int(time.time())
    listed = [
        UserModel.application_names.add({canonical}),
        UserModel.application_clients.add({client.client_id for client in clients.values()}),
    ]
    writes = [accounts.guard(user, _room_for(canonical), listed)]
    writes += [{"Put": storage.put_new_request(client)} for client in clients.values()]
    reserved = (provisioning.reservation(client.client_id, now) for client in clients.values())
    writes += [reservation for reservation in reserved if reservation is not None]
    try:
        storage.transact(writes)
    except storage.ConditionFailed as failed:
        mine = storage.get(ClientModel, clients[PRODUCTION].client_id)
        if mine is None or mine.application_id != app_id:  # not our own attempt, committed
            _refuse_when_full(_changed_meanwhile(owner), canonical)
            raise ApplicationExists("Your applications changed meanwhile: try again") from failed
    return _application(user.username, app_id, clients)


def adopt(owner: str, name: str, keys: dict[str, ClientModel]) -> Application:
    """An application of the owner's made of clients whose keys exist elsewhere (an import from
    WSO2: its Production and Sandbox consumer keys and secrets), as `create` makes one; the
    environment without keys gets a client of its own, without keys yet. The caller has kept the
    clients' scopes to what the owner may obtain."""
    name = valid_name(name)
    (user,) = standing.read(owner)
    _refuse_when_full(user, canonical_name(name))
    now, app_id = int(time.time()), secrets.token_hex(8)
    scope = next(iter(keys.values())).scope
    clients = {}
    for env in ENVIRONMENTS:
        client = keys.get(env) or _new_client(owner, app_id, name, scope, env, now)
        client.owner, client.application_id, client.environment, client.name = owner, app_id, env, name
        if env in keys:
            client.keys_generated_at = now
        clients[env] = client
    return _write(owner, user, app_id, name, clients)


def generate_keys(owner: "standing.Caller | str", app_id: str, env: str) -> NewKeys:
    """A new consumer secret for one environment of the owner's application, shown once; written on
    the condition that the owner is still as read."""
    env = environment(env)
    app, user = _found(owner, app_id)
    secret = credentials.new_client_secret()
    now = int(time.time())
    if env not in app.clients:  # an operator deleted that environment's client
        raise NotFound(f"This application has no {env} keys any more")
    client_id = app.clients[env].client_id
    mine = (ClientModel.owner == user.username) & (ClientModel.application_id == app_id)
    keyed = [ClientModel.secret_hash.set(credentials.digest(secret)), ClientModel.keys_generated_at.set(now)]
    writes = [{"Update": storage.update_request(ClientModel, client_id, keyed, mine)}, standing.guard(user)]
    try:
        storage.transact(writes)
    except storage.ConditionFailed as failed:
        _changed_meanwhile(owner)
        raise NotFound("No such application") from failed
    return NewKeys(app, env, client_id, secret, now)


def subscriptions_as_read(client: ClientModel) -> Condition:
    """A client's subscriptions are those read (none, when it had none)."""
    if client.subscriptions:
        return ClientModel.subscriptions == client.subscriptions
    return ClientModel.subscriptions.does_not_exist()


def _as_read(client: ClientModel, username: str) -> Condition:
    """A client still the owner's, with the subscriptions read (whose API keys go with it)."""
    return (ClientModel.owner == username) & subscriptions_as_read(client)


def delete(owner: "standing.Caller | str", app_id: str, attempts: int = 3) -> int:
    """Delete the owner's application and revoke its clients' tokens; returns how many. The clients
    are deleted as read (a subscription written meanwhile: read again), so their keys all go."""
    app, user = _found(owner, app_id)
    ids = {client.client_id for client in app.clients.values()}
    writes = [
        {"Delete": storage.delete_request(ClientModel, client.client_id, _as_read(client, user.username))}
        for client in sorted(app.clients.values(), key=lambda c: c.client_id)
    ]
    unlisted = [
        UserModel.application_names.delete({canonical_name(app.name)}),
        UserModel.application_clients.delete(ids),
    ]
    writes.append(accounts.guard(user, None, unlisted))
    try:
        storage.transact(writes)
    except storage.ConditionFailed as failed:
        if any(storage.get_many([(ClientModel, client_id) for client_id in sorted(ids)])):
            _changed_meanwhile(owner)
            if attempts > 1:  # changed meanwhile (a subscription): once more, on what is there now
                return delete(owner, app_id, attempts - 1)
            raise NotFound("No such application") from failed
        # else: an attempt whose response was lost deleted it
    ended: dict[str, dict] = {}
    for client in app.clients.values():
        ended.update(records.subscriptions(client.subscriptions))
    usage_plans.forget_keys(ended.values())  # its subscriptions' API keys
    return revocation.revoke_clients(ids)


# -- following the owner -----------------------------------------------------------------------------


def follow_owner(owner: UserModel) -> int:
    """An owner's applications follow the owner (`tokenctl user disable/enable/set-roles`): their
    clients are suspended while the owner is disabled and keep only the scopes the owner may still
    obtain; the tokens of a client so changed are revoked. Grants that read a client before the
    change fail (`client_auth.unchanged`). Returns how many tokens were revoked."""
    ids = sorted(owner.application_clients or ())
    found = storage.get_many([(ClientModel, client_id) for client_id in ids])
    clients = [client for client in found if client is not None and client.owner == owner.username]
    obtainable = registry.obtainable(owner)
    changed = []
    suspended = bool(owner.disabled)
    for client in clients:
        had = scopes.parse(client.scope)
        kept = had & obtainable
        if suspended == bool(client.suspended) and kept == had:
            continue
        actions = [ClientModel.suspended.set(True) if suspended else ClientModel.suspended.remove()]
        if kept != had:
            actions.append(ClientModel.scope.set(" ".join(sorted(kept))))
        storage.update(ClientModel, client.client_id, actions)
        if suspended or kept != had:
            changed.append(client.client_id)
    return revocation.revoke_clients(changed) if changed else 0


def forget_client(client: ClientModel) -> None:
    """An operator deleted one of a user's application clients: it leaves the owner's list, and the
    application's name too once neither of its clients is left (so the name can be used again; and
    its subscriptions' API keys are deleted: the sibling that held them too is gone)."""
    siblings = [
        other
        for other in storage.get_many([(ClientModel, i) for i in sorted(_listed(client.owner))])
        if other is not None and other.application_id == client.application_id
    ]
    changes = [UserModel.application_clients.delete({client.client_id})]
    if not siblings:
        changes.append(UserModel.application_names.delete({canonical_name(client.name)}))
    storage.update(UserModel, client.owner, changes)
    if not siblings:
        usage_plans.forget_keys(records.subscriptions(client.subscriptions).values())


def _listed(owner: str) -> set[str]:
    user = storage.get(UserModel, owner)
    return set(user.application_clients or ()) if user is not None else set()
