"""Authorization codes (RFC 6749 §4.1.2, RFC 7636): made at the authorization endpoint, exchanged
once at the token endpoint.

A code is 256 random bits behind the name of its user (as a user's tokens are: `credentials`), so
its exchange reads the code and the user in one round trip; only its SHA-256 is stored, with what it
is bound to — the client, the redirect URI (and whether the request named it), the PKCE challenge,
the scope, the nonce, when and under which credential version the user authenticated — and it
lives CODE_SECONDS. The exchange spends it in the same transaction that writes the tokens, on the
condition that it is unspent (`spend`), and records what it issued for a replay to revoke.
"""

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

from pynamodb.models import Model

from tokenservice.core import credentials
from tokenservice.store import storage
from tokenservice.store.models import AuthorizationCodeModel, TokenModel, UserModel, code_key

CODE_SECONDS = 60  # RFC 6749 §4.1.2: "a maximum authorization code lifetime of 10 minutes is RECOMMENDED"
CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")  # base64url of a SHA-256, unpadded (RFC 7636 §4.2)
VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")  # RFC 7636 §4.1


@dataclass(frozen=True)
class Binding:
    """What a code is bound to."""

    client_id: str
    username: str
    redirect_uri: str
    redirect_given: bool
    scope: str
    code_challenge: str | None
    nonce: str | None
    auth_time: int
    credential_version: int
    amr: str = "pwd"  # how the user authenticated (OpenID Connect `amr`, RFC 8176 values)


def new(binding: Binding, now: int) -> tuple[str, AuthorizationCodeModel]:
    """A new code, and its record to store (which holds its hash only)."""
    code = credentials.new_token(binding.username)
    record = AuthorizationCodeModel(
        code_key(code),
        client_id=binding.client_id,
        subject=binding.username,
        redirect_uri=binding.redirect_uri,
        redirect_given=binding.redirect_given,
        scope=binding.scope,
        code_challenge=binding.code_challenge,
        nonce=binding.nonce,
        auth_time=binding.auth_time,
        amr=binding.amr,
        credential_version=binding.credential_version,
        issued_at=now,
        expires_at=now + CODE_SECONDS,
    )
    return code, record


def lookup_keys(code: str) -> list[tuple[type[Model], str | None]]:
    """What to read to exchange a code: its record and the user it names."""
    return [(AuthorizationCodeModel, code_key(code)), (UserModel, credentials.token_username(code))]


def s256(verifier: str) -> str:
    """The S256 code challenge of a verifier (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verifier_matches(record: AuthorizationCodeModel, verifier: str | None) -> bool:
    """RFC 7636 §4.6 — and a verifier for a code issued without a challenge is refused too (no
    downgrade: OAuth 2.1 §4.1.3)."""
    if record.code_challenge is None:
        return verifier is None
    if verifier is None or not VERIFIER.fullmatch(verifier):
        return False
    return hmac.compare_digest(s256(verifier), record.code_challenge)


def redirect_matches(record: AuthorizationCodeModel, presented: str | None) -> bool:
    """RFC 6749 §4.1.3: the redirect URI of the authorization request, identical, when it named one."""
    if presented is None:
        return not record.redirect_given
    return hmac.compare_digest(presented.encode("utf-8", "surrogatepass"), record.redirect_uri.encode())


def spend(record: AuthorizationCodeModel, issued: list[TokenModel]) -> dict:
    """The transaction item that spends the code, on the condition it is unspent, recording the
    family and the tokens it issued."""
    model = AuthorizationCodeModel
    actions = [
        model.used.set(True),
        model.grant_id.set(issued[0].grant_id),
        model.replaced_by.set({token.token_hash for token in issued}),
    ]
    unspent = ~(model.used == True)  # noqa: E712 - a DynamoDB condition
    return {"Update": storage.update_request(model, record.token_hash, actions, unspent)}
