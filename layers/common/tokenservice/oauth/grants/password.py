"""Resource Owner Password Credentials (RFC 6749 §4.3), as WSO2's Token API offers it.

RFC 9700 §2.4 says this grant MUST NOT be used: it stays because it is the seed's flow, and each
client's allowed grant types decide whether it may use it.
"""

import time
from collections.abc import Mapping

from tokenservice.core import config, grant_types, scopes
from tokenservice.core.errors import InvalidGrant, InvalidScope
from tokenservice.oauth import client_auth, tokens
from tokenservice.oauth.client_auth import ClientCredentials
from tokenservice.oauth.grants.common import BAD_CREDENTIALS, issue
from tokenservice.registry import registry
from tokenservice.store.models import ClientModel, RegistrationModel, UserModel, registration_key
from tokenservice.users import accounts, identity, lockout, password_change, passwords
from tokenservice.web.http import required

MAX_REQUESTED_SCOPES = 64  # their definitions are read with the client and the user (100 keys at most)


class PasswordGrant:
    """One BatchGetItem (client, user, the pair's registration, the definitions of the requested
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
        password_change.refuse_if_pending(user)  # an imported user who must choose a new password

        obtainable = scopes.parse(user.scope) | registry.role_bound(defined, user.roles)
        granted = scopes.grant(requested, obtainable, scopes.parse(client.scope))
        issued = issue(
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
        weak or imported hash to argon2id of the password. A registration that a concurrent first
        login wrote meanwhile is not needed any more: write without it."""
        now = int(issued.records[0].issued_at)
        changes = lockout.reset_actions()
        if passwords.needs_rehash(user.password_hash):
            changes.append(UserModel.password_hash.set(passwords.hash_password(password)))
        guards = {
            "user": accounts.guard(user, lockout.still_open(now), changes),
            "client": client_auth.unchanged(client),
            "owner": client_auth.owner_enabled(client, user.username),
        }
        try:
            tokens.save(issued.records, registration=registration, **guards)
        except tokens.RegistrationWritten:  # by a concurrent first sign-in: not needed any more
            try:
                tokens.save(issued.records, **guards)
            except tokens.NotSaved as again:
                raise InvalidGrant(BAD_CREDENTIALS) from again
        except tokens.NotSaved as failed:  # locked, disabled or changed meanwhile
            raise InvalidGrant(BAD_CREDENTIALS) from failed
