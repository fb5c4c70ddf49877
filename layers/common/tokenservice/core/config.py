"""Configuration: every environment variable the service reads, each declared once with its
default and bounds.

The template passes these names to the functions, the local runner (`make run`) sets them the
same way, and `tokenctl` reads them too. Defaults are the local ones. A test checks that the
template's parameters have the same defaults and bounds as the settings here.

An invalid value (not a whole number, out of bounds, not `true`/`false`, an unknown choice) is
never replaced by the default: reading it raises `InvalidSetting`, one line naming the variable.
`validate` reads every setting: each function calls it at its cold start and `make run` before it
serves, so a bad value stops them at once rather than at the first request that reads it.
"""

import os
import re
from dataclasses import dataclass

from tokenservice.core import problems
from tokenservice.core.text import printable

_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,18}")


class InvalidSetting(problems.Invalid):
    """An environment variable whose value the service refuses, said in one line naming it."""


SETTINGS: list = []  # every setting declared below, in order (`validate`)


def _refuse(variable: str, expected: str, raw: str) -> InvalidSetting:
    return InvalidSetting(f"{variable} must be {expected}, not {printable(raw)!r}")


@dataclass(frozen=True)
class Number:
    """A whole-number setting within [minimum, maximum]; unset or empty means the default."""

    variable: str
    default: int
    minimum: int = 0
    maximum: int | None = None

    def __post_init__(self):
        SETTINGS.append(self)

    def value(self) -> int:
        raw = os.environ.get(self.variable, "").strip()
        if not raw:
            return self.default
        if not _WHOLE_NUMBER.fullmatch(raw) or not self.accepts(int(raw)):
            raise _refuse(self.variable, self.expected(), raw)
        return int(raw)

    def accepts(self, value: int) -> bool:
        return self.minimum <= value and (self.maximum is None or value <= self.maximum)

    def expected(self) -> str:
        if self.maximum is None:
            return f"a whole number of at least {self.minimum}"
        return f"a whole number from {self.minimum} to {self.maximum}"


@dataclass(frozen=True)
class Choice:
    """One of a few words; unset or empty means the default."""

    variable: str
    default: str
    choices: tuple[str, ...]

    def __post_init__(self):
        SETTINGS.append(self)

    def value(self) -> str:
        raw = os.environ.get(self.variable, "").strip()
        if not raw:
            return self.default
        if raw not in self.choices:
            raise _refuse(self.variable, "one of " + ", ".join(self.choices), raw)
        return raw


@dataclass(frozen=True)
class Text:
    """A string setting; unset means the default (`empty_is_default`: so does an empty value)."""

    variable: str
    default: str
    empty_is_default: bool = True

    def __post_init__(self):
        SETTINGS.append(self)

    def value(self) -> str:
        raw = os.environ.get(self.variable)
        if raw is None or (self.empty_is_default and not raw):
            return self.default
        return raw


@dataclass(frozen=True)
class Flag:
    """A switch: `true` or `false` (any case); unset or empty means off."""

    variable: str

    def __post_init__(self):
        SETTINGS.append(self)

    def on(self) -> bool:
        raw = os.environ.get(self.variable, "").strip()
        if raw.lower() not in ("", "true", "false"):
            raise _refuse(self.variable, "true or false", raw)
        return raw.lower() == "true"

    def value(self) -> bool:
        return self.on()


def validate() -> None:
    """Read every setting: InvalidSetting (one line, naming the variable) for the first bad one."""
    for setting in SETTINGS:
        setting.value()


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

# A refresh retry after a lost reply (Cognito's "refresh token rotation grace period"): within this
# many seconds of a rotation, the same client presenting the just-rotated refresh token gets a fresh
# pair (the unused pair of the lost reply is revoked) instead of its family being revoked. 0: off.
REFRESH_RETRY_GRACE_SECONDS = Number("REFRESH_RETRY_GRACE_SECONDS", 0, minimum=0, maximum=60)

# -- access-token format: "opaque" (a random string, checked in the tokens table) or "jwt" (RFC
# 9068, verifiable from the JWKS without us); a client's own format wins.
TOKEN_FORMATS = ("opaque", "jwt")
ACCESS_TOKEN_FORMAT = Choice("ACCESS_TOKEN_FORMAT", "opaque", TOKEN_FORMATS)
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

# -- two-step verification (TOTP, users.mfa): "true" = every client's users must have it to sign in
# at the hosted login page (the developer portal's own client excepted: it is where users turn it on).
REQUIRE_MFA = Flag("REQUIRE_MFA")

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
# How long the authorizer keeps what an API says of subscriptions (required, or subscribed to): short,
# so that `tokenctl api import --subscriptions required` holds at once (make run: 0, every call).
SUBSCRIPTIONS_CACHE_SECONDS = Number("SUBSCRIPTIONS_CACHE_SECONDS", 1, minimum=0, maximum=3600)

# The API key the authorizer returns (`usageIdentifierKey`) for a call that no subscription covers, so
# that every method can require an API key (usage plans): the stack's default key, in its default plan
# (no throttle of its own). Unset under make run, whose emulator needs none.
DEFAULT_USAGE_KEY = Text("DEFAULT_USAGE_KEY", "")

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
