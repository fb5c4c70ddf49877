"""Random credentials: tokens, client ids and client secrets.

Tokens and client secrets carry 256 bits from `secrets` and are stored only as SHA-256 hashes:
with that much entropy a fast hash is enough (a slow one is for low-entropy passwords), and
comparisons are constant-time.
"""

import hashlib
import hmac
import secrets
import string

TOKEN_BYTES = 32
# The longest client id or client secret anyone may present or create (no real one is longer).
MAX_LENGTH = 256
_CLIENT_ID_ALPHABET = string.ascii_letters + string.digits


def new_token() -> str:
    """An opaque bearer or refresh token: 256 random bits, base64url (43 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def new_client_id() -> str:
    """A consumer key in WSO2's style: 28 alphanumerics (~166 bits)."""
    return "".join(secrets.choice(_CLIENT_ID_ALPHABET) for _ in range(28))


def new_client_secret() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def digest(value: str) -> str:
    """The stored form of a token or client secret: hex SHA-256."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def matches(value: str, stored_digest: str | None) -> bool:
    """Constant-time check of `value` against a stored digest (a dummy one when None)."""
    return hmac.compare_digest(digest(value), stored_digest or "0" * 64) and stored_digest is not None
