"""Configuration: the environment variable names, in one place.

The template passes these names to the functions, the local runner (`make run`) sets them the
same way, and `tokenctl` reads them too. Defaults are the local ones.
"""

import os

# Table names (the template passes `!Ref <Table>`; locally these defaults are used).
USERS_TABLE = "USERS_TABLE"
CLIENTS_TABLE = "CLIENTS_TABLE"
TOKENS_TABLE = "TOKENS_TABLE"

TABLE_DEFAULTS = {
    USERS_TABLE: "tokenservice-users",
    CLIENTS_TABLE: "tokenservice-clients",
    TOKENS_TABLE: "tokenservice-tokens",
}

# The template's Outputs naming each table (`tokenctl --stack NAME` reads them).
STACK_OUTPUTS = {
    USERS_TABLE: "UsersTableName",
    CLIENTS_TABLE: "ClientsTableName",
    TOKENS_TABLE: "TokensTableName",
}

# The longest username (characters): at most 512 bytes of UTF-8, well inside DynamoDB's key limit.
MAX_USERNAME_LENGTH = 128

# Token lifetimes (seconds) for clients created without their own.
DEFAULT_ACCESS_TTL = "DEFAULT_ACCESS_TTL"
DEFAULT_REFRESH_TTL = "DEFAULT_REFRESH_TTL"
ACCESS_TTL_DEFAULT = 3600
REFRESH_TTL_DEFAULT = 86400

# Brute-force protection: lock a user after this many consecutive failed passwords (0: never)
# for LOCKOUT_SECONDS, doubling on each further lockout up to LOCKOUT_MAX_SECONDS.
LOCKOUT_THRESHOLD = "LOCKOUT_THRESHOLD"
LOCKOUT_SECONDS = "LOCKOUT_SECONDS"
LOCKOUT_MAX_SECONDS = "LOCKOUT_MAX_SECONDS"
LOCKOUT_THRESHOLD_DEFAULT = 5
LOCKOUT_SECONDS_DEFAULT = 900
LOCKOUT_MAX_SECONDS_DEFAULT = 86400

# Self sign-up (POST /signup): off unless "true"; new users get SIGNUP_SCOPES.
SELF_SIGNUP_ENABLED = "SELF_SIGNUP_ENABLED"
SIGNUP_SCOPES = "SIGNUP_SCOPES"
SIGNUP_SCOPES_DEFAULT = "read"

# The Powertools Tracer (X-Ray SDK) is imported only when this is "true".
TRACER_ENABLED = "TRACER_ENABLED"

# The realm named in WWW-Authenticate challenges.
AUTH_REALM = "AUTH_REALM"
AUTH_REALM_DEFAULT = "tokenservice"

# The DynamoDB endpoint (DynamoDB Local, moto server); unset or empty means AWS.
DYNAMODB_ENDPOINT = "AWS_ENDPOINT_URL_DYNAMODB"


def table_name(variable: str) -> str:
    return os.environ.get(variable) or TABLE_DEFAULTS[variable]


def int_setting(variable: str, default: int) -> int:
    value = os.environ.get(variable, "").strip()
    return int(value) if value.isdigit() else default


def access_ttl_default() -> int:
    return int_setting(DEFAULT_ACCESS_TTL, ACCESS_TTL_DEFAULT)


def refresh_ttl_default() -> int:
    return int_setting(DEFAULT_REFRESH_TTL, REFRESH_TTL_DEFAULT)


def realm() -> str:
    return os.environ.get(AUTH_REALM) or AUTH_REALM_DEFAULT


def lockout_threshold() -> int:
    return int_setting(LOCKOUT_THRESHOLD, LOCKOUT_THRESHOLD_DEFAULT)


def lockout_seconds() -> int:
    return int_setting(LOCKOUT_SECONDS, LOCKOUT_SECONDS_DEFAULT)


def lockout_max_seconds() -> int:
    return int_setting(LOCKOUT_MAX_SECONDS, LOCKOUT_MAX_SECONDS_DEFAULT)


def self_signup_enabled() -> bool:
    return os.environ.get(SELF_SIGNUP_ENABLED, "").strip().lower() == "true"


def signup_scopes() -> str:
    return os.environ.get(SIGNUP_SCOPES, SIGNUP_SCOPES_DEFAULT)


def tracer_enabled() -> bool:
    return os.environ.get(TRACER_ENABLED, "").strip().lower() == "true"
