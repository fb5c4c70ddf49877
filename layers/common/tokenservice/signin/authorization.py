"""The authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, OpenID Connect Core §3.1.2.1) and its
checks, in the order that decides where an error may be sent.

1. `target`: the client and the redirect URI, before anything else. An unknown client, or a
   redirect URI that is not one the client registered, exactly, is an error page: the browser is
   never sent to a URI that is not registered (RFC 6749 §4.1.2.1). A client with exactly one
   registered URI may leave `redirect_uri` out (RFC 6749 §3.1.2.3).
2. `parse`: everything else; an error here goes back to the redirect URI (`responses`):
   `response_type=code` only (no implicit flow), the client allowed the grant, PKCE with `S256`
   (required of public clients and, by default, of all), `scope`, `prompt=none|login`, `max_age`,
   and `state`, `nonce` and `login_hint` carried along. Request objects are not supported. A
   parameter given twice is `invalid_request` (RFC 6749 §3.1). No error description repeats a
   value the request sent.
"""

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from tokenservice.core import credentials, grant_types, scopes
from tokenservice.core.errors import (
    InvalidRequest,
    InvalidScope,
    RequestNotSupported,
    RequestUriNotSupported,
    UnauthorizedClient,
    UnsupportedResponseType,
)
from tokenservice.core.text import has_control_characters
from tokenservice.oauth import codes, redirects
from tokenservice.store.models import ClientModel, ScopeModel

MAX_LENGTH = 1024  # as a form parameter
MAX_SCOPES = 64  # their definitions are read in the same round trip (100 keys at most)
PROMPTS = frozenset({"none", "login"})
Query = Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class Target:
    """Where the authorization response goes: a registered redirect URI of a known client."""

    client: ClientModel
    redirect_uri: str
    redirect_given: bool
    state: str | None


@dataclass(frozen=True)
class AuthorizationRequest:
    client_id: str
    redirect_uri: str
    redirect_given: bool
    state: str | None = None
    nonce: str | None = None
    code_challenge: str | None = None
    scope: tuple[str, ...] = ()  # as requested, sorted
    prompt: str | None = None
    max_age: int | None = None
    login_hint: str | None = None
    # the requested scopes' definitions as read with the client: scope → (roles, description)
    defined: tuple[tuple[str, tuple[str, ...], str], ...] = ()

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "AuthorizationRequest":
        document = json.loads(text)
        document["scope"] = tuple(document["scope"])
        document["defined"] = tuple((name, tuple(roles), text) for name, roles, text in document["defined"])
        return cls(**document)

    def forces_login(self, auth_time: int, now: float) -> bool:
        """Whether a session from `auth_time` must sign in again (`prompt=login`, `max_age`)."""
        return self.prompt == "login" or (self.max_age is not None and auth_time + self.max_age < now)

    def description(self, scope: str) -> str:
        return next((text for name, _, text in self.defined if name == scope), "")


def single(query: Query, name: str) -> str | None:
    """A parameter given at most once, of a sane length, without control characters (None: absent
    or empty)."""
    values = query.get(name, ())
    if len(values) > 1:
        raise InvalidRequest(f"The parameter '{name}' is repeated")
    value = values[0] if values else ""
    if len(value) > MAX_LENGTH or has_control_characters(value):
        raise InvalidRequest(f"The parameter '{name}' is too long or contains control characters")
    return value or None


def lookup_client_id(query: Query) -> str | None:
    """The client to read, when the request names one a client can have."""
    values = query.get("client_id", ())
    if len(values) != 1 or not 0 < len(values[0]) <= credentials.MAX_LENGTH:
        return None
    return values[0]


def lookup_scopes(query: Query) -> list[str]:
    """The requested scopes whose definitions to read with the client (none when malformed: the
    error is answered once the redirect URI is known)."""
    try:
        requested = scopes.parse(single(query, "scope"))
    except (InvalidRequest, InvalidScope):
        return []
    return sorted(requested)[:MAX_SCOPES]


