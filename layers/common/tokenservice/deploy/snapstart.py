"""Lambda SnapStart (template parameter `SnapStart`): what to do before the snapshot and after a
restore, registered with the runtime's hooks (`snapshot_restore_py`, present in Lambda's Python
3.12+ runtimes; locally the hooks are simply not registered, and tests call them in order).

Before the snapshot (`prime_*`): import everything the function's requests use, build the botocore
DynamoDB client and resolve its endpoint with one real read, load argon2 (the token function) and
the public signing keys. After a restore (`restored`): close the connections the snapshot holds,
forget decrypted private keys, the dummy password hash (random) and the rules and scope caches
(they may be days old), and reseed `random` — nothing random, secret or connection-bound survives
from before the snapshot, which many execution environments are restored from. The public keys
stay: an old copy is still right (keys are only ever added), and a newer key is read at its first
use.
"""

import importlib
import random
from collections.abc import Callable

from tokenservice.core import caching, config
from tokenservice.store import dynamo

# What each function's requests use besides its endpoints' modules: imported before the snapshot.
TOKEN_FUNCTION_MODULES = (
    "tokenservice.oauth.grants.dispatch",
    "tokenservice.oauth.revocation",
    "tokenservice.jose.signing",
    "tokenservice.jose.jwt_tokens",
    "tokenservice.users.provisioning",
)
AUTHORIZER_MODULES = ("tokenservice.authorizer.authorizer", "tokenservice.jose.jwt_tokens")


def _warm_dynamodb() -> None:
    """Build the client and resolve its endpoint with a real, cheap read (an item nobody has)."""
    table = config.table_name(config.REGISTRY_TABLE)
    dynamo.read([(table, "id", "snapstart#prime")])


def _import(modules: tuple[str, ...]) -> None:
    for name in modules:
        importlib.import_module(name)


def prime_token_function() -> None:
    from tokenservice.oauth.grants import dispatch
    from tokenservice.server.routes import ROUTER

    _import((*ROUTER.modules(), *TOKEN_FUNCTION_MODULES, *dispatch.MODULES))
    from tokenservice.jose import signing
    from tokenservice.users import passwords

    passwords.hash_password("priming the argon2 code path")  # not a password anyone has
    _warm_dynamodb()
    signing.settings()  # the public keys and the issuer (no private key is decrypted)


def prime_authorizer() -> None:
    _import(AUTHORIZER_MODULES)
    from tokenservice.jose import keyset
    from tokenservice.store import records

    _warm_dynamodb()
    (item,) = dynamo.read([(config.table_name(config.REGISTRY_TABLE), "id", keyset.SETTINGS_ID)])
    keyset.remember(keyset.stored(records.signing_fields(item)))  # JWTs verify without a read after a restore


def restored() -> None:
    from tokenservice.jose import keyset, signing
    from tokenservice.users import passwords

    dynamo.forget_connections()
    signing.forget_private_keys()
    passwords.dummy_hash.cache_clear()
    keys = keyset.cached()
    caching.clear_all()  # rules and scopes may have changed since the snapshot: read them again
    if (
        keys is not caching.MISS and keys is not None
    ):  # public keys stay right however old: a newer key is read at its first use
        keyset.remember(keys)
    random.seed()


def register(prime: Callable[[], None]) -> bool:
    """Register `prime` before the snapshot and `restored` after a restore, where the runtime offers
    the hooks (Lambda); False elsewhere."""
    try:
        from snapshot_restore_py import register_after_restore, register_before_snapshot
    except ImportError:
        return False
    register_before_snapshot(prime)
    register_after_restore(restored)
    return True
