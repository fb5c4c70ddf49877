"""OpenID Connect ID tokens (OpenID Connect Core §2, §3.1.3.6, §12.2), signed with the stack's ES256
keys (the JWKS), for a user's grant whenever `openid` is granted.

Claims: `iss`, `sub` (the username, as in JWT access tokens), `aud` (the client: the only audience,
so no `azp` is needed), `exp`, `iat`, `auth_time` (when the user authenticated: on a refresh, still
the original sign-in), `at_hash` (the access token issued with it) and, from the authorization
request, `nonce` (not on a refresh: a refresh is no authentication request), and, for a sign-in
(not a refresh), how the user authenticated: `amr` (RFC 8176 values: `pwd`, and `otp` after a TOTP
or recovery code) and `acr`: `"2"` with a second factor, `"1"` with the password alone. An ID token
lives as long as its access token, an hour at most.

PyJWT and `cryptography` are imported only here, when an ID token is made or read.
"""

import base64
import dataclasses
import hashlib
import time

from tokenservice.oauth.tokens import IssuedTokens

MAX_SECONDS = 3600


def at_hash(access_token: str) -> str:
    """OIDC Core §3.1.3.6: base64url of the left half of the access token's SHA-256 (ES256)."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode("ascii")


def attach(
    issued: IssuedTokens,
    client_id: str,
    username: str,
    auth_time: int,
    nonce: str | None = None,
    amr: str | None = None,
) -> IssuedTokens:
    """The issued tokens with an ID token for `username`, signed now."""
    from tokenservice.jose import jwt_tokens, signing

    now = int(time.time())
    kid, settings, key = signing.signer(now)
    claims = {
        "iss": settings.issuer,
        "sub": username,
        "aud": client_id,
        "exp": now + min(issued.expires_in, MAX_SECONDS),
        "iat": now,
        "auth_time": int(auth_time),
        "at_hash": at_hash(issued.access_token),
    }
    if nonce:
        claims["nonce"] = nonce
    if amr:
        methods = amr.split()
        claims["amr"] = methods
        claims["acr"] = "2" if len(methods) > 1 else "1"
    return dataclasses.replace(issued, id_token=jwt_tokens.sign(kid, key, claims, jwt_tokens.ID_TOKEN_TYP))


def hinted(id_token: str) -> dict | None:
    """The claims of an ID token this server issued (expired or not), for a logout's
    `id_token_hint`; None for anything else."""
    from tokenservice.jose import jwt_tokens, signing

    settings = signing.settings()
    if settings is None or len(id_token) > 4096:
        return None
    return jwt_tokens.read_id_token(id_token, settings.verification_keys(time.time()), settings.issuer)
