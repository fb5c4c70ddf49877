"""Scopes (RFC 6749 §3.3): parsing, validation and what gets granted.

A scope is a space-delimited list of scope tokens, each of the characters
%x21 / %x23-5B / %x5D-7E. The issued scope is requested ∩ user's ∩ client's; when nothing is
requested, or nothing requested is grantable, the token gets the scope "default" (as WSO2 does),
which carries no permissions of its own.
"""

import re

from tokenservice.core import problems
from tokenservice.core.errors import InvalidScope

DEFAULT_SCOPE = "default"
# OpenID Connect's scopes (OIDC Core §5.4): they ask who the user is, not for access to an API, so
# the authorization code flow grants them when asked whatever the user's and the client's scopes.
OPENID = "openid"
PROFILE = "profile"
IDENTITY = frozenset({OPENID, PROFILE})
MAX_SCOPE_LENGTH = 1024
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")


def parse(value: str | None) -> frozenset[str]:
    """The set of scope tokens in a scope string; malformed → InvalidScope."""
    if not value:
        return frozenset()
    if len(value) > MAX_SCOPE_LENGTH:
        raise InvalidScope("The scope is too long")
    tokens = value.split(" ")
    if not all(_SCOPE_TOKEN.fullmatch(token) for token in tokens if token):
        raise InvalidScope("The scope contains characters that RFC 6749 §3.3 does not allow")
    return frozenset(token for token in tokens if token)


def format_scope(scopes: frozenset[str] | set[str]) -> str:
    """A scope string in a stable order, "default" when empty."""
    return " ".join(sorted(scopes)) or DEFAULT_SCOPE


def grant(requested: frozenset[str], *allowed: frozenset[str]) -> frozenset[str]:
    """What may be issued: the requested scopes that every party allows."""
    granted = set(requested)
    for scopes in allowed:
        granted &= scopes
    granted.discard(DEFAULT_SCOPE)
    return frozenset(granted)


def permissions(scope: str) -> frozenset[str]:
    """The scopes a token's stored scope string actually grants ("default" grants none)."""
    return frozenset(scope.split()) - {DEFAULT_SCOPE}


def narrow(requested: frozenset[str], original: frozenset[str]) -> frozenset[str]:
    """The scope of a refreshed token (RFC 6749 §6): the requested scopes, which must all be within
    the originally granted ones (oauthlib's `is_within_original_scope`); all of them when none is
    requested."""
    if requested - original - {DEFAULT_SCOPE}:
        raise InvalidScope("The requested scope exceeds the scope originally granted")
    return grant(requested, original) if requested else original


def canonical_list(value: str) -> str:
    """A list of scopes as stored: its tokens sorted, one space apart; problems.Invalid when
    malformed."""
    try:
        return " ".join(sorted(parse(value)))
    except InvalidScope as error:
        raise problems.Invalid(f"invalid scopes: {error.description}") from error
