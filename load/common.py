"""What `make load`'s drive and its checks share: the routes' names, the issued tokens, the
provisioned client."""

from dataclasses import dataclass, field

ORDERS_PER_TOKEN = 3
REQUEST_TIMEOUT = 30
SCOPE = "read update"

PASSWORD = "POST /token (password)"
REFRESH = "POST /token (refresh_token)"
ORDERS = "GET /orders"
REVOKE = "POST /revoke"
INTROSPECT = "POST /introspect"
DRIVEN_ROUTES = (PASSWORD, REFRESH, ORDERS, REVOKE)
USERINFO = "GET /userinfo"


@dataclass
class Issued:
    """What the workers were given and did: every token, and which ones they revoked."""

    access: list[str] = field(default_factory=list)
    refresh: list[str] = field(default_factory=list)
    revoked_access: set[str] = field(default_factory=set)
    revoked_refresh: set[str] = field(default_factory=set)
    users: set[str] = field(default_factory=set)  # got at least one password grant
    code_access: list[str] = field(default_factory=list)  # the code-flow mix's (never revoked)

    def merge(self, other: "Issued") -> None:
        self.access += other.access
        self.code_access += other.code_access
        self.refresh += other.refresh
        self.revoked_access |= other.revoked_access
        self.revoked_refresh |= other.revoked_refresh
        self.users |= other.users


@dataclass(frozen=True)
class Provisioned:
    client_id: str
    client_secret: str
    users: list[tuple[str, str]]  # (username, password), one per worker
    code_client: tuple[str, str] = ("", "")  # the code-flow mix's client: (client_id, client_secret)

    @property
    def auth(self) -> dict[str, str]:  # client_secret_post
        return {"client_id": self.client_id, "client_secret": self.client_secret}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}
