"""A small WSO2 API Manager export, made as WSO2 makes one: the worked example of
docs/migrating-from-wso2.md (and the e2e test that runs it against `make run`).

    python examples/wso2-migration/make_export.py OUT_DIR

writes, in OUT_DIR:
- users.csv: rows of WSO2 Carbon's UM_USER with a ROLES column, password hashes computed as
  carbon-kernel's JDBCUserStoreManager does with its defaults (PasswordDigest=SHA-256,
  StoreSaltedPassword=true): the salt is the Base64 text of 16 random bytes and the stored value is
  Base64(SHA-256(UTF-8(password + salt text))); one user without a salt (StoreSaltedPassword=false),
  one who must change their password, one of another tenant, one with the PRIMARY/ domain;
- apps.csv: IDN_OAUTH_CONSUMER_APPS joined with the key mapping: one application with Production and
  Sandbox keys (28-character consumer keys and secrets, as WSO2 makes them), owned by admin;
- orders-api.yaml: the API's OpenAPI definition as WSO2 4.x exports it (the `default` oauth2 scheme
  with x-scopes-bindings; operations' `security`);
- old-credentials.json: what the old clients and users hold (the passwords and consumer secrets),
  for the example's curl. A real export has no such file.

This script is independent of the service's code on purpose: it computes WSO2's hashes itself.
"""

import base64
import csv
import hashlib
import json
import secrets
import sys
from pathlib import Path

SUPER_TENANT = -1234
SAML2_BEARER = "urn:ietf:params:oauth:grant-type:saml2-bearer"
USERS = [
    # username as WSO2 lists it, password, salted, UM_REQUIRE_CHANGE, tenant, roles
    ("admin", "Adm1n-passphrase-2024", True, False, SUPER_TENANT, "admin,Internal/subscriber"),
    ("alice", "alice-in-wonderland-42", True, False, SUPER_TENANT, "manager,Internal/subscriber"),
    ("bob", "bob-builds-bridges-7", True, False, SUPER_TENANT, "Internal/subscriber"),
    ("carol", "carol-sings-carols-9", False, False, SUPER_TENANT, "Internal/subscriber"),
    ("dave", "dave-must-change-me-1", True, True, SUPER_TENANT, "Internal/subscriber"),
    ("PRIMARY/frank", "frank-is-frank-2023", True, False, SUPER_TENANT, "Internal/subscriber"),
    ("erin", "erin-of-another-tenant", True, False, 1, "Internal/subscriber"),
]

API = """\
openapi: 3.0.1
info:
  title: Orders
  version: 1.0.0
servers:
  - url: /
security:
  - default: []
paths:
  /orders:
    get:
      security:
        - default: [orders:read]
      x-auth-type: Application & Application User
      x-throttling-tier: Unlimited
      responses:
        "200": {description: the orders}
    post:
      security:
        - default: [orders:write]
      x-auth-type: Application & Application User
      x-throttling-tier: Unlimited
      responses:
        "201": {description: created}
  /whoami:
    get:
      security:
        - default: []
      x-auth-type: Application & Application User
      responses:
        "200": {description: who the token speaks for}
components:
  securitySchemes:
    default:
      type: oauth2
      flows:
        implicit:
          authorizationUrl: https://test.com
          scopes:
            orders:read: Read orders
            orders:write: Place orders
          x-scopes-bindings:
            orders:read: Internal/subscriber,manager,admin
            orders:write: manager,admin
"""


def carbon_hash(password: str, salt: str | None) -> str:
    """UM_USER_PASSWORD as Carbon stores it (digest of the password followed by the salt's text)."""
    digest_input = password if salt is None else password + salt
    return base64.b64encode(hashlib.sha256(digest_input.encode("utf-8")).digest()).decode("ascii")


def carbon_salt() -> str:
    """UM_SALT_VALUE: the Base64 text of 16 random bytes."""
    return base64.b64encode(secrets.token_bytes(16)).decode("ascii")


def wso2_random() -> str:
    """A consumer key or secret in WSO2's shape: 28 characters of Base64 with / = + replaced."""
    text = base64.b64encode(secrets.token_bytes(20)).decode("ascii")
    return text.replace("/", "_").replace("=", "a").replace("+", "f")


def write_users(out: Path, old: dict) -> None:
    columns = ["UM_USER_NAME", "UM_USER_PASSWORD", "UM_SALT_VALUE", "UM_REQUIRE_CHANGE", "UM_TENANT_ID"]
    with open(out / "users.csv", "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow([*columns, "ROLES"])
        for name, password, salted, change, tenant, roles in USERS:
            salt = carbon_salt() if salted else None
            stored = carbon_hash(password, salt)
            writer.writerow([name, stored, salt or "", str(change).lower(), tenant, roles])
            old["users"][name.removeprefix("PRIMARY/")] = password


def write_apps(out: Path, old: dict) -> None:
    columns = [
        "APPLICATION_ID", "APPLICATION_NAME", "KEY_TYPE", "CONSUMER_KEY", "CONSUMER_SECRET", "APP_NAME",
        "USERNAME", "TENANT_ID", "GRANT_TYPES", "CALLBACK_URL", "USER_ACCESS_TOKEN_EXPIRE_TIME",
        "APP_ACCESS_TOKEN_EXPIRE_TIME", "REFRESH_TOKEN_EXPIRE_TIME",
    ]  # fmt: skip
    grants = (
        "password refresh_token client_credentials iwa:ntlm urn:ietf:params:oauth:grant-type:saml2-bearer"
    )
    with open(out / "apps.csv", "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(columns)
        for key_type in ("PRODUCTION", "SANDBOX"):
            key, secret = wso2_random(), wso2_random()
            old["applications"][key_type.lower()] = {"consumer_key": key, "consumer_secret": secret}
            writer.writerow([
                "1", "ShopApp", key_type, key, secret, f"admin_ShopApp_{key_type}", "admin", SUPER_TENANT,
                grants, "https://shop.example.com/callback", 3600, 3600, 86400,
            ])  # fmt: skip


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: make_export.py OUT_DIR", file=sys.stderr)
        return 2
    out = Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    old = {"users": {}, "applications": {}}
    write_users(out, old)
    write_apps(out, old)
    (out / "orders-api.yaml").write_text(API, encoding="utf-8")
    (out / "old-credentials.json").write_text(json.dumps(old, indent=2) + "\n", encoding="utf-8")
    print(f"WSO2 export written to {out}: users.csv apps.csv orders-api.yaml (and old-credentials.json)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
