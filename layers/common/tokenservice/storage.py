"""Storage behind a small interface, so grant logic reads as OAuth rather than DynamoDB.

One botocore client per execution environment, created on first use, with deliberate retries
(standard mode, 3 attempts) and timeouts short enough for API Gateway's 29 s. The PynamoDB
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
    connect_timeout=2,
    read_timeout=3,
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


def get_client_and_user(client_id: str, username: str | None) -> tuple[ClientModel | None, UserModel | None]:
    """The client and (when named) the user, in one consistent BatchGetItem."""
    wanted: dict[str, dict] = {
        _table(ClientModel): {"Keys": [_key(ClientModel, client_id)], "ConsistentRead": True}
    }
    if username is not None:
        wanted[_table(UserModel)] = {"Keys": [_key(UserModel, username)], "ConsistentRead": True}
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
    users = found.get(_table(UserModel))
    return (
        ClientModel.from_raw_data(clients[0]) if clients else None,
        UserModel.from_raw_data(users[0]) if users else None,
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


def save_tokens(tokens: list[TokenModel]) -> None:
    """Store every token of a grant at once (one TransactWriteItems)."""
    with available():
        dynamodb().transact_write_items(TransactItems=[{"Put": _put_new(token)} for token in tokens])


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
