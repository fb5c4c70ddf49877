"""Checks on untrusted text, and a safe way to echo it.

Names, secrets and form parameters never contain C0 control characters or DEL; error
descriptions quote untrusted input only through `printable`.
"""

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def has_control_characters(value: str) -> bool:
    """C0 controls or DEL: never part of a name, secret or parameter."""
    return _CONTROL.search(value) is not None


def printable(value: str) -> str:
    """A short ASCII rendering of untrusted input, safe to echo in an error description."""
    return value[:40].encode("ascii", "backslashreplace").decode("ascii")
