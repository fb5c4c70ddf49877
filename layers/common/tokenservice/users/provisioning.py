"""Provisioning users: a new user's username, password, direct scopes and roles (`tokenctl`,
sign-up, imports). Usernames are RFC 8265 canonical and may not be a client's id; passwords follow
the new-password policy (`identity`); only an argon2id hash is stored (`passwords`). Bad input is
`problems.Invalid`, a taken name `problems.Exists`.
"""

import time

from tokenservice.core import config, credentials, problems, scopes
from tokenservice.registry import registry
from tokenservice.store import storage
from tokenservice.store.models import ClientModel, UserModel
from tokenservice.users import accounts, identity, passwords


def valid_username(username: str) -> str:
    """The canonical form of a new username (RFC 8265), in one script (UTS #39: no `demo` spelt with a
    Cyrillic e, U+0435, beside `demo`), which may not be a client's id either. A client's id in any case is
    held by its reservation in the users table (`reservation`), so taking it fails as a taken name."""
    from tokenservice.users import scripts  # only where a username is created

    canonical = identity.valid_username(username)
    if scripts.is_mixed(canonical):
        raise identity.InvalidIdentity("a username must be written in one script (no look-alike letters)")
    if len(canonical) <= credentials.MAX_LENGTH and storage.get(ClientModel, canonical) is not None:
        raise problems.Exists(f"user {canonical} already exists")  # a principal of that name exists
    return canonical


def reservation(client_id: str, now: int) -> dict | None:
    """The Put that holds a client's id, case-folded, in the users table so that no user can take it
    (and that fails if a user has it); None when no username can be that long."""
    canonical = identity.canonical_username(client_id)
    if len(canonical) > config.MAX_USERNAME_LENGTH:
        return None
    held = UserModel(
        username=canonical, password_hash="!", scope="", disabled=True, created_at=now, reserved_for=client_id
    )
    return {"Put": storage.put_new_request(held)}


def valid_roles(value: str | None) -> set[str] | None:
    """Role names from a space-separated list (none: None)."""
    return registry.valid_roles(value) or None


def create_user(
    username: str, password: str, scope: str = "", *, roles: str | None = None, replace: bool = False
) -> UserModel:
    """Create a user with direct scopes and roles (`replace`: or give an existing one this
    password, scope and roles, which voids their tokens as a password change does)."""
    canonical, role_names = valid_username(username), valid_roles(roles)
    user = UserModel(
        username=canonical,
        password_hash=passwords.hash_password(identity.valid_new_password(password, canonical)),
        scope=scopes.canonical_list(scope),
        roles=role_names,
        disabled=False,
        created_at=int(time.time()),
    )
    try:
        storage.create(user)
    except storage.KeyTaken as error:
        existing = storage.get(UserModel, canonical)
        if not replace or existing is None or existing.reserved_for:
            raise problems.Exists(f"user {canonical} already exists") from error
        replaced = accounts.set_password_hash(canonical, user.password_hash)
        roles_action = UserModel.roles.set(user.roles) if user.roles else UserModel.roles.remove()
        user = storage.update(
            UserModel,
            canonical,
            [UserModel.scope.set(user.scope), roles_action, UserModel.disabled.set(False)],
        )
        if replaced is None or user is None:
            raise problems.Invalid(f"user {canonical} changed meanwhile") from error
    return user
