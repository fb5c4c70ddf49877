"""Passwords hashed by another system (a migration from WSO2): kept behind argon2id until the
user's next sign-in replaces them (OWASP Password Storage Cheat Sheet, "Upgrading legacy hashes").

An imported hash is never stored bare. What is stored is `<scheme>|<parameters>|<argon2id of the
legacy hash>`: checking a password computes its legacy hash (cheap for WSO2's salted SHA-256)
and verifies that with argon2id, so a legacy user costs one argon2id verification, as every other
user (and an unknown one) does, and a dump of the table holds no fast hash to crack. The password
grant sees such a credential as one that `needs_rehash` and replaces it with argon2id of the
password in the same write that issues the tokens.

Schemes (each computes exactly what the other system stored, from the password as the user types
it, without RFC 8265 normalisation, which that system did not apply):

- `wso2-<digest>|<salt>`: WSO2 Carbon's JDBC user store (carbon-kernel `JDBCUserStoreManager`,
  `PasswordHashProcessor`): Base64(digest(UTF-8(password + salt))), the salt appended as its Base64
  text (no salt: the password alone); digest SHA-256 by default, or SHA-1, SHA-384, SHA-512.
- `bcrypt|<$2b$NN$ + 22 salt characters>`: bcrypt (`bcrypt`, pyca), the password's first 72 bytes.
- `pbkdf2|<format>|<digest>|<iterations>|<salt>`: PBKDF2-HMAC (`hashlib.pbkdf2_hmac`) in the
  encodings of passlib (`$pbkdf2-sha256$29000$salt$hash`, adapted base64), Django
  (`pbkdf2_sha256$iterations$salt$base64`) and Werkzeug (`pbkdf2:sha256:iterations$salt$hex`).
"""

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from tokenservice.core import problems

SEPARATOR = "|"
WSO2_DIGESTS = {"SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}
MAX_ITERATIONS = 10_000_000  # beyond it, one sign-in would cost minutes
BCRYPT_BYTES = 72  # bcrypt reads no further (older libraries cut silently; bcrypt 5 refuses)

_BCRYPT = re.compile(r"(\$2[abxy]\$\d\d\$[./A-Za-z0-9]{22})[./A-Za-z0-9]{31}")
_PASSLIB = re.compile(r"\$pbkdf2-(sha1|sha256|sha512)\$(\d+)\$([./A-Za-z0-9]*)\$([./A-Za-z0-9]+)")
_DJANGO = re.compile(r"pbkdf2_(sha1|sha256)\$(\d+)\$([^$|]*)\$([A-Za-z0-9+/]+=*)")
_WERKZEUG = re.compile(r"pbkdf2:(sha1|sha256|sha512):(\d+)\$([^$|]*)\$([0-9a-f]+)")
_SCHEMES = ("wso2-", "bcrypt", "pbkdf2")


class UnsupportedHash(problems.Invalid):
    """A stored hash this service cannot verify; the message says why, in one line."""


@dataclass(frozen=True)
class Credential:
    """An imported hash, split into what recomputes it from a password (`header`) and the value
    that must come out (`value`, kept only behind argon2id)."""

    header: str
    value: str


def is_legacy(stored: str) -> bool:
    return stored.startswith(_SCHEMES)


def _b64_digest_size(text: str) -> int:
    try:
        return len(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError):
        return -1


def wso2(stored: str, salt: str | None, digest: str = "SHA-256") -> Credential:
    """A WSO2 Carbon user store's UM_USER_PASSWORD (and UM_SALT_VALUE) as a credential."""
    algorithm = WSO2_DIGESTS.get(digest)
    if algorithm is None:
        raise UnsupportedHash(f"digest {digest} is not one of {' '.join(WSO2_DIGESTS)}")
    if _b64_digest_size(stored) != hashlib.new(algorithm).digest_size:
        raise UnsupportedHash(f"UM_USER_PASSWORD is not a Base64 {digest} hash")
    salt = salt or ""
    if SEPARATOR in salt or not salt.isprintable():
        raise UnsupportedHash("UM_SALT_VALUE has characters a Carbon salt never has")
    return Credential(f"wso2-{algorithm}{SEPARATOR}{salt}", stored)


def recognised(stored: str) -> Credential | None:
    """A hash in a self-describing format (bcrypt, PBKDF2's usual encodings), else None."""
    if match := _BCRYPT.fullmatch(stored):
        return Credential(f"bcrypt{SEPARATOR}{match.group(1)}", stored)
    for form, pattern in (("passlib", _PASSLIB), ("django", _DJANGO), ("werkzeug", _WERKZEUG)):
        if match := pattern.fullmatch(stored):
            digest, iterations, salt, value = match.groups()
            iterations = int(iterations)
            if not 0 < iterations <= MAX_ITERATIONS:
                raise UnsupportedHash(f"PBKDF2 with {iterations} iterations")
            header = SEPARATOR.join(("pbkdf2", form, digest, str(iterations), salt))
            return Credential(header, value)
    return None


def stored_form(credential: Credential, protected_value: str) -> str:
    """What the users table keeps: the header and the argon2id hash of the legacy value."""
    return f"{credential.header}{SEPARATOR}{protected_value}"


def split(stored: str) -> tuple[str, str]:
    """(header, argon2id hash of the legacy value) of a stored legacy credential."""
    header, _, protected = stored.rpartition(SEPARATOR)
    return header, protected


def recompute(header: str, password: str) -> str:
    """The legacy hash `password` has under this header (what the other system would store)."""
    scheme, _, params = header.partition(SEPARATOR)
    raw = password.encode("utf-8", "surrogatepass")
    if scheme.startswith("wso2-"):
        digest = hashlib.new(scheme.removeprefix("wso2-"), raw + params.encode("utf-8")).digest()
        return base64.b64encode(digest).decode("ascii")
    if scheme == "bcrypt":
        import bcrypt  # only bcrypt users need it: off every other path's imports

        return bcrypt.hashpw(raw[:BCRYPT_BYTES], params.encode("ascii")).decode("ascii")
    if scheme == "pbkdf2":
        return _pbkdf2(params, raw)
    raise UnsupportedHash(f"unknown scheme {scheme[:20]}")


def _pbkdf2(params: str, raw: bytes) -> str:
    form, digest, iterations, salt = params.split(SEPARATOR)
    if form == "passlib":
        salt_bytes = _ab64_decode(salt)
        size = hashlib.new(digest).digest_size
        return _ab64_encode(hashlib.pbkdf2_hmac(digest, raw, salt_bytes, int(iterations), size))
    derived = hashlib.pbkdf2_hmac(digest, raw, salt.encode("utf-8"), int(iterations))
    if form == "django":
        return base64.b64encode(derived).decode("ascii")
    return derived.hex()  # werkzeug


def _ab64_decode(text: str) -> bytes:
    """passlib's adapted base64: '.' for '+', no padding."""
    padded = text.replace(".", "+") + "=" * (-len(text) % 4)
    return base64.b64decode(padded)


def _ab64_encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=").replace("+", ".")
