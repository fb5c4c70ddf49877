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


def _form(transaction_id: str, client: ClientModel, browser_id: str) -> dict[str, str]:
    return {
        "transaction": transaction_id,
        "client_id": client.client_id,
        "csrf_token": transactions.csrf_token(browser_id, transaction_id),
    }


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
) -> dict:
    """The login page (its form posts to /login; its answer may redirect to the client)."""
    focus = ' autofocus="autofocus"'
    body = pages.render(
        "login.html",
        {
            "problem_html": pages.problem(problem),
            "username_focus_html": "" if username else focus,
            "password_focus_html": focus if username else "",
        },
        base=request.base_path(),
        client_name=client.name,
        username=username,
        **_form(transaction_id, client, browser_id),
    )
    targets = [redirects.form_action_source(ask.redirect_uri)]
    return pages.respond(status, body, form_targets=targets, cookies=cookies)


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
    body = pages.render(
        "consent.html",
        {"scopes_html": pages.scope_items(items)},
        base=request.base_path(),
        client_name=client.name,
        username=username,
        **_form(transaction_id, client, browser_id),
    )
    targets = [redirects.form_action_source(ask.redirect_uri)]
    return pages.respond(200, body, form_targets=targets, cookies=cookies)
