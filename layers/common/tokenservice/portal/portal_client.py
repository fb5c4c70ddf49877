"""The developer portal's own OAuth client, and how it is provisioned.

A confidential client allowed only the password grant, with only the scope the portal needs
(`apim:subscribe`): its access tokens back portal sessions and live an hour (SESSION_SECONDS), with
no refresh token. Its secret is held by the portal's function alone, never sent to a browser.

- `make run` creates it (`provision_local`) with a fresh secret at every start and gives both to
  the in-process functions through the environment (PORTAL_CLIENT_ID, PORTAL_CLIENT_SECRET).
- On AWS the stack's `PortalClient` custom resource (`handle_custom_resource`) creates it at
  deployment (`<stack>-portal`), answers CloudFormation with the id and the secret as `NoEcho`
  data, and the template passes them to the portal function's environment (encrypted at rest by
  Lambda; readable only by whoever may read the function's configuration). An update makes a new
  secret (and so a new function configuration); deleting the stack deletes the client.
"""

import logging
import os
from collections.abc import Mapping

from tokenservice import admin
from tokenservice.core import config, grant_types
from tokenservice.deploy import cloudformation
from tokenservice.store import storage
from tokenservice.store.models import ClientModel

SESSION_SCOPE = "apim:subscribe"  # the Applications API's scope (openapi.yaml); tests check they agree
SESSION_SECONDS = 3600
NAME = "Developer portal"

logger = logging.getLogger(__name__)


def provision(client_id: str) -> admin.NewClient:
    """Create the portal's client (or give an existing one of that id a new secret)."""
    return admin.create_client(
        NAME,
        SESSION_SCOPE,
        grant_types.PASSWORD,
        access_ttl=SESSION_SECONDS,
        client_id=client_id,
        token_format="opaque",  # a session needs only the token's record, never a signing key
        replace=True,
    )


def provision_local() -> str:
    """make run: the client, its id and secret in this process's environment; returns the id."""
    new = provision(config.PORTAL_CLIENT_ID.value())
    os.environ[config.PORTAL_CLIENT_ID.variable] = new.client.client_id
    os.environ[config.PORTAL_CLIENT_SECRET.variable] = new.client_secret
    return new.client.client_id


def handle_custom_resource(event: Mapping, context) -> None:
    """CloudFormation's Create/Update/Delete of `Custom::PortalClient` (`ClientId` property). The
    answer always goes to the presigned ResponseURL, so a failure never leaves the stack waiting."""
    properties = event.get("ResourceProperties") or {}
    client_id = str(properties.get("ClientId", ""))
    status, reason, data = "SUCCESS", "", {"ClientId": client_id}
    try:
        if event.get("RequestType") == "Delete":
            client_id = str(event.get("PhysicalResourceId") or client_id)
            deleted = storage.delete(ClientModel, client_id) if client_id else False
            reason = "deleted" if deleted else "nothing to delete"
        else:
            if not client_id:
                raise ValueError("the ClientId property is required")
            data["ClientSecret"] = provision(client_id).client_secret
            reason = "provisioned"
    except Exception as error:  # CloudFormation must hear back, whatever happened
        logger.exception("Provisioning the portal client failed")
        status, reason = "FAILED", f"{type(error).__name__}: {error}"[:200]
    _respond(event, status, reason, client_id or "portal-client-not-created", data)


def _respond(event: Mapping, status: str, reason: str, physical_id: str, data: dict) -> None:
    # the secret is masked wherever CloudFormation shows the resource's data
    cloudformation.respond(event, status, reason, physical_id, data, no_echo=True)
