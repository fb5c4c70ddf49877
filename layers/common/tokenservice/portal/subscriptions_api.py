"""The store's part of the Applications API: the catalogue, an application's subscriptions, its usage.

`GET /apis`, `GET/POST /applications/{id}/subscriptions`, `DELETE /applications/{id}/subscriptions/{api}`,
`GET /applications/{id}/usage[?days=N]`: behind the bearer authorizer with the portal's scope, the
caller's standing judged again as for the applications (`applications_api.owner`); only the owner
sees or changes an application's subscriptions (anyone else's: 404).
"""

from tokenservice.portal import subscriptions
from tokenservice.portal.applications_api import owner
from tokenservice.web.endpoint import oauth_endpoint
from tokenservice.web.http import Request, json_fields, json_response


def subscribe_document(caller, request: Request) -> dict:
    fields = json_fields(request.json(), required=("api", "tier"))
    return subscriptions.subscribe(caller, request.parameters.get("id", ""), fields["api"], fields["tier"])


@oauth_endpoint
def catalogue(request: Request) -> dict:
    return json_response(200, subscriptions.catalogue(owner(request)))


@oauth_endpoint
def list_subscriptions(request: Request) -> dict:
    return json_response(200, subscriptions.listing(owner(request), request.parameters.get("id", "")))


@oauth_endpoint
def subscribe(request: Request) -> dict:
    return json_response(201, subscribe_document(owner(request), request))


@oauth_endpoint
def unsubscribe(request: Request) -> dict:
    caller = owner(request)
    return json_response(
        200,
        subscriptions.unsubscribe(
            caller, request.parameters.get("id", ""), request.parameters.get("api", "")
        ),
    )


@oauth_endpoint
def usage(request: Request) -> dict:
    caller = owner(request)
    return json_response(
        200,
        subscriptions.usage(
            caller,
            request.parameters.get("id", ""),
            subscriptions.usage_days(request.query.get("days") or ()),
        ),
    )
