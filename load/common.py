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


def cpu_seconds(session: int | None, pid: int | None = None) -> dict[str, float] | None:
    """CPU seconds (user + system) so far of a session's processes from /proc: `dynamodb`, the
    process `pid` (DynamoDB Local's JVM), and `server`, all the others (make run's Python: every
    handler); None where /proc cannot tell (no session: BASE_URL was given)."""
    if session is None:
        return None
    import os
    from pathlib import Path

    ticks = os.sysconf("SC_CLK_TCK")
    spent = {"server": 0.0, "dynamodb": 0.0}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[3]) != session:  # fields after the name: state, ppid, pgrp, session, ...
            continue
        seconds = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        spent["dynamodb" if int(entry.name) == pid else "server"] += seconds
    return spent
