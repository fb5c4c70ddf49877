"""What make sam-local puts into its DynamoDB Local and KMS before SAM CLI starts, from the host
(through the ports published on 127.0.0.1), the way make run does it in-process: the template's
tables, the sample API's rules under SAM CLI's API id, the demo client and user, the portal's own
client (its fresh secret goes to the functions through the generated env file only) and a JWT
signing key encrypted by the local KMS.
"""

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from localrun import demo, template
from localrun.gateway import apply_environment

SAM_API_ID = "1234567890"  # SAM CLI's API id, in every methodArn and requestContext it makes
ENV_FILE = template.ROOT / "env.json"  # every variable the template passes, with sam local's values
# Variables make sam-local sets itself; any other one of env.json set in its environment is passed
# on to the functions (e.g. SELF_SIGNUP_ENABLED=true make sam-local), as make run reads them.
MANAGED = frozenset(
    {
        "AWS_ENDPOINT_URL_DYNAMODB",
        "AWS_ENDPOINT_URL_KMS",
        "PORTAL_CLIENT_ID",
        "PORTAL_CLIENT_SECRET",
        "APPLICATIONS_API_ID",
    }
)


@dataclass(frozen=True)
class Seeded:
    credentials: demo.DemoCredentials
    tables: list[str]
    rules: int
    signing_key: str


def committed_env() -> dict[str, str]:
    return dict(json.loads(ENV_FILE.read_text())["Parameters"])


def prepare(issuer: str) -> Seeded:
    """Tables, rules, demo data and signing, through AWS_ENDPOINT_URL_DYNAMODB/_KMS (set by the caller)."""
    os.environ["ISSUER"] = issuer
    os.environ["APPLICATIONS_API_ID"] = SAM_API_ID
    tmpl = template.load()
    apply_environment(tmpl, {})
    from localrun.tables import ensure_tables
    from tokenservice.deploy import deployment  # after the environment is in place
    from tokenservice.store import storage

    created = ensure_tables(storage.dynamodb(), tmpl)
    rules = demo.register_api(SAM_API_ID)
    credentials = demo.seed()
    key_arn = _kms_key()
    settings = deployment.set_up_signing(issuer, key_arn)  # the KMS of AWS_ENDPOINT_URL_KMS
    active = settings.active(time.time())
    return Seeded(credentials, created, rules, active.kid if active else "-")


def _kms_key() -> str:
    import botocore.session

    client = botocore.session.get_session().create_client("kms", region_name=os.environ["AWS_REGION"])
    metadata = client.create_key(Description="make sam-local: encrypts the JWT signing keys")["KeyMetadata"]
    return metadata["Arn"]


def function_env(issuer: str) -> dict[str, str]:
    """env.json's variables as the functions get them now: the portal client's id and fresh secret
    (set by `prepare` in this process), the issuer, and what this environment overrides."""
    variables = committed_env()
    for name in variables:
        if name not in MANAGED and os.environ.get(name):
            variables[name] = os.environ[name]
    variables.update(
        ISSUER=issuer,
        PORTAL_CLIENT_ID=os.environ["PORTAL_CLIENT_ID"],
        PORTAL_CLIENT_SECRET=os.environ["PORTAL_CLIENT_SECRET"],
    )
    return variables


def write_env_file(path: Path, variables: dict[str, str]) -> None:
    """SAM CLI's --env-vars file, readable by the owner only (it holds the portal client's secret)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump({"Parameters": variables}, file, indent=2)
