"""`make load`'s checks after the drive: nothing issued is lost, revoked tokens are refused,
the others still active, and the registered users are exactly the workers that signed in."""

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from load.common import INTROSPECT, ORDERS, USERINFO, Issued, Provisioned, bearer
from load.connection import Connection, Stats


@dataclass
class Losses:
    tokens_checked: int = 0
    tokens_missing: int = 0  # issued, yet not in the tokens table
    registered: int = 0  # what the statistic says
    registered_expected: int = 0  # users who got a password grant
    registered_mismatch: int = 0  # names in one and not the other
    revoked_checked: int = 0
    revoked_accepted: int = 0  # revoked, yet 200 on /orders or active on /introspect
    live_checked: int = 0
    live_refused: int = 0  # never revoked, yet inactive

    @property
    def total(self) -> int:
        return self.tokens_missing + self.registered_mismatch + self.revoked_accepted + self.live_refused


def missing_tokens(tokens: Iterable[str]) -> int:
    """How many tokens have no item (keyed by their SHA-256) in the tokens table: BatchGetItem,
    strongly consistent, 100 keys a request."""
    from tokenservice.core import credentials
    from tokenservice.store import storage
    from tokenservice.store.models import TokenModel, hash_key_name

    table, key = TokenModel.Meta.table_name, hash_key_name(TokenModel)
    hashes = sorted({credentials.digest(token) for token in tokens})
    found: set[str] = set()
    for start in range(0, len(hashes), 100):
        wanted = {
            table: {
                "Keys": [{key: {"S": value}} for value in hashes[start : start + 100]],
                "ConsistentRead": True,
                "ProjectionExpression": "#k",
                "ExpressionAttributeNames": {"#k": key},
            }
        }
        while wanted:
            answer = storage.dynamodb().batch_get_item(RequestItems=wanted)
            found.update(item[key]["S"] for item in answer["Responses"].get(table, []))
            wanted = answer.get("UnprocessedKeys") or {}
    return len(hashes) - len(found)


class Checker:
    """The checks over HTTP, spread over `workers` keep-alive connections."""

    def __init__(self, base_url: str, client: Provisioned, workers: int):
        self.base_url, self.client, self.workers = base_url, client, workers
        self.stats = Stats()

    def failures[T](self, check: Callable[[Connection, T], bool], items: list[T]) -> int:
        """How many items `check` fails."""
        local, connections, lock = threading.local(), [], threading.Lock()

        def run(item: T) -> bool:
            if not hasattr(local, "connection"):
                local.connection = Connection(self.base_url, Stats())
                with lock:
                    connections.append(local.connection)
            return check(local.connection, item)

        with ThreadPoolExecutor(self.workers) as pool:
            failed = sum(not ok for ok in pool.map(run, items))
        for connection in connections:
            connection.close()
            self.stats.merge(connection.stats)
        return failed

    def _introspect(self, connection: Connection, token: str) -> dict:
        form = {"token": token, **self.client.auth}
        return connection.call(INTROSPECT, "POST", "/introspect", 200, form)[1]

    def _refused(self, connection: Connection, revoked: tuple[str, str]) -> bool:
        kind, token = revoked
        inactive = self._introspect(connection, token) == {"active": False}
        if kind == "refresh":
            return inactive
        return inactive and connection.call(ORDERS, "GET", "/orders", 401, headers=bearer(token))[0] == 401

    def _signed_in(self, connection: Connection, token: str) -> bool:
        """A code-flow access token (the mix's client's, not the checker's) still tells who its user is."""
        return connection.call(USERINFO, "GET", "/userinfo", 200, headers=bearer(token))[0] == 200

    def _active(self, connection: Connection, token: str) -> bool:
        return self._introspect(connection, token).get("active") is True

    def run(self, issued: Issued) -> Losses:
        from tokenservice import admin

        losses = Losses()
        tokens = issued.access + issued.refresh + issued.code_access
        losses.tokens_checked, losses.tokens_missing = len(tokens), missing_tokens(tokens)

        (report,) = admin.stats(self.client.client_id)
        registered = {user["username"] for user in report["users"]}
        losses.registered, losses.registered_expected = report["registered_users"], len(issued.users)
        losses.registered_mismatch = len(registered ^ issued.users) + abs(
            report["registered_users"] - len(registered)
        )

        revoked = [("access", token) for token in sorted(issued.revoked_access)]
        revoked += [("refresh", token) for token in sorted(issued.revoked_refresh)]
        live = sorted(set(issued.access) - issued.revoked_access)
        losses.revoked_checked, losses.live_checked = len(revoked), len(live) + len(issued.code_access)
        losses.revoked_accepted = self.failures(self._refused, revoked)
        losses.live_refused = self.failures(self._active, live)
        losses.live_refused += self.failures(self._signed_in, issued.code_access)
        return losses
