"""Redirect URIs (RFC 6749 §3.1.2, RFC 9700 §4.1.3, RFC 8252 §7): what a client may register, and
how a request's is matched — exactly, character for character, against the registered ones: no
prefix, path, query, fragment, case, trailing-slash or encoding variants.

A registered URI is absolute, ASCII (an internationalised host in its `xn--` form), has no
userinfo (`user@`) and no fragment, and is `https`, or `http` to this machine's loopback (a native
app's or a developer's: RFC 8252 §7.3). An operator may also register a native app's private-use
scheme, a reverse domain name such as `com.example.app:/callback` (RFC 8252 §7.1); users' own
applications (the developer portal) may not. Bad ones are `problems.Invalid`, said in one line.
"""

import re
from collections.abc import Iterable
from typing import NoReturn
from urllib.parse import urlsplit

from tokenservice.core import loopback, problems

MAX_LENGTH = 1024  # as any form or query parameter
MAX_URIS = 10
_PRIVATE_SCHEME = re.compile(r"[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+")
_HOST = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\]")
_PORT = re.compile(r"[0-9]{1,5}")


def _refuse(why: str) -> NoReturn:
    raise problems.Invalid(f"a redirect URI {why}")


def _check_authority(netloc: str, scheme: str) -> None:
    if "@" in netloc:
        _refuse("may not carry userinfo (user@)")
    host, colon, port = netloc.rpartition(":") if not netloc.endswith("]") else (netloc, "", "")
    if not colon:
        host = netloc
    elif not _PORT.fullmatch(port) or not 0 < int(port) < 65536:
        _refuse("has a bad port")
    if not _HOST.fullmatch(host):
        _refuse("needs a host in lower case (an internationalised name in its xn-- form)")
    if scheme == "http" and not loopback.is_loopback_host(host.strip("[]")):
        _refuse("must be https, or http to this machine's loopback (127.0.0.1, [::1], localhost)")


def valid(uri: str, *, private_schemes: bool = False) -> str:
    """A redirect URI fit to be registered, as given."""
    if not uri or len(uri) > MAX_LENGTH or not uri.isascii() or not uri.isprintable() or " " in uri:
        _refuse(f"is 1 to {MAX_LENGTH} printable ASCII characters without spaces")
    if "#" in uri:
        _refuse("may not have a fragment (RFC 6749 §3.1.2)")
    try:
        parts = urlsplit(uri)
    except ValueError:
        _refuse("must be an absolute URI")
    if parts.scheme in ("https", "http") and uri.startswith(parts.scheme + "://"):
        _check_authority(parts.netloc, parts.scheme)
    elif private_schemes and _PRIVATE_SCHEME.fullmatch(parts.scheme) and not parts.netloc:
        if not parts.path.startswith("/"):
            _refuse("with a private-use scheme needs a path, e.g. com.example.app:/callback")
    else:
        allowed = "https, http to the loopback" + (", or a reverse-domain scheme" if private_schemes else "")
        _refuse(f"must be absolute: {allowed}")
    return uri


def valid_list(uris: Iterable[str], *, private_schemes: bool = False) -> set[str] | None:
    """Redirect URIs fit to be registered (None when there are none)."""
    checked = {valid(uri, private_schemes=private_schemes) for uri in uris}
    if len(checked) > MAX_URIS:
        raise problems.Invalid(f"at most {MAX_URIS} redirect URIs")
    return checked or None


def registered(presented: str, uris: Iterable[str] | None) -> bool:
    """Whether a request's redirect URI is one of these, exactly (RFC 9700 §4.1.3)."""
    return presented in set(uris or ())


def form_action_source(uri: str) -> str:
    """What a page's Content-Security-Policy `form-action` must allow so that a form's answer may
    redirect there: the URI's origin, or its scheme (a private-use scheme, or an IP-literal host
    that CSP's host-source grammar cannot name)."""
    parts = urlsplit(uri)
    if parts.scheme in ("https", "http") and not parts.netloc.startswith("["):
        return f"{parts.scheme}://{parts.netloc}"
    return f"{parts.scheme}:"
