"""The DynamoDB gateway: one client, the error mapping, and generic item operations.

One botocore client per execution environment, created on first use, with deliberate retries
(standard mode, 3 attempts, 1 s to connect, 2 s to read: at most ~12 s with back-off, inside the
functions' 15 s timeout and API Gateway's 29 s). The PynamoDB models declare the items and
PynamoDB's expressions build conditions and updates; requests go through the low-level API so
that, for example, a password grant costs one `BatchGetItem` and one `TransactWriteItems`.
Throttling and outages surface as `TemporarilyUnavailable` (503); failed conditions as
`ConditionFailed`, for the caller to interpret.

This module speaks DynamoDB only: what a token, a lockout or a revocation means lives in the
module named after it.
"""

import functools
import os
import random
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager

import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action, Update
from pynamodb.models import Model

from tokenservice import config
from tokenservice.errors import TemporarilyUnavailable
from tokenservice.models import hash_key_name

CLIENT_CONFIG = Config(
    connect_timeout=1,
    read_timeout=2,
    retries={"mode": "standard", "total_max_attempts": 3},
    max_pool_connections=20,
    parameter_validation=False,  # requests are built here, not by users: ~0.3 ms CPU per call saved
)
MAX_BATCH_ROUNDS = 3
# A write that meets another transaction on one of its items is cancelled (TransactionConflict),
# and botocore does not retry that: try again this many times, after a short random pause.
CONFLICT_RETRIES = 2
CONFLICT_PAUSE_SECONDS = (0.005, 0.05)


class ConditionFailed(Exception):
    """A conditional write found an item not as it required (the write did not happen).

    `items`: for a transaction, the positions of the items whose condition failed."""

    def __init__(self, items: frozenset[int] = frozenset()):
        super().__init__(sorted(items))
        self.items = items


class Conflict(TemporarilyUnavailable):
    """Another transaction was writing one of the items at the same moment."""


class KeyTaken(Exception):
    """A conditional create found an item with the same key."""


@functools.cache
def dynamodb():
    """The DynamoDB client (honours AWS_ENDPOINT_URL_DYNAMODB, AWS_PROFILE, AWS_REGION)."""
    session = botocore.session.get_session()
    region = os.environ.get("AWS_REGION") or session.get_config_variable("region") or "us-east-1"
    endpoint = os.environ.get(config.DYNAMODB_ENDPOINT) or None
    if endpoint and session.get_credentials() is None:
        session.set_credentials("local", "local")  # DynamoDB Local and moto accept anything
    return session.create_client("dynamodb", region_name=region, endpoint_url=endpoint, config=CLIENT_CONFIG)


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


def _cancelled(error: ClientError, reason: str) -> frozenset[int]:
    """The positions of a cancelled transaction's items that were cancelled for `reason`."""
    reasons = error.response.get("CancellationReasons") or []
    return frozenset(index for index, item in enumerate(reasons) if item.get("Code") == reason)


@contextmanager
def available() -> Iterator[None]:
    """Turn throttling, timeouts and outages into TemporarilyUnavailable (503, retry).

    Failed conditions become ConditionFailed and conflicting transactions Conflict, for the
    caller; permanent errors pass through.
    """
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
        raise TemporarilyUnavailable() from error
    except BotoCoreError as error:
        raise TemporarilyUnavailable() from error


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


# -- requests ------------------------------------------------------------------------------------


def key(model: type[Model], value: str) -> dict:
    return {hash_key_name(model): {"S": value}}


def table(model: type[Model]) -> str:
    return model.Meta.table_name


def with_placeholders(request: dict, names: dict[str, str], values: dict) -> dict:
    """Add PynamoDB's placeholders (attribute name → placeholder) to a request."""
    if names:
        request["ExpressionAttributeNames"] = {placeholder: name for name, placeholder in names.items()}
    if values:
        request["ExpressionAttributeValues"] = values
    return request


def put_new_request(item: Model) -> dict:
    """A Put that fails rather than overwrite an existing item."""
    return {
        "TableName": table(type(item)),
        "Item": item.serialize(),
        "ConditionExpression": "attribute_not_exists(#k)",
        "ExpressionAttributeNames": {"#k": hash_key_name(type(item))},
    }


def update_request(
    model: type[Model],
    key_value: str,
    actions: Sequence[Action],
    condition: Condition | None = None,
    *,
    must_exist: bool = True,
) -> dict:
    """An UpdateItem request from PynamoDB actions (`Model.attr.set(...)`, `.add`, `.remove`)
    under an optional condition; by default the item must exist."""
    hash_key = getattr(model, hash_key_name(model))
    if must_exist:
        condition = hash_key.exists() if condition is None else hash_key.exists() & condition
    names: dict[str, str] = {}
    values: dict = {}
    request = {
        "TableName": table(model),
        "Key": key(model, key_value),
        "UpdateExpression": Update(*actions).serialize(names, values),
    }
    if condition is not None:
        request["ConditionExpression"] = condition.serialize(names, values)
    return with_placeholders(request, names, values)


def condition_check_request(model: type[Model], key_value: str, condition: Condition) -> dict:
    """A transaction's ConditionCheck: the transaction happens only if the item meets `condition`."""
    names: dict[str, str] = {}
    values: dict = {}
    request = {
        "TableName": table(model),
        "Key": key(model, key_value),
        "ConditionExpression": condition.serialize(names, values),
    }
    return with_placeholders(request, names, values)


