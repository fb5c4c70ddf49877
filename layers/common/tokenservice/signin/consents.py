"""Consent (OpenID Connect Core §3.1.2.4): a client that must ask — a user's application from the
developer portal (a third party's), or an operator's client created with `--require-consent` —
asks each user once per scope set. What they allowed is remembered (one item per client and user:
the union of the scopes allowed); a later request within it does not ask again, one beyond it asks
for the whole set. Revoking a consent deletes it and revokes the user's tokens for that client.
"""

import time

from pynamodb.models import Model

from tokenservice.core import scopes
from tokenservice.oauth import clients, revocation
from tokenservice.store import storage
from tokenservice.store.models import ClientModel, ConsentModel, consent_key


def lookup_key(client_id: str | None, username: str | None) -> tuple[type[Model], str | None]:
    return ConsentModel, consent_key(client_id, username) if client_id and username else None


def needed(client: ClientModel, consent: ConsentModel | None, granted: frozenset[str]) -> bool:
    """Whether the user must be asked: the client must ask, and they have not allowed all of it."""
    if not clients.needs_consent(client):
        return False
    return consent is None or not granted <= scopes.parse(consent.scope)


def recording(client_id: str, username: str, granted: frozenset[str], consent: ConsentModel | None) -> dict:
    """The transaction item that remembers the user's consent to `granted` (and to what they had
    allowed before)."""
    now = int(time.time())
    allowed = set(granted) | (set(scopes.parse(consent.scope)) if consent else set())
    item = ConsentModel(
        consent_key(client_id, username),
        client_id=client_id,
        subject=username,
        scope=" ".join(sorted(allowed)),
        created_at=int(consent.created_at) if consent else now,
        updated_at=now,
    )
    return {"Put": storage.put_request(item)}


def of_user(username: str) -> list[ConsentModel]:
    """Every consent a user gave (a filtered scan: administration only, never a request's)."""
    found = storage.scan(ConsentModel, (ConsentModel.kind == "consent") & (ConsentModel.subject == username))
    return sorted(found, key=lambda consent: consent.client_id)


def revoke(client_id: str, username: str) -> int:
    """Forget a user's consent to a client and revoke the user's tokens for it; returns how many."""
    storage.delete(ConsentModel, consent_key(client_id, username))
    refs = [ref for ref in revocation.user_tokens(username) if ref.client_id == client_id]
    return revocation.revoke_all(ref.token_hash for ref in refs)
