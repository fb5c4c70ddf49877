"""Login transactions: one authorization request on its way through the hosted pages, kept on the
server, as steps.

A transaction holds the validated authorization request (`AuthorizationRequest`), the step the
browser is at and, once known, who authenticated and when. The steps, in order: the password
(`PASSWORD`), then, for a user with TOTP, the code (`CODE`, `second_factor`), then the consent
where the client needs one (`CONSENT`); after the last step the code is issued and the
transaction ends. Each step's form is accepted only at that step, once.

The page carries the transaction's random id (only its SHA-256 is stored) and a CSRF token: an
HMAC, keyed by the browser's binding cookie, of that id. A form is accepted only from the browser
that started the transaction (its binding cookie), with that token, from this origin (`Origin`,
`Sec-Fetch-Site`); SameSite keeps the cookie off other sites' posts besides. A transaction lives
TRANSACTION_SECONDS.
"""

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass

from tokenservice.core import credentials
from tokenservice.core.errors import AccessDenied, InvalidRequest
from tokenservice.signin import cookies
from tokenservice.signin.authorization import AuthorizationRequest
from tokenservice.store import storage
from tokenservice.store.models import LoginTransactionModel, login_transaction_key
from tokenservice.web.http import Request

TRANSACTION_SECONDS = 600
PASSWORD = "password"
CODE = "code"  # the second factor (TOTP or a recovery code)
CONSENT = "consent"
AUTHENTICATION = (PASSWORD, CODE)  # the steps that authenticate the user, in order
EXPIRED = "This sign-in page has expired or was opened in another browser: go back and start again"


@dataclass(frozen=True)
class Transaction:
    id: str  # the page's; never stored, never logged
    record: LoginTransactionModel
    request: AuthorizationRequest

    @property
    def step(self) -> str:
        return self.record.step


def csrf_token(browser_id: str, transaction_id: str) -> str:
    digest = hmac.new(browser_id.encode("ascii"), f"signin csrf:{transaction_id}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode("ascii")


def new(
    request: AuthorizationRequest,
    browser_id: str,
    step: str,
    *,
    subject: str | None = None,
    auth_time: int | None = None,
    scope: str | None = None,
    amr: str | None = None,
) -> Transaction:
    """A new transaction at `step` (not stored: `storage.create(transaction.record)`)."""
    now = int(time.time())
    transaction_id = credentials.new_token()
    record = LoginTransactionModel(
        login_transaction_key(transaction_id),
        browser=credentials.digest(browser_id),
        client_id=request.client_id,
        request=request.to_json(),
        step=step,
        subject=subject,
        auth_time=auth_time,
        amr=amr,
        scope=scope,
        created_at=now,
        expires_at=now + TRANSACTION_SECONDS,
    )
    return Transaction(transaction_id, record, request)


def lookup_key(form: Mapping[str, str]) -> tuple[type[LoginTransactionModel], str | None]:
    transaction_id = form.get("transaction", "")
    return LoginTransactionModel, login_transaction_key(transaction_id) if transaction_id else None


def check_origin(request: Request) -> None:
    """The form was posted from this origin's page, as far as the browser says."""
    origin = request.headers.get("origin")
    site = request.headers.get("sec-fetch-site")
    if (origin is not None and origin != request.origin()) or site not in (None, "same-origin"):
        raise AccessDenied("The form was not sent from this sign-in page")


def load(
    request: Request, form: Mapping[str, str], record: LoginTransactionModel | None, step: str
) -> Transaction:
    """The transaction a form continues, at `step`, in the browser that started it, with its CSRF
    token; an error page (never a redirect) otherwise."""
    check_origin(request)
    transaction_id, browser_id = form.get("transaction", ""), cookies.read(request, cookies.BROWSER)
    if record is None or record.expires_at <= time.time() or browser_id is None:
        raise InvalidRequest(EXPIRED)
    if not hmac.compare_digest(record.browser, credentials.digest(browser_id)):
        raise InvalidRequest(EXPIRED)
    presented = form.get("csrf_token", "").encode("utf-8", "surrogateescape")
    if not hmac.compare_digest(presented, csrf_token(browser_id, transaction_id).encode("ascii")):
        raise AccessDenied("The form's CSRF token is missing or wrong")
    if record.step != step or form.get("client_id") != record.client_id:
        raise InvalidRequest(EXPIRED)
    return Transaction(transaction_id, record, AuthorizationRequest.from_json(record.request))


def advancing(
    transaction: Transaction, step: str, subject: str, auth_time: int, scope: str, amr: str = "pwd"
) -> dict:
    """The transaction item that moves it to `step`, on the condition it is still where it was."""
    model = LoginTransactionModel
    actions = [model.step.set(step), model.subject.set(subject), model.auth_time.set(auth_time)]
    actions += [model.scope.set(scope), model.amr.set(amr)]
    request = storage.update_request(model, transaction.record.token_hash, actions, _still(transaction))
    return {"Update": request}


def ending(transaction: Transaction) -> dict:
    """The transaction item that ends it, on the condition it is still where it was (so a form sent
    twice at once completes once)."""
    model = LoginTransactionModel
    return {"Delete": storage.delete_request(model, transaction.record.token_hash, _still(transaction))}


def _still(transaction: Transaction):
    return LoginTransactionModel.step == transaction.record.step
