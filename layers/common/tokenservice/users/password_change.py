"""Users who must choose a new password before they get tokens (imported with WSO2's
UM_REQUIRE_CHANGE=true; NIST SP 800-63B §5.1.1.2 for the new one).

- The password grant refuses such a user, once the password is verified, with `invalid_grant`
  saying the password must be changed in the developer portal (`refuse_if_pending`): never which
  user, and only to whoever knows the password (a wrong one is refused as always, first).
- The hosted login page (where the portal signs in too) calls `change_pending_password` with the
  current and the new password: the current one is verified with the password grant's rules (one
  argon2 verification whoever is named, lockout counting), the new one must pass the new-password
  policy and differ from it, and one conditional write stores its argon2id hash, clears the flag,
  lifts the lockout and raises the credential version, on the condition that the user is as read
  and not locked. Then the page signs the user in with the new password, as any sign-in.
"""

import time

from tokenservice.core import config
from tokenservice.core.errors import InvalidGrant, InvalidRequest, PasswordChangeRequired
from tokenservice.store import storage
from tokenservice.store.models import UserModel
from tokenservice.users import accounts, identity, lockout, passwords

BAD_CREDENTIALS = "Invalid username or password"  # the password grant's answer, word for word


def refuse_if_pending(user: UserModel) -> None:
    """PasswordChangeRequired for a user whose password must be changed first."""
    if user.must_change_password:
        raise PasswordChangeRequired()


def change_pending_password(username: str, password: str, new_password: str) -> UserModel:
    """Replace the password of a user who must change it; InvalidGrant for a wrong username or
    password (as the password grant answers), InvalidRequest for a refused new password."""
    lookup = identity.canonical_username(username) if len(username) <= config.MAX_USERNAME_LENGTH else None
    user = storage.get(UserModel, lookup) if lookup else None
    now = time.time()
    usable = user is not None and not user.disabled and not lockout.is_locked(user, now)
    if not passwords.verify(user.password_hash if usable else None, password):
        if lookup is not None:
            lockout.record_failure(lookup, now)
        raise InvalidGrant(BAD_CREDENTIALS)
    if not user.must_change_password:
        raise InvalidRequest("No password change is pending for this account")
    if new_password == password:
        raise InvalidRequest("The new password must differ from the current one")
    try:
        identity.valid_new_password(new_password, user.username)
    except identity.InvalidIdentity as refused:
        raise InvalidRequest(str(refused)) from refused
    changes = [
        UserModel.password_hash.set(passwords.hash_password(new_password)),
        UserModel.must_change_password.remove(),
        UserModel.credential_version.add(1),
        *lockout.reset_actions(),
    ]
    changed = storage.update(
        UserModel, user.username, changes, accounts.unchanged(user) & lockout.still_open(now)
    )
    if changed is None:  # disabled, changed or locked meanwhile
        raise InvalidGrant(BAD_CREDENTIALS)
    return changed
