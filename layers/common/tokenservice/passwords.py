"""User passwords: argon2id at OWASP's recommended minimum (m=19 MiB, t=2, p=1).

`verify` always runs one argon2 verification, against a dummy hash when there is no user, so an
unknown username costs the same time as a wrong password.
"""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MEMORY_COST_KIB = 19 * 1024
TIME_COST = 2
PARALLELISM = 1

_hasher = PasswordHasher(
    time_cost=TIME_COST, memory_cost=MEMORY_COST_KIB, parallelism=PARALLELISM, hash_len=32, salt_len=16
)

# argon2id of a random string nobody knows, with the parameters above (a unit test checks they
# match), so that the dummy verification costs exactly what a real one costs.
DUMMY_HASH = (
    "$argon2id$v=19$m=19456,t=2,p=1$p2bEn/hYO46FTESovNovyA$8m6SIhgh67Hrlsix2TdsdjSBLKijKasc7OV+/Y8TnAM"
)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches; always costs one argon2 verification."""
    try:
        return _hasher.verify(stored_hash or DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False
