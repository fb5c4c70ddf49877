"""User passwords: argon2id at OWASP's recommended minimum (m=19 MiB, t=2, p=1).

Passwords are hashed and verified in their RFC 8265 OpaqueString form (`identity.password_form`).
`verify` always runs one argon2 verification, against a dummy hash when there is no user, so an
unknown username costs the same time as a wrong password. The dummy hash is made with the current
parameters on first use, so it costs exactly what a real verification costs, whatever the
parameters become. A hash made with weaker parameters than the current ones `needs_rehash`: the
password grant replaces it on the next successful login. So does an imported one (`legacy`): it is
kept as argon2id of the other system's hash, and verifying it is one argon2 verification too.
"""

import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from tokenservice.users import legacy
from tokenservice.users.identity import password_form

MEMORY_COST_KIB = 19 * 1024
TIME_COST = 2
PARALLELISM = 1

_hasher = PasswordHasher(
    time_cost=TIME_COST, memory_cost=MEMORY_COST_KIB, parallelism=PARALLELISM, hash_len=32, salt_len=16
)


@functools.cache
def dummy_hash() -> str:
    """argon2id of a random string nobody knows, with the current parameters."""
    return _hasher.hash(secrets.token_urlsafe(32))


def hash_password(password: str) -> str:
    return _hasher.hash(password_form(password))


def verify(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches; always costs one argon2 verification (for an imported hash:
    of the hash the other system would have made of `password`)."""
    candidate = password_form(password)
    if stored_hash is not None and legacy.is_legacy(stored_hash):
        header, stored_hash = legacy.split(stored_hash)
        try:
            candidate = legacy.recompute(header, password)
        except (ValueError, TypeError):  # a damaged header: the dummy verification, no match
            stored_hash = None
    try:
        return _hasher.verify(stored_hash or dummy_hash(), candidate) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def protect_legacy(credential: legacy.Credential) -> str:
    """An imported hash as the users table keeps it: behind argon2id (`legacy`)."""
    return legacy.stored_form(credential, _hasher.hash(credential.value))


def needs_rehash(stored_hash: str) -> bool:
    """Whether a hash was made with other (weaker or older) parameters than the current ones, or
    by another system (an imported one)."""
    if legacy.is_legacy(stored_hash):
        return True
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return False
