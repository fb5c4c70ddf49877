"""What the stack does at deployment (a custom resource): register its own API in the registry and
set up JWT signing.

CloudFormation sends Create/Update/Delete with `ResourceProperties: {ApiId, Issuer, DefaultIssuer,
KmsKeyId, AccessTokenFormat, UsagePlans, DefaultUsagePlan, Stage}`; the answer goes to the
presigned `ResponseURL` (always, so that a failure never leaves the stack waiting an hour). Create
and Update import the bundled openapi.yaml's rules for the API, record the issuer (the Issuer
parameter, else the API's own URL), the KMS key that encrypts the signing keys and the stack's
access-token format (for tokenctl), make the first signing key when there is none, and record the
stack's usage plans (`api_stages.record_own_plans`); the issuer is returned as the resource's
`Issuer`. Delete removes the API's rules, as the API goes away with the stack (keys, settings and
the recorded plans stay with the retained table; a new stack records its own).
"""

import logging
import time
from collections.abc import Mapping

from tokenservice.deploy import api_stages, cloudformation
from tokenservice.jose import signing
from tokenservice.registry import openapi, registry

logger = logging.getLogger(__name__)


def register_own_api(event: Mapping) -> None:
    properties = event.get("ResourceProperties") or {}
    api_id = str(properties.get("ApiId", ""))
    status, reason, data = "SUCCESS", "registered", {"ApiId": api_id}
    try:
        if event.get("RequestType") == "Delete":
            registry.delete_api(api_id)
            reason = "removed"
        else:
            api = registry.import_api(api_id, openapi.load(openapi.SAMPLE))
            issuer = str(properties.get("Issuer") or properties.get("DefaultIssuer") or "")
            token_format = str(properties.get("AccessTokenFormat") or "") or None
            signed = set_up_signing(
                issuer, str(properties.get("KmsKeyId", "")), access_token_format=token_format
            )
            data["Issuer"] = signed.issuer
            plans = api_stages.record_own_plans(api_id, properties)
            reason = f"{len(registry.api_rules(api))} rules; issuer {data['Issuer']}; {plans}"
    except Exception as error:  # CloudFormation must hear back, whatever happened
        logger.exception("Deployment setup failed")
        status, reason = "FAILED", f"{type(error).__name__}: {error}"[:200]
    _respond(event, status, reason, data)


def set_up_signing(
    issuer: str, kms_key_id: str, kms_endpoint: str | None = None, *, access_token_format: str | None = None
) -> signing.Settings:
    """Record the issuer, the KMS key and the stack's access-token format, and make the first signing
    key when none can sign."""
    signing.configure(issuer, kms_key_id, kms_endpoint, access_token_format)
    try:
        signing.signer(time.time())
    except signing.SigningError:
        signing.rotate()
    return signing.settings(fresh=True)


def _respond(event: Mapping, status: str, reason: str, data: dict) -> None:
    cloudformation.respond(event, status, reason, f"registry-api-{data['ApiId']}", data)
