"""The store's part of the Applications API: the catalogue, an application's subscriptions, its usage.

`GET /apis`, `GET/POST /applications/{id}/subscriptions`, `DELETE /applications/{id}/subscriptions/{api}`,
`GET /applications/{id}/usage[?days=N]`: behind the bearer authorizer with the portal's scope, the
caller's standing judged again as for the applications (`applications_api.owner`); only the owner
sees or changes an application's subscriptions (anyone else's: 404).

Each operation is a function of the caller and the request (`catalogue_for`, ...), which the
portal's backend for frontend (`portal.store`) calls too, with the caller of its session.
"""

from tokenservice.portal import subscriptions
from tokenservice.portal.applications_api import owner
from tokenservice.web.endpoint import oauth_endpoint
from tokenservice.web.http import Request, json_fields, json_response


def _app_id(request: Request) -> str:
    return request.parameters.get("id", "")


def catalogue_for(caller, request: Request) -> dict:
    return subscriptions.catalogue(caller)


def listing_for(caller, request: Request) -> dict:
    return subscriptions.listing(caller, _app_id(request))


def subscribe_for(caller, request: Request) -> dict:
    fields = json_fields(request.json(), required=("api", "tier"))
    return subscriptions.subscribe(caller, _app_id(request), fields["api"], fields["tier"])


def unsubscribe_for(caller, request: Request) -> dict:
    return subscriptions.unsubscribe(caller, _app_id(request), request.parameters.get("api", ""))


def usage_for(caller, request: Request) -> dict:
    days = subscriptions.usage_days(request.query.get("days") or ())
    return subscriptions.usage(caller, _app_id(request), days)


@oauth_endpoint
def catalogue(request: Request) -> dict:
    return json_response(200, catalogue_for(owner(request), request))


@oauth_endpoint
def list_subscriptions(request: Request) -> dict:
    return json_response(200, listing_for(owner(request), request))


@oauth_endpoint
def subscribe(request: Request) -> dict:
    return json_response(201, subscribe_for(owner(request), request))


@oauth_endpoint
def unsubscribe(request: Request) -> dict:
    return json_response(200, unsubscribe_for(owner(request), request))


@oauth_endpoint
def usage(request: Request) -> dict:
    return json_response(200, usage_for(owner(request), request))
