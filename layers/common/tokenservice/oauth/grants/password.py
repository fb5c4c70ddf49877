"""Resource Owner Password Credentials (RFC 6749 §4.3), as WSO2's Token API offers it.

RFC 9700 §2.4 says this grant MUST NOT be used: it stays because it is the seed's flow, and each
client's allowed grant types decide whether it may use it.
"""

import time
from collections.abc import Mapping

from tokenservice.core import grant_types, scopes
from tokenservice.core.errors import InvalidGrant, InvalidScope
from tokenservice.oauth import client_auth, id_tokens, tokens
from tokenservice.oauth.client_auth import ClientCredentials
from tokenservice.oauth.grants.common import BAD_CREDENTIALS, issue
from tokenservice.registry import registry
from tokenservice.store.models import ClientModel, RegistrationModel, UserModel, registration_key
from tokenservice.users import authentication, mfa, password_change
from tokenservice.web.http import required

# A user with TOTP (users.mfa): the password alone is not enough, and this grant has no way to ask
# for more (RFC 6749 §4.3).
SECOND_FACTOR_NEEDED = (
    "This account uses two-step verification: sign in through the authorization code flow "
    "(/authorize), which asks for the code; the password grant cannot carry it"
)

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
        lookup = authentication.lookup_name(username)
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
        try:
            verified = authentication.check_password(lookup, user, password, now)
        except authentication.WrongCredentials as refused:
            raise InvalidGrant(BAD_CREDENTIALS) from refused
        password_change.refuse_if_pending(user)  # an imported user who must choose a new password
        if mfa.enabled(user):  # the password grant cannot carry a second factor
            raise InvalidGrant(SECOND_FACTOR_NEEDED)

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
        if scopes.OPENID in granted:  # OpenID Connect: an ID token whenever openid is granted
            issued = id_tokens.attach(issued, client.client_id, user.username, int(now), amr="pwd")
        registering = tokens.registration(client.client_id, user.username, int(now), registration)
        self._save(issued, client, user.username, verified.guard, registering)
        return issued

    @staticmethod
    def _save(
        issued: tokens.IssuedTokens,
        client: ClientModel,
        username: str,
        user_guard: dict,
        registration: dict | None,
    ) -> None:
        """Write the tokens on the condition that the user (and an application's client) is still as
        read and the lockout still open; the same write resets the failure counters and upgrades a
        weak or imported hash (`authentication.check_password`'s guard). A registration that a
        concurrent first login wrote meanwhile is not needed any more: write without it."""
        guards = {
            "user": user_guard,
            "client": client_auth.unchanged(client),
            "owner": client_auth.owner_enabled(client, username),
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
