"""What the grants (RFC 6749 §4 and §6) share: the answers they refuse with, and issuing a grant's
tokens with the client's own settings."""

from tokenservice.oauth import tokens
from tokenservice.store.models import ClientModel

__all__ = ["BAD_REFRESH_TOKEN", "issue"]  # and BAD_CREDENTIALS, by `__getattr__` below
BAD_REFRESH_TOKEN = "The refresh token is invalid, expired or revoked"


def __getattr__(name: str) -> str:
    """`BAD_CREDENTIALS`, the users' answer word for word, read from them when a grant that signs
    a user in asks for it: importing the users' code (and argon2, ~9 ms) here would put it on every
    grant's first request, client_credentials' included (PEP 562)."""
    if name == "BAD_CREDENTIALS":
        from tokenservice.users.password_change import BAD_CREDENTIALS

        return BAD_CREDENTIALS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def issue(
    client: ClientModel, username: str | None, scope: str, grant_type: str, **kw
) -> tokens.IssuedTokens:
    """Tokens for a grant with the client's lifetimes, access-token format and audience."""
    access_ttl, refresh_ttl = tokens.lifetimes(client, grant_type)
    return tokens.issue(
        client_id=client.client_id,
        username=username,
        scope=scope,
        grant_type=grant_type,
        access_ttl=access_ttl,
        refresh_ttl=refresh_ttl,
        access_format=tokens.access_format(client),
        audience=client.audience,
        **kw,
    )
