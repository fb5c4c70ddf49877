"""Client Credentials (RFC 6749 §4.4)."""

from collections.abc import Mapping

from tokenservice.core import grant_types, scopes
from tokenservice.core.errors import InvalidClient
from tokenservice.oauth import client_auth, tokens
from tokenservice.oauth.client_auth import ClientCredentials
from tokenservice.oauth.grants.common import issue


class ClientCredentialsGrant:
    """Client Credentials (RFC 6749 §4.4): the client acts for itself; no refresh token."""

    GRANT_TYPE = grant_types.CLIENT_CREDENTIALS

    def issue(self, form: Mapping[str, str], presented: ClientCredentials) -> tokens.IssuedTokens:
        requested = scopes.parse(form.get("scope"))
        (client,) = client_auth.authenticate_token_endpoint_client(presented, self.GRANT_TYPE)
        granted = scopes.grant(requested, scopes.parse(client.scope))
        issued = issue(client, None, scopes.format_scope(granted), self.GRANT_TYPE)
        try:
            tokens.save(
                issued.records, client=client_auth.unchanged(client), owner=client_auth.owner_enabled(client)
            )
        except tokens.NotSaved as failed:  # the application changed while we were issuing
            raise InvalidClient() from failed
        return issued
