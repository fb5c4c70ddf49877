"""Storage models: the one declaration of the users, clients and tokens tables.

The template's `AWS::DynamoDB::Table` definitions must have the same key schemas; a test
(tests/unit/deployment/test_template.py) proves they agree. Table names come from the environment.
Scopes and grant types are stored as space-delimited strings, as OAuth writes them.
"""

from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from tokenservice.core import config, credentials


class UserModel(Model):
    """A resource owner who may use the password grant."""

    class Meta:
        table_name = config.table_name(config.USERS_TABLE)

    username = UnicodeAttribute(hash_key=True)
    password_hash = UnicodeAttribute()  # argon2id, never the password
    scope = UnicodeAttribute(default="")
    disabled = BooleanAttribute(default=False)
    created_at = NumberAttribute()
    failed_attempts = NumberAttribute(default=0)  # consecutive failed passwords
    lockouts = NumberAttribute(default=0)  # consecutive lockouts (each one doubles the next)
    locked_until = NumberAttribute(null=True)
    # Raised by every disable, password change and change of roles: tokens carry the version they
    # were issued under, and a token of another version is refused wherever it is checked.
    credential_version = NumberAttribute(default=0)
    roles = UnicodeSetAttribute(null=True)  # a user may obtain the scopes bound to any of these
    # Their applications (the developer portal): the names (canonical form) and the clients' ids.
    application_names = UnicodeSetAttribute(null=True)
    application_clients = UnicodeSetAttribute(null=True)
    # Set by an import (WSO2's UM_REQUIRE_CHANGE): no tokens until the user chooses a new password.
    must_change_password = BooleanAttribute(null=True)
    # Not a user: a client's id (case-folded) held so that no user can take it (`clients.reservation`).
    reserved_for = UnicodeAttribute(null=True)
    # A second factor (RFC 6238, `users.mfa`): the TOTP secret sealed by the stack's KMS key, one being
    # enrolled (not confirmed yet), the last time step a code was accepted for (each code works once),
    # the recovery codes' SHA-256 (each removed when spent) and when TOTP was turned on.
    totp_secret = BinaryAttribute(null=True, legacy_encoding=False)
    totp_pending = BinaryAttribute(null=True, legacy_encoding=False)
    totp_last_step = NumberAttribute(null=True)
    recovery_codes = UnicodeSetAttribute(null=True)
    totp_enabled_at = NumberAttribute(null=True)


class ClientModel(Model):
    """An OAuth client (WSO2: an application's consumer key and secret)."""

    class Meta:
        table_name = config.table_name(config.CLIENTS_TABLE)

    client_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    secret_hash = UnicodeAttribute()  # SHA-256 of the secret, never the secret
    scope = UnicodeAttribute(default="")
    grant_types = UnicodeAttribute()
    introspect_any = BooleanAttribute(default=False)  # a resource server: may introspect any access token
    token_format = UnicodeAttribute(null=True)  # "opaque" | "jwt"; None: the service's ACCESS_TOKEN_FORMAT
    audience = UnicodeAttribute(null=True)  # the JWT `aud`; None: the issuer
    access_ttl = NumberAttribute(null=True)  # None: the service default (config.ACCESS_TTL)
    refresh_ttl = NumberAttribute(null=True)  # None: the service default (config.REFRESH_TTL)
    created_at = NumberAttribute()
    # A user's application has two clients (WSO2's Production and Sandbox keys); None for others.
    owner = UnicodeAttribute(null=True)
    application_id = UnicodeAttribute(null=True)
    environment = UnicodeAttribute(null=True)  # "production" | "sandbox"
    keys_generated_at = NumberAttribute(null=True)  # when its secret was last shown; None: never
    suspended = BooleanAttribute(null=True)  # True while its owner is disabled: no grant, no token
    # The authorization code flow (RFC 6749 §4.1): where codes may be sent (matched exactly), where a
    # user may be sent after signing out, and whether the client is public (no secret, PKCE always),
    # must ask its users' consent (an application's client always does: it is a third party's), or
    # may leave PKCE out (a confidential client created so).
    redirect_uris = UnicodeSetAttribute(null=True)
    post_logout_redirect_uris = UnicodeSetAttribute(null=True)
    public = BooleanAttribute(null=True)
    require_consent = BooleanAttribute(null=True)
    pkce_optional = BooleanAttribute(null=True)
    require_mfa = BooleanAttribute(null=True)  # its users must sign in with a second factor (TOTP)
    # An application's subscriptions to APIs (the store: `portal.subscriptions`), the same on both of
    # its clients, JSON: {api_id: {"tier", "key", "key_id", "created_at"}}; the authorizer reads it
    # for an API that requires subscriptions, and returns the key as the usage plans' API key.
    subscriptions = UnicodeAttribute(null=True)


