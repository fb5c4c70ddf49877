"""A user's standing: whether their tokens still count, and the changes that end them.

A token is good only while its user exists, is enabled and still has the credential version the
token was issued under. Disabling a user and changing their password raise the version, so every
token issued before stops counting at once wherever it is checked (the authorizer, introspection,
the refresh grant), whatever a revocation sweep has or has not reached. Grants that mint tokens
for a user carry a condition on the user item (`unchanged`) in their own transaction, so a grant
racing a disable or a password change fails instead of minting tokens.
"""

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from tokenservice.store import storage
from tokenservice.store.models import UserModel
from tokenservice.users import lockout


def unchanged(user: UserModel) -> Condition:
    """The user item is still enabled and at the credential version it was read with."""
    version = int(user.credential_version or 0)
    same_version = UserModel.credential_version == version
    if version == 0:
        same_version = UserModel.credential_version.does_not_exist() | same_version
    return UserModel.username.exists() & ~(UserModel.disabled == True) & same_version  # noqa: E712


def guard(user: UserModel, condition: Condition | None = None, actions: list[Action] = ()) -> dict:
    """The transaction item that holds a grant to the user being as read (and `condition`), and
    applies `actions` to the user item with it."""
    condition = unchanged(user) if condition is None else unchanged(user) & condition
    if actions:
        return {
            "Update": storage.update_request(UserModel, user.username, actions, condition, must_exist=False)
        }
    return {"ConditionCheck": storage.condition_check_request(UserModel, user.username, condition)}


_NEW_VERSION = UserModel.credential_version.add(1)


def disable(username: str) -> UserModel | None:
    """Disable a user; every token issued before stops counting. None when no such user."""
    return storage.update(UserModel, username, [UserModel.disabled.set(True), _NEW_VERSION])


def enable(username: str) -> UserModel | None:
    """Enable a user again and lift any lockout (tokens from before the disable stay void)."""
    return lockout.unlock(username, [UserModel.disabled.set(False)])


def set_password_hash(username: str, password_hash: str) -> UserModel | None:
    """Replace a user's password and lift any lockout; every token issued before stops counting."""
    return lockout.unlock(username, [UserModel.password_hash.set(password_hash), _NEW_VERSION])


def set_roles(username: str, roles: set[str] | None) -> UserModel | None:
    """Give a user exactly these roles; every token issued before stops counting."""
    change = UserModel.roles.set(roles) if roles else UserModel.roles.remove()
    return storage.update(UserModel, username, [change, _NEW_VERSION])
