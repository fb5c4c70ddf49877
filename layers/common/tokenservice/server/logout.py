"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): `GET /logout` ends the browser's
login session at the authorization server.

`id_token_hint` (an ID token this server issued, expired or not) names the client; so may
`client_id` (both given, they must agree). `post_logout_redirect_uri` must be one the client
registered, exactly, else an error page (never a redirect to an unregistered URI); the browser is
sent there with `state`, or shown that it is signed out. The session ends whatever the hint: a
logout asked by another site only signs the user out, it gains that site nothing.
"""

from tokenservice.core.errors import InvalidRequest
from tokenservice.oauth import id_tokens
from tokenservice.signin import authorization, pages, responses, sessions
from tokenservice.store import storage
from tokenservice.store.models import ClientModel
from tokenservice.web.endpoint import oauth_endpoint
from tokenservice.web.http import Request


def _client_named(query) -> str | None:
    """The client the request names, by its hint and its `client_id` (which must agree)."""
    hint, client_id = authorization.single(query, "id_token_hint"), authorization.single(query, "client_id")
    if hint is None:
        return client_id
    claims = id_tokens.hinted(hint)
    if claims is None:
        raise InvalidRequest("The id_token_hint is not an ID token this server issued")
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if client_id is not None and client_id not in audiences:
        raise InvalidRequest("The client_id is not the id_token_hint's audience")
    return client_id or (audiences[0] if audiences else None)


@oauth_endpoint(render=pages.error_page)
def logout(request: Request) -> dict:
    """GET /logout."""
    query = request.query
    client_id = _client_named(query)
    target = authorization.single(query, "post_logout_redirect_uri")
    state = authorization.single(query, "state")
    if target is not None:
        client = storage.get(ClientModel, client_id) if client_id and len(client_id) <= 256 else None
        if client is None or target not in (client.post_logout_redirect_uris or ()):
            raise InvalidRequest("The post_logout_redirect_uri is not one the client registered")
    cleared = sessions.end(request)
    if target is not None:
        return responses.redirect(
            responses.location(target, {"state": state} if state else {}), cookies=[cleared]
        )
    return pages.message(200, "Signed out", "You are signed out.", request.base_path(), cookies=[cleared])
