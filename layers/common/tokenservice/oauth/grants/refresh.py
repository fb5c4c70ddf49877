"""Refreshing (RFC 6749 §6) with rotation and reuse detection (RFC 9700 §4.14.2), and an optional
grace for a retry after a lost reply (REFRESH_RETRY_GRACE_SECONDS, Cognito's remedy)."""

import time
from collections.abc import Mapping
from typing import NoReturn

from tokenservice.core import config, grant_types, observability, scopes
from tokenservice.core.errors import InvalidGrant
from tokenservice.oauth import client_auth, id_tokens, revocation, tokens
from tokenservice.oauth.client_auth import ClientCredentials
from tokenservice.oauth.grants.common import BAD_REFRESH_TOKEN, issue
from tokenservice.store import records, storage
from tokenservice.store.models import ClientModel, TokenModel, UserModel
from tokenservice.users import accounts
from tokenservice.web.http import required


class RefreshTokenGrant:
    """Refreshing (RFC 6749 §6) with rotation and reuse detection (RFC 9700 §4.14.2).

    Every use rotates the refresh token. Presenting a used or revoked one revokes its whole
    grant family: either the client or an attacker holds a copy, and the server cannot tell which.
    A family ends when its user is disabled or changes password (the user is read in the same
    BatchGetItem as the client and the token, and the rotation is conditional on the user), and
    MAX_SESSION_SECONDS after the password grant that started it.

    With REFRESH_RETRY_GRACE_SECONDS > 0, the client that rotated a refresh token may present it
    again within that many seconds of the rotation, as long as the pair the rotation issued (whose
    reply it lost) is unused: it gets a fresh pair and that lost pair is revoked, in one transaction
    (`tokens.rotate_again`). After the window, or once the lost pair was used, reuse revokes the
    family as always.
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
        now = time.time()
        if record.revoked or (record.used and not in_retry_grace(record, now)):
            self._reused(record)
        user = tokens.user_of(record, user, refresh_token)
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
        self._store(record, issued, client, user)
        return issued

    def _store(
        self, record: TokenModel, issued: tokens.IssuedTokens, client: ClientModel, user: UserModel | None
    ) -> None:
        """The rotation's write (a retry's, when the token was rotated already), on its guards."""
        guards = {
            "user": accounts.guard(user) if user is not None else None,
            "client": client_auth.unchanged(client),
            "owner": client_auth.owner_enabled(client, record.username),
        }
        try:
            if record.used:
                tokens.rotate_again(record, self._lost_pair(record), issued.records, **guards)
            else:
                tokens.rotate(record, issued.records, **guards)
        except tokens.AlreadyUsed:
            current = storage.get(TokenModel, record.token_hash) or record
            if not current.revoked and in_retry_grace(current, time.time()):
                # a concurrent request with the same token won (a retry, or the lost reply's own
                # token used meanwhile): the pair it holds stays the family's, and this one fails
                raise InvalidGrant(BAD_REFRESH_TOKEN) from None
            self._reused(current)
        except tokens.NotSaved as failed:  # the user or the application changed while we were refreshing
            revocation.revoke_grant(record)
            raise InvalidGrant(BAD_REFRESH_TOKEN) from failed

    def _lost_pair(self, record: TokenModel) -> list[TokenModel]:
        """The live tokens the last rotation of `record` issued (the reply that was lost): one
        refresh token, never used, with its access token. A successor that was used makes this
        reuse; successors all revoked unused mean a concurrent retry replaced them: refused alone."""
        successors = storage.get_many([(TokenModel, key) for key in sorted(record.replaced_by or ())])
        refreshes = [token for token in successors if token is not None and token.kind == tokens.REFRESH]
        if any(token.used for token in refreshes):
            self._reused(record)
        live = [token for token in successors if token is not None and not token.revoked]
        if len([token for token in live if token.kind == tokens.REFRESH]) != 1:
            raise InvalidGrant(BAD_REFRESH_TOKEN)
        now = time.time()
        return [token for token in live if token.kind == tokens.REFRESH or token.expires_at > now]

    @staticmethod
    def _reused(record: TokenModel) -> NoReturn:
        """A spent or revoked refresh token came back: revoke its whole family."""
        observability.count(observability.REFRESH_REUSE)
        revocation.revoke_grant(record)
        raise InvalidGrant(BAD_REFRESH_TOKEN)


def in_retry_grace(record: TokenModel, now: float) -> bool:
    """Whether a rotated refresh token may be presented again: within REFRESH_RETRY_GRACE_SECONDS
    of its rotation (never when the grace is 0, or for a token rotated before rotations were timed)."""
    grace = config.REFRESH_RETRY_GRACE_SECONDS.value()
    return grace > 0 and record.used_at is not None and now - float(record.used_at) <= grace
