"""Configuration: every environment variable the service reads, each declared once with its
default and bounds.

The template passes these names to the functions, the local runner (`make run`) sets them the
same way, and `tokenctl` reads them too. Defaults are the local ones. A test checks that the
template's parameters have the same bounds as the settings here.
"""

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Number:
    """A whole-number setting; anything that is not a non-negative integer means the default."""

    variable: str
    default: int
    minimum: int = 0
    maximum: int | None = None

    def value(self) -> int:
        raw = os.environ.get(self.variable, "").strip()
        return int(raw) if raw.isdigit() else self.default

    def accepts(self, value: int) -> bool:
        return self.minimum <= value and (self.maximum is None or value <= self.maximum)

    def bounded(self) -> int:
        """The value, brought within the bounds."""
        value = max(self.minimum, self.value())
        return value if self.maximum is None else min(value, self.maximum)


@dataclass(frozen=True)
class Text:
    """A string setting; unset means the default (`empty_is_default`: so does an empty value)."""

    variable: str
    default: str
    empty_is_default: bool = True

    def value(self) -> str:
        raw = os.environ.get(self.variable)
        if raw is None or (self.empty_is_default and not raw):
            return self.default
        return raw


@dataclass(frozen=True)
class Flag:
    """On only when set to "true" (any case)."""

    variable: str

    def on(self) -> bool:
        return os.environ.get(self.variable, "").strip().lower() == "true"


# -- tables -------------------------------------------------------------------------------------
# The template passes `!Ref <Table>`; locally these defaults are used.
USERS_TABLE = "USERS_TABLE"
CLIENTS_TABLE = "CLIENTS_TABLE"
TOKENS_TABLE = "TOKENS_TABLE"
REGISTRY_TABLE = "REGISTRY_TABLE"  # the API registry: APIs and their rules, scopes and their roles

TABLE_DEFAULTS = {
    USERS_TABLE: "tokenservice-users",
    CLIENTS_TABLE: "tokenservice-clients",
    TOKENS_TABLE: "tokenservice-tokens",
    REGISTRY_TABLE: "tokenservice-registry",
}

# The template's Outputs naming each table (`tokenctl --stack NAME` reads them).
STACK_OUTPUTS = {
    USERS_TABLE: "UsersTableName",
    CLIENTS_TABLE: "ClientsTableName",
    TOKENS_TABLE: "TokensTableName",
    REGISTRY_TABLE: "RegistryTableName",
}


def table_name(variable: str) -> str:
    return os.environ.get(variable) or TABLE_DEFAULTS[variable]


# The DynamoDB endpoint (DynamoDB Local, moto server); unset or empty means AWS.
DYNAMODB_ENDPOINT = "AWS_ENDPOINT_URL_DYNAMODB"

# -- token lifetimes (seconds), for clients created without their own ------------------------------
# The bounds are the template parameters' MinValue/MaxValue and what `tokenctl` accepts per client.
ACCESS_TTL = Number("DEFAULT_ACCESS_TTL", 3600, minimum=1, maximum=86400)
REFRESH_TTL = Number("DEFAULT_REFRESH_TTL", 86400, minimum=1, maximum=31536000)

# A refresh family's absolute lifetime, from the password grant that started it: beyond it the
# family cannot be refreshed, whatever the sliding expiry of its refresh tokens says.
MAX_SESSION_SECONDS = Number("MAX_SESSION_SECONDS", 2592000, minimum=60, maximum=31536000)

# -- access-token format: "opaque" (a random string, checked in the tokens table) or "jwt" (RFC
# 9068, verifiable from the JWKS without us); a client's own format wins.
ACCESS_TOKEN_FORMAT = Text("ACCESS_TOKEN_FORMAT", "opaque")
TOKEN_FORMATS = ("opaque", "jwt")
# The authorizer also reads a JWT's record (revoked? its user still as it was?): one more round trip.
JWT_REVOCATION_CHECK = Flag("JWT_REVOCATION_CHECK")
JWT_LEEWAY_SECONDS = 30  # clock skew allowed on exp/nbf/iat
# Audiences the authorizer accepts in a JWT besides the issuer (clients created with --audience).
JWT_AUDIENCES = Text("JWT_AUDIENCES", "")

