"""The store in the portal (WSO2's API Store) for the signed-in user: the API catalogue, an
application's subscriptions with their tiers, and its usage.

- `GET /portal/apis`: the catalogue (as `GET /apis`).
- `GET /portal/applications/{id}/subscriptions`, `POST` {api, tier}: an application's
  subscriptions, and subscribing it to an API with a tier (as the Applications API's routes).
- `DELETE /portal/applications/{id}/subscriptions/{api}`: unsubscribing.
- `GET /portal/applications/{id}/usage[?days=N]`: its calls per API per day (the last 30 days).

As the portal's applications (`portal.signed_in`): the session's cookie, its CSRF token for a
change, and the Applications API's registry rule of the matching route (`/apis`,
`/applications/{id}/subscriptions`, ...) for the session's token; `portal.subscriptions` judges the
owner's standing again and answers 404 for an application that is not theirs.
"""

from tokenservice.portal import subscriptions_api
from tokenservice.portal.portal import signed_in
from tokenservice.web.endpoint import oauth_endpoint
from tokenservice.web.http import Request, json_response


def _subscriptions_path(request: Request, suffix: str = "") -> str:
    return f"/applications/{request.parameters.get('id', '')}/subscriptions{suffix}"


@oauth_endpoint
def catalogue(request: Request) -> dict:
    caller = signed_in(request, "GET", "/apis", changes=False)
    return json_response(200, subscriptions_api.catalogue_for(caller, request))


@oauth_endpoint
def list_subscriptions(request: Request) -> dict:
    caller = signed_in(request, "GET", _subscriptions_path(request), changes=False)
    return json_response(200, subscriptions_api.listing_for(caller, request))


@oauth_endpoint
def subscribe(request: Request) -> dict:
    caller = signed_in(request, "POST", _subscriptions_path(request))
    return json_response(201, subscriptions_api.subscribe_for(caller, request))


@oauth_endpoint
def unsubscribe(request: Request) -> dict:
    suffix = f"/{request.parameters.get('api', '')}"
    caller = signed_in(request, "DELETE", _subscriptions_path(request, suffix))
    return json_response(200, subscriptions_api.unsubscribe_for(caller, request))


@oauth_endpoint
def usage(request: Request) -> dict:
    path = f"/applications/{request.parameters.get('id', '')}/usage"
    return json_response(
        200, subscriptions_api.usage_for(signed_in(request, "GET", path, changes=False), request)
    )
