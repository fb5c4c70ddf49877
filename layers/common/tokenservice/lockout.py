"""Brute-force protection for the password grant (RFC 6749 §10.10, RFC 9700 §2.4).

After LOCKOUT_THRESHOLD consecutive failed passwords a user cannot get tokens for
LOCKOUT_SECONDS, doubling with each further lockout up to LOCKOUT_MAX_SECONDS. A locked
account answers exactly like a wrong password. Counting is one atomic `ADD` per failure, done
for unknown, disabled and locked users too (a conditional update that changes nothing), so the
failure path costs the same whoever the username names. A success resets the counters inside
the grant's own write (`reset`), and only when they are non-zero.
"""

from pynamodb.expressions.update import Action

from tokenservice import config, observability, storage
from tokenservice.models import UserModel

# What "unlocked, with no failures counted" is, for a reset and for the administrator's unlock.
_CLEARED = (UserModel.failed_attempts.set(0), UserModel.lockouts.set(0), UserModel.locked_until.remove())


def is_locked(user: UserModel, now: float) -> bool:
    return bool(user.locked_until and user.locked_until > now)


def needs_reset(user: UserModel) -> bool:
    return bool(user.failed_attempts or user.lockouts or user.locked_until)


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


def reset(username: str) -> dict:
    """The transaction item that clears a user's failure counters (with a successful grant)."""
    return {"Update": storage.update_request(UserModel, username, _CLEARED)}


def unlock(username: str, changes: list[Action]) -> UserModel | None:
    """Apply an administrator's change to a user and lift any lockout; None when no such user."""
    return storage.update(UserModel, username, [*changes, *_CLEARED])
