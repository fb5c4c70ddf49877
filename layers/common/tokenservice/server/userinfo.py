"""OpenID Connect UserInfo (OpenID Connect Core §5.3): `GET /userinfo` with a bearer access token
(RFC 6750 §2.1) that was granted `openid`.

The token is checked as the authorizer checks it — its record and its user read in one round trip:
unexpired, unrevoked, its user enabled and at the credential version it was issued under (a JWT
access token verified too) — else `401 invalid_token`; without `openid`, `403 insufficient_scope`.
The answer: `sub` and `preferred_username` (both the username: users carry no other profile data).
"""

import re

from tokenservice.core import scopes
from tokenservice.core.credentials import looks_like_jwt
from tokenservice.core.errors import InsufficientScope, InvalidToken
from tokenservice.oauth import tokens
from tokenservice.server.token import verified_jwt
from tokenservice.store import records, storage
from tokenservice.web.endpoint import oauth_endpoint
from tokenservice.web.http import Request, json_response

_BEARER = re.compile(r"[Bb][Ee][Aa][Rr][Ee][Rr] +([-._~+/A-Za-z0-9]{1,1024}=*)")


def bearer_token(request: Request) -> str:
    match = _BEARER.fullmatch(request.headers.get("authorization", "").strip())
    if match is None:
        raise InvalidToken()
    return match.group(1)


@oauth_endpoint
def userinfo(request: Request) -> dict:
    """GET /userinfo."""
    token = bearer_token(request)
    record, user = storage.get_many(tokens.lookup_keys(token))
    user = tokens.user_of(record, user, token)
    if (
        not records.is_active(record, tokens.ACCESS)
        or not records.accepts(user, record)
        or not record.username
    ):
        raise InvalidToken()
    if looks_like_jwt(token) and verified_jwt(token) is None:
        raise InvalidToken()
    if scopes.OPENID not in scopes.permissions(record.scope):
        raise InsufficientScope("The access token was not granted the openid scope")
    return json_response(200, {"sub": record.username, "preferred_username": record.username})
