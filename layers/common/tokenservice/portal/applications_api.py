"""The Applications API: a user's own applications and their keys, behind the bearer authorizer.

`GET/POST /applications`, `DELETE /applications/{id}`, `POST /applications/{id}/keys`. The
authorizer has enforced the route's scope (`apim:subscribe` in openapi.yaml, bound to the role
`subscriber`); the caller is the token's user, from the authorizer's context. Every call judges
the caller's standing again with its reads (`standing`): a token whose user was disabled or changed
password or roles is `401 invalid_token` here even where the authorizer verified it without a
read (a JWT) or API Gateway cached its policy. A client's own token (client_credentials) speaks
for no user: 403 insufficient_scope. JSON in and out; errors are RFC
6750 / RFC 6749 JSON (`{"error", "error_description"}`). CORS only for this API's own origin (where
the portal is served).
"""

from aws_lambda_powertools import Logger

from tokenservice.portal import applications, standing
from tokenservice.portal.standing import Caller
from tokenservice.web.endpoint import oauth_endpoint
from tokenservice.web.http import Request, json_fields, json_response

logger = Logger(child=True)


def owner(request: Request) -> Caller:
    """The user the access token speaks for, and what the call needs of them."""
    return standing.bearer_caller(request)


def listing(caller: Caller) -> dict:
    return {
        "applications": [applications.document(app) for app in applications.owned(caller)],
        "limit": applications.limit(),
    }


@oauth_endpoint
def list_applications(request: Request) -> dict:
    return json_response(200, listing(owner(request)))


def create(caller: Caller, request: Request) -> dict:
    fields = json_fields(request.json(), required=("name",), optional=("scope", "redirect_uris"))
    app = applications.create(caller, fields["name"], fields.get("scope"), fields.get("redirect_uris"))
    logger.info("Application created", extra={"username": caller.username, "application_id": app.id})
    return applications.document(app)


@oauth_endpoint
def create_application(request: Request) -> dict:
    return json_response(201, create(owner(request), request))


def delete(caller: Caller, app_id: str) -> dict:
    revoked = applications.delete(caller, app_id)
    logger.info("Application deleted", extra={"username": caller.username, "application_id": app_id})
    return {"id": app_id, "deleted": True, "revoked_tokens": revoked}


@oauth_endpoint
def delete_application(request: Request) -> dict:
    return json_response(200, delete(owner(request), request.parameters.get("id", "")))


def generate_keys(caller: Caller, request: Request) -> dict:
    fields = json_fields(request.json(), required=("environment",))
    app_id = request.parameters.get("id", "")
    keys = applications.generate_keys(caller, app_id, fields["environment"])
    logger.info(
        "Keys generated",
        extra={
            "username": caller.username,
            "application_id": keys.application.id,
            "client_id": keys.client_id,
        },
    )
    return keys.document()


@oauth_endpoint
def keys(request: Request) -> dict:
    return json_response(200, generate_keys(owner(request), request))
