"""The developer portal's own OAuth client, and how it is provisioned.

A first-party confidential client allowed only the authorization code grant, with only the scope
the portal needs (`apim:subscribe`) and one redirect URI, the portal's callback under the issuer
(`{issuer}/portal/callback`): the portal signs users in through the hosted login page
(`portal.signin`). Its access tokens back portal sessions and live an hour (SESSION_SECONDS), with
no refresh token. Its secret is held by the portal's function alone, never sent to a browser.

- `make run` creates it (`provision_local`) with a fresh secret at every start and gives both to
  the in-process functions through the environment (PORTAL_CLIENT_ID, PORTAL_CLIENT_SECRET).
- On AWS the stack's `PortalClient` custom resource (`deploy.portal_resource`) creates it at
  deployment (`<stack>-portal`, its redirect URI under the Issuer parameter, else under the API's
  own URL), answers CloudFormation with the id and the secret as `NoEcho` data, and the template
  passes them to the portal function's environment (encrypted at rest by Lambda; readable only by
  whoever may read the function's configuration). An update makes a new secret (and so a new
  function configuration); deleting the stack deletes the client.
"""

import os

from tokenservice.core import config, grant_types
from tokenservice.oauth import clients

SESSION_SCOPE = "apim:subscribe"  # the Applications API's scope (openapi.yaml); tests check they agree
SESSION_SECONDS = 3600
NAME = "Developer portal"
CALLBACK = "/portal/callback"


def provision(client_id: str, issuer: str) -> clients.NewClient:
    """Create the portal's client (or give an existing one of that id a new secret), its redirect
    URI the callback under `issuer`."""
    return clients.create_client(
        NAME,
        SESSION_SCOPE,
        grant_types.AUTHORIZATION_CODE,
        access_ttl=SESSION_SECONDS,
        client_id=client_id,
        token_format="opaque",  # a session needs only the token's record, never a signing key
        browser=clients.Browser(redirect_uris=(issuer.rstrip("/") + CALLBACK,)),
        replace=True,
    )


def provision_local() -> str:
    """make run: the client, its id and secret in this process's environment; returns the id."""
    new = provision(config.PORTAL_CLIENT_ID.value(), config.ISSUER.value())
    os.environ[config.PORTAL_CLIENT_ID.variable] = new.client.client_id
    os.environ[config.PORTAL_CLIENT_SECRET.variable] = new.client_secret
    return new.client.client_id
