"""Storage behind a small interface, so grant logic reads as OAuth rather than DynamoDB.

One botocore client per execution environment, created on first use, with deliberate retries
(standard mode, 3 attempts, 1 s to connect, 2 s to read: at most ~12 s with back-off, inside the
functions' 15 s timeout and API Gateway's 29 s). The PynamoDB
models declare the items; reads and writes go through the low-level API so that a password
grant costs one `BatchGetItem` and one `TransactWriteItems`. Throttling and outages surface
as `TemporarilyUnavailable` (503).
"""

import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager

import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.models import Model

from tokenservice import config
from tokenservice.errors import TemporarilyUnavailable
from tokenservice.models import ClientModel, TokenModel, UserModel, hash_key_name

CLIENT_CONFIG = Config(
    connect_timeout=1,
    read_timeout=2,
    retries={"mode": "standard", "total_max_attempts": 3},
    max_pool_connections=20,
)
MAX_BATCH_ROUNDS = 3


class AlreadyExists(Exception):
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


@contextmanager
def available() -> Iterator[None]:
    """Turn throttling, timeouts and outages into TemporarilyUnavailable."""
    try:
        yield
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in ("ConditionalCheckFailedException", "TransactionCanceledException"):
            raise
        raise TemporarilyUnavailable() from error
    except BotoCoreError as error:
        raise TemporarilyUnavailable() from error


def _key(model: type[Model], value: str) -> dict:
    return {hash_key_name(model): {"S": value}}


def _table(model: type[Model]) -> str:
    return model.Meta.table_name


def get[M: Model](model: type[M], key: str) -> M | None:
    """One strongly consistent GetItem."""
    with available():
        item = (
            dynamodb()
            .get_item(TableName=_table(model), Key=_key(model, key), ConsistentRead=True)
            .get("Item")
        )
    return model.from_raw_data(item) if item else None


def get_with_client[M: Model](
    client_id: str, model: type[M] | None = None, key: str | None = None
) -> tuple[ClientModel | None, M | None]:
    """The client and (when asked) one item of another table, in one consistent BatchGetItem."""
    wanted: dict[str, dict] = {
        _table(ClientModel): {"Keys": [_key(ClientModel, client_id)], "ConsistentRead": True}
    }
    if model is not None and key is not None:
        wanted[_table(model)] = {"Keys": [_key(model, key)], "ConsistentRead": True}
    found: dict[str, list] = {}
    with available():
        for _ in range(MAX_BATCH_ROUNDS):
            answer = dynamodb().batch_get_item(RequestItems=wanted)
            for table, items in answer.get("Responses", {}).items():
                found.setdefault(table, []).extend(items)
            wanted = answer.get("UnprocessedKeys") or {}
            if not wanted:
                break
        else:
            raise TemporarilyUnavailable()
    clients = found.get(_table(ClientModel))
    others = found.get(_table(model)) if model is not None else None
    return (
        ClientModel.from_raw_data(clients[0]) if clients else None,
        model.from_raw_data(others[0]) if others else None,
    )


def _put_new(model: Model) -> dict:
    """A Put that fails rather than overwrite an existing item."""
    name = hash_key_name(type(model))
    return {
        "TableName": _table(type(model)),
        "Item": model.serialize(),
        "ConditionExpression": "attribute_not_exists(#k)",
        "ExpressionAttributeNames": {"#k": name},
    }


def save_tokens(tokens: list[TokenModel], reset_failures_of: str | None = None) -> None:
    """Store every token of a grant at once, and reset a user's failure counters (one
    TransactWriteItems)."""
    items = [{"Put": _put_new(token)} for token in tokens]
    if reset_failures_of is not None:
        items.append({"Update": _reset_failures(reset_failures_of)})
    with available():
        dynamodb().transact_write_items(TransactItems=items)


_USER_NAMES = {
    "#user": hash_key_name(UserModel),
    "#failed": UserModel.failed_attempts.attr_name,
    "#lockouts": UserModel.lockouts.attr_name,
    "#until": UserModel.locked_until.attr_name,
}


def _reset_failures(username: str) -> dict:
    return {
        "TableName": _table(UserModel),
        "Key": _key(UserModel, username),
        "UpdateExpression": "SET #failed = :zero, #lockouts = :zero REMOVE #until",
        "ConditionExpression": "attribute_exists(#user)",
        "ExpressionAttributeNames": _USER_NAMES,
        "ExpressionAttributeValues": {":zero": {"N": "0"}},
    }


def add_failed_attempt(username: str, now: float) -> UserModel | None:
    """Atomically count a failed password for an enabled, unlocked user; None for anyone else
    (the same one round trip either way)."""
    try:
        with available():
            answer = dynamodb().update_item(
                TableName=_table(UserModel),
                Key=_key(UserModel, username),
                UpdateExpression="ADD #failed :one",
                ConditionExpression=(
                    "attribute_exists(#user) AND NOT #disabled = :true"
                    " AND (attribute_not_exists(#until) OR #until <= :now)"
                ),
                ExpressionAttributeNames={
                    "#user": hash_key_name(UserModel),
                    "#failed": UserModel.failed_attempts.attr_name,
                    "#until": UserModel.locked_until.attr_name,
                    "#disabled": UserModel.disabled.attr_name,
                },
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":true": {"BOOL": True},
                    ":now": {"N": str(int(now))},
                },
                ReturnValues="ALL_NEW",
            )
    except ClientError:
        return None
    return UserModel.from_raw_data(answer["Attributes"])


