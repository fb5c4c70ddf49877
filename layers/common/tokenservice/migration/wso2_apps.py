"""`tokenctl import wso2-apps FILE...`: WSO2 applications as clients with the same consumer keys
and secrets, so deployed clients keep working (docs/migrating-from-wso2.md).

- Each key keeps its consumer key and secret (stored as every client secret is: its SHA-256), its
  callback URL (`redirect_uris`; WSO2's `regexp=` callbacks cannot be matched exactly and are
  reported), its token lifetimes (the user-token one, or the application-token one for a key
  without the password grant, within this service's bounds) and the grant types this service
  supports; the others are reported.
- Secrets: plain (WSO2's default), or `secrets="sha256"` for a deployment that hashed them
  (HashingPersistenceProcessor with SHA-256 stores the hex SHA-256 this service stores too, so they
  still work). A secret that is encrypted, hashed otherwise or missing cannot be imported: it is
  reported, and with `new_secrets` the client gets a new secret, shown once.
- An application whose owner (USERNAME) is a user here becomes an application of theirs, as the
  portal makes them (both keys, within APPLICATIONS_PER_USER; over it, it is reported), and its
  keys may carry only the scopes the owner may obtain (the rest is reported). `unowned` (or an
  owner who is not a user here) makes operator's clients, with all the scopes.
- Scopes: `scope` (default: every scope the registry defines: import the APIs first).
- Idempotent: an application any of whose keys is a client already is left as it is.
"""

import base64
import binascii
import re
import time

from tokenservice.core import config, credentials, grant_types, problems, scopes
from tokenservice.core.errors import OAuthError
from tokenservice.core.text import has_control_characters
from tokenservice.migration import wso2_keys, wso2_users
from tokenservice.migration.report import Report, existing, shown
from tokenservice.oauth import clients, redirects
from tokenservice.portal import applications
from tokenservice.registry import registry
from tokenservice.store import storage
from tokenservice.store.models import ClientModel, UserModel

_HEX_SHA256 = re.compile(r"[0-9a-f]{64}")
SECRET_MODES = ("plain", "sha256")


def _looks_encrypted(secret: str) -> bool:
    """WSO2's encrypted secrets are Base64 of an RSA ciphertext (or of a JSON wrapper of one)."""
    try:
        return len(secret) > 64 and len(base64.b64decode(secret, validate=True)) >= 128
    except (binascii.Error, ValueError):
        return False


def secret_digest(key: wso2_keys.Key, mode: str) -> str:
    """The stored form of a key's secret; problems.Invalid when it cannot be imported."""
    secret = key.consumer_secret
    if not secret:
        raise problems.Invalid("the export has no consumer secret (apictl: --with-keys)")
    if mode == "sha256" or key.hashed:
        if not _HEX_SHA256.fullmatch(secret.lower()):
            raise problems.Invalid("the secret is hashed, and not with SHA-256: it cannot be imported")
        return secret.lower()
    if _looks_encrypted(secret) or len(secret) > credentials.MAX_LENGTH or has_control_characters(secret):
        raise problems.Invalid("the secret looks encrypted: export it with apictl (which decrypts it)")
    return credentials.digest(secret)


def _seconds(value: str, setting: config.Number, what: str, name: str, report: Report) -> int | None:
    if not value:
        return None
    number = int(value) if value.lstrip("-").isdigit() else None
    if number is None or number <= 0:
        report.warn(name, f"{what} {shown(value)} is not a lifetime here: the service default applies")
        return None
    if not setting.accepts(number):
        bounded = min(max(number, setting.minimum), setting.maximum)
        report.warn(name, f"{what} {number} s is out of bounds here: {bounded} s")
        return bounded
    return number


def _grant_types(key: wso2_keys.Key, redirect_uris: set[str] | None, report: Report) -> str:
    supported = [kind for kind in grant_types.ALL if kind in key.grant_types]
    others = sorted(set(key.grant_types) - set(grant_types.ALL))
    if others:
        report.warn(key.consumer_key, f"grant types not carried: {' '.join(shown(kind) for kind in others)}")
    if grant_types.AUTHORIZATION_CODE in supported and not redirect_uris:
        supported.remove(grant_types.AUTHORIZATION_CODE)
        report.warn(key.consumer_key, "authorization_code not carried: it has no exact callback URL")
    if not supported:
        raise problems.Invalid("none of its grant types is supported here")
    return " ".join(supported)


