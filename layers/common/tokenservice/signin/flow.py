"""The authorization code flow at the authorization endpoint (RFC 6749 §4.1, OpenID Connect Core
§3.1.2): from `GET /authorize` to the code, through the hosted pages where needed.

- `authorize`: one BatchGetItem — the client, the browser's login session and its user, the user's
  consent to the client, the requested scopes' definitions — then one answer. With a session that
  counts (no `prompt=login`, no `max_age` exceeded) and nothing to consent to, the code is issued at
  once: one PutItem, the code (a code must be stored to be single-use), nothing else written.
  Otherwise a login transaction is stored (one PutItem) and the login page shown — or, signed in
  already, the consent page; `prompt=none` answers `login_required` or `consent_required` instead.
- `authenticated` (after the last authentication step, `steps`): one TransactWriteItems — the new
  login session, the user item (as read, the lockout open, counters reset, a weak hash replaced),
  the browser's previous session ended, and either the code with the transaction ended, or the
  transaction moved on to its consent step.
- `consented`: one TransactWriteItems — the consent remembered, the code, the transaction ended,
  the user still as read.
"""

import time

from tokenservice.core import credentials, scopes
from tokenservice.core.errors import (
    AccessDenied,
    ConsentRequired,
    LoginRequired,
    OAuthError,
    TemporarilyUnavailable,
)
from tokenservice.oauth import clients, codes
from tokenservice.oauth import issuer as issuers
from tokenservice.registry import registry
from tokenservice.signin import authorization, consents, cookies, responses, sessions, transactions, views
from tokenservice.signin.authorization import AuthorizationRequest
from tokenservice.signin.sessions import LoginSession
from tokenservice.signin.transactions import Transaction
from tokenservice.store import storage
from tokenservice.store.dynamo import Unavailable
from tokenservice.store.models import ClientModel, ConsentModel, UserModel
from tokenservice.users import accounts
from tokenservice.web.http import Request


class Refused(Exception):
    """A condition of a step's write failed (`item` names which); nothing was written."""

    def __init__(self, item: str):
        super().__init__(item)
        self.item = item


def write(items: dict[str, dict]) -> None:
    """One TransactWriteItems of named items; Refused, naming the first whose condition failed."""
    names = list(items)
    try:
        storage.transact([items[name] for name in names])
    except storage.ConditionFailed as failed:
        raise Refused(next((names[i] for i in sorted(failed.items) if i < len(names)), "")) from failed


def binding(
    ask: AuthorizationRequest, user: UserModel, granted: frozenset[str], auth_time: int, amr: str = "pwd"
):
    """What the code for this request and user is bound to."""
    return codes.Binding(
        client_id=ask.client_id,
        username=user.username,
        redirect_uri=ask.redirect_uri,
        redirect_given=ask.redirect_given,
        scope=scopes.format_scope(granted),
        code_challenge=ask.code_challenge,
        nonce=ask.nonce,
        auth_time=int(auth_time),
        credential_version=int(user.credential_version or 0),
        amr=amr,
    )


def _code(items: dict[str, dict], ask: AuthorizationRequest, user, granted, auth_time, amr="pwd") -> str:
    """A new code, added to the step's write."""
    code, record = codes.new(binding(ask, user, granted, auth_time, amr), int(time.time()))
    items["code"] = {"Put": storage.put_new_request(record)}
    return code


def _with_code(request: Request, ask: AuthorizationRequest, code: str, cookies_set=()) -> dict:
    """The answer to a form: the browser sent to the client with its code (303)."""
    issuer = issuers.of(request)
    parameters = {"code": code}
    return responses.to_client(
        ask.redirect_uri, ask.state, issuer, parameters, status=responses.SEE_OTHER, cookies=cookies_set
    )


# -- GET /authorize --------------------------------------------------------------------------------


def authorize(request: Request) -> dict:
    query = request.query
    client_id = authorization.lookup_client_id(query)
    session_id = sessions.presented(request)
    named = credentials.token_username(session_id) if session_id else None
    client, session_item, user, consent, *defined = storage.get_many(
        [
            (ClientModel, client_id),
            *sessions.lookup_keys(session_id),
            consents.lookup_key(client_id, named),
            *registry.scope_keys(authorization.lookup_scopes(query)),
        ]
    )
    where = authorization.target(query, client)  # an error page, before anything else
    issuer = issuers.of(request)
    try:
        ask = authorization.parse(query, where, defined)
        return _answer(
            request, issuer, ask, client, sessions.counting(session_item, user, time.time()), consent
        )
    except Unavailable:
        return responses.error_to_client(where.redirect_uri, where.state, issuer, TemporarilyUnavailable())
    except OAuthError as error:
        return responses.error_to_client(where.redirect_uri, where.state, issuer, error)


