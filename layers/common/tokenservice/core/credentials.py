"""Random credentials: tokens, client ids and client secrets.

Tokens and client secrets carry 256 bits from `secrets` and are stored only as SHA-256 hashes:
with that much entropy a fast hash is enough (a slow one is for low-entropy passwords), and
comparisons are constant-time.

A token issued to a user names the user in front of its random part (`<base64url(username)>.
<random>`), so that whoever checks the token can read the token's record and the user's in one
round trip and refuse it at once when the user is disabled or changed their password. The name
is not a secret from the token's holder, and it is covered by the stored hash: changing it gives
an unknown token.
"""

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import string

TOKEN_BYTES = 32
# The longest client id or client secret anyone may present or create (no real one is longer).
MAX_LENGTH = 256
_CLIENT_ID_ALPHABET = string.ascii_letters + string.digits


def new_token(username: str | None = None) -> str:
    """An opaque bearer or refresh token: 256 random bits, base64url (43 characters), after the
    username when the token is a user's."""
    random_part = secrets.token_urlsafe(TOKEN_BYTES)
    if username is None:
        return random_part
    return base64.urlsafe_b64encode(username.encode("utf-8")).rstrip(b"=").decode("ascii") + "." + random_part


def token_username(token: str) -> str | None:
    """The username a token names, None for a client's token or one that names nothing readable."""
    prefix, dot, _ = token.rpartition(".")
    if not dot or not prefix or "." in prefix:
        return None
    try:
        raw = base64.b64decode(prefix + "=" * (-len(prefix) % 4), altchars=b"-_", validate=True)
        return raw.decode("utf-8") or None
    except (binascii.Error, ValueError):
        return None


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


def looks_like_jwt(token: str) -> bool:
    """A JWT access token (three base64url parts), as opposed to an opaque one."""
    return token.count(".") == 2


def unverified_claims(token: str) -> dict:
    """The payload of a JWT-shaped token, NOT verified: only to find its record (the token is
    verified before anything is answered about it); {} when it has none."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error, UnicodeDecodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def jwt_record_key(jti: str) -> str:
    """The key of a JWT access token's record: revoked and introspected by its `jti`."""
    return digest("jti:" + jti)
