"""Revocation (RFC 7009 §2.1, RFC 9700 §4.14.2): one token, a grant family, a user, a client.

Revoking sets `revoked` on the token's record with a strongly consistent update. Families are
found two ways at once: older tokens through the `by_user` index (eventually consistent, filtered
to the family by DynamoDB), the newest by following `replaced_by` from a known token (so a
rotation that the index has not caught up with yet is still found).

What a revocation costs (docs/performance.md, "Revocation"): an access token, the client's and
the token's read and one update; a refresh token, the same read, one query and one update per
live token of its family (its rotations' refresh and access tokens), however many other tokens
the user holds.
"""

import time
from collections.abc import Iterable
from typing import NamedTuple

from tokenservice.store import storage
from tokenservice.store.models import TokenModel, UserTokensIndex


class TokenRef(NamedTuple):
    """A token as the by_user index shows it."""

    token_hash: str
    grant_id: str
    client_id: str = ""


def user_tokens(username: str, now: float | None = None, grant_id: str | None = None) -> list[TokenRef]:
    """A user's unexpired tokens (of the grant `grant_id` only, when given), by a query of the
    by_user index (eventually consistent)."""
    now = time.time() if now is None else now
    items = storage.query(
        TokenModel,
        UserTokensIndex.Meta.index_name,
        (TokenModel.username == username) & (TokenModel.expires_at > int(now)),
        only=None if grant_id is None else TokenModel.grant_id == grant_id,
    )
    names = (TokenModel.token_hash.attr_name, TokenModel.grant_id.attr_name, TokenModel.client_id.attr_name)
    return [TokenRef(*storage.string_attributes(item, names)) for item in items]


def revoke(token_hash: str) -> TokenModel | None:
    """Mark one token revoked; returns it as it now is (None if it no longer exists)."""
    return storage.update(TokenModel, token_hash, [TokenModel.revoked.set(True)])


def revoke_all(token_hashes: Iterable[str], limit: int = 10_000) -> int:
    """Revoke tokens and, following `replaced_by`, everything their rotations issued.

    Each revocation is a strongly consistent update: a rotation racing with it either lands
    first (and its successors are followed) or fails its condition.
    """
    pending = list(token_hashes)
    seen: set[str] = set()
    while pending and len(seen) < limit:
        token_hash = pending.pop()
        if token_hash in seen:
            continue
        seen.add(token_hash)
        revoked = revoke(token_hash)
        if revoked is not None:
            pending.extend(revoked.replaced_by or ())
    return len(seen)


def revoke_grant(record: TokenModel) -> int:
    """Revoke a whole grant family: its older tokens from the by_user index, its newest by
    following rotations from `record` (found even before the index has caught up)."""
    return revoke_family(record.username, record.grant_id, [record.token_hash, *(record.replaced_by or ())])


def revoke_family(username: str | None, grant_id: str, known: Iterable[str]) -> int:
    """Revoke the tokens `known` (and what their rotations issued) and every other token of the
    user's grant family `grant_id` that the by_user index shows."""
    # The query reads the user's live index entries (small: ~1 read unit per 50), but DynamoDB
    # answers with the family's alone, so the CPU of parsing grows with the family, not the user.
    family = [ref.token_hash for ref in user_tokens(username, grant_id=grant_id)] if username else []
    return revoke_all([*known, *family])


def revoke_user(username: str) -> int:
    """Revoke every live token of a user (by a query, no scan)."""
    return revoke_all(ref.token_hash for ref in user_tokens(username))


def revoke_client(client_id: str) -> int:
    """Revoke every unrevoked token issued to a client (a strongly consistent, filtered scan: a rare
    administrative act)."""
    unrevoked = (TokenModel.client_id == client_id) & ~(TokenModel.revoked == True)  # noqa: E712
    return revoke_all(token.token_hash for token in storage.scan(TokenModel, unrevoked))


def revoke_clients(client_ids: Iterable[str]) -> int:
    """Revoke every unrevoked token issued to any of these clients (one strongly consistent,
    filtered scan)."""
    unrevoked = TokenModel.client_id.is_in(*client_ids) & ~(TokenModel.revoked == True)  # noqa: E712
    return revoke_all(token.token_hash for token in storage.scan(TokenModel, unrevoked))
