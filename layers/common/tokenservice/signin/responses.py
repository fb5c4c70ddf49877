"""Authorization responses (RFC 6749 §4.1.2, §4.1.2.1): the browser sent back to the client's
registered redirect URI with the code, or with the error, and always with `state` when the request
had one and the issuer, `iss` (RFC 9207), so the client can tell which server answered.

A redirect that answers a form's POST is `303 See Other`, so the browser follows it with a GET and
never re-posts the form's password (RFC 9700 §4.12); from the GET of /authorize it is `302`.
"""

from collections.abc import Iterable
from urllib.parse import urlencode

from tokenservice.core.errors import OAuthError
from tokenservice.web.http import NO_STORE

FOUND, SEE_OTHER = 302, 303


def redirect(location: str, status: int = FOUND, cookies: Iterable[str] = ()) -> dict:
    headers = {"Location": location, **NO_STORE, "Referrer-Policy": "no-referrer"}
    response = {"statusCode": status, "headers": headers, "body": ""}
    cookies = list(cookies)
    if cookies:
        response["multiValueHeaders"] = {"Set-Cookie": cookies}
    return response


def location(redirect_uri: str, parameters: dict[str, str]) -> str:
    """The redirect URI with these query parameters added to any it has (RFC 6749 §3.1.2)."""
    if not parameters:
        return redirect_uri
    separator = "&" if "?" in redirect_uri else "?"
    return redirect_uri + separator + urlencode(parameters)


def to_client(
    redirect_uri: str,
    state: str | None,
    issuer: str,
    parameters: dict[str, str],
    *,
    status: int = FOUND,
    cookies: Iterable[str] = (),
) -> dict:
    answer = {**parameters, **({"state": state} if state else {}), "iss": issuer}
    return redirect(location(redirect_uri, answer), status, cookies)


def error_to_client(
    redirect_uri: str, state: str | None, issuer: str, error: OAuthError, *, status: int = FOUND
) -> dict:
    """An error that goes back to the client (RFC 6749 §4.1.2.1): its code and description (a
    storage outage is `temporarily_unavailable`, as §4.1.2.1 names it)."""
    parameters = {"error": error.error, "error_description": error.description}
    return to_client(redirect_uri, state, issuer, parameters, status=status)