def _redirect_uris(key: wso2_keys.Key, report: Report) -> set[str] | None:
    """The key's callback URL as the client's one redirect URI, when it is an exact URI this
    service accepts (https, or http to the loopback); a pattern or another URL is reported."""
    url = key.callback_url
    if not url:
        return None
    if url.startswith("regexp="):
        report.warn(key.consumer_key, "its callback URL is a pattern: register the exact URIs instead")
        return None
    try:
        return redirects.valid_list([url], private_schemes=True)
    except problems.Invalid as error:
        report.warn(key.consumer_key, f"its callback URL is not carried: {error}")
        return None


def client(key: wso2_keys.Key, scope: str, options: dict, report: Report) -> tuple[ClientModel, str | None]:
    """A client for one key (and its new secret, when one was made); problems.Invalid saying why
    it cannot be imported."""
    consumer_key = key.consumer_key
    if not consumer_key or len(consumer_key) > credentials.MAX_LENGTH or not consumer_key.isprintable():
        raise problems.Invalid("the consumer key is empty, too long or not printable")
    uris = _redirect_uris(key, report)
    kinds = _grant_types(key, uris, report)
    new_secret = None
    try:
        digest = secret_digest(key, options["secrets"])
        if options["secrets"] == "plain" and not key.hashed and _HEX_SHA256.fullmatch(key.consumer_secret):
            report.warn(consumer_key, "its secret looks like a SHA-256 hash: if so, use --secrets sha256")
    except problems.Invalid:
        if not options["new_secrets"]:
            raise
        new_secret = credentials.new_client_secret()
        digest = credentials.digest(new_secret)
    access = key.user_ttl if grant_types.PASSWORD in kinds.split() else key.app_ttl
    if key.user_ttl and key.app_ttl and key.user_ttl != key.app_ttl:
        report.warn(consumer_key, "one access-token lifetime here for user and application tokens")
    model = ClientModel(
        client_id=consumer_key,
        name=(key.name or consumer_key)[:200],
        secret_hash=digest,
        scope=scope,
        grant_types=kinds,
        introspect_any=False,
        access_ttl=_seconds(access, config.ACCESS_TTL, "access-token lifetime", consumer_key, report),
        refresh_ttl=_seconds(key.refresh_ttl, config.REFRESH_TTL, "refresh lifetime", consumer_key, report),
        redirect_uris=uris if grant_types.AUTHORIZATION_CODE in kinds.split() else None,
        created_at=int(time.time()),
    )
    return model, new_secret


def _owner(key: wso2_keys.Key, options: dict, report: Report) -> UserModel | None:
    """The user here who owns the application, if any."""
    if options["unowned"] or not key.owner:
        return None
    try:
        name = wso2_users.wso2_username(key.owner)
    except problems.Invalid:
        name = None
    user = storage.get(UserModel, name) if name else None
    if user is None:
        label = key.name or key.consumer_key
        report.warn(label, f"owner {shown(key.owner)} is no user here: operator's clients")
    return user


def _owned_scope(owner: UserModel, scope: str, name: str, report: Report) -> str:
    wanted = scopes.parse(scope)
    kept = wanted & registry.obtainable(owner)
    if wanted - kept:
        dropped = " ".join(sorted(wanted - kept))
        report.warn(name, f"its owner may not obtain {dropped}: its keys do not carry it (or --unowned)")
    return " ".join(sorted(kept))