class UserTokensIndex(GlobalSecondaryIndex):
    """A user's tokens by expiry: to revoke a user's live tokens, or a grant family, by a query.

    Sparse: client_credentials tokens (no username) and registrations (no expiry) are not in it.
    """

    class Meta:
        index_name = "by_user"
        projection = IncludeProjection(["grant_id", "kind", "client_id"])

    username = UnicodeAttribute(hash_key=True)
    expires_at = NumberAttribute(range_key=True)


class TokenModel(Model):
    """An access or refresh token, keyed by the SHA-256 of the token (never the token)."""

    class Meta:
        table_name = config.table_name(config.TOKENS_TABLE)

    token_hash = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()  # "access" | "refresh"
    client_id = UnicodeAttribute()
    username = UnicodeAttribute(null=True)  # None for client_credentials
    scope = UnicodeAttribute()
    grant_id = UnicodeAttribute()  # the family: every token of one grant and its refreshes
    grant_type = UnicodeAttribute()
    issued_at = NumberAttribute()
    expires_at = NumberAttribute()  # also the table's TTL attribute (DynamoDB deletes late)
    credential_version = NumberAttribute(default=0)  # the user's, when the token was issued
    auth_time = NumberAttribute(null=True)  # when the user authenticated (the family's password grant)
    revoked = BooleanAttribute(default=False)
    used = BooleanAttribute(default=False)  # a rotated refresh token
    used_at = NumberAttribute(null=True)  # when it was rotated (the refresh retry grace counts from it)
    replaced_by = UnicodeSetAttribute(null=True)  # hashes of the tokens a rotation issued

    by_user = UserTokensIndex()


class RegistrationsIndex(GlobalSecondaryIndex):
    """Registered users per client ("Registered Users for Application"), by a query."""

    class Meta:
        index_name = "registrations"
        projection = IncludeProjection(["first_at", "last_at"])

    registered_client = UnicodeAttribute(hash_key=True)
    username = UnicodeAttribute(range_key=True)


class RegistrationModel(Model):
    """That a user obtained tokens for a client through the password grant, once per pair.

    Lives in the tokens table under a key no token hash can take; written inside the grant's
    own transaction, never expires.
    """

    class Meta:
        table_name = config.table_name(config.TOKENS_TABLE)

    token_hash = UnicodeAttribute(hash_key=True)  # "registration:" + sha256(client_id \n username)
    kind = UnicodeAttribute(default="registration")
    registered_client = UnicodeAttribute()
    username = UnicodeAttribute()
    first_at = NumberAttribute()
    last_at = NumberAttribute()

    registrations = RegistrationsIndex()


def registration_key(client_id: str, username: str) -> str:
    """The key of a (client, user) registration: unambiguous, and never a token's hash."""
    return "registration:" + credentials.digest(f"{client_id}\n{username}")


