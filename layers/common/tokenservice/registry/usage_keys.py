"""A subscription's API key, as both backends of `usage_plans` make it (a leaf module: the
API Gateway backend and `usage_plans`, which picks it, both import it without a cycle)."""

import secrets
from dataclasses import dataclass


@dataclass(frozen=True)
class Key:
    """A subscription's API key: its id (to delete it, to ask its usage) and its value (what the
    authorizer returns)."""

    id: str
    value: str


def new_key_value() -> str:
    return secrets.token_urlsafe(30)  # 40 characters (API Gateway wants at least 20)
