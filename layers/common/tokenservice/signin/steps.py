"""The hosted pages' forms, one step each (`transactions`): the password (`POST /login`), for a user
with TOTP the code (`POST /login` with `step=code`: `second_factor`), and the consent (`POST /consent`).

An account that must choose a new password (imported from WSO2 with UM_REQUIRE_CHANGE) is asked
for one on the login page, once its password is verified (nobody else learns that it must); the
form then carries the current and the new password, `password_change` replaces it (the current
one verified again, the policy, one conditional write) and the sign-in goes on with the new one.

Each reads what it needs in one BatchGetItem — the transaction, the client, the user, the user's
consent to the client — then checks the form belongs to the transaction, at this step, in this
browser, with its CSRF token, from this origin (an error page otherwise: it cannot be trusted to
go anywhere). The password is checked by the one function the password grant uses
(`authentication.check_password`): the same answer for every refusal, at the same cost, the failure
counted towards the lockout; the page says "Invalid username or password" and nothing else.
"""

import time

from aws_lambda_powertools import Logger

from tokenservice.core import credentials, observability
from tokenservice.core.errors import InvalidGrant, InvalidRequest
from tokenservice.oauth import clients
from tokenservice.signin import consents, cookies, flow, second_factor, sessions, transactions, views
from tokenservice.signin.transactions import Transaction
from tokenservice.store import storage
from tokenservice.store.models import ClientModel, UserModel
from tokenservice.users import authentication, mfa, password_change
from tokenservice.web.http import Request

logger = Logger(child=True)
BAD_CREDENTIALS = "Invalid username or password."
MISSING = "Enter your username and password."
CHANGE_REQUIRED = "Your password must be changed: enter it again, and choose a new one."


def _client_key(client_id: str | None) -> str | None:
    return client_id if client_id and len(client_id) <= credentials.MAX_LENGTH else None


def login(request: Request) -> dict:
    """POST /login: the password step (with `step=code`: the second factor's)."""
    form = request.form()
    if form.get("step") == transactions.CODE:
        return second_factor.verify(request)
    username, password = form.get("username", ""), form.get("password", "")
    lookup = authentication.lookup_name(username) if username else None
    client_id = _client_key(form.get("client_id"))
    record, client, user, consent = storage.get_many(
        [
            transactions.lookup_key(form),
            (ClientModel, client_id),
            (UserModel, lookup),
            consents.lookup_key(client_id, lookup),
        ]
    )
    transaction = transactions.load(request, form, record, transactions.PASSWORD)
    if client is None:
        raise InvalidRequest(transactions.EXPIRED)
    if not username or not password:
        return _again(request, transaction, client, username, MISSING)
    new_password = form.get("new_password", "")
    if new_password:  # the account's pending password replaced first (the current one verified)
        try:
            user = password_change.change_pending_password(username, password, new_password)
        except InvalidGrant:  # a wrong password, counted already: refused as any
            return _refused(request, transaction, client, username)
        except InvalidRequest as refused:  # the new one is refused: the policy says why
            return _again(request, transaction, client, username, refused.description, new_password=True)
        logger.info("Changed a pending password at the login page", extra={"client_id": client.client_id})
        password = new_password
    try:
        verified = authentication.check_password(lookup, user, password, time.time())
        if verified.user.must_change_password:
            logger.info("Sign-in needs a new password", extra={"client_id": client.client_id})
            return _again(request, transaction, client, username, CHANGE_REQUIRED, new_password=True)
        if mfa.enabled(verified.user):
            return second_factor.ask(request, transaction, client, verified)
        if clients.requires_mfa(client):  # the client's users need TOTP, and this one has none
            return second_factor.enrol_first(request, client)
        answer = flow.authenticated(request, transaction, client, verified.user, verified.guard, consent)
    except authentication.WrongCredentials:
        return _refused(request, transaction, client, username)
    except flow.Refused as refused:
        if refused.item != "user":  # the transaction moved on meanwhile (the form sent twice)
            raise InvalidRequest(transactions.EXPIRED) from refused
        return _refused(request, transaction, client, username)  # locked or changed meanwhile
    logger.info("Signed in at the login page", extra={"client_id": client.client_id, "username": lookup})
    return answer


def _refused(request: Request, transaction: Transaction, client: ClientModel, username: str) -> dict:
    """A wrong password (or an unknown, locked or disabled account): counted as the password grant's
    refusals are (the InvalidGrant metric), and the page again."""
    logger.info("Sign-in refused", extra={"client_id": client.client_id, "error": "invalid_grant"})
    observability.count(observability.INVALID_GRANT)
    return _again(request, transaction, client, username, BAD_CREDENTIALS)


def _again(
    request: Request,
    transaction: Transaction,
    client: ClientModel,
    username: str,
    problem: str,
    *,
    new_password: bool = False,
) -> dict:
    """The login page again, saying what went wrong (the same transaction)."""
    browser_id = cookies.read(request, cookies.BROWSER) or ""
    return views.login(
        request,
        transaction.id,
        transaction.request,
        client,
        browser_id,
        username=username[:128],
        problem=problem,
        status=400,
        new_password=new_password,
    )


def consent(request: Request) -> dict:
    """POST /consent: the consent step (`decision` allow, anything else denies)."""
    form = request.form()
    session_id = sessions.presented(request)
    named = credentials.token_username(session_id) if session_id else None
    client_id = _client_key(form.get("client_id"))
    record, client, session_item, user, consent = storage.get_many(
        [
            transactions.lookup_key(form),
            (ClientModel, client_id),
            *sessions.lookup_keys(session_id),
            consents.lookup_key(client_id, named),
        ]
    )
    transaction = transactions.load(request, form, record, transactions.CONSENT)
    session = sessions.counting(session_item, user, time.time())
    if client is None or session is None or session.username != transaction.record.subject:
        raise InvalidRequest(transactions.EXPIRED)  # signed out, or another user, since
    try:
        return flow.consented(request, transaction, session.user, consent, form.get("decision") == "allow")
    except flow.Refused as refused:
        raise InvalidRequest(transactions.EXPIRED) from refused
