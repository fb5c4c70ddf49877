"""Grant types (RFC 6749 §4 and §6), one class per grant with its `GRANT_TYPE`.

A grant takes the form parameters and the presented client credentials, authenticates the
client (reading it together with the grant's own record: one round trip), checks what the grant
demands, and issues tokens (one write).
"""

import time
from collections.abc import Mapping

from tokenservice import (
    client_auth,
    config,
    credentials,
    lockout,
    observability,
    passwords,
    scopes,
    storage,
    tokens,
)
from tokenservice.client_auth import ClientCredentials
from tokenservice.errors import InvalidGrant, InvalidRequest, InvalidScope, UnsupportedGrantType
from tokenservice.http import printable
from tokenservice.models import ClientModel, TokenModel, UserModel

BAD_CREDENTIALS = "Invalid username or password"
BAD_REFRESH_TOKEN = "The refresh token is invalid, expired or revoked"


def required(form: Mapping[str, str], name: str) -> str:
    value = form.get(name)
    if not value:
        raise InvalidRequest(f"The '{name}' parameter is required")
    return value


def _issue(
    client: ClientModel, username: str | None, scope: str, grant_type: str, **kw
) -> tokens.IssuedTokens:
    refresh = (
        "refresh_token" in client.grant_types.split() and grant_type != ClientCredentialsGrant.GRANT_TYPE
    )
    return tokens.issue(
        client_id=client.client_id,
        username=username,
        scope=scope,
        grant_type=grant_type,
        access_ttl=client.access_lifetime(),
        refresh_ttl=client.refresh_lifetime() if refresh else None,
        **kw,
    )


class PasswordGrant:
    """Resource Owner Password Credentials (RFC 6749 §4.3), as WSO2's Token API offers it."""

    GRANT_TYPE = "password"

    def issue(self, form: Mapping[str, str], presented: ClientCredentials) -> tokens.IssuedTokens:
        username = required(form, "username")
        password = required(form, "password")
        requested = scopes.parse(form.get("scope"))
        # No user has a longer name (and DynamoDB keys are bounded): look up the client alone.
        lookup = username if len(username) <= config.MAX_USERNAME_LENGTH else None
        client, user = storage.get_with_client(presented.client_id, UserModel, lookup)
        client = client_auth.authenticate(presented, client)
        client_auth.require_grant_type(client, self.GRANT_TYPE)

        # Unknown, disabled and locked users cost one (dummy) argon2 verification and one
        # counting round trip, exactly like a wrong password, and get the same answer.
        now = time.time()
        usable = user is not None and not user.disabled and not lockout.is_locked(user, now)
        if not passwords.verify(user.password_hash if usable else None, password):
            if lookup is not None:
                lockout.record_failure(lookup, now)
            raise InvalidGrant(BAD_CREDENTIALS)

        granted = scopes.grant(requested, scopes.parse(user.scope), scopes.parse(client.scope))
        issued = _issue(client, user.username, scopes.format_scope(granted), self.GRANT_TYPE)
        storage.save_tokens(
            issued.records,
            registration=(client.client_id, user.username),
            reset_failures_of=user.username if lockout.needs_reset(user) else None,
        )
        return issued


class RefreshTokenGrant:
    """Refreshing (RFC 6749 §6) with rotation and reuse detection (RFC 9700 §4.14.2).

    Every use rotates the refresh token. Presenting a used or revoked one revokes its whole
    grant family: either the client or an attacker holds a copy, and the server cannot tell which.
    """

    GRANT_TYPE = "refresh_token"

    def issue(self, form: Mapping[str, str], presented: ClientCredentials) -> tokens.IssuedTokens:
        refresh_token = required(form, "refresh_token")
        requested = scopes.parse(form.get("scope"))

        client, record = storage.get_with_client(
            presented.client_id, TokenModel, credentials.digest(refresh_token)
        )
        client = client_auth.authenticate(presented, client)
        client_auth.require_grant_type(client, self.GRANT_TYPE)

        if record is None or record.kind != tokens.REFRESH or record.client_id != client.client_id:
            raise InvalidGrant(BAD_REFRESH_TOKEN)
        if record.used or record.revoked:
            self._reused(record)
        if record.expires_at <= time.time():
            raise InvalidGrant(BAD_REFRESH_TOKEN)

        original = scopes.permissions(record.scope)
        if requested - original - {scopes.DEFAULT_SCOPE}:
            raise InvalidScope("The requested scope exceeds the scope originally granted")
        scope = scopes.format_scope(scopes.grant(requested, original) if requested else original)
        issued = _issue(client, record.username, scope, record.grant_type, grant_id=record.grant_id)
        try:
            storage.rotate(record, issued.records)
        except storage.AlreadyUsed:
            self._reused(storage.get(TokenModel, record.token_hash) or record)
        return issued

    @staticmethod
    def _reused(record: TokenModel) -> None:
        """A spent or revoked refresh token came back: revoke its whole family."""
        observability.count(observability.REFRESH_REUSE)
        storage.revoke_grant(record)
        raise InvalidGrant(BAD_REFRESH_TOKEN)


class ClientCredentialsGrant:
    """Client Credentials (RFC 6749 §4.4): the client acts for itself; no refresh token."""

    GRANT_TYPE = "client_credentials"

    def issue(self, form: Mapping[str, str], presented: ClientCredentials) -> tokens.IssuedTokens:
        requested = scopes.parse(form.get("scope"))
        client, _ = storage.get_with_client(presented.client_id)
        client = client_auth.authenticate(presented, client)
        client_auth.require_grant_type(client, self.GRANT_TYPE)
        granted = scopes.grant(requested, scopes.parse(client.scope))
        issued = _issue(client, None, scopes.format_scope(granted), self.GRANT_TYPE)
        storage.save_tokens(issued.records)
        return issued


GRANTS = {
    grant.GRANT_TYPE: grant for grant in (PasswordGrant(), RefreshTokenGrant(), ClientCredentialsGrant())
}


def for_type(grant_type: str | None):
    if not grant_type:
        raise InvalidRequest("The 'grant_type' parameter is required")
    grant = GRANTS.get(grant_type)
    if grant is None:
        raise UnsupportedGrantType(f"Unsupported grant_type '{printable(grant_type)}'")
    return grant
