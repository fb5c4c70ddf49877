"""Secrets the service must read back (not only verify), sealed with the stack's KMS key: the key
that encrypts the JWT signing keys (`signing`), with an encryption context naming what a
ciphertext is for and whose it is, so one ciphertext cannot be passed off as another's.

Used for users' TOTP secrets (RFC 6238): each sealing and each opening is one KMS call.
"""

from tokenservice.jose import signing
from tokenservice.jose.signing import SigningError


class SealingError(SigningError):
    """The stack's KMS key is not set up or cannot be reached; the message says why."""


def _context(purpose: str, owner: str) -> dict[str, str]:
    return {"purpose": f"tokenservice-{purpose}", "owner": owner}


def _settings():
    current = signing.settings()
    if current is None:
        raise SealingError("no KMS key: deploy the stack (or start make run) first")
    return current


def seal(purpose: str, owner: str, plaintext: bytes) -> bytes:
    """The ciphertext of `plaintext`, bound to `purpose` and `owner`."""
    current = _settings()
    answer = signing.kms_client(current).encrypt(
        KeyId=current.kms_key_id, Plaintext=plaintext, EncryptionContext=_context(purpose, owner)
    )
    return answer["CiphertextBlob"]


def unseal(purpose: str, owner: str, ciphertext: bytes) -> bytes:
    """What `seal(purpose, owner, ...)` sealed; SealingError when it cannot be opened."""
    current = _settings()
    try:
        answer = signing.kms_client(current).decrypt(
            CiphertextBlob=ciphertext, KeyId=current.kms_key_id, EncryptionContext=_context(purpose, owner)
        )
    except Exception as error:  # KMS unreachable, or not this owner's ciphertext
        raise SealingError(f"a sealed secret cannot be opened: {type(error).__name__}") from error
    return answer["Plaintext"]
