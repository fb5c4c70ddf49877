"""Two-step verification in the portal: the signed-in user turns TOTP (RFC 6238, `users.mfa`) on
and off. GET /portal/mfa, POST /portal/mfa/enrol, /portal/mfa/confirm, /portal/mfa/disable.

- `enrol` makes a new pending secret and answers it as text, as its `otpauth://` URI and as a QR
  code: an SVG made here (segno, imported only now), sent as a `data:` URI the page shows in an
  `<img>` (the page's CSP allows `img-src data:`; no third-party service sees the secret).
- `confirm {code}` turns TOTP on with a valid code of the pending secret and answers the ten
  recovery codes, the only time they are shown.
- `disable {code}` turns it off with a current code or a recovery code; a wrong code counts
  towards the lockout, as at sign-in.

Each change carries the session's CSRF token; every answer is `no-store` (it may hold a secret).
The secret and the codes are never logged.
"""

import base64

from aws_lambda_powertools import Logger

from tokenservice.core.errors import InvalidRequest
from tokenservice.portal import sessions
from tokenservice.store import storage
from tokenservice.store.models import UserModel
from tokenservice.users import mfa, totp
from tokenservice.web.endpoint import oauth_endpoint
from tokenservice.web.http import Request, json_fields, json_response

logger = Logger(child=True)


def _user(request: Request, *, changes: bool = True) -> UserModel:
    """The signed-in user, as stored now."""
    session = sessions.require(request)
    if changes:
        sessions.check_csrf(request, session)
    user = storage.get(UserModel, session.username)
    if user is None:
        raise InvalidRequest("The account no longer exists")
    return user


def qr_data_uri(text: str) -> str:
    """A QR code of `text`, as an SVG `data:` URI (rendered here, locally)."""
    import io

    import segno

    svg = io.BytesIO()  # a standalone SVG document (its xmlns: an <img> needs it), light background
    segno.make(text, error="m").save(svg, kind="svg", scale=5, border=4, xmldecl=False, light="#fff")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.getvalue()).decode("ascii")


@oauth_endpoint
def status(request: Request) -> dict:
    return json_response(200, mfa.status(_user(request, changes=False)))


@oauth_endpoint
def enrol(request: Request) -> dict:
    user = _user(request)
    try:
        secret, uri = mfa.begin(user)
    except mfa.MfaProblem as problem:
        raise InvalidRequest(str(problem)) from problem
    logger.info("TOTP enrolment started", extra={"username": user.username})
    body = {"secret": totp.text(secret), "otpauth_uri": uri, "qr_code": qr_data_uri(uri)}
    return json_response(200, body)


def _code(request: Request) -> str:
    return json_fields(request.json(), required=("code",))["code"]


@oauth_endpoint
def confirm(request: Request) -> dict:
    user = _user(request)
    code = _code(request)
    try:
        recovery = mfa.confirm(user, code)
    except mfa.MfaProblem as problem:
        raise InvalidRequest(str(problem)) from problem
    logger.info("TOTP turned on", extra={"username": user.username})
    return json_response(200, {"totp": True, "recovery_codes": recovery})


@oauth_endpoint
def disable(request: Request) -> dict:
    user = _user(request)
    code = _code(request)
    try:
        mfa.turn_off(user, code)
    except mfa.MfaProblem as problem:
        raise InvalidRequest(str(problem)) from problem
    logger.info("TOTP turned off", extra={"username": user.username})
    return json_response(200, {"totp": False})