class SessionModel(Model):
    """A developer-portal session (`sessions`): the user and the hash of the access token the
    portal's sign-in issued, keyed by the hash of the random id in the browser's cookie.

    Lives in the tokens table under a key no token hash can take and expires with its token (the
    table's TTL). Its user is `subject`, not `username`, so sessions stay out of the by_user index.
    """

    class Meta:
        table_name = config.table_name(config.TOKENS_TABLE)

    token_hash = UnicodeAttribute(hash_key=True)  # "session:" + sha256(session id)
    kind = UnicodeAttribute(default="session")
    subject = UnicodeAttribute()
    access_hash = UnicodeAttribute()
    created_at = NumberAttribute()
    expires_at = NumberAttribute()


def session_key(session_id: str) -> str:
    """The key of a session: never a token's hash, never the session id itself."""
    return "session:" + credentials.digest(session_id)


class AuthorizationCodeModel(Model):
    """An authorization code (RFC 6749 §4.1.2), keyed by its hash: single use, a minute's life, bound
    to its client, redirect URI, PKCE challenge, scope, nonce and the user's credential version.
    Its exchange marks it `used` and records what it issued, so a replay can revoke that."""

    class Meta:
        table_name = config.table_name(config.TOKENS_TABLE)

    token_hash = UnicodeAttribute(hash_key=True)  # "code:" + sha256(code)
    kind = UnicodeAttribute(default="code")
    client_id = UnicodeAttribute()
    subject = UnicodeAttribute()  # the user (not `username`: codes stay out of the by_user index)
    redirect_uri = UnicodeAttribute()
    redirect_given = BooleanAttribute(default=True)  # whether the request named it (RFC 6749 §4.1.3)
    scope = UnicodeAttribute()
    code_challenge = UnicodeAttribute(null=True)  # S256 (RFC 7636)
    nonce = UnicodeAttribute(null=True)
    auth_time = NumberAttribute()
    amr = UnicodeAttribute(null=True)  # how the user authenticated ("pwd", "pwd otp"); None: "pwd"
    credential_version = NumberAttribute(default=0)
    issued_at = NumberAttribute()
    expires_at = NumberAttribute()
    used = BooleanAttribute(default=False)
    grant_id = UnicodeAttribute(null=True)  # set by the exchange: the family it started
    replaced_by = UnicodeSetAttribute(null=True)  # hashes of the tokens the exchange issued


class LoginSessionModel(Model):
    """A browser's login session at the authorization server (single sign-on): who signed in and
    when, keyed by the hash of the random id in the browser's cookie. It counts while its user is
    enabled and at the credential version they signed in with."""

    class Meta:
        table_name = config.table_name(config.TOKENS_TABLE)

    token_hash = UnicodeAttribute(hash_key=True)  # "login-session:" + sha256(cookie value)
    kind = UnicodeAttribute(default="login-session")
    subject = UnicodeAttribute()
    auth_time = NumberAttribute()
    amr = UnicodeAttribute(null=True)  # how the user authenticated ("pwd", "pwd otp"); None: "pwd"
    credential_version = NumberAttribute(default=0)
    created_at = NumberAttribute()
    expires_at = NumberAttribute()


class LoginTransactionModel(Model):
    """One authorization request between the authorization endpoint and its answer: the request,
    the step the browser is at (the password, the consent, ...), and the browser it belongs to."""

    class Meta:
        table_name = config.table_name(config.TOKENS_TABLE)

    token_hash = UnicodeAttribute(hash_key=True)  # "login-transaction:" + sha256(transaction id)
    kind = UnicodeAttribute(default="login-transaction")
    browser = UnicodeAttribute()  # sha256 of the browser's binding cookie
    client_id = UnicodeAttribute()
    request = UnicodeAttribute()  # the validated authorization request (JSON)
    step = UnicodeAttribute()
    subject = UnicodeAttribute(null=True)  # once authenticated
    auth_time = NumberAttribute(null=True)
    amr = UnicodeAttribute(null=True)  # how the user authenticated, once they have
    scope = UnicodeAttribute(null=True)  # what the user is asked to consent to
    created_at = NumberAttribute()
    expires_at = NumberAttribute()


