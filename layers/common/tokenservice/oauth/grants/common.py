"""What the grants (RFC 6749 §4 and §6) share: the answers they refuse with, and issuing a grant's
tokens with the client's own settings."""

from tokenservice.oauth import tokens
from tokenservice.store.models import ClientModel
from tokenservice.users.password_change import BAD_CREDENTIALS

__all__ = ["BAD_CREDENTIALS", "BAD_REFRESH_TOKEN", "issue"]
BAD_REFRESH_TOKEN = "The refresh token is invalid, expired or revoked"


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
