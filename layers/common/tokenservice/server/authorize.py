"""The authorization endpoint and the hosted pages' forms, as the token function serves them:
`GET /authorize` (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2), `POST /login`, `POST /consent` and
the pages' stylesheet. The flow is `signin`'s; an error that cannot go back to the client is a page
(`signin.pages.error_page`), never JSON and never a redirect."""

from tokenservice.signin import flow, pages, steps
from tokenservice.web.endpoint import oauth_endpoint
from tokenservice.web.http import Request

stylesheet = pages.stylesheet


@oauth_endpoint(render=pages.error_page)
def authorize(request: Request) -> dict:
    """GET /authorize."""
    return flow.authorize(request)


@oauth_endpoint(render=pages.error_page)
def login(request: Request) -> dict:
    """POST /login: the login page's form."""
    return steps.login(request)


@oauth_endpoint(render=pages.error_page)
def consent(request: Request) -> dict:
    """POST /consent: the consent page's form."""
    return steps.consent(request)
