"""The local store's own speed: DynamoDB Local's latency per two-item TransactWriteItems (a
grant's write) with 1,000 and with 10,000 tokens in the table; and botocore's floor, the CPU one
bare call costs this process whatever our code does."""

import secrets
import statistics
import time
from collections.abc import Callable

SIZES = (1_000, 10_000)
TRANSACTIONS = 200


def _item(now: int) -> dict:
    return {
        "token_hash": {"S": secrets.token_hex(32)},
        "kind": {"S": "access"},
        "client_id": {"S": "bench-store"},
        "scope": {"S": "read"},
        "grant_id": {"S": secrets.token_hex(16)},
        "grant_type": {"S": "client_credentials"},
        "issued_at": {"N": str(now)},
        "expires_at": {"N": str(now + 3600)},
    }


def _fill(client, table: str, count: int) -> None:
    now = int(time.time())
    for start in range(0, count, 25):
        batch = [{"PutRequest": {"Item": _item(now)}} for _ in range(min(25, count - start))]
        request = {table: batch}
        while request:
            request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}


def _transaction(client, table: str) -> float:
    now = int(time.time())
    put = {"TableName": table, "ConditionExpression": "attribute_not_exists(token_hash)"}
    items = [{"Put": {**put, "Item": _item(now)}}, {"Put": {**put, "Item": _item(now)}}]
    start = time.perf_counter()
    client.transact_write_items(TransactItems=items)
    return (time.perf_counter() - start) * 1000


def latencies(client, table: str) -> dict[str, dict]:
    """Median and p95 ms per transaction once the table holds each of SIZES tokens."""
    held = client.scan(TableName=table, Select="COUNT").get("Count", 0)
    figures = {}
    for size in SIZES:
        if size > held:
            _fill(client, table, size - held)
            held = size
        times = sorted(_transaction(client, table) for _ in range(TRANSACTIONS))
        held += 2 * TRANSACTIONS
        figures[str(size)] = {
            "median_ms": round(statistics.median(times), 2),
            "p95_ms": round(times[int(len(times) * 0.95) - 1], 2),
        }
    return figures


def bare_operations(client, table: str) -> dict[str, Callable[[], object]]:
    """One bare call of each operation the paths make, with the service's client: GetItem and
    BatchGetItem of one small item, a conditional PutItem of one, a two-item TransactWriteItems."""
    now = int(time.time())
    item = _item(now)
    key = {"token_hash": item["token_hash"]}
    client.put_item(TableName=table, Item=item)
    put = {"TableName": table, "ConditionExpression": "attribute_not_exists(token_hash)"}
    return {
        "GetItem": lambda: client.get_item(TableName=table, Key=key),
        "BatchGetItem": lambda: client.batch_get_item(RequestItems={table: {"Keys": [key]}}),
        "PutItem": lambda: client.put_item(**put, Item=_item(now)),
        "TransactWriteItems": lambda: client.transact_write_items(
            TransactItems=[{"Put": {**put, "Item": _item(now)}}, {"Put": {**put, "Item": _item(now)}}]
        ),
    }


def botocore_floor(client, table: str, calls: int = TRANSACTIONS) -> dict[str, float]:
    """Median thread CPU (ms) of each bare call (`bare_operations`): serialising, signing, HTTP
    and parsing."""
    floor = {}
    for name, call in bare_operations(client, table).items():
        spent = []
        for _ in range(calls):
            cpu = time.thread_time()
            call()
            spent.append((time.thread_time() - cpu) * 1000)
        floor[name] = round(statistics.median(spent), 3)
    return floor
