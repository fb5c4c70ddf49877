"""JWT access tokens (RFC 9068: the JWT profile for OAuth 2.0 access tokens), with PyJWT.

A token is `typ: at+jwt`, signed ES256 with the `kid` of a key in the JWKS (`signing`); its claims
are `iss`, `sub` (the username, or the client id for client_credentials), `aud` (the client's
audience, by default the issuer), `client_id`, `scope`, `iat`, `exp`, `jti`, and `auth_time` when a
user authenticated. Verification pins the algorithm (no `none`, no HS256 with a public key), checks
`typ`, the signature, `iss`, `aud`, and `exp`/`nbf`/`iat` with a small leeway.

PyJWT and `cryptography` cost ~60 ms of import: only the paths that make or check a JWT import
this module, never the opaque-token path.
"""

from collections.abc import Iterable, Mapping

import jwt

from tokenservice import config

TYP = "at+jwt"
ALGORITHM = "ES256"
REQUIRED = ["iss", "sub", "aud", "exp", "iat", "jti", "client_id"]


def mint(kid: str, key, claims: Mapping) -> str:
    """A signed access token with these claims."""
    return jwt.encode(dict(claims), key, algorithm=ALGORITHM, headers={"kid": kid, "typ": TYP})


def verify(
    token: str, keys: Mapping[str, Mapping], issuer: str, audiences: Iterable[str] | None
) -> dict | None:
    """The claims of a valid access token signed by one of `keys` (kid → public JWK) for `issuer`
    and one of `audiences` (None: any audience, for introspection); None for anything else."""
    try:
        header = jwt.get_unverified_header(token)
        if (
            str(header.get("typ", "")).lower() not in (TYP, "application/" + TYP)
            or header.get("alg") != ALGORITHM
        ):
            return None
        jwk = keys.get(str(header.get("kid")))
        if jwk is None:
            return None
        key = jwt.PyJWK(dict(jwk), algorithm=ALGORITHM).key
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            issuer=issuer,
            audience=list(audiences) if audiences is not None else None,
            leeway=config.JWT_LEEWAY_SECONDS,
            options={"require": REQUIRED, "verify_aud": audiences is not None},
        )
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
    if not isinstance(claims.get("scope"), str) or not isinstance(claims.get("client_id"), str):
        return None
    return claims


def kid_of(token: str) -> str | None:
    try:
        return str(jwt.get_unverified_header(token).get("kid"))
    except jwt.PyJWTError:
        return None