def delete_request(model: type[Model], key_value: str, condition: Condition) -> dict:
    """A transaction's Delete of an item that must exist and meet `condition`."""
    names: dict[str, str] = {}
    values: dict = {}
    hash_key = getattr(model, hash_key_name(model))
    request = {
        "TableName": table(model),
        "Key": key(model, key_value),
        "ConditionExpression": (hash_key.exists() & condition).serialize(names, values),
    }
    return with_placeholders(request, names, values)


# -- operations ----------------------------------------------------------------------------------


def get[M: Model](model: type[M], key_value: str) -> M | None:
    """One strongly consistent GetItem."""
    with available():
        item = (
            dynamodb()
            .get_item(TableName=table(model), Key=key(model, key_value), ConsistentRead=True)
            .get("Item")
        )
    return model.from_raw_data(item) if item else None


def get_many(wanted: Sequence[tuple[type[Model], str | None]]) -> list[Model | None]:
    """Items of one or more tables in one strongly consistent round trip (a BatchGetItem, retrying
    what DynamoDB leaves unprocessed; a GetItem when there is one key), in the order asked; None
    for each item that does not exist or has no key."""
    keyed = [(model, key_value) for model, key_value in wanted if key_value is not None]
    if len(keyed) == 1:
        item = get(*keyed[0])
        return [item if key_value is not None else None for _, key_value in wanted]
    request: dict[str, dict] = {}
    for model, key_value in keyed:
        request.setdefault(table(model), {"Keys": [], "ConsistentRead": True})["Keys"].append(
            key(model, key_value)
        )
    hash_names = {table(model): hash_key_name(model) for model, _ in keyed}
    found: dict[tuple[str, str], dict] = {}
    with available():
        for _ in range(MAX_BATCH_ROUNDS):
            answer = dynamodb().batch_get_item(RequestItems=request)
            for table_name, items in answer.get("Responses", {}).items():
                for item in items:
                    found[(table_name, item[hash_names[table_name]]["S"])] = item
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                break
        else:
            raise TemporarilyUnavailable()
    return [
        model.from_raw_data(item)
        if key_value is not None and (item := found.get((table(model), key_value)))
        else None
        for model, key_value in wanted
    ]


def transact(items: list[dict]) -> None:
    """One TransactWriteItems: every write happens, or none.

    Each attempt carries its own idempotency token: when botocore retries an attempt whose
    response was lost, DynamoDB recognises the token and does not apply the writes twice.
    """
    retrying_conflicts(
        lambda: dynamodb().transact_write_items(TransactItems=items, ClientRequestToken=str(uuid.uuid4()))
    )


def update[M: Model](
    model: type[M], key_value: str, actions: Sequence[Action], condition: Condition | None = None
) -> M | None:
    """Update an existing item; returns it as it now is, None when there is no such item (or the
    condition does not hold)."""
    request = update_request(model, key_value, actions, condition)
    try:
        answer = retrying_conflicts(lambda: dynamodb().update_item(**request, ReturnValues="ALL_NEW"))
    except ConditionFailed:
        return None
    return model.from_raw_data(answer["Attributes"])


def create(item: Model) -> None:
    """Create an item; KeyTaken when its key is taken."""
    try:
        with available():
            dynamodb().put_item(**put_new_request(item))
    except ConditionFailed as error:
        raise KeyTaken(item) from error


def save(item: Model) -> None:
    """Create or replace an item."""
    with available():
        dynamodb().put_item(TableName=table(type(item)), Item=item.serialize())


def delete(model: type[Model], key_value: str) -> bool:
    """Delete an item; False when there was none."""
    try:
        with available():
            dynamodb().delete_item(
                TableName=table(model),
                Key=key(model, key_value),
                ConditionExpression="attribute_exists(#k)",
                ExpressionAttributeNames={"#k": hash_key_name(model)},
            )
    except ConditionFailed:
        return False
    return True


def scan[M: Model](model: type[M], condition: Condition | None = None) -> Iterator[M]:
    """Every item of a table, optionally those matching `condition` (administration only, never
    on a request path)."""
    request: dict = {"TableName": table(model), "ConsistentRead": True}
    if condition is not None:
        names: dict[str, str] = {}
        values: dict = {}
        request["FilterExpression"] = condition.serialize(names, values)
        with_placeholders(request, names, values)
    with available():
        for page in dynamodb().get_paginator("scan").paginate(**request):
            for item in page.get("Items", []):
                yield model.from_raw_data(item)


def query(model: type[Model], index: str, condition: Condition) -> Iterator[dict]:
    """The raw items of an index that match a key condition (index projections are partial, so
    the caller decodes what it needs)."""
    names: dict[str, str] = {}
    values: dict = {}
    request = {
        "TableName": table(model),
        "IndexName": index,
        "KeyConditionExpression": condition.serialize(names, values),
    }
    with_placeholders(request, names, values)
    with available():
        for page in dynamodb().get_paginator("query").paginate(**request):
            yield from page.get("Items", [])


def string_attributes(item: dict, names: Iterable[str]) -> tuple[str, ...]:
    """String attributes of a raw item ("" where absent)."""
    return tuple(item.get(name, {}).get("S", "") for name in names)
