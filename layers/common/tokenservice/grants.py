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
    grant_types,
    lockout,
    observability,
    passwords,
    revocation,
    scopes,
    storage,
    tokens,
)
from tokenservice.client_auth import ClientCredentials
from tokenservice.errors import InvalidGrant, InvalidRequest, UnsupportedGrantType
from tokenservice.http import required
from tokenservice.models import ClientModel, TokenModel, UserModel
from tokenservice.text import printable

BAD_CREDENTIALS = "Invalid username or password"
BAD_REFRESH_TOKEN = "The refresh token is invalid, expired or revoked"


def _issue(
    client: ClientModel, username: str | None, scope: str, grant_type: str, **kw
) -> tokens.IssuedTokens:
    access_ttl, refresh_ttl = tokens.lifetimes(client, grant_type)
    return tokens.issue(
        client_id=client.client_id,
        username=username,
        scope=scope,
        grant_type=grant_type,
        access_ttl=access_ttl,
        refresh_ttl=refresh_ttl,
        **kw,
    )


class PasswordGrant:
    """Resource Owner Password Credentials (RFC 6749 §4.3), as WSO2's Token API offers it."""

    GRANT_TYPE = grant_types.PASSWORD

    def issue(self, form: Mapping[str, str], presented: ClientCredentials) -> tokens.IssuedTokens:
        username = required(form, "username")
        password = required(form, "password")
        requested = scopes.parse(form.get("scope"))
        # No user has a longer name (and DynamoDB keys are bounded): look up the client alone.
        lookup = username if len(username) <= config.MAX_USERNAME_LENGTH else None
        client, user = client_auth.authenticate_token_endpoint_client(
            presented, self.GRANT_TYPE, (UserModel, lookup)
        )

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
        also = [tokens.registration(client.client_id, user.username, int(issued.records[0].issued_at))]
        if lockout.needs_reset(user):
            also.append(lockout.reset(user.username))
        tokens.save(issued.records, also)
        return issued


class RefreshTokenGrant:
    """Refreshing (RFC 6749 §6) with rotation and reuse detection (RFC 9700 §4.14.2).

    Every use rotates the refresh token. Presenting a used or revoked one revokes its whole
    grant family: either the client or an attacker holds a copy, and the server cannot tell which.
    """

    GRANT_TYPE = grant_types.REFRESH_TOKEN

    def issue(self, form: Mapping[str, str], presented: ClientCredentials) -> tokens.IssuedTokens:
        refresh_token = required(form, "refresh_token")
        requested = scopes.parse(form.get("scope"))
        client, record = client_auth.authenticate_token_endpoint_client(
            presented, self.GRANT_TYPE, (TokenModel, credentials.digest(refresh_token))
        )

        if record is None or record.kind != tokens.REFRESH or record.client_id != client.client_id:
            raise InvalidGrant(BAD_REFRESH_TOKEN)
        if record.used or record.revoked:
            self._reused(record)
        if record.expires_at <= time.time():
            raise InvalidGrant(BAD_REFRESH_TOKEN)

        scope = scopes.format_scope(scopes.narrow(requested, scopes.permissions(record.scope)))
        issued = _issue(client, record.username, scope, record.grant_type, grant_id=record.grant_id)
        try:
            tokens.rotate(record, issued.records)
        except tokens.AlreadyUsed:
            self._reused(storage.get(TokenModel, record.token_hash) or record)
        return issued

    @staticmethod
    def _reused(record: TokenModel) -> None:
        """A spent or revoked refresh token came back: revoke its whole family."""
        observability.count(observability.REFRESH_REUSE)
        revocation.revoke_grant(record)
        raise InvalidGrant(BAD_REFRESH_TOKEN)


class ClientCredentialsGrant:
    """Client Credentials (RFC 6749 §4.4): the client acts for itself; no refresh token."""

    GRANT_TYPE = grant_types.CLIENT_CREDENTIALS

    def issue(self, form: Mapping[str, str], presented: ClientCredentials) -> tokens.IssuedTokens:
        requested = scopes.parse(form.get("scope"))
        client, _ = client_auth.authenticate_token_endpoint_client(presented, self.GRANT_TYPE)
        granted = scopes.grant(requested, scopes.parse(client.scope))
        issued = _issue(client, None, scopes.format_scope(granted), self.GRANT_TYPE)
        tokens.save(issued.records)
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