def import_apps(paths: list[str], *, scope: str | None = None, tenants=("-1234",), **options) -> Report:
    """Import WSO2 applications from CSV exports or apictl archives. `options`: `secrets` ("plain"
    or "sha256"), `new_secrets`, `unowned`, `dry_run`; the report says what was (or would be) done."""
    options = {"secrets": "plain", "new_secrets": False, "unowned": False, "dry_run": False, **options}
    if options["secrets"] not in SECRET_MODES:
        raise problems.Invalid(f"--secrets must be one of {' '.join(SECRET_MODES)}")
    report = Report("applications", dry_run=options["dry_run"])
    keys = [key for path in paths for key in wso2_keys.read(path)]
    scope = scopes.canonical_list(scope) if scope is not None else " ".join(s.name for s in registry.scopes())
    groups: dict[tuple[str, str], list[wso2_keys.Key]] = {}
    for key in keys:
        groups.setdefault((key.source if not key.row else "", key.application), []).append(key)
    taken = existing(ClientModel, [key.consumer_key for key in keys if key.consumer_key])
    for app_keys in groups.values():
        if app_keys[0].tenant not in set(tenants):
            for key in app_keys:
                report.skip(key.row, key.consumer_key, f"tenant {shown(key.tenant)} is not imported")
        elif any(key.consumer_key in taken for key in app_keys):
            report.existing.append(shown(app_keys[0].name or app_keys[0].consumer_key))
        else:
            _application(app_keys, scope, options, report)
    return report


def _by_environment(app_keys: list[wso2_keys.Key], report: Report) -> dict[str, wso2_keys.Key]:
    by_env: dict[str, wso2_keys.Key] = {}
    for key in app_keys:
        if key.environment in by_env:
            report.skip(key.row, key.consumer_key, f"a second {key.environment} key of one application")
        else:
            by_env[key.environment] = key
    return by_env


def _application(app_keys: list[wso2_keys.Key], scope: str, options: dict, report: Report) -> None:
    """Import one application's keys (as an application of its owner's, or operator's clients)."""
    first = app_keys[0]
    label = first.name or first.consumer_key
    owner = _owner(first, options, report)
    app_scope = _owned_scope(owner, scope, label, report) if owner is not None else scope
    made: dict[str, tuple[ClientModel, str | None]] = {}
    for env, key in _by_environment(app_keys, report).items():
        try:
            made[env] = client(key, app_scope, options, report)
        except problems.Invalid as refused:
            report.skip(key.row, key.consumer_key, str(refused))
    if (
        made
        and options["dry_run"]
        and owner is not None
        and (refused := _would_refuse(owner, first.name, options))
    ):
        for env, (model, _) in made.items():
            report.skip(_row_of(app_keys, env), model.client_id, refused)
        return
    if not made or options["dry_run"]:
        _created(made, owner, label, report)
        return
    if owner is not None:
        try:
            applications.adopt(owner.username, first.name, {env: c for env, (c, _) in made.items()})
        except OAuthError as refused:
            for env, (model, _) in made.items():
                report.skip(_row_of(app_keys, env), model.client_id, refused.description)
            return
    else:
        for env, (model, _) in list(made.items()):
            try:
                clients.store(model)  # with its id reserved against usernames, as every client's
            except problems.Exists:
                report.existing.append(model.client_id)
                del made[env]
    _created(made, owner, label, report)


def _would_refuse(owner: UserModel, name: str, options: dict) -> str | None:
    """In a dry run, why `applications.adopt` would refuse this application, if it would."""
    planned = options.setdefault("_planned", {}).setdefault(
        owner.username, set(owner.application_names or ())
    )
    canonical = applications.canonical_name(name)
    if canonical in planned:
        return "Its owner has an application of that name"
    if len(planned) >= applications.limit():
        return f"A user may have at most {applications.limit()} applications"
    planned.add(canonical)
    return None


def _row_of(app_keys: list[wso2_keys.Key], env: str) -> int:
    return next((key.row for key in app_keys if key.environment == env), 0)


def _created(made: dict, owner: UserModel | None, label: str, report: Report) -> None:
    for env, (model, new_secret) in made.items():
        entry = {
            "client_id": model.client_id,
            "application": shown(label),
            "environment": env,
            "owner": owner.username if owner is not None else "",
            "grant_types": model.grant_types,
        }
        if new_secret:
            entry["client_secret"] = new_secret  # new, shown once: the only secret a report holds
        report.created.append(entry)
