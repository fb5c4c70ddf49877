"""Time-based one-time passwords (RFC 6238, over HOTP: RFC 4226) and recovery codes: the arithmetic
only, no storage (`mfa` keeps them).

- A secret is 160 random bits (RFC 4226 §4 R6), shown to the user in base32 (the `otpauth://` URI
  that authenticator apps read from a QR code); codes are 6 digits, HMAC-SHA1, 30-second steps.
- A code is accepted for the current step and one step either side (RFC 6238 §5.2: clock skew and
  the time it takes to type), and only for a step later than the last one accepted: each code
  works once, and a code older than one already used never works (`match`).
- Recovery codes are 10 random 50-bit codes, shown once as `xxxxx-xxxxx` (base32, lower case); only
  their SHA-256 is stored — they are random, not chosen, so a fast hash is enough.
"""

import base64
import hashlib
import hmac
import re
import secrets
import struct
from urllib.parse import quote, urlencode

STEP_SECONDS = 30
DIGITS = 6
SKEW_STEPS = 1
RECOVERY_CODES = 10
ISSUER_LABEL = "Token service"
CODE = re.compile(r"[0-9]{6}")
RECOVERY = re.compile(r"[a-z2-7]{10}")
RECOVERY_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"  # base32's, lower case: 5 bits a character


def new_secret() -> bytes:
    return secrets.token_bytes(20)


def text(secret: bytes) -> str:
    """The secret as an authenticator app is given it (base32, unpadded)."""
    return base64.b32encode(secret).decode("ascii").rstrip("=")


def uri(secret: bytes, account: str, issuer: str = ISSUER_LABEL) -> str:
    """The `otpauth://totp/...` URI of the Key URI Format that authenticator apps scan."""
    label = quote(f"{issuer}:{account}", safe="")
    query = urlencode({"secret": text(secret), "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS})
    return f"otpauth://totp/{label}?{query}&period={STEP_SECONDS}"


def step_at(now: float) -> int:
    return int(now) // STEP_SECONDS


def code_at(secret: bytes, step: int) -> str:
    """RFC 4226 §5.3: the HOTP value of counter `step`, DIGITS digits."""
    digest = hmac.new(secret, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**DIGITS).zfill(DIGITS)


def normalised(code: str) -> str:
    """A code as typed, without spaces and dashes, lower case (both kinds of code)."""
    return re.sub(r"[\s-]", "", code).lower()[:64]


def match(secret: bytes, code: str, now: float, last_step: int | None) -> int | None:
    """The step `code` is the code of — within SKEW_STEPS of now and later than `last_step` (the
    last one accepted) — or None."""
    code = normalised(code)
    if not CODE.fullmatch(code):
        return None
    current = step_at(now)
    found = None
    for step in range(current - SKEW_STEPS, current + SKEW_STEPS + 1):  # every step: the same work
        if hmac.compare_digest(code_at(secret, step), code) and (last_step is None or step > last_step):
            found = step if found is None else found
    return found


def new_recovery_codes() -> list[str]:
    """RECOVERY_CODES new codes, as shown to the user."""
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def recovery_hash(code: str) -> str | None:
    """The stored form of a recovery code as typed; None when it cannot be one."""
    code = normalised(code)
    if not RECOVERY.fullmatch(code):
        return None
    return hashlib.sha256(f"recovery code:{code}".encode("ascii")).hexdigest()