class ConsentModel(Model):
    """The scopes a user allowed a client that must ask (a third party's), remembered until revoked."""

    class Meta:
        table_name = config.table_name(config.TOKENS_TABLE)

    token_hash = UnicodeAttribute(hash_key=True)  # "consent:" + sha256(client_id \n username)
    kind = UnicodeAttribute(default="consent")
    client_id = UnicodeAttribute()
    subject = UnicodeAttribute()
    scope = UnicodeAttribute(default="")
    created_at = NumberAttribute()
    updated_at = NumberAttribute()


def code_key(code: str) -> str:
    return "code:" + credentials.digest(code)


def login_session_key(session_id: str) -> str:
    return "login-session:" + credentials.digest(session_id)


def login_transaction_key(transaction_id: str) -> str:
    return "login-transaction:" + credentials.digest(transaction_id)


def consent_key(client_id: str, username: str) -> str:
    return "consent:" + credentials.digest(f"{client_id}\n{username}")


class ApiModel(Model):
    """A protected API in the registry: its API Gateway REST API id, a name, its resource rules."""

    class Meta:
        table_name = config.table_name(config.REGISTRY_TABLE)

    id = UnicodeAttribute(hash_key=True)  # "api#" + the REST API id
    kind = UnicodeAttribute(default="api")
    api_id = UnicodeAttribute()
    name = UnicodeAttribute()
    rules = UnicodeAttribute()  # rules.encode: [[method, path, scope], ...]
    updated_at = NumberAttribute()
    description = UnicodeAttribute(null=True)  # for the catalogue (the OpenAPI document's info)
    subscriptions = UnicodeAttribute(null=True)  # "required": only subscribed applications; None: "none"
    stage = UnicodeAttribute(null=True)  # its API Gateway stage, when it joined the usage plans
    subscribed = BooleanAttribute(null=True)  # an application subscribed to it once: its tier applies


class ScopeModel(Model):
    """A scope, defined once, with the roles that may obtain it (WSO2's scope-role binding)."""

    class Meta:
        table_name = config.table_name(config.REGISTRY_TABLE)

    id = UnicodeAttribute(hash_key=True)  # "scope#" + the scope
    kind = UnicodeAttribute(default="scope")
    name = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    roles = UnicodeSetAttribute(null=True)


class SigningModel(Model):
    """The JWT issuer, the KMS key that encrypts private keys, and every key's public JWK."""

    class Meta:
        table_name = config.table_name(config.REGISTRY_TABLE)

    id = UnicodeAttribute(hash_key=True)  # "signing"
    kind = UnicodeAttribute(default="signing")
    issuer = UnicodeAttribute()
    kms_key_id = UnicodeAttribute()
    kms_endpoint = UnicodeAttribute(null=True)  # make run's KMS emulator; never set on AWS
    keys = UnicodeAttribute(default="[]")  # JSON: [{kid, jwk, created_at, activates_at}, ...]
    version = NumberAttribute(default=0)
    # The stack's ACCESS_TOKEN_FORMAT (its AccessTokenFormat parameter, or make run's setting), so that
    # tokenctl, which runs elsewhere, reports the format a client without its own gets.
    access_token_format = UnicodeAttribute(null=True)


class KeyModel(Model):
    """A signing key's private half, encrypted by KMS (never stored in clear)."""

    class Meta:
        table_name = config.table_name(config.REGISTRY_TABLE)

    id = UnicodeAttribute(hash_key=True)  # "key#" + kid
    kind = UnicodeAttribute(default="key")
    kid = UnicodeAttribute()
    ciphertext = BinaryAttribute(legacy_encoding=False)
    created_at = NumberAttribute()


