"""What the stack does at deployment: register its own API in the registry (a custom resource).

CloudFormation sends Create/Update/Delete with `ResourceProperties: {ApiId}`; the answer goes to
the presigned `ResponseURL` (always, so that a failure never leaves the stack waiting an hour).
Create and Update import the bundled openapi.yaml's rules for the API; Delete removes them, as the
API goes away with the stack.
"""

import json
import logging
import urllib.request
from collections.abc import Mapping

from tokenservice import openapi, registry

logger = logging.getLogger(__name__)


def register_own_api(event: Mapping, context) -> None:
    api_id = str((event.get("ResourceProperties") or {}).get("ApiId", ""))
    status, reason = "SUCCESS", "registered"
    try:
        if event.get("RequestType") == "Delete":
            registry.delete_api(api_id)
            reason = "removed"
        else:
            api = registry.import_api(api_id, openapi.load(openapi.SAMPLE))
            reason = f"{len(registry.api_rules(api))} rules"
    except Exception as error:  # CloudFormation must hear back, whatever happened
        logger.exception("Registering the API failed")
        status, reason = "FAILED", f"{type(error).__name__}: {error}"[:200]
    _respond(event, context, status, reason, api_id)


def _respond(event: Mapping, context, status: str, reason: str, api_id: str) -> None:
    body = json.dumps(
        {
            "Status": status,
            "Reason": reason,
            "PhysicalResourceId": f"registry-api-{api_id}",
            "StackId": event.get("StackId"),
            "RequestId": event.get("RequestId"),
            "LogicalResourceId": event.get("LogicalResourceId"),
            "Data": {"ApiId": api_id},
        }
    ).encode("utf-8")
    request = urllib.request.Request(  # noqa: S310 - CloudFormation's presigned https URL
        str(event["ResponseURL"]), data=body, method="PUT", headers={"Content-Type": ""}
    )
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310
        pass
