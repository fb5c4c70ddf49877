"""TOTP arithmetic (RFC 6238 Appendix B's test vectors, truncated to 6 digits as RFC 4226 allows)
and recovery codes."""

import pytest

from tests import otp
from tokenservice.users import totp

RFC_SECRET = b"12345678901234567890"  # RFC 6238 Appendix B, SHA-1


@pytest.mark.parametrize(
    ("at", "eight_digits"),
    [(59, "94287082"), (1111111109, "07081804"), (1111111111, "14050471"), (1234567890, "89005924")],
)
def test_codes_are_the_rfc_6238_test_vectors(at, eight_digits):
    assert totp.code_at(RFC_SECRET, totp.step_at(at)) == eight_digits[-6:]


def test_a_code_of_the_steps_either_side_matches_and_no_further():
    now = 1_700_000_015
    step = totp.step_at(now)
    for offset in (-1, 0, 1):
        assert totp.match(RFC_SECRET, totp.code_at(RFC_SECRET, step + offset), now, None) == step + offset
    for offset in (-2, 2):
        assert totp.match(RFC_SECRET, totp.code_at(RFC_SECRET, step + offset), now, None) is None


def test_a_code_of_a_step_already_accepted_or_older_does_not_match():
    now = 1_700_000_015
    step = totp.step_at(now)
    assert totp.match(RFC_SECRET, totp.code_at(RFC_SECRET, step), now, step) is None
    assert totp.match(RFC_SECRET, totp.code_at(RFC_SECRET, step - 1), now, step) is None
    assert totp.match(RFC_SECRET, totp.code_at(RFC_SECRET, step + 1), now, step) == step + 1


def test_a_code_with_spaces_matches_and_anything_not_six_digits_does_not():
    now = 1_700_000_015
    code = totp.code_at(RFC_SECRET, totp.step_at(now))
    assert totp.match(RFC_SECRET, f"{code[:3]} {code[3:]}", now, None) is not None
    for typed in ("", "12345", "1234567", "abcdef", "١٢٣٤٥٦"):
        assert totp.match(RFC_SECRET, typed, now, None) is None


def test_the_secret_as_shown_gives_the_codes_an_authenticator_app_computes():
    secret = totp.new_secret()
    shown = totp.text(secret)
    assert otp.code(shown, 1_700_000_015) == totp.code_at(secret, totp.step_at(1_700_000_015))
    assert f"secret={shown}" in totp.uri(secret, "alice")
    assert totp.uri(secret, "alice").startswith("otpauth://totp/Token%20service%3Aalice?")


def test_recovery_codes_are_ten_distinct_and_hash_as_typed_in_any_case():
    codes = totp.new_recovery_codes()
    assert len(set(codes)) == 10
    assert all(
        totp.recovery_hash(code) == totp.recovery_hash(code.upper().replace("-", "")) for code in codes
    )
    assert totp.recovery_hash("not a code") is None
