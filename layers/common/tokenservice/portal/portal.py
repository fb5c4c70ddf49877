"""The developer portal (WSO2's API Store) and its backend for frontend: GET /portal and /portal/...

- `GET /portal`, `/portal/app.js`, `/portal/app.css`: a static page, its script and its styles. No
  inline script or style, nothing from another origin, so the Content-Security-Policy can be
  `default-src 'none'` with scripts, styles and fetches from 'self' only; the page may not be
  framed (`frame-ancestors 'none'`, `X-Frame-Options: DENY`) and sends no Referer.
- `/portal/session`, `/portal/signup`, `/portal/login`, `/portal/callback`, `/portal/signout`:
  sign-up is self sign-up (`self_signup`, client-authenticated as the portal's client); sign-in is
  the authorization code flow through the hosted login page, as the portal's own client
  (`signin`: its lockout and enumeration rules hold, the tokens stay here); signing out ends the
  portal's session and the browser's login session.
- `/portal/applications...`: the Applications API's operations for the signed-in user, allowed by
  the same registry rule the authorizer enforces on `/applications` for this API (the session's
  token must carry its scope); and "Generate access token": a client_credentials or password grant
  with one of the user's applications' keys, through the token endpoint's own code. The consumer
  secret comes from the page (shown once when the keys were made: only its hash is kept).
- `/portal/apis`, `/portal/applications/{id}/subscriptions...`, `/portal/applications/{id}/usage`:
  the store (`portal.store`), under the same session, CSRF and registry rules.

Every answer carries the security headers; JSON answers are never cached; CORS only for this API's
own origin. Nothing here logs a password, secret, token, session id or cookie.
"""

from aws_lambda_powertools import Logger

from tokenservice.core import config, grant_types, observability, scopes
from tokenservice.core.errors import InsufficientScope, InvalidRequest, LoginRequired, NotFound, OAuthError
from tokenservice.oauth import client_auth
from tokenservice.oauth.grants.dispatch import for_type
from tokenservice.portal import applications, applications_api, sessions, signin, standing
from tokenservice.portal.portal_client import SESSION_SCOPE
from tokenservice.registry import registry, rules
from tokenservice.signin import sessions as login_sessions
from tokenservice.store import storage
from tokenservice.store.models import UserModel
from tokenservice.users import self_signup
from tokenservice.web.endpoint import oauth_endpoint
from tokenservice.web.http import (
    NO_STORE,
    Request,
    json_fields,
    json_response,
)

logger = Logger(child=True)

NO_ACCOUNT_SCOPE = (
    "Your account may not manage applications: it needs the role bound to the scope " + SESSION_SCOPE
)


# -- what a session may do: the Applications API's rules for this API --------------------------------


def allowed(request: Request, session: sessions.Session, method: str, path: str) -> bool:
    """Whether the session's token may call `method path` of the Applications API (the REST API
    APPLICATIONS_API_ID), by the registry's rules (kept in memory for RULES_CACHE_SECONDS, as the
    authorizer keeps them)."""
    api_id = config.APPLICATIONS_API_ID.value()
    call = rules.MethodArn("", api_id, "", method, path)
    return call.allowed(standing.api_rules(api_id), scopes.permissions(session.record.scope))


def signed_in(request: Request, method: str, path: str, *, changes: bool = True) -> standing.Caller:
    """The request's session, allowed `method path` of the Applications API (and, for a change,
    carrying its CSRF token), as the caller whose standing each application call judges again."""
    session = sessions.require(request)
    if changes:
        sessions.check_csrf(request, session)
    if not allowed(request, session, method, path):
        raise InsufficientScope(NO_ACCOUNT_SCOPE)
    needs = standing.needed(config.APPLICATIONS_API_ID.value(), method, path) or frozenset()
    return standing.Caller(session.username, session.record.token_hash, needs, LoginRequired)


# -- sessions --------------------------------------------------------------------------------------


def session_document(request: Request, session: sessions.Session) -> dict:
    return {
        "signed_in": True,
        "username": session.username,
        "csrf_token": session.csrf_token,
        "expires_at": session.expires_at,
        "may_manage_applications": allowed(request, session, "GET", "/applications"),
        "scopes": sorted(registry.obtainable(session.user) - {SESSION_SCOPE}),  # never an application's
        "access_tokens_outlive_deletion": _tokens_outlive_revocation(),
        "access_token_seconds": config.ACCESS_TTL.value(),
        "application_limit": applications.limit(),
        "signup_enabled": config.SELF_SIGNUP_ENABLED.on(),
    }


def _tokens_outlive_revocation() -> bool:
    """Whether applications' access tokens stay valid after a revocation until they expire: JWTs
    (the applications' clients have the stack's format) checked without a read by the authorizer."""
    return config.ACCESS_TOKEN_FORMAT.value() == "jwt" and not config.JWT_REVOCATION_CHECK.on()


@oauth_endpoint
def session_state(request: Request) -> dict:
    """GET /portal/session: who is signed in, and the CSRF token the page must send."""
    session = sessions.current(request)
    if session is None:
        return json_response(200, {"signed_in": False, "signup_enabled": config.SELF_SIGNUP_ENABLED.on()})
    return json_response(200, session_document(request, session))


