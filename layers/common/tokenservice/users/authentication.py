"""Checking a user's password: the one path every sign-in takes (the password grant, RFC 6749 §4.3,
and the hosted login page of the authorization code flow, RFC 6749 §4.1).

`check_password` answers the same for every refusal — an unknown user, a wrong password, a locked
or disabled account — at the same cost (one argon2 verification, against a dummy hash when there is
no usable user, and one round trip to count the failure), counts the failure towards the lockout,
and for a success gives the transaction item that the write issuing the sign-in's result (tokens,
a login session) must carry: the user still as read, the lockout still open (`lockout.still_open`),
the failure counters reset and a weak hash replaced, in that same write.
"""

from dataclasses import dataclass

from tokenservice.core import config
from tokenservice.store.models import UserModel
from tokenservice.users import accounts, identity, lockout, passwords


class WrongCredentials(Exception):
    """Unknown user, wrong password, locked or disabled account: one answer for all of them."""


@dataclass(frozen=True)
class Verified:
    """A user whose password was right, and the item the issuing write must carry."""

    user: UserModel
    guard: dict
    rehash: tuple = ()  # the weak hash's replacement alone (a second factor still to come: no reset)


def lookup_name(username: str) -> str | None:
    """The key to read a user by, for a username as typed; None when no user can have it (longer
    than any username: DynamoDB keys are bounded), so only the client is read."""
    if len(username) > config.MAX_USERNAME_LENGTH:
        return None
    return identity.canonical_username(username)


def check_password(lookup: str | None, user: UserModel | None, password: str, now: float) -> Verified:
    """The user read by `lookup` (None: none), if `password` is theirs and they may sign in now;
    otherwise the failure is counted and WrongCredentials raised."""
    usable = user is not None and not user.disabled and not lockout.is_locked(user, now)
    if not passwords.verify(user.password_hash if usable else None, password):
        if lookup is not None:
            lockout.record_failure(lookup, now)
        raise WrongCredentials()
    rehash = []
    if passwords.needs_rehash(user.password_hash):
        rehash.append(UserModel.password_hash.set(passwords.hash_password(password)))
    changes = [*lockout.reset_actions(), *rehash]
    return Verified(user, accounts.guard(user, lockout.still_open(now), changes), tuple(rehash))
