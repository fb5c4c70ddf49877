"""The demo client and user that `make run` seeds, with fresh secrets on every start.

Fresh random secrets (never fixed ones) so that pointing the runner at a real table cannot plant
a known password.
"""

import base64
import os
import secrets
from dataclasses import dataclass

from localrun.events import API_ID
from localrun.template import ROOT
from tokenservice import admin
from tokenservice.core import config
from tokenservice.portal import portal_client
from tokenservice.registry import openapi, registry

DEMO_CLIENT_ID = "demo-client"
DEMO_USERNAME = "demo"
DEMO_SCOPES = "read update"
DEMO_ROLES = "subscriber"  # the developer portal's role (the Applications API's scope)


@dataclass(frozen=True)
class DemoCredentials:
    client_id: str
    client_secret: str
    username: str
    password: str
    scope: str

    @property
    def basic(self) -> str:
        return base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode("ascii")


def register_api(api_id: str = API_ID) -> int:
    """The local API's rules (the sample API's openapi.yaml) under `api_id` (make run's `local`,
    sam local's `1234567890`), as the stack's loader registers them on AWS; returns how many."""
    return len(registry.api_rules(registry.import_api(api_id, openapi.load(openapi.SAMPLE))))


def register_example(name: str) -> int:
    """An example API's rules (examples/<name>/openapi.yaml) under its local API id, <name>, as
    `tokenctl api import` registers a deployed one; returns how many."""
    document = openapi.load(ROOT / "examples" / name / "openapi.yaml")
    return len(registry.api_rules(registry.import_api(name, document)))


def seed() -> DemoCredentials:
    client_scopes = f"{DEMO_SCOPES} {portal_client.SESSION_SCOPE}"  # the Applications API too
    new = admin.create_client("Demo application", client_scopes, client_id=DEMO_CLIENT_ID, replace=True)
    password = secrets.token_urlsafe(12)
    admin.create_user(DEMO_USERNAME, password, DEMO_SCOPES, roles=DEMO_ROLES, replace=True)
    portal_client.provision_local()  # the portal's own client: its secret stays in this process
    return DemoCredentials(DEMO_CLIENT_ID, new.client_secret, DEMO_USERNAME, password, DEMO_SCOPES)


def banner(demo: DemoCredentials, base_url: str | None) -> str:
    lines = [
        "",
        "Demo client (consumer key and secret):",
        f"  client_id:     {demo.client_id}",
        f"  client_secret: {demo.client_secret}",
        f"Demo user (scopes: {demo.scope}; role: {DEMO_ROLES}, for the developer portal):",
        f"  username:      {demo.username}",
        f"  password:      {demo.password}",
        f"  Basic {demo.basic}",
    ]
    if base_url:
        lines += [
            "",
            "Get a token (the Token API's password grant):",
            f'  curl -k -d "grant_type=password&username={demo.username}&password={demo.password}'
            f'&scope=read%20update" -H "Authorization: Basic {demo.basic}" '
            f'-H "Content-Type: application/x-www-form-urlencoded" {base_url}/token',
            "Then call the API with it:",
            f'  curl -H "Authorization: Bearer <access_token>" {base_url}/orders',
            "",
            f"Developer portal (applications, keys, access tokens): {base_url}/portal",
            "  self sign-up: "
            + ("on" if config.SELF_SIGNUP_ENABLED.on() else "off (SELF_SIGNUP_ENABLED=true make run)"),
            "",
        ]
    return "\n".join(lines)


def tokenctl_lines(endpoint: str) -> str:
    """How to run tokenctl against this run's database: the exact variables, from another shell."""
    tables = [
        f"  export {variable}={os.environ[variable]}"
        for variable in config.TABLE_DEFAULTS
        if os.environ.get(variable) and os.environ[variable] != config.TABLE_DEFAULTS[variable]
    ]
    return "\n".join(
        [
            "Administer this run with tokenctl (in another shell, in this directory):",
            f"  export AWS_ENDPOINT_URL_DYNAMODB={endpoint}",
            *tables,
            "  .venv/bin/tokenctl client list",
            "",
        ]
    )
