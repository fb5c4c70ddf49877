"""This machine's loopback: the names and addresses `make run` and its emulators use, and the one
test of whether a URL or a Host header stays on the machine.

Used where something must never leave the machine: make run's plain-http mode (cookies, HSTS), its
KMS emulator's endpoint, the local server's Host check against DNS rebinding, and `make load`'s
target.
"""

import ipaddress
from urllib.parse import urlsplit

LOOPBACK_NAMES = frozenset({"localhost"})


def is_loopback_host(name: str | None) -> bool:
    """Whether a host name (as `urlsplit(...).hostname` gives it: lower case, no brackets) is this
    machine: `localhost`, a `.localhost` name (RFC 6761 §6.3) or a loopback address."""
    if not name:
        return False
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def is_loopback_http_url(url: str) -> bool:
    """Whether `url` is plain http to this machine."""
    try:
        parts = urlsplit(url)
        return parts.scheme == "http" and is_loopback_host(parts.hostname)
    except ValueError:
        return False
