"""Grant types (RFC 6749 §4), one class per grant with its `GRANT_TYPE`.

A grant takes the form parameters and the presented client credentials, authenticates the
client, checks what the grant demands, and issues tokens.
"""

from collections.abc import Mapping

from tokenservice import client_auth, passwords, scopes, storage, tokens
from tokenservice.client_auth import ClientCredentials
from tokenservice.errors import InvalidGrant, InvalidRequest, UnsupportedGrantType
from tokenservice.http import printable

MAX_USERNAME_LENGTH = 128
BAD_CREDENTIALS = "Invalid username or password"


def required(form: Mapping[str, str], name: str) -> str:
    value = form.get(name)
    if not value:
        raise InvalidRequest(f"The '{name}' parameter is required")
    return value


class PasswordGrant:
    """Resource Owner Password Credentials (RFC 6749 §4.3), as WSO2's Token API offers it."""

    GRANT_TYPE = "password"

    def issue(self, form: Mapping[str, str], presented: ClientCredentials) -> tokens.IssuedTokens:
        username = required(form, "username")
        password = required(form, "password")
        requested = scopes.parse(form.get("scope"))
        if len(username) > MAX_USERNAME_LENGTH:
            raise InvalidGrant(BAD_CREDENTIALS)

        client, user = storage.get_client_and_user(presented.client_id, username)
        client = client_auth.authenticate(presented, client)
        client_auth.require_grant_type(client, self.GRANT_TYPE)

        stored_hash = user.password_hash if user and not user.disabled else None
        if not passwords.verify(stored_hash, password):
            raise InvalidGrant(BAD_CREDENTIALS)

        granted = scopes.grant(requested, scopes.parse(user.scope), scopes.parse(client.scope))
        issued = tokens.issue(
            client_id=client.client_id,
            username=user.username,
            scope=scopes.format_scope(granted),
            grant_type=self.GRANT_TYPE,
            access_ttl=client.access_lifetime(),
            refresh_ttl=client.refresh_lifetime() if "refresh_token" in client.grant_types.split() else None,
        )
        storage.save_tokens(issued.records)
        return issued


GRANTS = {grant.GRANT_TYPE: grant for grant in (PasswordGrant(),)}


def for_type(grant_type: str | None):
    if not grant_type:
        raise InvalidRequest("The 'grant_type' parameter is required")
    grant = GRANTS.get(grant_type)
    if grant is None:
        raise UnsupportedGrantType(f"Unsupported grant_type '{printable(grant_type)}'")
    return grant