# -- brute-force protection -----------------------------------------------------------------------
# Lock a user after LOCKOUT_THRESHOLD consecutive failed passwords (0: never) for LOCKOUT_SECONDS,
# doubling on each further lockout up to LOCKOUT_MAX_SECONDS.
LOCKOUT_THRESHOLD = Number("LOCKOUT_THRESHOLD", 5)
LOCKOUT_SECONDS = Number("LOCKOUT_SECONDS", 900, minimum=1)
LOCKOUT_MAX_SECONDS = Number("LOCKOUT_MAX_SECONDS", 86400, minimum=1)

# -- self sign-up (POST /signup): off unless "true"; new users get SIGNUP_SCOPES ---------------------
SELF_SIGNUP_ENABLED = Flag("SELF_SIGNUP_ENABLED")
SIGNUP_SCOPES = Text("SIGNUP_SCOPES", "read", empty_is_default=False)
# ... and SIGNUP_ROLES: "subscriber" is the role bound to the developer portal's scope (apim:subscribe).
SIGNUP_ROLES = Text("SIGNUP_ROLES", "subscriber", empty_is_default=False)

# Set to "true" by `sam local` in the functions' environment (its emulator differs from AWS).
SAM_LOCAL = Flag("AWS_SAM_LOCAL")

# The Powertools Tracer (X-Ray SDK) is imported only when this is "true".
TRACER_ENABLED = Flag("TRACER_ENABLED")

# The realm named in WWW-Authenticate challenges (Basic from the token endpoint, Bearer from the
# gateway responses: the template passes its AuthRealm parameter to both).
AUTH_REALM = Text("AUTH_REALM", "tokenservice")

# The issuer (RFC 8414 `issuer`, JWT `iss`): the template's Issuer parameter, else the API's own
# URL (https://{api id}.execute-api.{region}.{suffix}/{stage}, from API Gateway's request context,
# never from the client's Host header); `make run` sets its local base URL.
ISSUER = Text("ISSUER", "")

# The longest a request may run: the functions' Timeout in the template (a test checks they agree).
# No request that read a client or a user before a change to it can write after this long.
MAX_REQUEST_SECONDS = 15

# How long the authorizer keeps an API's rules in memory: a rule or role change shows within this
# (plus API Gateway's own policy cache, AuthorizerCacheTtl, on AWS).
RULES_CACHE_SECONDS = Number("RULES_CACHE_SECONDS", 60, minimum=0, maximum=3600)

# Usernames: at most 128 characters (at most 512 bytes of UTF-8, well inside DynamoDB's key limit).
MAX_USERNAME_LENGTH = 128

# -- the developer portal (GET /portal) and the Applications API (/applications) -------------------
# How many applications one user may own.
APPLICATIONS_PER_USER = Number("APPLICATIONS_PER_USER", 10, minimum=1, maximum=100)
# The portal's own confidential client: its backend signs users in with it (a password grant) and
# keeps the secret; the browser never sees either. `make run` provisions it; on AWS the stack's
# PortalClient custom resource does, and passes both to the portal function.
PORTAL_CLIENT_ID = Text("PORTAL_CLIENT_ID", "developer-portal")
PORTAL_CLIENT_SECRET = Text("PORTAL_CLIENT_SECRET", "")
# The REST API that serves /applications, whose registry rules say what a portal session may do.
# The portal itself is served by the authorization server's HTTP API (another API id), so the
# template passes the REST API's id; make run's is "local", sam local's "1234567890".
APPLICATIONS_API_ID = Text("APPLICATIONS_API_ID", "local")
