"""The second factor at the hosted login page (RFC 6238 TOTP, or a recovery code: `users.mfa`).

A user with TOTP whose password is right is not signed in yet: the password step (`steps.login`)
moves the transaction to the `CODE` step — its write holds the lockout still open, but resets no
counter (a right password must not buy more code guesses) — and shows the code page. Only a wrong
password is refused before that, with the same answer as for anyone, so the code page is shown
only to someone who knew the password.

`POST /login` with `step=code` is this step: one BatchGetItem (the transaction, the client, the user,
their consent), the code checked (`mfa.second_factor`: ±1 time step, later than the last accepted
one), then `flow.authenticated` writes the session and the code (or the consent step) in one
transaction with the user item: the step recorded or the recovery code removed on the condition
that it was not already (of two sign-ins with one code, one wins), the lockout still open, the
counters reset. A wrong or replayed code counts towards the same lockout as a wrong password.
"""

import time

from aws_lambda_powertools import Logger

from tokenservice.core import credentials, observability
from tokenservice.core.errors import InvalidRequest
from tokenservice.signin import consents, cookies, flow, pages, transactions, views
from tokenservice.signin.transactions import Transaction
from tokenservice.store import storage
from tokenservice.store.models import ClientModel, UserModel
from tokenservice.users import accounts, authentication, lockout, mfa
from tokenservice.web.http import Request

logger = Logger(child=True)
BAD_CODE = "That code is not right. Enter the code your app shows now, or a recovery code."
MISSING = "Enter the 6-digit code from your authenticator app, or a recovery code."
AMR = f"{mfa.PASSWORD} {mfa.OTP}"
ENROL_FIRST = (
    "This application requires two-step verification. Sign in to the developer portal (/portal), turn"
    " on two-step verification there, then sign in to the application again."
)


def ask(request: Request, transaction: Transaction, client: ClientModel, verified) -> dict:
    """The password was right and the user has TOTP: the transaction moves to the code step (the
    user still as read, the lockout still open, a weak hash replaced) and the code page is shown.
    flow.Refused when the write's conditions fail."""
    now = int(time.time())
    user = verified.user
    flow.write(
        {
            "user": accounts.guard(user, lockout.still_open(now), list(verified.rehash)),
            "transaction": transactions.advancing(transaction, transactions.CODE, user.username, now, ""),
        }
    )
    logger.info("Sign-in asks for a second factor", extra={"client_id": client.client_id})
    return _page(request, transaction, client, user.username)


def enrol_first(request: Request, client: ClientModel) -> dict:
    """The password was right, but the client requires a second factor and the user has none: no
    sign-in (nothing written); the page says where to turn TOTP on."""
    logger.info("Sign-in needs two-step verification turned on", extra={"client_id": client.client_id})
    return pages.message(403, "Two-step verification required", ENROL_FIRST, request.base_path())


def _page(
    request: Request,
    transaction: Transaction,
    client: ClientModel,
    username: str,
    problem: str | None = None,
    status: int = 200,
) -> dict:
    browser_id = cookies.read(request, cookies.BROWSER) or ""
    return views.code(
        request, transaction.id, transaction.request, client, browser_id, username, problem, status
    )


def verify(request: Request) -> dict:
    """POST /login with `code`: the second factor step."""
    form = request.form()
    username = form.get("username", "")
    lookup = authentication.lookup_name(username) if username else None
    client_id = form.get("client_id") or None
    client_id = client_id if client_id and len(client_id) <= credentials.MAX_LENGTH else None
    record, client, user, consent = storage.get_many(
        [
            transactions.lookup_key(form),
            (ClientModel, client_id),
            (UserModel, lookup),
            consents.lookup_key(client_id, lookup),
        ]
    )
    transaction = transactions.load(request, form, record, transactions.CODE)
    if client is None or user is None or user.username != transaction.record.subject:
        raise InvalidRequest(transactions.EXPIRED)
    code, now = form.get("code", ""), time.time()
    if not code.strip():
        return _page(request, transaction, client, user.username, MISSING, 400)
    usable = not user.disabled and not lockout.is_locked(user, now)
    accepted = mfa.second_factor(user, code, now) if usable else None
    if accepted is None:
        return _refused(request, transaction, client, user, now)
    condition = lockout.still_open(now) & accepted.condition
    guard = accounts.guard(user, condition, [*lockout.reset_actions(), *accepted.actions])
    try:
        answer = flow.authenticated(request, transaction, client, user, guard, consent, AMR)
    except flow.Refused as refused:
        if refused.item != "user":  # the transaction moved on meanwhile (the form sent twice)
            raise InvalidRequest(transactions.EXPIRED) from refused
        return _refused(request, transaction, client, user, now)  # the code used meanwhile, or locked
    extra = {"client_id": client.client_id, "username": user.username, "recovery_code": accepted.recovery}
    logger.info("Signed in with a second factor", extra=extra)
    return answer


def _refused(
    request: Request, transaction: Transaction, client: ClientModel, user: UserModel, now: float
) -> dict:
    """A wrong, replayed or late code: counted towards the lockout as a wrong password is."""
    lockout.record_failure(user.username, now)
    logger.info("Second factor refused", extra={"client_id": client.client_id, "error": "invalid_grant"})
    observability.count(observability.INVALID_GRANT)
    return _page(request, transaction, client, user.username, BAD_CODE, 400)
