"""`tokenctl import wso2-users FILE.csv`: WSO2 Carbon's user store (UM_USER, UM_ROLE/UM_USER_ROLE
and the hybrid Internal/ roles) as users of this service, keeping their passwords working.

- Columns (docs/migrating-from-wso2.md has the SQL): UM_USER_NAME, UM_USER_PASSWORD, UM_SALT_VALUE,
  and optionally UM_TENANT_ID (missing: -1234, the super tenant carbon.super), UM_REQUIRE_CHANGE,
  ROLES (comma-separated, as WSO2's scope bindings list roles).
- Only the tenants asked for are imported (`--tenant`, default -1234); the others are skipped and
  reported. One service has one namespace of usernames: two tenants' "alice" are one name here.
- Usernames: a `PRIMARY/` user-store domain and an `@carbon.super` tenant suffix are dropped
  (`alice`); another store's domain (`LDAP/alice`) is skipped, as that store may reuse the name.
  Names then go through provisioning (RFC 8265 canonical form, not a client's id, not mixing
  scripts): names WSO2 kept apart by case (`Alice`, `alice`) are one here, so the second is
  reported and skipped.
- Each password hash is kept as a legacy credential (`users.legacy`: WSO2's salted SHA-256 as
  `--digest` says, or a bcrypt/PBKDF2 hash recognised by its format), behind argon2id, and is
  replaced by argon2id of the password at the user's first sign-in. Rows with anything else are
  skipped and reported.
- Idempotent: an existing user is never changed (not even a password upgraded since), the write is
  conditional. `dry_run` reports what would happen without writing (nor hashing).
"""

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from tokenservice.core import problems
from tokenservice.migration.report import Report, existing, read_csv
from tokenservice.registry import registry
from tokenservice.store import storage
from tokenservice.store.models import UserModel
from tokenservice.users import legacy, passwords, provisioning

SUPER_TENANT = "-1234"
REQUIRED = ("UM_USER_NAME", "UM_USER_PASSWORD", "UM_SALT_VALUE")
_TRUE = {"true", "1", "t", "y", "yes"}
_FALSE = {"false", "0", "f", "n", "no", ""}


@dataclass(frozen=True)
class Planned:
    row: int
    username: str
    credential: legacy.Credential
    roles: set[str] | None
    must_change: bool


def wso2_username(raw: str) -> str:
    """The name a WSO2 username has here (domain and tenant suffix dropped); problems.Invalid for a
    name of another user store."""
    name = raw.strip()
    domain, slash, rest = name.partition("/")
    if slash:
        if domain.upper() != "PRIMARY":
            raise problems.Invalid(f"of the user store {domain[:20]}: only PRIMARY's users are imported")
        name = rest
    if name.lower().endswith("@carbon.super"):
        name = name[: -len("@carbon.super")]
    return provisioning.valid_username(name)


def _flag(value: str) -> bool:
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise problems.Invalid("UM_REQUIRE_CHANGE is neither true nor false")


def _credential(row: dict[str, str], digest: str) -> legacy.Credential:
    stored = row["UM_USER_PASSWORD"]
    recognised = legacy.recognised(stored)
    if recognised is not None:
        return recognised
    return legacy.wso2(stored, row.get("UM_SALT_VALUE") or None, digest)


def _roles(value: str, name: str, report: Report) -> set[str] | None:
    """The roles of a ROLES cell (comma-separated); a role name with spaces cannot be held here
    (role lists are space-separated): the user is imported without it, and that is reported."""
    roles = [role.strip() for role in value.split(",") if role.strip()]
    spaced = [role for role in roles if any(char.isspace() for char in role)]
    if spaced:
        report.warn(name, f"roles with spaces are not given: {', '.join(role[:40] for role in spaced)}")
    return provisioning.valid_roles(" ".join(role for role in roles if role not in spaced))


def plan(path: str, tenants: set[str], digest: str, report: Report) -> list[Planned]:
    """The rows to import, in order; each refused row is reported with the reason."""
    planned, seen = [], {}
    for row_number, row in read_csv(path, REQUIRED):
        raw = row["UM_USER_NAME"]
        tenant = row.get("UM_TENANT_ID") or SUPER_TENANT
        if tenant not in tenants:
            report.skip(row_number, raw, f"tenant {tenant[:12]} is not imported (--tenant={tenant[:12]})")
            continue
        try:
            username = wso2_username(raw)
            if username in seen:
                raise problems.Invalid(f"the same name here as row {seen[username]} (names ignore case)")
            entry = Planned(
                row_number,
                username,
                _credential(row, digest),
                _roles(row.get("ROLES", ""), username, report),
                _flag(row.get("UM_REQUIRE_CHANGE", "")),
            )
        except problems.Invalid as refused:
            report.skip(row_number, raw, str(refused))
            continue
        seen[username] = row_number
        planned.append(entry)
    return planned


def _create(entry: Planned) -> bool:
    """Store one user (hashing its credential with argon2id); False when the name is taken."""
    user = UserModel(
        username=entry.username,
        password_hash=passwords.protect_legacy(entry.credential),
        scope="",
        roles=entry.roles,
        disabled=False,
        created_at=int(time.time()),
        must_change_password=True if entry.must_change else None,
    )
    try:
        storage.create(user)
    except storage.KeyTaken:
        return False
    return True


def _document(entry: Planned) -> dict:
    return {
        "username": entry.username,
        "roles": " ".join(sorted(entry.roles or ())),
        "must_change_password": entry.must_change,
    }


def import_users(path: str, *, tenants=(SUPER_TENANT,), digest="SHA-256", dry_run=False) -> Report:
    """Import a CSV of WSO2 users; the report says what was (or would be) done with each row."""
    report = Report("users", dry_run=dry_run)
    planned = plan(path, set(tenants), digest, report)
    taken = existing(UserModel, [entry.username for entry in planned])
    new = []
    for entry in planned:
        if entry.username in taken:
            report.existing.append(entry.username)
        else:
            new.append(entry)
    if not dry_run and new:
        # argon2id of each hash: CPU-bound, and argon2-cffi releases the GIL while it works.
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            made = list(pool.map(_create, new))
        for entry, created in zip(new, made, strict=True):
            (report.created.append(_document(entry)) if created else report.existing.append(entry.username))
    else:
        report.created.extend(_document(entry) for entry in new)
    _note_unbound_roles(planned, report)
    return report


def _note_unbound_roles(planned: list[Planned], report: Report) -> None:
    """Roles no scope is bound to yet: import the APIs (their x-scopes-bindings) to bind them."""
    bound = {role for scope in registry.scopes() for role in (scope.roles or ())}
    unbound = sorted({role for entry in planned for role in (entry.roles or ())} - bound)
    if unbound:
        report.warn("roles", f"no scope is bound to {' '.join(unbound)} yet (tokenctl api import binds them)")
