"""RFC 6238 TOTP computed as a user's authenticator app does, from the secret the portal shows
(base32): written here from the RFC, not imported from the service, so a test of the service's
codes can fail."""

import base64
import hashlib
import hmac
import struct
import time


def secret_bytes(shown: str) -> bytes:
    shown = shown.replace(" ", "").upper()
    return base64.b32decode(shown + "=" * (-len(shown) % 8))


def code(shown: str, at: float | None = None, *, offset_steps: int = 0, digits: int = 6) -> str:
    """The code an app shows at `at` (now by default), `offset_steps` 30-second steps away."""
    counter = int(time.time() if at is None else at) // 30 + offset_steps
    digest = hmac.new(secret_bytes(shown), struct.pack(">Q", counter), hashlib.sha1).digest()
    start = digest[-1] & 0x0F
    value = (struct.unpack(">I", digest[start : start + 4])[0] & 0x7FFFFFFF) % 10**digits
    return str(value).zfill(digits)


def wait_for_fresh_step(margin: float = 3.0) -> None:
    """Sleep into the next step when this one ends within `margin` seconds (a code typed at the
    edge of its step is still good at the next: only to keep a test's steps predictable)."""
    left = 30 - time.time() % 30
    if left < margin:
        time.sleep(left + 0.1)