def _answer(
    request: Request,
    issuer: str,
    ask: AuthorizationRequest,
    client: ClientModel,
    session: LoginSession | None,
    consent: ConsentModel | None,
) -> dict:
    now = time.time()
    # A session without a second factor does not count for a client that requires one (it asks again).
    weak = session is not None and clients.requires_mfa(client) and "otp" not in session.amr.split()
    if session is None or weak or ask.forces_login(session.auth_time, now):
        if ask.prompt == "none":
            raise LoginRequired("The user is not signed in")
        return _start(request, ask, client)
    granted = authorization.granted_scope(ask, client, session.user)
    if consents.needed(client, consent, granted):
        if ask.prompt == "none":
            raise ConsentRequired()
        return _start(request, ask, client, session, granted)
    code, record = codes.new(binding(ask, session.user, granted, session.auth_time, session.amr), int(now))
    storage.create(record)
    return responses.to_client(ask.redirect_uri, ask.state, issuer, {"code": code})


def _start(
    request: Request,
    ask: AuthorizationRequest,
    client: ClientModel,
    session: LoginSession | None = None,
    granted: frozenset[str] = frozenset(),
) -> dict:
    """A new login transaction, stored, and its first page: the login page, or (signed in already)
    the consent page. The browser is bound to it by its binding cookie (given now if it has none)."""
    browser_id, set_cookies = cookies.read(request, cookies.BROWSER), []
    if browser_id is None:
        browser_id = cookies.new_browser_id()
        set_cookies.append(cookies.set_cookie(cookies.BROWSER, browser_id))
    if session is None:
        transaction = transactions.new(ask, browser_id, transactions.PASSWORD)
        storage.create(transaction.record)
        hint = ask.login_hint or ""
        return views.login(
            request, transaction.id, ask, client, browser_id, username=hint, cookies=set_cookies
        )
    scope = scopes.format_scope(granted)
    transaction = transactions.new(
        ask,
        browser_id,
        transactions.CONSENT,
        subject=session.username,
        auth_time=session.auth_time,
        scope=scope,
        amr=session.amr,
    )
    storage.create(transaction.record)
    return views.consent(
        request, transaction.id, ask, client, session.username, scope, browser_id, cookies=set_cookies
    )


# -- after the steps -------------------------------------------------------------------------------


def authenticated(
    request: Request,
    transaction: Transaction,
    client: ClientModel,
    user: UserModel,
    guard: dict,
    consent: ConsentModel | None,
    amr: str = "pwd",
) -> dict:
    """The user passed the last authentication step: a new login session, then the consent step
    or the code. `guard`: the user item's part of the write (`authentication.check_password`, or
    the second factor's); `amr`: how they authenticated."""
    now = int(time.time())
    _, session_item, session_cookie = sessions.new(user, now, now, amr)
    items = {"user": guard, "session": session_item}
    previous = sessions.presented(request)
    if previous is not None:
        items["previous"] = sessions.ending(previous)
    ask = transaction.request
    granted = authorization.granted_scope(ask, client, user)
    if not consents.needed(client, consent, granted):
        code = _code(items, ask, user, granted, now, amr)
        items["transaction"] = transactions.ending(transaction)
        write(items)
        return _with_code(request, ask, code, [session_cookie])
    scope = scopes.format_scope(granted)
    items["transaction"] = transactions.advancing(
        transaction, transactions.CONSENT, user.username, now, scope, amr
    )
    write(items)
    browser_id = cookies.read(request, cookies.BROWSER) or ""
    return views.consent(
        request, transaction.id, ask, client, user.username, scope, browser_id, cookies=[session_cookie]
    )


def consented(
    request: Request, transaction: Transaction, user: UserModel, consent: ConsentModel | None, allow: bool
) -> dict:
    """The user answered the consent page: the code (the consent remembered), or access_denied."""
    ask = transaction.request
    if not allow:
        write({"transaction": transactions.ending(transaction)})
        denied = AccessDenied("The user did not allow the request")
        issuer = issuers.of(request)
        return responses.error_to_client(
            ask.redirect_uri, ask.state, issuer, denied, status=responses.SEE_OTHER
        )
    granted = scopes.permissions(transaction.record.scope or "")
    items = {
        "user": accounts.guard(user),
        "consent": consents.recording(ask.client_id, user.username, granted, consent),
    }
    amr = transaction.record.amr or "pwd"
    code = _code(items, ask, user, granted, int(transaction.record.auth_time), amr)
    items["transaction"] = transactions.ending(transaction)
    write(items)
    return _with_code(request, ask, code)
