"""Storage models: the one declaration of the users, clients and tokens tables.

The template's `AWS::DynamoDB::Table` definitions must have the same key schemas; a test
(tests/unit/test_template.py) proves they agree. Table names come from the environment.
Scopes and grant types are stored as space-delimited strings, as OAuth writes them.
"""

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from tokenservice import config


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
    access_ttl = NumberAttribute(null=True)  # None: the service default (DEFAULT_ACCESS_TTL)
    refresh_ttl = NumberAttribute(null=True)  # None: the service default (DEFAULT_REFRESH_TTL)
    created_at = NumberAttribute()

    def access_lifetime(self) -> int:
        return int(self.access_ttl or config.access_ttl_default())

    def refresh_lifetime(self) -> int:
        return int(self.refresh_ttl or config.refresh_ttl_default())


class GrantIndex(GlobalSecondaryIndex):
    """Tokens by grant (family), to revoke a family: keys only, the rest is read by key."""

    class Meta:
        index_name = "by_grant"
        projection = KeysOnlyProjection()

    grant_id = UnicodeAttribute(hash_key=True)


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
    revoked = BooleanAttribute(default=False)
    used = BooleanAttribute(default=False)  # a rotated refresh token
    replaced_by = UnicodeSetAttribute(null=True)  # hashes of the tokens a rotation issued

    by_grant = GrantIndex()


MODELS: tuple[type[Model], ...] = (UserModel, ClientModel, TokenModel)


def hash_key_name(model: type[Model]) -> str:
    return next(attr.attr_name for attr in model.get_attributes().values() if attr.is_hash_key)