@oauth_endpoint
def signup(request: Request) -> dict:
    """POST /portal/signup {username, password}: self sign-up, when enabled."""
    self_signup.require_enabled()
    sessions.check_origin(request)
    fields = json_fields(request.json(), required=("username", "password"))
    presented = signin.portal_credentials()
    client_auth.authenticate_token_endpoint_client(presented, grant_types.AUTHORIZATION_CODE)
    user = self_signup.sign_up(fields["username"], fields["password"])
    logger.info("User signed up", extra={"client_id": presented.client_id, "username": user.username})
    return json_response(201, {"username": user.username})


@oauth_endpoint
def login(request: Request) -> dict:
    """GET /portal/login[?login_hint=...]: off to the hosted login page (the code flow)."""
    hint = (request.query.get("login_hint") or ("",))[0]
    location, cookie = signin.start(request, hint or None)
    return _redirect(location, [cookie])


@oauth_endpoint
def callback(request: Request) -> dict:
    """GET /portal/callback: the code exchanged, the session begun (the browser gets a session
    cookie, never the tokens), and back to the portal; a sign-in that did not complete goes back
    to the portal saying so."""
    query = {name: values[0] for name, values in request.query.items() if len(values) == 1}
    portal = request.issuer() + "/portal"
    cleared = signin.pending_cookie("", 0)
    try:
        issued = signin.finish(request, query)
    except OAuthError as error:
        logger.info("Portal sign-in refused", extra={"error": error.error})
        return _redirect(portal + "?signin=failed", [cleared])
    previous = sessions.current(request)
    if previous is not None:
        sessions.end(previous)
    record = issued.records[0]
    session = sessions.start(record, _user(record.username))
    observability.count(observability.TOKENS_ISSUED, grant_type=grant_types.AUTHORIZATION_CODE)
    logger.info("Signed in to the portal", extra={"username": session.username})
    return _redirect(portal, [cleared, sessions.set_cookie(session)])


def _redirect(location: str, cookies: list[str]) -> dict:
    return {
        "statusCode": 303,
        "headers": {"Location": location, **NO_STORE},
        "multiValueHeaders": {"Set-Cookie": cookies},
        "body": "",
    }


def _user(username: str) -> UserModel:
    user = storage.get(UserModel, username)
    if user is None:
        raise NotFound("No such user")
    return user


@oauth_endpoint
def signout(request: Request) -> dict:
    """POST /portal/signout: the session's token is revoked, its cookie cleared, and the browser's
    login session at the authorization server ends too (one sign-in for the whole service)."""
    session = sessions.current(request)
    if session is not None:
        sessions.check_csrf(request, session)
        sessions.end(session)
        logger.info("Signed out of the portal", extra={"username": session.username})
    else:
        sessions.check_origin(request)
    cookies = [sessions.clear_cookie(), login_sessions.end(request)]
    return {
        "statusCode": 204,
        "headers": dict(NO_STORE),
        "multiValueHeaders": {"Set-Cookie": cookies},
        "body": "",
    }


# -- the user's applications ---------------------------------------------------------------------


@oauth_endpoint
def list_applications(request: Request) -> dict:
    caller = signed_in(request, "GET", "/applications", changes=False)
    return json_response(200, applications_api.listing(caller))


@oauth_endpoint
def create_application(request: Request) -> dict:
    caller = signed_in(request, "POST", "/applications")
    return json_response(201, applications_api.create(caller, request))


def _application_path(request: Request, suffix: str = "") -> str:
    return f"/applications/{request.parameters.get('id', '')}{suffix}"


@oauth_endpoint
def delete_application(request: Request) -> dict:
    caller = signed_in(request, "DELETE", _application_path(request))
    return json_response(200, applications_api.delete(caller, request.parameters.get("id", "")))


@oauth_endpoint
def generate_keys(request: Request) -> dict:
    caller = signed_in(request, "POST", _application_path(request, "/keys"))
    return json_response(200, applications_api.generate_keys(caller, request))


TOKEN_GRANTS = (grant_types.CLIENT_CREDENTIALS, grant_types.PASSWORD)


@oauth_endpoint
def access_token(request: Request) -> dict:
    """POST /portal/applications/{id}/token {environment, grant_type, client_secret, scope?,
    password?}: "Generate access token" with the application's keys, through the token endpoint's
    code (client authentication, the grant's rules, lockout for a wrong password)."""
    caller = signed_in(request, "GET", "/applications")
    fields = json_fields(
        request.json(),
        required=("environment", "grant_type", "client_secret"),
        optional=("scope", "password"),
    )
    grant_type = fields["grant_type"]
    if grant_type not in TOKEN_GRANTS:
        raise InvalidRequest("'grant_type' must be client_credentials or password")
    app = applications.find(caller, request.parameters.get("id", ""))
    client = applications.keyed_client(app, fields["environment"])
    form = {"grant_type": grant_type, **({"scope": fields["scope"]} if "scope" in fields else {})}
    if grant_type == grant_types.PASSWORD:
        if "password" not in fields:
            raise InvalidRequest("'password' is required for the password grant")
        form |= {"username": caller.username, "password": fields["password"]}
    keys = {"client_id": client.client_id, "client_secret": fields["client_secret"]}
    presented = client_auth.extract({}, keys)
    issued = for_type(grant_type).issue(form, presented)
    observability.count(observability.TOKENS_ISSUED, grant_type=grant_type)
    logger.info(
        "Token issued from the portal",
        extra={"grant_type": grant_type, "client_id": client.client_id, "scope": issued.scope},
    )
    return json_response(200, issued.body())
