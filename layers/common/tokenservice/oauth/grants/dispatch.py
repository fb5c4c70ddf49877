"""The grant a token request asks for (RFC 6749 §4.1, §4.3, §4.4, §6), by its `grant_type`: one
class per grant type, each with its `GRANT_TYPE` and `issue(form, presented client credentials)`."""

from tokenservice.core.errors import InvalidRequest, UnsupportedGrantType
from tokenservice.oauth.grants.authorization_code import AuthorizationCodeGrant
from tokenservice.oauth.grants.client_credentials import ClientCredentialsGrant
from tokenservice.oauth.grants.password import PasswordGrant
from tokenservice.oauth.grants.refresh import RefreshTokenGrant

GRANTS = {
    grant.GRANT_TYPE: grant
    for grant in (PasswordGrant(), RefreshTokenGrant(), ClientCredentialsGrant(), AuthorizationCodeGrant())
}


def for_type(grant_type: str | None):
    if not grant_type:
        raise InvalidRequest("The 'grant_type' parameter is required")
    grant = GRANTS.get(grant_type)
    if grant is None:
        raise UnsupportedGrantType("The grant_type is not one this server supports")
    return grant
