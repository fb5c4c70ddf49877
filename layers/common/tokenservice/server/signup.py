"""Self sign-up over HTTP: `POST /signup`, client-authenticated, when SELF_SIGNUP_ENABLED=true
(WSO2: "if enabled by an admin"); the rules are `self_signup`'s."""

from aws_lambda_powertools import Logger

from tokenservice.core import config, grant_types
from tokenservice.core.errors import NotFound
from tokenservice.oauth import client_auth
from tokenservice.users import self_signup
from tokenservice.web.endpoint import oauth_endpoint
from tokenservice.web.http import Request, json_response, required

logger = Logger(child=True)


@oauth_endpoint
def signup(request: Request) -> dict:
    """POST /signup: self sign-up, when SELF_SIGNUP_ENABLED=true (WSO2: "if enabled by an admin").

    Client-authenticated (a client allowed the password grant); form `username`, `password`.
    Passwords follow NIST SP 800-63B (8 to 1024 characters, any Unicode, not the username).
    A taken username is 409; a conditional write makes a race on one name create one account.
    """
    if not config.SELF_SIGNUP_ENABLED.on():
        raise NotFound()
    form, presented = client_auth.presented(request)
    username, password = required(form, "username"), required(form, "password")
    (client,) = client_auth.authenticate_token_endpoint_client(presented, grant_types.PASSWORD)
    user = self_signup.sign_up(username, password)
    logger.info("User signed up", extra={"client_id": client.client_id, "username": user.username})
    return json_response(201, {"username": user.username, "scope": user.scope})
