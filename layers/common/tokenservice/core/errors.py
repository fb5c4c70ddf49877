"""OAuth 2.0 errors (RFC 6749 §5.2, RFC 6750 §3.1, RFC 7009 §2.2.1), one class per error code.

Each error carries its `error` code, a human readable `description`, the HTTP `status_code`
and any header the RFC demands; `body()` is its JSON document. `http.error_response` is the one
place an error becomes an HTTP response.
"""

from tokenservice.core import config


class OAuthError(Exception):
    error = "server_error"
    status_code = 500
    default_description = "The server encountered an unexpected condition"

    def __init__(self, description: str | None = None):
        self.description = description or self.default_description
        super().__init__(self.description)

    def headers(self) -> dict[str, str]:
        return {}

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


class InvalidRequest(OAuthError):
    error = "invalid_request"
    status_code = 400
    default_description = "The request is missing a parameter or is otherwise malformed"


class InvalidClient(OAuthError):
    """Client authentication failed (RFC 6749 §5.2): 401 with a Basic challenge."""

    error = "invalid_client"
    status_code = 401
    default_description = "Client authentication failed"

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": f'Basic realm="{config.AUTH_REALM.value()}", charset="UTF-8"'}


class InvalidGrant(OAuthError):
    error = "invalid_grant"
    status_code = 400
    default_description = "The authorization grant is invalid, expired or revoked"


class UnauthorizedClient(OAuthError):
    error = "unauthorized_client"
    status_code = 400
    default_description = "The client is not allowed to use this grant type"


class UnsupportedGrantType(OAuthError):
    error = "unsupported_grant_type"
    status_code = 400
    default_description = "The grant type is not supported"


class InvalidScope(OAuthError):
    error = "invalid_scope"
    status_code = 400
    default_description = "The requested scope is invalid, unknown or malformed"


class UserExists(OAuthError):
    """Self sign-up with a username that is taken."""

    error = "user_exists"
    status_code = 409
    default_description = "The username is taken"


class MethodNotAllowed(OAuthError):
    """A method the resource does not take (RFC 9110 §15.5.6); the token endpoint (and RFC
    7009/7662's) take POST only (RFC 6749 §3.2)."""

    error = "invalid_request"
    status_code = 405

    def __init__(self, allowed: tuple[str, ...] = ("POST",)):
        self.allowed = allowed
        super().__init__(f"This resource accepts {' and '.join(allowed)} only")

    def headers(self) -> dict[str, str]:
        return {"Allow": ", ".join(self.allowed)}


class NotFound(OAuthError):
    error = "not_found"
    status_code = 404
    default_description = "No such resource or method"


class ServerError(OAuthError):
    """Anything unexpected: a 500 with no detail (the detail goes to the logs)."""


class TemporarilyUnavailable(OAuthError):
    """The database is throttling or unreachable: try again shortly."""

    error = "temporarily_unavailable"
    status_code = 503
    default_description = "The service is temporarily unavailable, please retry"
    retry_after_seconds = 1

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_seconds)}


# -- the Applications API and the developer portal -------------------------------------------------


class InvalidToken(OAuthError):
    """RFC 6750 §3.1: the access token is revoked or expired, or its user was disabled, changed
    password or roles since it was issued (401)."""

    error = "invalid_token"
    status_code = 401
    default_description = "The access token is invalid, expired or revoked"

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": f'Bearer realm="{config.AUTH_REALM.value()}", error="invalid_token"'}


class InsufficientScope(OAuthError):
    """RFC 6750 §3.1: the token is valid but does not allow this request (403)."""

    error = "insufficient_scope"
    status_code = 403
    default_description = "The access token does not allow this request"

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer error="insufficient_scope"'}


class LoginRequired(OAuthError):
    """The portal: no session, or one that ended (its user signed out, was disabled, changed
    password, or its time is up). Sign in again."""

    error = "login_required"
    status_code = 401
    default_description = "Sign in first"


class AccessDenied(OAuthError):
    """The portal refuses a state-changing request that may come from another site (a missing or
    wrong CSRF token, a foreign Origin)."""

    error = "access_denied"
    status_code = 403
    default_description = "The request's origin or CSRF token is missing or wrong"


class ApplicationExists(OAuthError):
    error = "application_exists"
    status_code = 409
    default_description = "You have an application of that name"


class SubscriptionExists(OAuthError):
    error = "subscription_exists"
    status_code = 409
    default_description = "The application is subscribed to this API: unsubscribe first to change its tier"


class ApplicationLimit(OAuthError):
    error = "application_limit"
    status_code = 409
    default_description = "You have as many applications as a user may have"


# -- imported users who must choose a new password (WSO2's UM_REQUIRE_CHANGE) ------------------------


class PasswordChangeRequired(InvalidGrant):
    """The password is right but must be changed before tokens are issued: the token endpoint's
    answer (RFC 6749 §5.2 has no other code for it)."""

    default_description = "The password must be changed: sign in to the developer portal to choose a new one"


# -- the authorization endpoint (RFC 6749 §4.1.2.1, OpenID Connect Core §3.1.2.6) and UserInfo ----


class UnsupportedResponseType(OAuthError):
    error = "unsupported_response_type"
    status_code = 400
    default_description = "Only response_type=code is supported"


class ConsentRequired(OAuthError):
    """prompt=none, and the client needs a consent the user has not given."""

    error = "consent_required"
    status_code = 400
    default_description = "The user has not consented to this client's request"


class RequestNotSupported(OAuthError):
    error = "request_not_supported"
    status_code = 400
    default_description = "Request objects are not supported"


class RequestUriNotSupported(OAuthError):
    error = "request_uri_not_supported"
    status_code = 400
    default_description = "request_uri is not supported"
