"""Imported password hashes: WSO2 Carbon's (computed as carbon-kernel does, by the worked example's
own generator), bcrypt's and PBKDF2's usual encodings verify the right password and no other, cost
one argon2id verification, and are upgraded."""

import base64
import hashlib
import time

import bcrypt
import pytest

from localrun.template import ROOT
from tests.wso2_example import EXAMPLE
from tokenservice.users import legacy, passwords

PASSWORD = "Tr0ub4dor&3 é"  # non-ASCII: Carbon hashes UTF-8


def stored(credential: legacy.Credential) -> str:
    return passwords.protect_legacy(credential)


def test_carbon_salted_sha256_hash_verifies_the_password_and_no_other():
    salt = EXAMPLE.carbon_salt()
    credential = legacy.wso2(EXAMPLE.carbon_hash(PASSWORD, salt), salt)
    kept = stored(credential)
    assert passwords.verify(kept, PASSWORD)
    assert not passwords.verify(kept, PASSWORD + "x")
    assert not passwords.verify(kept, PASSWORD.upper())


def test_carbon_hash_is_of_the_password_followed_by_the_salt_text_not_its_bytes():
    salt = base64.b64encode(b"0123456789abcdef").decode()
    expected = base64.b64encode(hashlib.sha256((PASSWORD + salt).encode()).digest()).decode()
    assert legacy.recompute(legacy.wso2(expected, salt).header, PASSWORD) == expected


def test_unsalted_carbon_hash_verifies():
    kept = stored(legacy.wso2(EXAMPLE.carbon_hash(PASSWORD, None), None))
    assert passwords.verify(kept, PASSWORD) and not passwords.verify(kept, "other")


@pytest.mark.parametrize("digest", ["SHA-1", "SHA-384", "SHA-512"])
def test_other_carbon_digests_verify(digest):
    salt = EXAMPLE.carbon_salt()
    name = legacy.WSO2_DIGESTS[digest]
    value = base64.b64encode(hashlib.new(name, (PASSWORD + salt).encode()).digest()).decode()
    kept = stored(legacy.wso2(value, salt, digest))
    assert passwords.verify(kept, PASSWORD) and not passwords.verify(kept, "other")


def test_a_carbon_hash_of_the_wrong_size_is_refused():
    with pytest.raises(legacy.UnsupportedHash):
        legacy.wso2(base64.b64encode(b"short").decode(), "salt")
    with pytest.raises(legacy.UnsupportedHash):
        legacy.wso2("not base64 at all!", "salt")


def test_bcrypt_hash_verifies_with_its_own_library():
    value = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    kept = stored(legacy.recognised(value))
    assert passwords.verify(kept, PASSWORD) and not passwords.verify(kept, PASSWORD + "!")


def test_bcrypt_reads_only_the_first_72_bytes_as_older_libraries_did():
    long_password = "a" * 72
    value = bcrypt.hashpw(long_password.encode(), bcrypt.gensalt(rounds=4)).decode()
    assert passwords.verify(stored(legacy.recognised(value)), long_password + "ignored")


def _pbkdf2(digest: str, salt: bytes, rounds: int) -> bytes:
    return hashlib.pbkdf2_hmac(digest, PASSWORD.encode(), salt, rounds)


def test_passlib_pbkdf2_sha256_verifies():
    salt = b"\x01\x02salt-bytes\xff"
    ab64 = lambda data: base64.b64encode(data).decode().rstrip("=").replace("+", ".")  # noqa: E731
    value = f"$pbkdf2-sha256$1000${ab64(salt)}${ab64(_pbkdf2('sha256', salt, 1000))}"
    kept = stored(legacy.recognised(value))
    assert passwords.verify(kept, PASSWORD) and not passwords.verify(kept, "other")


def test_django_pbkdf2_sha256_verifies():
    value = f"pbkdf2_sha256$1200$somesalt${base64.b64encode(_pbkdf2('sha256', b'somesalt', 1200)).decode()}"
    kept = stored(legacy.recognised(value))
    assert passwords.verify(kept, PASSWORD) and not passwords.verify(kept, "other")


def test_werkzeug_pbkdf2_sha256_verifies():
    value = f"pbkdf2:sha256:1100$NaCl${_pbkdf2('sha256', b'NaCl', 1100).hex()}"
    kept = stored(legacy.recognised(value))
    assert passwords.verify(kept, PASSWORD) and not passwords.verify(kept, "other")


def test_no_bare_legacy_hash_is_stored():
    salt = EXAMPLE.carbon_salt()
    value = EXAMPLE.carbon_hash(PASSWORD, salt)
    kept = stored(legacy.wso2(value, salt))
    assert value not in kept and "$argon2id$" in kept


def test_an_imported_hash_needs_a_rehash_and_argon2id_after_it_does_not():
    kept = stored(legacy.wso2(EXAMPLE.carbon_hash(PASSWORD, None), None))
    assert passwords.needs_rehash(kept)
    assert not passwords.needs_rehash(passwords.hash_password(PASSWORD))


def test_a_damaged_legacy_credential_verifies_nothing():
    assert not passwords.verify("wso2-nosuchdigest|salt|$argon2id$v=19$m=19456,t=2,p=1$x$y", PASSWORD)
    assert not passwords.verify("bcrypt|not-a-salt|$argon2id$garbage", PASSWORD)


def test_unknown_argon2id_and_legacy_users_cost_the_same():
    """One argon2id verification each (the legacy hash itself is microseconds): their fastest runs
    within 25% (the minimum, as timeit takes it: what other load on the machine adds, it never takes)."""
    salt = EXAMPLE.carbon_salt()
    subjects = {
        "unknown": None,
        "argon2id": passwords.hash_password(PASSWORD),
        "legacy": stored(legacy.wso2(EXAMPLE.carbon_hash(PASSWORD, salt), salt)),
    }
    passwords.verify(None, "warm up the dummy hash")
    timings = {name: [] for name in subjects}
    for _ in range(15):
        for name, kept in subjects.items():  # interleaved: drift hits every kind alike
            started = time.perf_counter()
            passwords.verify(kept, "a wrong password")
            timings[name].append(time.perf_counter() - started)
    fastest = {name: min(values) for name, values in timings.items()}
    assert max(fastest.values()) < 1.25 * min(fastest.values()), fastest


def test_the_password_grant_path_never_imports_bcrypt():
    """bcrypt is loaded only when a bcrypt user signs in: off every other path's cold start."""
    import subprocess
    import sys

    modules = "tokenservice.oauth.grants.dispatch, tokenservice.portal.portal, tokenservice.users.legacy"
    probe = f"import sys, {modules}; print('bcrypt' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={"PYTHONPATH": f"{ROOT}:{ROOT / 'layers/common'}", "AWS_DEFAULT_REGION": "us-east-1"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "False"
