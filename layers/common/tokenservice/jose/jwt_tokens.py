"""JWT access tokens (RFC 9068: the JWT profile for OAuth 2.0 access tokens), with PyJWT.

A token is `typ: at+jwt`, signed ES256 with the `kid` of a key in the JWKS (`signing`); its claims
are `iss`, `sub` (the username, or the client id for client_credentials), `aud` (the client's
audience, by default the issuer), `client_id`, `scope`, `iat`, `exp`, `jti`, and `auth_time` when a
user authenticated. Verification pins the algorithm (no `none`, no HS256 with a public key), checks
`typ`, the signature, `iss`, `aud`, and `exp`/`nbf`/`iat` with a small leeway.

A token has exactly one valid string. ECDSA signatures are malleable: (r, n - s) verifies wherever
(r, s) does, so a token could be given a second string that names the same `jti`. Signatures are
made low-s (s ≤ n/2, as Bitcoin's BIP 62 and libsecp256k1 do) and a high-s signature is refused
before anything else is checked (`verify`), wherever a JWT is verified.

OpenID Connect ID tokens (`typ: JWT`, OIDC Core §2) are signed here with the same keys, and read
back, expired ones too, when a relying party names one as the `id_token_hint` of a logout.

PyJWT and `cryptography` cost ~60 ms of import: only the paths that make or check a JWT import
this module, never the opaque-token path.
"""

import base64
import functools
import json
import re
from collections.abc import Iterable, Mapping

import jwt

from tokenservice.core import config

TYP = "at+jwt"
ALGORITHM = "ES256"
REQUIRED = ["iss", "sub", "aud", "exp", "iat", "jti", "client_id"]
# a compact JWS: three base64url segments (the header's is read here to pick the key; PyJWT
# then checks the whole token again before anything in it is trusted)
_COMPACT = re.compile(r"([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
MAX_HEADER = 512
# The order of the P-256 group (SEC 2 §2.4.2); an ES256 signature is r || s, 32 bytes each (RFC 7518).
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
SIGNATURE_BYTES = 64


def mint(kid: str, key, claims: Mapping) -> str:
    """A signed access token with these claims, its signature low-s."""
    return sign(kid, key, claims, TYP)


ID_TOKEN_TYP = "JWT"
ID_TOKEN_REQUIRED = ["iss", "sub", "aud", "exp", "iat"]


def sign(kid: str, key, claims: Mapping, typ: str) -> str:
    """A compact JWS of these claims (ES256, with the key's `kid` and the given `typ`), its
    signature low-s."""
    token = jwt.encode(dict(claims), key, algorithm=ALGORITHM, headers={"kid": kid, "typ": typ})
    signed, _, signature = token.rpartition(".")
    r, s = _signature(signature) or (0, 0)
    if s > P256_ORDER // 2:
        low = r.to_bytes(32, "big") + (P256_ORDER - s).to_bytes(32, "big")
        token = signed + "." + base64.urlsafe_b64encode(low).rstrip(b"=").decode("ascii")
    return token


def _signature(segment: str) -> tuple[int, int] | None:
    """(r, s) of an ES256 signature segment; None when it is not 64 bytes of base64url."""
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except ValueError:
        return None
    if len(raw) != SIGNATURE_BYTES:
        return None
    return int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")


def low_s(token: str) -> bool:
    """Whether a token's signature is the one canonical string of its ES256 signature."""
    signature = _signature(token.rpartition(".")[2])
    return signature is not None and 0 < signature[1] <= P256_ORDER // 2


def read_id_token(token: str, keys: Mapping[str, Mapping], issuer: str) -> dict | None:
    """The claims of an ID token this issuer signed with one of `keys` (kid → public JWK), expired
    or not (a logout's hint may be old); None for anything else, an access token included."""
    header = _header(token)
    if (
        header is None
        or header.get("typ") != ID_TOKEN_TYP
        or header.get("alg") != ALGORITHM
        or not low_s(token)
    ):
        return None
    jwk = keys.get(str(header.get("kid")))
    if jwk is None:
        return None
    try:
        return jwt.decode(
            token,
            _public_key(json.dumps(dict(jwk), sort_keys=True)),
            algorithms=[ALGORITHM],
            issuer=issuer,
            options={"require": ID_TOKEN_REQUIRED, "verify_aud": False, "verify_exp": False},
        )
    except (jwt.PyJWTError, ValueError, TypeError):
        return None


def verify(
    token: str, keys: Mapping[str, Mapping], issuer: str, audiences: Iterable[str] | None
) -> dict | None:
    """The claims of a valid access token signed by one of `keys` (kid → public JWK) for `issuer`
    and one of `audiences` (None: any audience, for introspection); None for anything else."""
    header = _header(token)
    if (
        header is None
        or not low_s(token)
        or str(header.get("typ", "")).lower() not in (TYP, "application/" + TYP)
        or header.get("alg") != ALGORITHM
    ):
        return None
    jwk = keys.get(str(header.get("kid")))
    if jwk is None:
        return None
    try:
        claims = jwt.decode(
            token,
            _public_key(json.dumps(dict(jwk), sort_keys=True)),
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


@functools.lru_cache(maxsize=16)
def _public_key(jwk: str):
    """The verification key of a public JWK (JSON), built once per key, not once per request."""
    return jwt.PyJWK(json.loads(jwk), algorithm=ALGORITHM).key


def _header(token: str) -> dict | None:
    """The unverified JOSE header of a compact JWS, or None if the token is not one."""
    match = _COMPACT.fullmatch(token) if isinstance(token, str) else None
    if match is None or len(match[1]) > MAX_HEADER:
        return None
    segment = match[1]
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except ValueError:
        return None
    return header if isinstance(header, dict) else None


def kid_of(token: str) -> str | None:
    header = _header(token)
    return None if header is None else str(header.get("kid"))