def lock_user(username: str, threshold: int, until: int) -> bool:
    """Lock a user whose counter reached the threshold; only one of concurrent failures does."""
    try:
        with available():
            dynamodb().update_item(
                TableName=_table(UserModel),
                Key=_key(UserModel, username),
                UpdateExpression="SET #until = :until, #failed = :zero ADD #lockouts :one",
                ConditionExpression="#failed >= :threshold",
                ExpressionAttributeNames={k: v for k, v in _USER_NAMES.items() if k != "#user"},
                ExpressionAttributeValues={
                    ":until": {"N": str(until)},
                    ":zero": {"N": "0"},
                    ":one": {"N": "1"},
                    ":threshold": {"N": str(threshold)},
                },
            )
    except ClientError:
        return False
    return True


class AlreadyUsed(Exception):
    """The refresh token was rotated or revoked meanwhile (a concurrent or replayed refresh)."""


def rotate(old: TokenModel, new: list[TokenModel]) -> None:
    """Mark a refresh token used and store its successors, atomically (one TransactWriteItems).

    The condition makes two concurrent rotations of one token yield exactly one success; the
    successors' hashes are kept on the old token so a later reuse can find and revoke them.
    """
    update = {
        "TableName": _table(TokenModel),
        "Key": _key(TokenModel, old.token_hash),
        "UpdateExpression": "SET #used = :true, #next = :next",
        "ConditionExpression": "attribute_exists(#key) AND NOT #used = :true AND NOT #revoked = :true",
        "ExpressionAttributeNames": {
            "#key": hash_key_name(TokenModel),
            "#used": TokenModel.used.attr_name,
            "#revoked": TokenModel.revoked.attr_name,
            "#next": TokenModel.replaced_by.attr_name,
        },
        "ExpressionAttributeValues": {
            ":true": {"BOOL": True},
            ":next": {"SS": [token.token_hash for token in new]},
        },
    }
    try:
        with available():
            dynamodb().transact_write_items(
                TransactItems=[{"Update": update}, *({"Put": _put_new(token)} for token in new)]
            )
    except ClientError as error:
        raise AlreadyUsed() from error


def revoke(token_hash: str) -> TokenModel | None:
    """Mark one token revoked; returns it as it now is (None if it no longer exists)."""
    try:
        with available():
            answer = dynamodb().update_item(
                TableName=_table(TokenModel),
                Key=_key(TokenModel, token_hash),
                UpdateExpression="SET #revoked = :true",
                ConditionExpression="attribute_exists(#key)",
                ExpressionAttributeNames={
                    "#key": hash_key_name(TokenModel),
                    "#revoked": TokenModel.revoked.attr_name,
                },
                ExpressionAttributeValues={":true": {"BOOL": True}},
                ReturnValues="ALL_NEW",
            )
    except ClientError:
        return None
    return TokenModel.from_raw_data(answer["Attributes"])


def grant_token_hashes(grant_id: str) -> list[str]:
    """Every token of one grant (family), from the by-grant index (eventually consistent)."""
    index = TokenModel.by_grant.Meta.index_name
    paginator = dynamodb().get_paginator("query")
    hashes = []
    with available():
        for page in paginator.paginate(
            TableName=_table(TokenModel),
            IndexName=index,
            KeyConditionExpression="#grant = :grant",
            ExpressionAttributeNames={"#grant": TokenModel.grant_id.attr_name},
            ExpressionAttributeValues={":grant": {"S": grant_id}},
        ):
            hashes.extend(item[hash_key_name(TokenModel)]["S"] for item in page.get("Items", []))
    return hashes


def revoke_grant(record: TokenModel, limit: int = 1000) -> int:
    """Revoke a whole grant family; returns how many tokens were revoked.

    The by-grant index finds the family's older tokens; following `replaced_by` from the given
    token with strongly consistent updates finds the newest ones even before the index has
    caught up, and a rotation racing with this either lands before a token is revoked (and is
    followed) or fails its condition.
    """
    pending = [record.token_hash, *(record.replaced_by or ()), *grant_token_hashes(record.grant_id)]
    seen: set[str] = set()
    while pending and len(seen) < limit:
        token_hash = pending.pop()
        if token_hash in seen:
            continue
        seen.add(token_hash)
        revoked = revoke(token_hash)
        if revoked is not None:
            pending.extend(revoked.replaced_by or ())
    return len(seen)


def create(model: Model) -> None:
    """Create an item; AlreadyExists when its key is taken."""
    try:
        with available():
            dynamodb().put_item(**_put_new(model))
    except ClientError as error:
        raise AlreadyExists(model) from error


def save(model: Model) -> None:
    """Create or replace an item."""
    with available():
        dynamodb().put_item(TableName=_table(type(model)), Item=model.serialize())


def scan[M: Model](model: type[M]) -> Iterator[M]:
    """Every item of a table (administration only, never on a request path)."""
    paginator = dynamodb().get_paginator("scan")
    with available():
        for page in paginator.paginate(TableName=_table(model), ConsistentRead=True):
            for item in page.get("Items", []):
                yield model.from_raw_data(item)