def target(query: Query, client: ClientModel | None) -> Target:
    """The client and its redirect URI; an error page (never a redirect) when either is not right."""
    if single(query, "client_id") is None:
        raise InvalidRequest("The 'client_id' parameter is required")
    if client is None:
        raise InvalidRequest("The client is unknown")
    registered = client.redirect_uris or set()
    presented = single(query, "redirect_uri")
    if presented is None:
        if len(registered) != 1:
            raise InvalidRequest("The 'redirect_uri' parameter is required")
        presented, given = next(iter(registered)), False
    elif redirects.registered(presented, registered):
        given = True
    else:
        raise InvalidRequest("The redirect_uri is not one this client registered")
    try:
        state = single(query, "state")
    except InvalidRequest:
        state = None  # not echoed: the error about it goes back without it
    return Target(client, presented, given, state)


def parse(query: Query, where: Target, defined: list[ScopeModel | None]) -> AuthorizationRequest:
    """The rest of the request, checked; errors go back to the client (`responses`)."""
    if "request" in query:
        raise RequestNotSupported()
    if "request_uri" in query:
        raise RequestUriNotSupported()
    response_type = single(query, "response_type")
    if response_type is None:
        raise InvalidRequest("The 'response_type' parameter is required")
    if response_type != "code":
        raise UnsupportedResponseType()
    if single(query, "response_mode") not in (None, "query"):
        raise InvalidRequest("Only response_mode=query is supported")
    client = where.client
    if grant_types.AUTHORIZATION_CODE not in client.grant_types.split() or client.suspended:
        raise UnauthorizedClient("This client may not use the authorization code grant")
    requested = scopes.parse(single(query, "scope"))
    if len(requested) > MAX_SCOPES:
        raise InvalidScope(f"At most {MAX_SCOPES} scopes may be requested at once")
    return AuthorizationRequest(
        client_id=client.client_id,
        redirect_uri=where.redirect_uri,
        redirect_given=where.redirect_given,
        state=where.state,
        nonce=single(query, "nonce"),
        code_challenge=_challenge(query, client),
        scope=tuple(sorted(requested)),
        prompt=_prompt(single(query, "prompt")),
        max_age=_max_age(single(query, "max_age")),
        login_hint=_login_hint(single(query, "login_hint")),
        defined=tuple(
            (item.name, tuple(sorted(item.roles or ())), item.description or "")
            for item in defined
            if item is not None
        ),
    )


def _challenge(query: Query, client: ClientModel) -> str | None:
    """PKCE (RFC 7636 §4.3): S256 only; required of public clients and of every client not created
    with PKCE optional."""
    challenge, method = single(query, "code_challenge"), single(query, "code_challenge_method")
    if challenge is None:
        if client.public or not client.pkce_optional or method is not None:
            raise InvalidRequest("PKCE is required: send code_challenge with code_challenge_method=S256")
        return None
    if method != "S256":
        raise InvalidRequest("code_challenge_method must be S256 (plain is not supported)")
    if not codes.CHALLENGE.fullmatch(challenge):
        raise InvalidRequest("code_challenge must be the 43 base64url characters of a SHA-256 (S256)")
    return challenge


def _prompt(value: str | None) -> str | None:
    wanted = set((value or "").split())
    if wanted - PROMPTS:
        raise InvalidRequest("prompt may be none or login")
    if len(wanted) > 1:
        raise InvalidRequest("prompt=none cannot be combined with another prompt")
    return next(iter(wanted), None)


def _max_age(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 10:
        raise InvalidRequest("max_age must be a number of seconds")
    return int(value)


def _login_hint(value: str | None) -> str | None:
    return value if value is not None and len(value) <= 128 else None


def candidate_scope(request: AuthorizationRequest, client: ClientModel) -> frozenset[str]:
    """What of the request the client may have: its scopes, and OpenID Connect's (`scopes.IDENTITY`)."""
    return frozenset(request.scope) & (scopes.parse(client.scope) | scopes.IDENTITY)


def granted_scope(request: AuthorizationRequest, client: ClientModel, user) -> frozenset[str]:
    """The scope to grant, as the password grant narrows it: what is requested, of the user's direct
    scopes and those bound to one of their roles, that the client may have; OpenID Connect's
    scopes whenever asked."""
    roles = set(user.roles or ())
    bound = {name for name, allowed, _ in request.defined if roles & set(allowed)}
    obtainable = scopes.parse(user.scope) | bound | scopes.IDENTITY
    return scopes.grant(candidate_scope(request, client), obtainable)
