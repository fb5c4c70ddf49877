import hashlib

from argon2 import extract_parameters

from tokenservice.core import credentials
from tokenservice.users import passwords


def test_tokens_carry_at_least_256_bits_and_are_unique():
    tokens = {credentials.new_token() for _ in range(1000)}
    assert len(tokens) == 1000
    assert all(len(token) >= 43 for token in tokens)  # 32 bytes of base64url


def test_digest_is_hex_sha256():
    assert credentials.digest("abc") == hashlib.sha256(b"abc").hexdigest()


def test_matches_is_false_without_a_stored_digest():
    assert credentials.matches("x", credentials.digest("x"))
    assert not credentials.matches("x", credentials.digest("y"))
    assert not credentials.matches("x", None)


def test_password_hash_is_argon2id_at_owasp_parameters():
    stored = passwords.hash_password("correct horse")
    params = extract_parameters(stored)
    assert stored.startswith("$argon2id$")
    assert (params.memory_cost, params.time_cost, params.parallelism) == (19456, 2, 1)


def test_password_verification():
    stored = passwords.hash_password("correct horse")
    assert passwords.verify(stored, "correct horse")
    assert not passwords.verify(stored, "wrong horse")
    assert not passwords.verify("not a hash", "x")


def test_dummy_hash_costs_what_a_real_hash_costs():
    dummy, real = extract_parameters(passwords.dummy_hash()), extract_parameters(passwords.hash_password("x"))
    assert dummy == real


def test_unknown_user_never_verifies_even_with_the_dummy_password():
    assert not passwords.verify(None, "")
    assert not passwords.verify(None, "anything")
