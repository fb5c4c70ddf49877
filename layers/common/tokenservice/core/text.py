"""Checks on untrusted text, and a safe rendering of it for one-line messages.

Names, secrets and form parameters never contain C0 control characters or DEL. HTTP error
descriptions never repeat what a client sent; operators' one-line messages (an invalid setting,
tokenctl) quote their own input only through `printable`.
"""

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def has_control_characters(value: str) -> bool:
    """C0 controls or DEL: never part of a name, secret or parameter."""
    return _CONTROL.search(value) is not None


def printable(value: str) -> str:
    """A short ASCII rendering of text, safe in a one-line message (never in an HTTP answer)."""
    return value[:40].encode("ascii", "backslashreplace").decode("ascii")
