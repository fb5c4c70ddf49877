"""RFC 8265 usernames and passwords, and the new-password policy (NIST SP 800-63B §5.1.1.2)."""

import pytest
from argon2 import PasswordHasher, extract_parameters

from tokenservice.users import identity, passwords


@pytest.mark.parametrize(
    "spelling", ["Demo", "DEMO", "\uff24\uff25\uff2d\uff2f", "\uff44\uff45\uff4d\uff4f", "demo"]
)
def test_case_and_width_variants_are_one_username(spelling):
    assert identity.valid_username(spelling) == "demo"


def test_usernames_are_nfc_and_case_folded():
    decomposed = "Jose\u0301"  # e + combining acute
    assert identity.valid_username(decomposed) == "jos\u00e9"
    assert identity.valid_username("Stra\u00dfe") == "strasse"  # default case folding


@pytest.mark.parametrize(
    "name",
    [
        "ali\u200bce",  # zero-width space
        "ali\u200dce",  # zero-width joiner
        "\u202eecila",  # right-to-left override
        "ali\u2066ce",  # left-to-right isolate
        "ali\x00ce",
        "ali\tce",
        "ali\nce",
        "\ufeffalice",  # byte order mark
        "alice\u2028",  # line separator
        "ali  ce",  # two spaces
        " alice",
        "",
        "a" * 129,
    ],
)
def test_names_with_invisible_or_control_characters_are_refused(name):
    with pytest.raises(identity.InvalidIdentity):
        identity.valid_username(name)


def test_single_spaces_between_parts_are_allowed():
    assert identity.valid_username("Alice Smith") == "alice smith"


def test_passwords_are_compared_in_nfc():
    stored = passwords.hash_password("caf\u00e9 au lait")  # precomposed
    assert passwords.verify(stored, "cafe\u0301 au lait")  # decomposed: the same password
    assert not passwords.verify(stored, "cafe au lait")


def test_non_ascii_spaces_in_passwords_are_plain_spaces():
    stored = passwords.hash_password("two\u00a0words here")
    assert passwords.verify(stored, "two words here")


@pytest.mark.parametrize(
    "common", ["password", "Password1", "qwertyuiop", "iloveyou", "12345678", "trustno1"]
)
def test_common_passwords_are_refused(common):
    with pytest.raises(identity.InvalidIdentity, match="common"):
        identity.valid_new_password(common, "alice")


def test_the_bundled_list_is_large_and_comes_from_a_package():
    listed = identity._common_passwords()
    assert len(listed) >= 10_000
    assert {"password", "123456", "qwerty"} <= listed


def test_an_uncommon_passphrase_is_accepted():
    assert identity.valid_new_password("correct horse battery staple", "alice")


def test_the_password_may_not_be_the_username_in_any_spelling():
    with pytest.raises(identity.InvalidIdentity, match="username"):
        identity.valid_new_password("\uff21\uff2c\uff29\uff23\uff25\uff21\uff2c\uff29", "alicealI")


def test_a_hash_with_weaker_parameters_needs_a_rehash():
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("a long password")
    assert passwords.needs_rehash(weak)
    assert not passwords.needs_rehash(passwords.hash_password("a long password"))


def test_the_dummy_hash_follows_the_current_parameters(monkeypatch):
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=3, memory_cost=8192, parallelism=1))
    passwords.dummy_hash.cache_clear()
    try:
        params = extract_parameters(passwords.dummy_hash())
        assert (params.time_cost, params.memory_cost) == (3, 8192)
    finally:
        passwords.dummy_hash.cache_clear()
