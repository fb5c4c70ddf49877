"""The DynamoDB gateway for PynamoDB models: generic item operations.

The PynamoDB models declare the items and PynamoDB's expressions build conditions and updates;
requests go through the low-level client (`dynamo`) so that, for example, a password grant costs
one `BatchGetItem` and one `TransactWriteItems`. Throttling and outages surface as
`dynamo.Unavailable` (503); failed conditions as `ConditionFailed`, for the caller to interpret.

This module (with `dynamo`) speaks DynamoDB only: what a token, a lockout or a revocation means
lives in the module named after it.
"""

import uuid
from collections.abc import Iterable, Iterator, Sequence

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action, Update
from pynamodb.models import Model

from tokenservice.store import dynamo
from tokenservice.store.dynamo import ConditionFailed, Conflict, available, retrying_conflicts
from tokenservice.store.models import hash_key_name

__all__ = [
    "ConditionFailed",
    "Conflict",
    "KeyTaken",
    "available",
    "dynamodb",
    "retrying_conflicts",
]

dynamodb = dynamo.client  # the one client


class KeyTaken(Exception):
    """A conditional create found an item with the same key."""


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


def put_request(item: Model) -> dict:
    """A transaction's Put that creates or replaces an item."""
    return {"TableName": table(type(item)), "Item": item.serialize()}


def remove_request(model: type[Model], key_value: str) -> dict:
    """A transaction's Delete of an item, whether or not it exists."""
    return {"TableName": table(model), "Key": key(model, key_value)}


# -- operations ----------------------------------------------------------------------------------


def get[M: Model](model: type[M], key_value: str) -> M | None:
    """One strongly consistent GetItem."""
    (item,) = dynamo.read([(table(model), hash_key_name(model), key_value)])
    return model.from_raw_data(item) if item else None


def get_many(wanted: Sequence[tuple[type[Model], str | None]]) -> list[Model | None]:
    """Items of one or more tables in one strongly consistent round trip (see `dynamo.read`), in
    the order asked; None for each item that does not exist or has no key."""
    items = dynamo.read([(table(m), hash_key_name(m), k) if k is not None else None for m, k in wanted])
    return [
        model.from_raw_data(item) if item else None for (model, _), item in zip(wanted, items, strict=True)
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
    return take(model, key_value) is not None


def take(model: type[Model], key_value: str) -> Model | None:
    """Delete an item and return what it was; None when there was none."""
    try:
        with available():
            answer = dynamodb().delete_item(
                TableName=table(model),
                Key=key(model, key_value),
                ConditionExpression="attribute_exists(#k)",
                ExpressionAttributeNames={"#k": hash_key_name(model)},
                ReturnValues="ALL_OLD",
            )
    except ConditionFailed:
        return None
    return model.from_raw_data(answer["Attributes"])


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


def query(
    model: type[Model], index: str, condition: Condition, only: Condition | None = None
) -> Iterator[dict]:
    """The raw items of an index that match a key condition (index projections are partial, so
    the caller decodes what it needs), and `only` (a filter DynamoDB applies before answering:
    the items it drops are still read, but never sent, parsed or decoded)."""
    names: dict[str, str] = {}
    values: dict = {}
    request = {
        "TableName": table(model),
        "IndexName": index,
        "KeyConditionExpression": condition.serialize(names, values),
    }
    if only is not None:
        request["FilterExpression"] = only.serialize(names, values)
    with_placeholders(request, names, values)
    with available():
        for page in dynamodb().get_paginator("query").paginate(**request):
            yield from page.get("Items", [])


def string_attributes(item: dict, names: Iterable[str]) -> tuple[str, ...]:
    """String attributes of a raw item ("" where absent)."""
    return tuple(item.get(name, {}).get("S", "") for name in names)


# -- per-day counters (make run's usage counts: `registry.usage_plans`) ------------------------------


def add_day_count(model: type[Model], key_value: str, day: int, calls: int) -> None:
    """Add to the count of one day of the month ("d01" ... "d31") of a counter item (created if new)."""
    with available():
        dynamodb().update_item(
            TableName=table(model),
            Key=key(model, key_value),
            UpdateExpression="SET #kind = :kind ADD #day :calls",
            ExpressionAttributeNames={"#kind": "kind", "#day": f"d{day:02d}"},
            ExpressionAttributeValues={":kind": {"S": model.kind.default}, ":calls": {"N": str(int(calls))}},
        )


def day_counts(model: type[Model], key_values: Sequence[str]) -> list[dict[int, int]]:
    """Counter items' counts by day of the month, in one strongly consistent round trip."""
    items = dynamo.read([(table(model), hash_key_name(model), value) for value in key_values])
    return [
        {
            int(name[1:]): int(value["N"])
            for name, value in (item or {}).items()
            if _is_day(name) and "N" in value
        }
        for item in items
    ]


def _is_day(name: str) -> bool:
    return len(name) == 3 and name.startswith("d") and name[1:].isdigit()
