"""Brute-force protection for the password grant (RFC 6749 §10.10, RFC 9700 §2.4).

After LOCKOUT_THRESHOLD consecutive failed passwords a user cannot get tokens for
LOCKOUT_SECONDS, doubling with each further lockout up to LOCKOUT_MAX_SECONDS. A locked
account answers exactly like a wrong password. Counting is one atomic `ADD` per failure, done
for unknown, disabled and locked users too (a conditional update that changes nothing), so the
failure path costs the same whoever the username names. A success resets the counters inside
the grant's own write, and only when they are non-zero.
"""

from tokenservice import config, observability, storage
from tokenservice.models import UserModel


def is_locked(user: UserModel, now: float) -> bool:
    return bool(user.locked_until and user.locked_until > now)


def lock_seconds(previous_lockouts: int) -> int:
    base, cap = config.lockout_seconds(), config.lockout_max_seconds()
    return min(cap, base * 2 ** min(previous_lockouts, 32))


def record_failure(username: str, now: float) -> None:
    """Count a failed password; lock the user when the count reaches the threshold."""
    threshold = config.lockout_threshold()
    counted = storage.add_failed_attempt(username, now)
    if counted is None or threshold <= 0 or (counted.failed_attempts or 0) < threshold:
        return
    if storage.lock_user(username, threshold, int(now) + lock_seconds(int(counted.lockouts or 0))):
        observability.count(observability.LOCKOUTS)


def needs_reset(user: UserModel) -> bool:
    return bool(user.failed_attempts or user.lockouts or user.locked_until)
