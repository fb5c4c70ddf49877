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

from tokenservice.portal import subscriptions
from tokenservice.portal.portal import signed_in
from tokenservice.web.endpoint import oauth_endpoint
from tokenservice.web.http import Request, json_fields, json_response


def _app_id(request: Request) -> str:
    return request.parameters.get("id", "")


def _subscriptions_path(request: Request, suffix: str = "") -> str:
    return f"/applications/{_app_id(request)}/subscriptions{suffix}"


@oauth_endpoint
def catalogue(request: Request) -> dict:
    caller = signed_in(request, "GET", "/apis", changes=False)
    return json_response(200, subscriptions.catalogue(caller))


@oauth_endpoint
def list_subscriptions(request: Request) -> dict:
    caller = signed_in(request, "GET", _subscriptions_path(request), changes=False)
    return json_response(200, subscriptions.listing(caller, _app_id(request)))


@oauth_endpoint
def subscribe(request: Request) -> dict:
    caller = signed_in(request, "POST", _subscriptions_path(request))
    fields = json_fields(request.json(), required=("api", "tier"))
    return json_response(
        201, subscriptions.subscribe(caller, _app_id(request), fields["api"], fields["tier"])
    )


@oauth_endpoint
def unsubscribe(request: Request) -> dict:
    api_id = request.parameters.get("api", "")
    caller = signed_in(request, "DELETE", _subscriptions_path(request, f"/{api_id}"))
    return json_response(200, subscriptions.unsubscribe(caller, _app_id(request), api_id))


@oauth_endpoint
def usage(request: Request) -> dict:
    caller = signed_in(request, "GET", f"/applications/{_app_id(request)}/usage", changes=False)
    return json_response(
        200,
        subscriptions.usage(
            caller, _app_id(request), days=subscriptions.usage_days(request.query.get("days") or ())
        ),
    )
