"""The grant a token request asks for (RFC 6749 §4.1, §4.3, §4.4, §6), by its `grant_type`: one
class per grant type, each with its `GRANT_TYPE` and `issue(form, presented client credentials)`.

A grant's module is imported on the first request for it (a client_credentials request never loads
the password grant's argon2 and user code, nor the code flow's), and its one instance kept;
SnapStart priming imports them all (`MODULES`)."""

import importlib

from tokenservice.core import grant_types
from tokenservice.core.errors import InvalidRequest, UnsupportedGrantType

# grant_type → "module:class"
GRANTS = {
    grant_types.PASSWORD: "tokenservice.oauth.grants.password:PasswordGrant",
    grant_types.REFRESH_TOKEN: "tokenservice.oauth.grants.refresh:RefreshTokenGrant",
    grant_types.CLIENT_CREDENTIALS: "tokenservice.oauth.grants.client_credentials:ClientCredentialsGrant",
    grant_types.AUTHORIZATION_CODE: "tokenservice.oauth.grants.authorization_code:AuthorizationCodeGrant",
}
MODULES = tuple(sorted({target.partition(":")[0] for target in GRANTS.values()}))
_loaded: dict[str, object] = {}


def for_type(grant_type: str | None):
    if not grant_type:
        raise InvalidRequest("The 'grant_type' parameter is required")
    grant = _loaded.get(grant_type)
    if grant is None:
        target = GRANTS.get(grant_type)
        if target is None:
            raise UnsupportedGrantType("The grant_type is not one this server supports")
        module, _, name = target.partition(":")
        grant = _loaded[grant_type] = getattr(importlib.import_module(module), name)()
    return grant
