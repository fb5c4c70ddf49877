"""Grant types (RFC 6749 §4 and §6), one class per grant with its `GRANT_TYPE`.

A grant takes the form parameters and the presented client credentials, authenticates the
client (reading it together with the grant's own record: one round trip), checks what the grant
demands, and issues tokens (one write).
"""

import time
from collections.abc import Mapping

from tokenservice.core import config, grant_types, observability, scopes
from tokenservice.core.errors import (
    InvalidClient,
    InvalidGrant,
    InvalidRequest,
    InvalidScope,
    UnsupportedGrantType,
)
from tokenservice.core.text import printable
from tokenservice.oauth import client_auth, revocation, tokens
from tokenservice.oauth.client_auth import ClientCredentials
from tokenservice.registry import registry
from tokenservice.store import records, storage
from tokenservice.store.models import ClientModel, RegistrationModel, TokenModel, UserModel, registration_key
from tokenservice.users import accounts, identity, lockout, passwords
from tokenservice.web.http import required

BAD_CREDENTIALS = "Invalid username or password"
MAX_REQUESTED_SCOPES = 64  # their definitions are read with the client and the user (100 keys at most)
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
        access_format=tokens.access_format(client),
        audience=client.audience,
        **kw,
    )


class PasswordGrant:
    """Resource Owner Password Credentials (RFC 6749 §4.3), as WSO2's Token API offers it.

    One BatchGetItem (client, user, the pair's registration, the definitions of the requested
    scopes) and one TransactWriteItems (the tokens, a condition on the user item, the registration
    when it is new or an hour old). The user gets the requested scopes that are their own or bound
    to one of their roles, and that the client may have.
    """

    GRANT_TYPE = grant_types.PASSWORD

    def issue(self, form: Mapping[str, str], presented: ClientCredentials) -> tokens.IssuedTokens:
        username = required(form, "username")
        password = required(form, "password")
        requested = scopes.parse(form.get("scope"))
        # No user has a longer name (and DynamoDB keys are bounded): look up the client alone.
        lookup = (
            identity.canonical_username(username) if len(username) <= config.MAX_USERNAME_LENGTH else None
        )
        registered = registration_key(presented.client_id, lookup) if lookup else None
        if len(requested) > MAX_REQUESTED_SCOPES:
            raise InvalidScope(f"At most {MAX_REQUESTED_SCOPES} scopes may be requested at once")
        client, user, registration, *defined = client_auth.authenticate_token_endpoint_client(
            presented,
            self.GRANT_TYPE,
            (UserModel, lookup),
            (RegistrationModel, registered),
            *registry.scope_keys(requested),
        )

        # Unknown, disabled and locked users cost one (dummy) argon2 verification and one
        # counting round trip, exactly like a wrong password, and get the same answer.
        now = time.time()
        usable = user is not None and not user.disabled and not lockout.is_locked(user, now)
        if not passwords.verify(user.password_hash if usable else None, password):
            if lookup is not None:
                lockout.record_failure(lookup, now)
            raise InvalidGrant(BAD_CREDENTIALS)

        obtainable = scopes.parse(user.scope) | registry.role_bound(defined, user.roles)
        granted = scopes.grant(requested, obtainable, scopes.parse(client.scope))
        issued = _issue(
            client,
            user.username,
            scopes.format_scope(granted),
            self.GRANT_TYPE,
            auth_time=int(now),
            credential_version=int(user.credential_version or 0),
        )
        self._save(
            issued,
            client,
            user,
            password,
            tokens.registration(client.client_id, user.username, int(now), registration),
        )
        return issued

    @staticmethod
    def _save(
        issued: tokens.IssuedTokens,
        client: ClientModel,
        user: UserModel,
        password: str,
        registration: dict | None,
    ) -> None:
        """Write the tokens on the condition that the user (and an application's client) is still as
        read and the lockout still open; the same write resets the failure counters and upgrades a
        weak hash. A registration that a concurrent first login wrote meanwhile is not needed any
        more: write without it."""
        now = int(issued.records[0].issued_at)
        changes = lockout.reset_actions()
        if passwords.needs_rehash(user.password_hash):
            changes.append(UserModel.password_hash.set(passwords.hash_password(password)))
        also = [accounts.guard(user, lockout.still_open(now), changes), *client_auth.unchanged(client)]
        try:
            tokens.save(issued.records, [*also, registration] if registration else also)
        except tokens.NotSaved as failed:
            if registration is None or 0 in failed.items:
                raise InvalidGrant(BAD_CREDENTIALS) from failed  # locked, disabled or changed meanwhile
            try:
                tokens.save(issued.records, also)  # the pair's registration was written meanwhile
            except tokens.NotSaved as again:
                raise InvalidGrant(BAD_CREDENTIALS) from again


class RefreshTokenGrant:
    """Refreshing (RFC 6749 §6) with rotation and reuse detection (RFC 9700 §4.14.2).

    Every use rotates the refresh token. Presenting a used or revoked one revokes its whole
    grant family: either the client or an attacker holds a copy, and the server cannot tell which.
    A family ends when its user is disabled or changes password (the user is read in the same
    BatchGetItem as the client and the token, and the rotation is conditional on the user), and
    MAX_SESSION_SECONDS after the password grant that started it.
    """

    GRANT_TYPE = grant_types.REFRESH_TOKEN

    def issue(self, form: Mapping[str, str], presented: ClientCredentials) -> tokens.IssuedTokens:
        refresh_token = required(form, "refresh_token")
        requested = scopes.parse(form.get("scope"))
        client, record, user = client_auth.authenticate_token_endpoint_client(
            presented, self.GRANT_TYPE, *tokens.lookup_keys(refresh_token)
        )

        if record is None or record.kind != tokens.REFRESH or record.client_id != client.client_id:
            raise InvalidGrant(BAD_REFRESH_TOKEN)
        if record.used or record.revoked:
            self._reused(record)
        user = tokens.user_of(record, user, refresh_token)
        now = time.time()
        if record.expires_at <= now or tokens.session_end(record.auth_time or record.issued_at) <= now:
            raise InvalidGrant(BAD_REFRESH_TOKEN)
        if not records.accepts(user, record):
            revocation.revoke_grant(record)  # the user was disabled or changed password: end the family
            raise InvalidGrant(BAD_REFRESH_TOKEN)

        original = scopes.permissions(record.scope)
        issued = _issue(
            client,
            record.username,
            scopes.format_scope(scopes.narrow(requested, original)),
            record.grant_type,
            grant_id=record.grant_id,
            refresh_scope=record.scope,
            auth_time=int(record.auth_time or record.issued_at),
            credential_version=int(record.credential_version or 0),
        )
        try:
            guards = [accounts.guard(user)] if user is not None else []
            tokens.rotate(record, issued.records, [*guards, *client_auth.unchanged(client)])
        except tokens.AlreadyUsed:
            self._reused(storage.get(TokenModel, record.token_hash) or record)
        except tokens.NotSaved as failed:  # the user or the application changed while we were refreshing
            revocation.revoke_grant(record)
            raise InvalidGrant(BAD_REFRESH_TOKEN) from failed
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
        (client,) = client_auth.authenticate_token_endpoint_client(presented, self.GRANT_TYPE)
        granted = scopes.grant(requested, scopes.parse(client.scope))
        issued = _issue(client, None, scopes.format_scope(granted), self.GRANT_TYPE)
        try:
            tokens.save(issued.records, client_auth.unchanged(client))
        except tokens.NotSaved as failed:  # the application changed while we were issuing
            raise InvalidClient() from failed
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
