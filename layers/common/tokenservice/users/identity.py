"""Usernames and passwords as strings (RFC 8265, NIST SP 800-63B §5.1.1.2).

- Usernames are compared in one canonical form, the PRECIS UsernameCaseMapped profile (RFC 8265
  §3.3): width mapping (fullwidth and halfwidth forms to their usual forms), Unicode default case
  folding, NFC. `Demo`, fullwidth `DEMO` (U+FF24 U+FF25 U+FF2D U+FF2F) and `demo` are one account,
  stored as `demo`. Names with control, format (zero-width, bidi override) or other invisible
  characters are refused.
- Passwords follow the OpaqueString profile (RFC 8265 §4.2): non-ASCII spaces become U+0020 and
  the string is NFC-normalised, before hashing and before verifying.
- New passwords: 8 to 1024 characters, not the username, not one of the 30,000 most common
  passwords (the list bundled with zxcvbn).
"""

import functools
import unicodedata

from tokenservice.core import config, problems

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024

# Unicode general categories a username may not contain: controls, format characters (zero-width
# joiners, bidi overrides and isolates, BOM), separators other than the plain space, unassigned
# and private-use code points, surrogates.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cn", "Co", "Cs"})


class InvalidIdentity(problems.Invalid):
    """A username or password that the service refuses; the message says why, in one line."""


def _width_mapped(value: str) -> str:
    """RFC 8264 §9.1: fullwidth and halfwidth code points to their decomposition mappings."""
    mapped = []
    for char in value:
        decomposition = unicodedata.decomposition(char)
        if decomposition.startswith(("<wide>", "<narrow>")):
            mapped.append(chr(int(decomposition.split()[1], 16)))
        else:
            mapped.append(char)
    return "".join(mapped)


def canonical_username(value: str) -> str:
    """The form usernames are stored and compared in (no validation: see `valid_username`)."""
    if value.isascii():  # the common case, and the same result: ASCII has no width forms
        return value.lower()
    return unicodedata.normalize("NFC", _width_mapped(value).casefold())


def valid_username(value: str) -> str:
    """The canonical username, or InvalidIdentity saying what is wrong with it."""
    limit = config.MAX_USERNAME_LENGTH
    if not value or len(value) > limit or value != value.strip():
        raise InvalidIdentity(
            f"a username of 1 to {limit} characters, without surrounding spaces, is required"
        )
    if any(unicodedata.category(char) in _REFUSED_CATEGORIES for char in value):
        raise InvalidIdentity(
            "a username cannot contain control, invisible or bidirectional-control characters"
        )
    if any(char.isspace() and char != " " for char in value) or "  " in value:
        raise InvalidIdentity("a username may contain single spaces only")
    canonical = canonical_username(value)
    if len(canonical) > limit:
        raise InvalidIdentity(f"a username of 1 to {limit} characters is required")
    return canonical


def password_form(value: str) -> str:
    """The OpaqueString form a password is hashed and verified in."""
    if value.isascii():
        return value
    spaced = "".join(" " if unicodedata.category(char) == "Zs" else char for char in value)
    return unicodedata.normalize("NFC", spaced)


@functools.cache
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # ~60 ms: loaded only when a password is set

    return frozenset(FREQUENCY_LISTS["passwords"])


def is_common(password: str) -> bool:
    """Whether a password is on the bundled list of common passwords (compared case-insensitively,
    as the list is lower case)."""
    return password_form(password).casefold() in _common_passwords()


def valid_new_password(password: str, username: str) -> str:
    """A password fit to be set for `username` (NIST SP 800-63B §5.1.1.2), or InvalidIdentity."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidIdentity(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidIdentity(f"the password must have at most {MAX_PASSWORD_LENGTH} characters")
    if canonical_username(password_form(password)) == canonical_username(username):
        raise InvalidIdentity("the password cannot be the username")
    if is_common(password):
        raise InvalidIdentity(
            "the password is too common: choose one that is not on lists of common passwords"
        )
    return password
