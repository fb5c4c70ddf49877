"""The authorization code grant's token request (RFC 6749 §4.1.3, RFC 7636 §4.5), with OpenID
Connect's ID token (OIDC Core §3.1.3).

One BatchGetItem (the client, the code, its user) and one TransactWriteItems: the tokens, the code
spent on the condition it was unspent, the user as the code was issued (enabled, same credential
version) and an application's client as read. Of two exchanges of one code, exactly one succeeds; a
code presented again is `invalid_grant` and revokes what its first exchange issued (RFC 6749
§4.1.2), as a refresh token's reuse revokes its family.
"""

import time
from collections.abc import Mapping
from typing import NoReturn

from tokenservice.core import grant_types, scopes
from tokenservice.core.errors import InvalidGrant
from tokenservice.oauth import client_auth, codes, id_tokens, revocation, tokens
from tokenservice.oauth.client_auth import ClientCredentials
from tokenservice.oauth.grants.common import issue
from tokenservice.store import storage
from tokenservice.store.models import AuthorizationCodeModel, ClientModel, UserModel
from tokenservice.users import accounts
from tokenservice.web.http import required

BAD_CODE = "The authorization code is invalid, expired or used"


class AuthorizationCodeGrant:
    GRANT_TYPE = grant_types.AUTHORIZATION_CODE

    def issue(self, form: Mapping[str, str], presented: ClientCredentials) -> tokens.IssuedTokens:
        code = required(form, "code")
        client, record, user = client_auth.authenticate_token_endpoint_client(
            presented, self.GRANT_TYPE, *codes.lookup_keys(code)
        )
        if record is None or record.client_id != client.client_id:
            raise InvalidGrant(BAD_CODE)
        if record.used:
            self._replayed(record)
        self._check(record, client, user, form)
        issued = issue(
            client,
            record.subject,
            record.scope,
            self.GRANT_TYPE,
            auth_time=int(record.auth_time),
            credential_version=int(record.credential_version or 0),
        )
        if scopes.OPENID in scopes.permissions(record.scope):
            issued = id_tokens.attach(
                issued,
                client.client_id,
                record.subject,
                int(record.auth_time),
                record.nonce,
                record.amr or "pwd",
            )
        guards = {
            "user": accounts.guard(user),
            "client": client_auth.unchanged(client),
            "owner": client_auth.owner_enabled(client, user.username),
        }
        try:
            tokens.save(issued.records, spent=codes.spend(record, issued.records), **guards)
        except tokens.AlreadyUsed:  # exchanged meanwhile: this is the second use
            self._replayed(storage.get(AuthorizationCodeModel, record.token_hash) or record)
        except tokens.NotSaved as failed:  # the user or the application changed meanwhile
            raise InvalidGrant(BAD_CODE) from failed
        return issued

    @staticmethod
    def _check(
        record: AuthorizationCodeModel, client: ClientModel, user: UserModel | None, form: Mapping[str, str]
    ) -> None:
        """The code is unexpired, the request's redirect URI and PKCE verifier are the ones it is
        bound to, its user is still as they were, and the client may still have its scope."""
        if record.expires_at <= time.time():
            raise InvalidGrant(BAD_CODE)
        if not codes.redirect_matches(record, form.get("redirect_uri")):
            raise InvalidGrant("The redirect_uri is not the authorization request's")
        if not codes.verifier_matches(record, form.get("code_verifier")):
            raise InvalidGrant("The code_verifier does not match the code_challenge (PKCE, S256)")
        version = int(record.credential_version or 0)
        if user is None or user.disabled or int(user.credential_version or 0) != version:
            raise InvalidGrant(BAD_CODE)
        if scopes.permissions(record.scope) - scopes.IDENTITY - scopes.parse(client.scope):
            raise InvalidGrant(BAD_CODE)  # the client was narrowed since

    @staticmethod
    def _replayed(record: AuthorizationCodeModel) -> NoReturn:
        """A spent code came back: revoke what its exchange issued (and their rotations)."""
        if record.grant_id:
            revocation.revoke_family(record.subject, record.grant_id, record.replaced_by or ())
        raise InvalidGrant(BAD_CODE)
