"""Registered Users for Application (WSO2's statistic): the distinct users who obtained tokens
for a client through the password grant, one registration item per (client, user), written by the
grant itself (`tokens.registration`) and listed through the sparse `registrations` index.
"""

from tokenservice.store import storage
from tokenservice.store.models import ClientModel, RegistrationModel, RegistrationsIndex


def _registrations(client_id: str) -> list[RegistrationModel]:
    """The users who got tokens for a client through the password grant (a query)."""
    items = storage.query(
        RegistrationModel,
        RegistrationsIndex.Meta.index_name,
        RegistrationModel.registered_client == client_id,
    )
    return [RegistrationModel.from_raw_data(item) for item in items]


def registered_users(client: ClientModel) -> dict:
    """ "Registered Users for Application": distinct users who got tokens for the client through
    the password grant, with the first and last time (epoch seconds)."""
    registrations = sorted(_registrations(client.client_id), key=lambda r: r.username)
    return {
        "client_id": client.client_id,
        "name": client.name,
        "registered_users": len(registrations),
        "first_token_at": min((int(r.first_at) for r in registrations), default=None),
        "last_token_at": max((int(r.last_at) for r in registrations), default=None),
        "users": [
            {"username": r.username, "first_token_at": int(r.first_at), "last_token_at": int(r.last_at)}
            for r in registrations
        ],
    }
