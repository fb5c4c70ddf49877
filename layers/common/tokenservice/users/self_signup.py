"""Self sign-up (WSO2's API Store: users "self sign up if it is enabled by an admin").

Only when SELF_SIGNUP_ENABLED=true; otherwise the endpoints answer 404, as if they did not exist.
New users get SIGNUP_SCOPES (direct scopes) and SIGNUP_ROLES (default `subscriber`, the role the
developer portal's scope `apim:subscribe` is bound to). Usernames and passwords follow `identity`
(RFC 8265, NIST SP 800-63B); a taken name is `409 user_exists`, and a conditional write makes a
race on one name create one account. POST /signup and the portal's sign-up both come here.
"""

from tokenservice.core import config, problems
from tokenservice.core.errors import InvalidRequest, NotFound, UserExists
from tokenservice.store.models import UserModel


def require_enabled() -> None:
    if not config.SELF_SIGNUP_ENABLED.on():
        raise NotFound()


def sign_up(username: str, password: str) -> UserModel:
    """A new user with the sign-up scopes and roles; UserExists or InvalidRequest (saying why)."""
    from tokenservice.users import provisioning  # only sign-up needs it: kept off the cold start

    try:
        return provisioning.create_user(
            username, password, config.SIGNUP_SCOPES.value(), roles=config.SIGNUP_ROLES.value()
        )
    except problems.Exists as error:
        raise UserExists() from error
    except problems.Invalid as error:
        raise InvalidRequest(str(error)) from error
