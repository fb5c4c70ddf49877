"""Brute-force protection for the password grant (RFC 6749 §10.10, RFC 9700 §2.4).

After LOCKOUT_THRESHOLD consecutive failed passwords a user cannot get tokens for
LOCKOUT_SECONDS, doubling with each further lockout up to LOCKOUT_MAX_SECONDS. A locked
account answers exactly like a wrong password. Counting is one atomic `ADD` per failure, done
for unknown, disabled and locked users too (a conditional update that changes nothing), so the
failure path costs the same whoever the username names.

Concurrency: a correct password counts only if, when its tokens are written, the user is not
locked and fewer than LOCKOUT_THRESHOLD failures are counted (`still_open`, a condition in the
grant's own transaction). However many guesses arrive at once, the failures are counted one by
one, and a guess judged after the threshold was reached is refused even when it is right: at most
LOCKOUT_THRESHOLD guesses per lock period can succeed. A success resets the counters in that same
transaction (`reset_actions`), so it can never clear a lock that a concurrent failure set.
"""

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from tokenservice.core import config, observability
from tokenservice.store import storage
from tokenservice.store.models import UserModel

# What "unlocked, with no failures counted" is, for a reset and for the administrator's unlock.
_CLEARED = (UserModel.failed_attempts.set(0), UserModel.lockouts.set(0), UserModel.locked_until.remove())


def is_locked(user: UserModel, now: float) -> bool:
    return bool(user.locked_until and user.locked_until > now)


def lock_seconds(previous_lockouts: int) -> int:
    base, cap = config.LOCKOUT_SECONDS.value(), config.LOCKOUT_MAX_SECONDS.value()
    return min(cap, base * 2 ** min(previous_lockouts, 32))


def record_failure(username: str, now: float) -> None:
    """Count a failed password; lock the user when the count reaches the threshold."""
    threshold = config.LOCKOUT_THRESHOLD.value()
    counted = _add_failed_attempt(username, now)
    if counted is None or threshold <= 0 or (counted.failed_attempts or 0) < threshold:
        return
    if _lock(username, threshold, int(now) + lock_seconds(int(counted.lockouts or 0))):
        observability.count(observability.LOCKOUTS)


def _add_failed_attempt(username: str, now: float) -> UserModel | None:
    """Atomically count a failed password for an enabled, unlocked user; None for anyone else
    (the same one round trip either way)."""
    unlocked = UserModel.locked_until.does_not_exist() | (UserModel.locked_until <= int(now))
    return storage.update(
        UserModel,
        username,
        [UserModel.failed_attempts.add(1)],
        ~(UserModel.disabled == True) & unlocked,  # noqa: E712 - a DynamoDB condition
    )


def _lock(username: str, threshold: int, until: int) -> bool:
    """Lock a user whose counter reached the threshold; only one of concurrent failures does."""
    actions = [UserModel.locked_until.set(until), UserModel.failed_attempts.set(0), UserModel.lockouts.add(1)]
    return storage.update(UserModel, username, actions, UserModel.failed_attempts >= threshold) is not None


def still_open(now: float) -> Condition:
    """The user is not locked at `now` and has fewer failures counted than the threshold."""
    unlocked = UserModel.locked_until.does_not_exist() | (UserModel.locked_until <= int(now))
    threshold = config.LOCKOUT_THRESHOLD.value()
    if threshold <= 0:
        return unlocked
    return unlocked & (UserModel.failed_attempts.does_not_exist() | (UserModel.failed_attempts < threshold))


def reset_actions() -> list[Action]:
    """What clears a user's failure counters after a success (always: failures counted by
    concurrent requests since the user was read are cleared too)."""
    return list(_CLEARED)


def unlock(username: str, changes: list[Action]) -> UserModel | None:
    """Apply an administrator's change to a user and lift any lockout; None when no such user."""
    return storage.update(UserModel, username, [*changes, *_CLEARED])
