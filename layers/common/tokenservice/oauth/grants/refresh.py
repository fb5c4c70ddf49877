"""Refreshing (RFC 6749 §6) with rotation and reuse detection (RFC 9700 §4.14.2)."""

import time
from collections.abc import Mapping
from typing import NoReturn

from tokenservice.core import grant_types, observability, scopes
from tokenservice.core.errors import InvalidGrant
from tokenservice.oauth import client_auth, id_tokens, revocation, tokens
from tokenservice.oauth.client_auth import ClientCredentials
from tokenservice.oauth.grants.common import BAD_REFRESH_TOKEN, issue
from tokenservice.store import records, storage
from tokenservice.store.models import TokenModel
from tokenservice.users import accounts
from tokenservice.web.http import required


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
        issued = issue(
            client,
            record.username,
            scopes.format_scope(scopes.narrow(requested, original)),
            record.grant_type,
            grant_id=record.grant_id,
            refresh_scope=record.scope,
            auth_time=int(record.auth_time or record.issued_at),
            credential_version=int(record.credential_version or 0),
        )
        if record.username and scopes.OPENID in scopes.permissions(issued.scope):  # OIDC Core §12.2
            auth_time = int(record.auth_time or record.issued_at)
            issued = id_tokens.attach(issued, client.client_id, record.username, auth_time)
        try:
            user_guard = accounts.guard(user) if user is not None else None
            tokens.rotate(record, issued.records, user=user_guard, client=client_auth.unchanged(client))
        except tokens.AlreadyUsed:
            self._reused(storage.get(TokenModel, record.token_hash) or record)
        except tokens.NotSaved as failed:  # the user or the application changed while we were refreshing
            revocation.revoke_grant(record)
            raise InvalidGrant(BAD_REFRESH_TOKEN) from failed
        return issued

    @staticmethod
    def _reused(record: TokenModel) -> NoReturn:
        """A spent or revoked refresh token came back: revoke its whole family."""
        observability.count(observability.REFRESH_REUSE)
        revocation.revoke_grant(record)
        raise InvalidGrant(BAD_REFRESH_TOKEN)
