"""The login and consent pages of one login transaction, filled in (`pages` escapes every value)."""

from collections.abc import Iterable

from tokenservice.core import scopes
from tokenservice.oauth import redirects
from tokenservice.signin import pages, transactions
from tokenservice.signin.authorization import AuthorizationRequest
from tokenservice.store.models import ClientModel
from tokenservice.web.http import Request

# What signing in through the client always gives it, and what OpenID Connect's profile asks.
WHO_YOU_ARE = "Know who you are: your username"
IDENTITY_TEXT = {scopes.PROFILE: "See your profile (your username)"}


# An account that must choose a new password (imported from WSO2 with UM_REQUIRE_CHANGE): the
# current one again (never written back into a page), and the new one.
NEW_PASSWORD_FIELD = """<p id="new-password-hint" class="hint">Choose a new password: at least 8 characters,
        not your username, not a common password.</p>
      <label for="new_password">New password</label>
      <input id="new_password" name="new_password" type="password" autocomplete="new-password" required
             minlength="8" maxlength="1024" aria-describedby="new-password-hint">"""


def _step_page(
    request: Request,
    template: str,
    markup: dict[str, str],
    transaction_id: str,
    ask: AuthorizationRequest,
    client: ClientModel,
    browser_id: str,
    username: str,
    *,
    status: int = 200,
    cookies: Iterable[str] = (),
) -> dict:
    """A page of one login transaction: its form carries the transaction, the client and the CSRF
    token bound to this browser; its answer may redirect to the client's redirect URI only."""
    body = pages.render(
        template,
        markup,
        base=request.base_path(),
        client_name=client.name,
        username=username,
        transaction=transaction_id,
        client_id=client.client_id,
        csrf_token=transactions.csrf_token(browser_id, transaction_id),
    )
    targets = [redirects.form_action_source(ask.redirect_uri)]
    return pages.respond(status, body, form_targets=targets, cookies=cookies)


def login(
    request: Request,
    transaction_id: str,
    ask: AuthorizationRequest,
    client: ClientModel,
    browser_id: str,
    *,
    username: str = "",
    problem: str | None = None,
    status: int = 200,
    cookies: Iterable[str] = (),
    new_password: bool = False,
) -> dict:
    """The login page (its form posts to /login; its answer may redirect to the client). With
    `new_password`, it also asks for a new password (an account that must change its own)."""
    focus = ' autofocus="autofocus"'
    markup = {
        "problem_html": pages.problem(problem),
        "username_focus_html": "" if username else focus,
        "password_focus_html": focus if username else "",
        "new_password_html": NEW_PASSWORD_FIELD if new_password else "",
    }
    page = (request, "login.html", markup, transaction_id, ask, client, browser_id, username)
    return _step_page(*page, status=status, cookies=cookies)


def code(
    request: Request,
    transaction_id: str,
    ask: AuthorizationRequest,
    client: ClientModel,
    browser_id: str,
    username: str,
    problem: str | None = None,
    status: int = 200,
) -> dict:
    """The second factor's page (its form posts to /login, with the code)."""
    markup = {"problem_html": pages.problem(problem)}
    return _step_page(
        request, "code.html", markup, transaction_id, ask, client, browser_id, username, status=status
    )


def consent(
    request: Request,
    transaction_id: str,
    ask: AuthorizationRequest,
    client: ClientModel,
    username: str,
    scope: str,
    browser_id: str,
    *,
    cookies: Iterable[str] = (),
) -> dict:
    """The consent page: who asks, for whom, for what (its form posts to /consent)."""
    asked = sorted(scopes.permissions(scope) - {scopes.OPENID})
    items = [(None, WHO_YOU_ARE)] + [
        (name, IDENTITY_TEXT.get(name) or ask.description(name)) for name in asked
    ]
    markup = {"scopes_html": pages.scope_items(items)}
    return _step_page(
        request, "consent.html", markup, transaction_id, ask, client, browser_id, username, cookies=cookies
    )
