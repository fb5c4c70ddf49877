"""The answer a custom resource owes CloudFormation: a PUT of its status to the presigned URL."""

import json
import urllib.request
from collections.abc import Mapping


def respond(
    event: Mapping, status: str, reason: str, physical_id: str, data: dict, *, no_echo: bool = False
) -> None:
    """Tell CloudFormation how the request went (`no_echo`: mask `data` wherever it is shown)."""
    answer = {
        "Status": status,
        "Reason": reason,
        "PhysicalResourceId": physical_id,
        "StackId": event.get("StackId"),
        "RequestId": event.get("RequestId"),
        "LogicalResourceId": event.get("LogicalResourceId"),
        "Data": data,
    }
    if no_echo:
        answer["NoEcho"] = True
    request = urllib.request.Request(  # noqa: S310 - CloudFormation's presigned https URL
        str(event["ResponseURL"]),
        data=json.dumps(answer).encode("utf-8"),
        method="PUT",
        headers={"Content-Type": ""},
    )
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310
        pass
