"""JWT signing keys (RFC 7517 JWKS) and the issuer they sign for, kept in the registry table.

- Keys are ECDSA P-256 (ES256), generated here with `cryptography`, never typed in. The private key
  is stored only encrypted by AWS KMS (a symmetric key of the stack; locally `make run`'s moto KMS)
  with an encryption context naming the key id; the token function decrypts it once per execution
  environment (one KMS call per cold start, none per token).
- One `signing` item holds the issuer, the KMS key, and every key's public JWK with its times, so
  the JWKS, the signer's choice and the authorizer's keys are one GetItem (kept in memory for
  RULES_CACHE_SECONDS). Each private key is its own `key#<kid>` item.
- Rotation adds a key that signs from `activates_at` on. A key stops signing when a newer one
  activates and stays published until every token it can have signed has expired (the longest
  access-token lifetime later), so rotation never invalidates a live token.
"""

import functools
import secrets
import time

from tokenservice.core import caching, config, loopback, problems
from tokenservice.jose import keyset
from tokenservice.jose.keyset import SETTINGS_ID, Key, Settings
from tokenservice.store import storage
from tokenservice.store.models import KeyModel, SigningModel

ALGORITHM = "ES256"

__all__ = ["Key", "Settings", "SigningError", "configure", "read", "rotate", "settings", "signer"]


class SigningError(problems.Invalid):
    """No signing key is usable (none made, or its KMS key unreachable); the message says why."""


def _decode(item: SigningModel | None) -> Settings | None:
    if item is None:
        return None
    return Settings.of(item.issuer, item.kms_key_id, item.kms_endpoint, item.keys, int(item.version or 0))


def read() -> Settings | None:
    """The signing settings as stored now."""
    return _decode(storage.get(SigningModel, SETTINGS_ID))


def settings(fresh: bool = False) -> Settings | None:
    """The signing settings (None when none were made), kept in memory for RULES_CACHE_SECONDS."""
    current = caching.MISS if fresh else keyset.cached()
    return keyset.remember(read()) if current is caching.MISS else current


def configure(
    issuer: str, kms_key_id: str, kms_endpoint: str | None = None, access_token_format: str | None = None
) -> Settings:
    """Set the issuer, the KMS key and the stack's access-token format (keeping the keys); creates the
    settings when there are none."""
    current = read()
    previous = storage.get(SigningModel, SETTINGS_ID) if current else None
    item = SigningModel(
        SETTINGS_ID,
        issuer=issuer.rstrip("/"),
        kms_key_id=kms_key_id,
        kms_endpoint=kms_endpoint,
        keys=current.keys_json() if current else "[]",
        version=(current.version + 1) if current else 1,
        access_token_format=access_token_format or (previous.access_token_format if previous else None),
    )
    storage.save(item)
    return settings(fresh=True)


# -- KMS -------------------------------------------------------------------------------------------


def _kms(current: Settings):
    """A KMS client: AWS's, or the local emulator the settings name (only ever a loopback URL)."""
    import botocore.session

    endpoint = current.kms_endpoint
    if endpoint and not loopback.is_loopback_http_url(endpoint):
        raise SigningError("a KMS endpoint other than a loopback emulator is never used")
    session = botocore.session.get_session()
    if endpoint and session.get_credentials() is None:
        session.set_credentials("local", "local")
    region = session.get_config_variable("region") or "us-east-1"
    return session.create_client("kms", region_name=region, endpoint_url=endpoint or None)


def kms_client(current: Settings):
    """The KMS client the signing keys are encrypted with (other secrets of the stack use it too)."""
    return _kms(current)


def _context(kid: str) -> dict[str, str]:
    return {"purpose": "tokenservice-jwt-signing-key", "kid": kid}


def rotate(activate_in: int = 0) -> Key:
    """Make a new key that signs from `activate_in` seconds on (the others stay published)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from jwt.algorithms import ECAlgorithm

    current = read()
    if current is None:
        raise SigningError("no signing settings: deploy the stack (or start make run) first")
    private = ec.generate_private_key(ec.SECP256R1())
    kid = secrets.token_urlsafe(12)
    der = private.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    ciphertext = _kms(current).encrypt(
        KeyId=current.kms_key_id, Plaintext=der, EncryptionContext=_context(kid)
    )
    storage.create(
        KeyModel(f"key#{kid}", kid=kid, ciphertext=ciphertext["CiphertextBlob"], created_at=int(time.time()))
    )
    jwk = ECAlgorithm.to_jwk(private.public_key(), as_dict=True)
    now = int(time.time())
    key = Key(kid, {**jwk, "kid": kid, "use": "sig", "alg": ALGORITHM}, now, now + max(0, activate_in))
    keys = Settings(
        current.issuer, current.kms_key_id, current.kms_endpoint, [*current.keys, key], current.version
    )
    updated = storage.update(
        SigningModel,
        SETTINGS_ID,
        [SigningModel.keys.set(keys.keys_json()), SigningModel.version.add(1)],
        SigningModel.version == current.version,  # of two rotations at once, one wins
    )
    if updated is None:
        raise SigningError("the keys changed meanwhile (another rotation?): run it again")
    settings(fresh=True)
    return key


@functools.cache
def _private_key(kid: str):
    """The private key of `kid`, decrypted by KMS (once per execution environment)."""
    from cryptography.hazmat.primitives import serialization

    current = settings()
    item = storage.get(KeyModel, f"key#{kid}")
    if current is None or item is None:
        raise SigningError(f"no private key {kid}")
    plain = _kms(current).decrypt(
        CiphertextBlob=item.ciphertext, KeyId=current.kms_key_id, EncryptionContext=_context(kid)
    )
    return serialization.load_der_private_key(plain["Plaintext"], password=None)


def stack_token_format() -> str:
    """The access-token format of clients without their own, as the stack (or make run) recorded it;
    this process's ACCESS_TOKEN_FORMAT where none was recorded."""
    item = storage.get(SigningModel, SETTINGS_ID)
    recorded = item.access_token_format if item is not None else None
    return recorded or config.ACCESS_TOKEN_FORMAT.value()


def signer(now: float) -> tuple[str, Settings, object]:
    """(kid, settings, private key) to sign with now."""
    current = settings()
    key = current.active(now) if current else None
    if key is None:
        raise SigningError("no active signing key: `tokenctl keys rotate` makes one")
    try:
        return key.kid, current, _private_key(key.kid)
    except Exception as error:  # KMS unreachable or the key unreadable: no token can be signed
        raise SigningError(f"the signing key {key.kid} cannot be used: {type(error).__name__}") from error


def forget_private_keys() -> None:
    """Drop decrypted keys (SnapStart: nothing secret survives a snapshot)."""
    _private_key.cache_clear()
