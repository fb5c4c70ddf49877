"""The JWT signing keys as published (RFC 7517): which key signs now, which are still published,
and the issuer they sign for — kept in memory for RULES_CACHE_SECONDS. No PynamoDB, no botocore:
the authorizer verifies JWTs with this alone. (`signing` makes and stores the keys.)

A key signs from `activates_at` on, until a newer key activates; it stays published until every
token it can have signed has expired (the longest access-token lifetime later), so rotation never
invalidates a live token.
"""

import json
from dataclasses import dataclass

from tokenservice.core import caching, config

SETTINGS_ID = "signing"  # the registry item holding the issuer and every key's public half


@dataclass(frozen=True)
class Key:
    kid: str
    jwk: dict  # public
    created_at: int
    activates_at: int

    def state(self, keys: list["Key"], now: float) -> str:
        """next (not signing yet), active (signing), retired (published, its tokens may be live),
        expired."""
        if self.activates_at > now:
            return "next"
        mine = (
            self.activates_at,
            keys.index(self),
        )  # of two keys that activate together, the later made wins
        later = [
            k.activates_at for i, k in enumerate(keys) if (k.activates_at, i) > mine and k.activates_at <= now
        ]
        if not later:
            return "active"
        return "retired" if min(later) + config.ACCESS_TTL.maximum > now else "expired"


@dataclass(frozen=True)
class Settings:
    issuer: str
    kms_key_id: str
    kms_endpoint: str | None
    keys: list[Key]
    version: int

    @classmethod
    def of(
        cls, issuer: str, kms_key_id: str, kms_endpoint: str | None, keys: str, version: int
    ) -> "Settings":
        """From the stored values (`keys`: the JSON list of keys)."""
        return cls(
            issuer, kms_key_id, kms_endpoint, [Key(**key) for key in json.loads(keys or "[]")], version
        )

    def keys_json(self) -> str:
        return json.dumps([key.__dict__ for key in self.keys])

    def active(self, now: float) -> Key | None:
        return next((key for key in self.keys if key.state(self.keys, now) == "active"), None)

    def published(self, now: float) -> list[Key]:
        return [key for key in self.keys if key.state(self.keys, now) in ("next", "active", "retired")]

    def verification_keys(self, now: float) -> dict[str, dict]:
        """kid → public JWK, of every published key."""
        return {key.kid: key.jwk for key in self.published(now)}


_settings: caching.Expiring[Settings | None] = caching.Expiring(config.RULES_CACHE_SECONDS.value)


def cached() -> "Settings | caching._Miss | None":
    """The settings (None: there are none) if they are in memory and fresh; caching.MISS when they
    must be read."""
    return _settings.fresh(SETTINGS_ID)


def remember(settings: Settings | None) -> Settings | None:
    return _settings.put(SETTINGS_ID, settings)


def stored(fields: tuple | None) -> Settings | None:
    """Settings from their stored fields (`records.signing_fields`); None when there are none."""
    return None if fields is None else Settings.of(*fields)
