"""The `Custom::PortalClient` custom resource: the developer portal's own OAuth client
(`portal_client`), created at deployment with its redirect URI under the issuer (the `Issuer`
property, else `DefaultIssuer`: the API's own URL), its id and secret handed to CloudFormation as
`NoEcho` data for the portal function's environment; deleted with the stack."""

import logging
from collections.abc import Mapping

from tokenservice.deploy import cloudformation
from tokenservice.portal import portal_client
from tokenservice.store import storage
from tokenservice.store.models import ClientModel

logger = logging.getLogger(__name__)


def handle_custom_resource(event: Mapping) -> None:
    """CloudFormation's Create/Update/Delete of `Custom::PortalClient` (`ClientId`, `Issuer`,
    `DefaultIssuer` properties). The answer always goes to the presigned ResponseURL, so a failure
    never leaves the stack waiting."""
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
            issuer = str(properties.get("Issuer") or properties.get("DefaultIssuer") or "")
            if not issuer.startswith("https://"):
                raise ValueError("the Issuer or DefaultIssuer property must be an https URL")
            data["ClientSecret"] = portal_client.provision(client_id, issuer).client_secret
            reason = "provisioned"
    except Exception as error:  # CloudFormation must hear back, whatever happened
        logger.exception("Provisioning the portal client failed")
        status, reason = "FAILED", f"{type(error).__name__}: {error}"[:200]
    _respond(event, status, reason, client_id or "portal-client-not-created", data)


def _respond(event: Mapping, status: str, reason: str, physical_id: str, data: dict) -> None:
    # the secret is masked wherever CloudFormation shows the resource's data
    cloudformation.respond(event, status, reason, physical_id, data, no_echo=True)