class TierModel(Model):
    """A throttling tier (WSO2's subscription tier) created by an operator: requests per second, a
    burst, an optional quota per period, and its API Gateway usage plan (on AWS). The built-in
    tiers (`registry.tiers.BUILT_IN`) have an item only to record their usage plan, or while an
    operator deletes a tier (`deleting`)."""

    class Meta:
        table_name = config.table_name(config.REGISTRY_TABLE)

    id = UnicodeAttribute(hash_key=True)  # "tier#" + the name, case-folded
    kind = UnicodeAttribute(default="tier")
    name = UnicodeAttribute()
    rate = NumberAttribute(null=True)  # requests per second; None: unthrottled
    burst = NumberAttribute(null=True)
    quota = NumberAttribute(null=True)  # requests per quota_period; None: no quota
    quota_period = UnicodeAttribute(null=True)  # "DAY" | "WEEK" | "MONTH"
    description = UnicodeAttribute(default="")
    plan_id = UnicodeAttribute(null=True)  # its API Gateway usage plan (AWS); None locally
    created_at = NumberAttribute(null=True)
    deleting = BooleanAttribute(null=True)  # set while `tokenctl tier delete` checks it is unused


class UsageKeyModel(Model):
    """`make run`'s stand-in for an API Gateway API key in a usage plan (`registry.usage_plans`): the
    tier and subscription a key value stands for, keyed by the value's hash."""

    class Meta:
        table_name = config.table_name(config.REGISTRY_TABLE)

    id = UnicodeAttribute(hash_key=True)  # "usage-key#" + sha256(key value)
    kind = UnicodeAttribute(default="usage-key")
    key_id = UnicodeAttribute()
    tier = UnicodeAttribute()
    application_id = UnicodeAttribute()
    api_id = UnicodeAttribute()
    created_at = NumberAttribute()


class UsageModel(Model):
    """`make run`'s count of the calls made with one usage key in one month: an attribute per day
    ("d01" ... "d31"), as API Gateway's usage plans count them (`GetUsage`) on AWS."""

    class Meta:
        table_name = config.table_name(config.REGISTRY_TABLE)

    id = UnicodeAttribute(hash_key=True)  # "usage#" + key id + "#" + YYYY-MM
    kind = UnicodeAttribute(default="usage")


class UsagePlansModel(Model):
    """On AWS (written at deployment): the API stages the usage plans cover and the default plan;
    its absence means `make run`, whose emulator enforces the tiers itself."""

    class Meta:
        table_name = config.table_name(config.REGISTRY_TABLE)

    id = UnicodeAttribute(hash_key=True)  # "usage-plans"
    kind = UnicodeAttribute(default="usage-plans")
    stages = UnicodeSetAttribute(null=True)  # "api_id:stage"
    default_plan_id = UnicodeAttribute(
        null=True
    )  # the plan of the default key (calls without a subscription)
    updated_at = NumberAttribute(null=True)


def tier_key(name: str) -> str:
    return "tier#" + name.casefold()


def usage_key_key(value: str) -> str:
    return "usage-key#" + credentials.digest(value)


def usage_key(key_id: str, month: str) -> str:
    return f"usage#{key_id}#{month}"


USAGE_PLANS_ID = "usage-plans"


def api_key(api_id: str) -> str:
    return "api#" + api_id


def scope_key(name: str) -> str:
    return "scope#" + name


# The models stored in each table, by the environment variable that names the table.
TABLE_MODELS: dict[str, tuple[type[Model], ...]] = {
    config.USERS_TABLE: (UserModel,),
    config.CLIENTS_TABLE: (ClientModel,),
    config.TOKENS_TABLE: (
        TokenModel,
        RegistrationModel,
        SessionModel,
        AuthorizationCodeModel,
        LoginSessionModel,
        LoginTransactionModel,
        ConsentModel,
    ),
    config.REGISTRY_TABLE: (
        ApiModel,
        ScopeModel,
        SigningModel,
        KeyModel,
        TierModel,
        UsageKeyModel,
        UsageModel,
        UsagePlansModel,
    ),
}


def use_table(variable: str, name: str) -> None:
    """Point the models of one table at another table name (e.g. a deployed stack's)."""
    for model in TABLE_MODELS[variable]:
        model.Meta.table_name = name


def hash_key_name(model: type[Model]) -> str:
    return next(attr.attr_name for attr in model.get_attributes().values() if attr.is_hash_key)
