"""The demo client and user that `make run` seeds, with fresh secrets on every start.

Fresh random secrets (never fixed ones) so that pointing the runner at a real table cannot plant
a known password.

The demo client may also use the authorization code flow: its redirect URI is make run's own demo
callback (`DEMO_CALLBACK`, served by the local server only, never part of the stack), a page that
shows the code it received and the curl command that exchanges it, with the PKCE verifier whose
challenge the printed authorization URL carries.
"""

import base64
import html
import os
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from localrun.events import API_ID
from localrun.template import ROOT
from tokenservice import admin
from tokenservice.core import config, grant_types
from tokenservice.oauth import clients, codes
from tokenservice.portal import portal_client
from tokenservice.registry import openapi, registry

DEMO_CLIENT_ID = "demo-client"
DEMO_USERNAME = "demo"
DEMO_SCOPES = "read update"
DEMO_ROLES = "subscriber"  # the developer portal's role (the Applications API's scope)
DEMO_CALLBACK = "/demo/callback"


@dataclass(frozen=True)
class DemoCredentials:
    client_id: str
    client_secret: str
    username: str
    password: str
    scope: str
    code_verifier: str = ""  # PKCE, for the printed authorization URL

    @property
    def basic(self) -> str:
        return base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode("ascii")

    def authorize_url(self, base_url: str) -> str:
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": base_url + DEMO_CALLBACK,
            "scope": "openid read",
            "state": "demo",
            "nonce": "demo",
            "code_challenge": codes.s256(self.code_verifier),
            "code_challenge_method": "S256",
        }
        return f"{base_url}/authorize?{urlencode(query)}"


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
    base_url = config.ISSUER.value().rstrip("/")  # make run's own base URL
    browser = clients.Browser(
        redirect_uris=(base_url + DEMO_CALLBACK,), post_logout_redirect_uris=(base_url + "/portal",)
    )
    new = admin.create_client(
        "Demo application",
        client_scopes,
        " ".join(grant_types.ALL),
        client_id=DEMO_CLIENT_ID,
        browser=browser,
        replace=True,
    )
    password = secrets.token_urlsafe(12)
    admin.create_user(DEMO_USERNAME, password, DEMO_SCOPES, roles=DEMO_ROLES, replace=True)
    portal_client.provision_local()  # the portal's own client: its secret stays in this process
    verifier = secrets.token_urlsafe(48)
    return DemoCredentials(DEMO_CLIENT_ID, new.client_secret, DEMO_USERNAME, password, DEMO_SCOPES, verifier)


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
            "Or sign in with the browser (authorization code + PKCE, OpenID Connect): open",
            f"  {demo.authorize_url(base_url)}",
            f"  sign in as {demo.username}; the page you land on shows the code and how to exchange it",
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


def callback_page(demo: DemoCredentials, base_url: str, query: dict[str, str]) -> tuple[int, str]:
    """make run's demo callback: what the authorization response brought, and how to exchange it."""
    if "code" not in query:
        text = f"The authorization server answered: {query.get('error', 'nothing')}"
        body = f"<p>{html.escape(text)}</p><p>{html.escape(query.get('error_description', ''))}</p>"
        return 400, _page(body)
    curl = (
        f"curl -u '{demo.client_id}:{demo.client_secret}' -d grant_type=authorization_code"
        f" -d code={query['code']} -d code_verifier={demo.code_verifier}"
        f" --data-urlencode redirect_uri={base_url}{DEMO_CALLBACK} {base_url}/token"
    )
    facts = "".join(
        f"<dt>{html.escape(name)}</dt><dd><code>{html.escape(query.get(name, ''))}</code></dd>"
        for name in ("code", "state", "iss")
    )
    body = (
        f"<dl>{facts}</dl><p>Exchange the code within a minute (it works once):</p>"
        f"<pre><code>{html.escape(curl)}</code></pre>"
    )
    return 200, _page(body)


def _page(body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>make run: demo callback</title></head>"
        f"<body><h1>Authorization response</h1>{body}</body></html>"
    )
