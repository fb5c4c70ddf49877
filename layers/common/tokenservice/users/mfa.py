"""A user's second factor: TOTP (RFC 6238, `totp`) with recovery codes — enrolment, the check at
sign-in, turning it off, and the operator's reset.

- Enrolment is two writes: `begin` seals a new secret (the stack's KMS key, `jose.sealing`) into
  the user item as pending and returns it to be shown; `confirm`, given a valid code of it, makes it
  the user's secret and stores the hashes of ten new recovery codes (returned to be shown once).
- At sign-in (`second_factor`) a code is checked against the secret, or a recovery code against the
  hashes; the answer is the condition and the changes the sign-in's own write must carry: the step
  recorded (accepted only if later than the last one: a code works once, and of two sign-ins with
  one code, one wins) or the recovery code removed (on the condition it is still there).
- `turn_off` (the user, with a code) and `reset` (an operator) remove it all; a reset also raises
  the credential version, ending the user's sessions and tokens.
"""

import time
from dataclasses import dataclass

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from tokenservice.core import problems
from tokenservice.core.errors import TemporarilyUnavailable
from tokenservice.jose import sealing
from tokenservice.store import storage
from tokenservice.store.models import UserModel
from tokenservice.users import accounts, lockout, totp

PURPOSE = "totp-secret"
PASSWORD = "pwd"
OTP = "otp"
_OFF = (
    UserModel.totp_secret.remove(),
    UserModel.totp_pending.remove(),
    UserModel.totp_last_step.remove(),
    UserModel.recovery_codes.remove(),
    UserModel.totp_enabled_at.remove(),
)


class MfaProblem(problems.Invalid):
    """A code that is wrong, or a state that does not allow the change; the message says which."""


@dataclass(frozen=True)
class Accepted:
    """A second factor that is right, and what the sign-in's write must carry for it."""

    condition: Condition
    actions: list[Action]
    recovery: bool  # a recovery code was spent


def enabled(user: UserModel | None) -> bool:
    return user is not None and user.totp_secret is not None


def status(user: UserModel) -> dict:
    """What the portal and tokenctl show: whether TOTP is on, since when, recovery codes left."""
    return {
        "totp": enabled(user),
        "enabled_at": int(user.totp_enabled_at) if user.totp_enabled_at else None,
        "recovery_codes_left": len(user.recovery_codes or ()) if enabled(user) else 0,
    }


def _secret(user: UserModel, sealed: bytes) -> bytes:
    try:
        return sealing.unseal(PURPOSE, user.username, sealed)
    except sealing.SealingError as error:  # KMS unreachable: no code can be checked now
        raise TemporarilyUnavailable() from error


def begin(user: UserModel) -> tuple[bytes, str]:
    """A new pending secret for a user without TOTP: (secret, its otpauth URI), to be shown."""
    if enabled(user):
        raise MfaProblem("two-step verification is on already: turn it off first")
    secret = totp.new_secret()
    try:
        sealed = sealing.seal(PURPOSE, user.username, secret)
    except Exception as error:  # KMS unreachable (or not set up): nothing stored
        raise TemporarilyUnavailable() from error
    written = storage.update(
        UserModel,
        user.username,
        [UserModel.totp_pending.set(sealed)],
        accounts.unchanged(user) & UserModel.totp_secret.does_not_exist(),
    )
    if written is None:
        raise MfaProblem("the account changed meanwhile: start again")
    return secret, totp.uri(secret, user.username)


def confirm(user: UserModel, code: str, now: float | None = None) -> list[str]:
    """Turn TOTP on with the pending secret, given a valid code of it; the new recovery codes."""
    now = time.time() if now is None else now
    if enabled(user) or user.totp_pending is None:
        raise MfaProblem("no enrolment is under way: start again")
    step = totp.match(_secret(user, user.totp_pending), code, now, None)
    if step is None:
        raise MfaProblem("the code is not right: enter the code your app shows now")
    codes = totp.new_recovery_codes()
    actions = [
        UserModel.totp_secret.set(user.totp_pending),
        UserModel.totp_pending.remove(),
        UserModel.totp_last_step.set(step),
        UserModel.recovery_codes.set({totp.recovery_hash(c) for c in codes}),
        UserModel.totp_enabled_at.set(int(now)),
    ]
    still = (UserModel.totp_pending == user.totp_pending) & UserModel.totp_secret.does_not_exist()
    if storage.update(UserModel, user.username, actions, accounts.unchanged(user) & still) is None:
        raise MfaProblem("the enrolment changed meanwhile: start again")
    return codes


def second_factor(user: UserModel, code: str, now: float) -> Accepted | None:
    """The code (or recovery code) if it is right for this user now; None otherwise (uncounted:
    the caller counts the failure)."""
    if not enabled(user):
        return None
    step = totp.match(_secret(user, user.totp_secret), code, now, user.totp_last_step)
    if step is not None:
        fresh = UserModel.totp_last_step.does_not_exist() | (UserModel.totp_last_step < step)
        return Accepted(fresh, [UserModel.totp_last_step.set(step)], recovery=False)
    hashed = totp.recovery_hash(code)
    if hashed is not None and hashed in (user.recovery_codes or ()):
        spent = UserModel.recovery_codes.contains(hashed)
        return Accepted(spent, [UserModel.recovery_codes.delete({hashed})], recovery=True)
    return None


def turn_off(user: UserModel, code: str, now: float | None = None) -> None:
    """The user turns TOTP off with a code (or a recovery code); a wrong one counts towards the
    lockout, as at sign-in."""
    now = time.time() if now is None else now
    accepted = None if lockout.is_locked(user, now) else second_factor(user, code, now)
    if accepted is None:
        lockout.record_failure(user.username, now)
        raise MfaProblem("the code is not right: enter the code your app shows now")
    condition = accounts.unchanged(user) & lockout.still_open(now) & accepted.condition
    if storage.update(UserModel, user.username, [*_OFF, *lockout.reset_actions()], condition) is None:
        raise MfaProblem("the code was used already, or the account changed: try again")


def reset(username: str) -> UserModel | None:
    """An operator turns a user's TOTP off (a lost phone): their sessions and tokens end too. None
    when no such user."""
    return storage.update(UserModel, username, [*_OFF, UserModel.credential_version.add(1)])
