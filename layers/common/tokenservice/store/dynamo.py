"""DynamoDB at its lowest level: one botocore client, the error mapping, raw reads by table and key.

One client per execution environment, created on first use, with deliberate retries (standard
mode, 3 attempts, 1 s to connect, 2 s to read: at most ~12 s with back-off, inside the functions'
15 s timeout and API Gateway's 29 s). botocore itself is imported on first use too, so a path that
never touches DynamoDB (the JWT authorizer with its keys and rules in memory) never loads it.
Throttling and outages surface as `Unavailable` (the endpoints answer 503); failed conditions as
`ConditionFailed` and conflicting transactions as `Conflict`, for the caller to interpret.

Items here are raw (`{"name": {"S": ...}}`): `storage` reads and writes them as PynamoDB models,
`records` decodes the few the authorizer needs without PynamoDB.
"""

import functools
import os
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from tokenservice.core import config

MAX_BATCH_ROUNDS = 3
# A write that meets another transaction on one of its items is cancelled (TransactionConflict),
# and botocore does not retry that: try again this many times, after a short random pause.
CONFLICT_RETRIES = 2
CONFLICT_PAUSE_SECONDS = (0.005, 0.05)
# Errors that retrying will not cure: a bug or a misconfiguration, answered as a plain 500.
PERMANENT_ERRORS = frozenset(
    {
        "ValidationException",
        "ResourceNotFoundException",
        "AccessDeniedException",
        "UnrecognizedClientException",
        "InvalidSignatureException",
    }
)


class ConditionFailed(Exception):
    """A conditional write found an item not as it required (the write did not happen).

    `items`: for a transaction, the positions of the items whose condition failed."""

    def __init__(self, items: frozenset[int] = frozenset()):
        super().__init__(sorted(items))
        self.items = items


class Unavailable(Exception):
    """DynamoDB is throttling, timing out or unreachable: the same request may work shortly."""


class Conflict(Unavailable):
    """Another transaction was writing one of the items at the same moment."""


@functools.cache
def client():
    """The DynamoDB client (honours AWS_ENDPOINT_URL_DYNAMODB, AWS_PROFILE, AWS_REGION)."""
    import botocore.session
    from botocore.config import Config

    session = botocore.session.get_session()
    region = os.environ.get("AWS_REGION") or session.get_config_variable("region") or "us-east-1"
    endpoint = os.environ.get(config.DYNAMODB_ENDPOINT) or None
    if endpoint and session.get_credentials() is None:
        session.set_credentials("local", "local")  # DynamoDB Local and moto accept anything
    settings = Config(
        connect_timeout=1,
        read_timeout=2,
        retries={"mode": "standard", "total_max_attempts": 3},
        max_pool_connections=20,
        parameter_validation=False,  # requests are built here, not by users: ~0.3 ms CPU per call saved
    )
    return session.create_client("dynamodb", region_name=region, endpoint_url=endpoint, config=settings)


def _cancelled(error, reason: str) -> frozenset[int]:
    """The positions of a cancelled transaction's items that were cancelled for `reason`."""
    reasons = error.response.get("CancellationReasons") or []
    return frozenset(index for index, item in enumerate(reasons) if item.get("Code") == reason)


@contextmanager
def available() -> Iterator[None]:
    """Turn throttling, timeouts and outages into Unavailable (503, retry).

    Failed conditions become ConditionFailed and conflicting transactions Conflict, for the
    caller; permanent errors pass through.
    """
    from botocore.exceptions import BotoCoreError, ClientError  # loaded with the client already

    try:
        yield
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code == "ConditionalCheckFailedException":
            raise ConditionFailed() from error
        if code == "TransactionCanceledException" and (failed := _cancelled(error, "ConditionalCheckFailed")):
            raise ConditionFailed(failed) from error
        if code == "TransactionConflictException" or _cancelled(error, "TransactionConflict"):
            raise Conflict() from error
        if code in PERMANENT_ERRORS:
            raise
        raise Unavailable() from error
    except BotoCoreError as error:
        raise Unavailable() from error


def retrying_conflicts[T](write: Callable[[], T]) -> T:
    """Run a write; when it meets a concurrent transaction, pause briefly and run it again (up to
    CONFLICT_RETRIES times) before giving up with Conflict (503)."""
    for attempt in range(CONFLICT_RETRIES + 1):
        try:
            with available():
                return write()
        except Conflict:
            if attempt == CONFLICT_RETRIES:
                raise
            time.sleep(random.uniform(*CONFLICT_PAUSE_SECONDS))  # noqa: S311 - jitter, not a secret
    raise AssertionError("unreachable")


# (table, key attribute, key value): one item to read.
ItemKey = tuple[str, str, str]


def read(wanted: Sequence[ItemKey | None]) -> list[dict | None]:
    """Raw items of one or more tables in one strongly consistent round trip (a GetItem for one key,
    else a BatchGetItem, retrying what DynamoDB leaves unprocessed), in the order asked; None for
    each item that does not exist or is not asked for."""
    keyed = [key for key in wanted if key is not None]
    if not keyed:
        return [None for _ in wanted]
    if len(keyed) == 1:
        table, name, value = keyed[0]
        with available():
            item = (
                client().get_item(TableName=table, Key={name: {"S": value}}, ConsistentRead=True).get("Item")
            )
        return [item if key is not None else None for key in wanted]
    request: dict[str, dict] = {}
    for table, name, value in keyed:
        request.setdefault(table, {"Keys": [], "ConsistentRead": True})["Keys"].append({name: {"S": value}})
    names = {table: name for table, name, _ in keyed}
    found: dict[tuple[str, str], dict] = {}
    with available():
        for _ in range(MAX_BATCH_ROUNDS):
            answer = client().batch_get_item(RequestItems=request)
            for table, items in answer.get("Responses", {}).items():
                for item in items:
                    found[(table, item[names[table]]["S"])] = item
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                break
        else:
            raise Unavailable()
    return [found.get((key[0], key[2])) if key is not None else None for key in wanted]


def forget_connections() -> None:
    """Close the client's pooled connections (SnapStart: none may survive a restore); the client,
    its endpoint resolution and its credentials chain stay (botocore's public `close`: the pool
    opens new connections on the next request)."""
    if client.cache_info().currsize:
        client().close()
