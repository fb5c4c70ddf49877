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
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import NamedTuple

import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.models import Model

from tokenservice import config, credentials
from tokenservice.errors import TemporarilyUnavailable
from tokenservice.models import ClientModel, RegistrationModel, TokenModel, UserModel, hash_key_name

CLIENT_CONFIG = Config(
    connect_timeout=1,
    read_timeout=2,
    retries={"mode": "standard", "total_max_attempts": 3},
    max_pool_connections=20,
    parameter_validation=False,  # requests are built here, not by users: ~0.3 ms CPU per call saved
)
MAX_BATCH_ROUNDS = 3


class ConditionFailed(Exception):
    """A conditional write found the item not as it required (the write did not happen)."""


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


def _condition_failed(error: ClientError) -> bool:
    """A conditional write (or a transaction's condition) found the item not as required."""
    code = error.response.get("Error", {}).get("Code", "")
    if code == "ConditionalCheckFailedException":
        return True
    reasons = error.response.get("CancellationReasons") or []
    return code == "TransactionCanceledException" and any(
        reason.get("Code") == "ConditionalCheckFailed" for reason in reasons
    )


@contextmanager
def available() -> Iterator[None]:
    """Turn throttling, timeouts and outages into TemporarilyUnavailable (503, retry).

    Failed conditions become ConditionFailed, for the caller; permanent errors pass through.
    """
    try:
        yield
    except ClientError as error:
        if _condition_failed(error):
            raise ConditionFailed() from error
        if error.response.get("Error", {}).get("Code") in PERMANENT_ERRORS:
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
    return {
        "TableName": _table(type(model)),
        "Item": model.serialize(),
        "ConditionExpression": "attribute_not_exists(#k)",
        "ExpressionAttributeNames": {"#k": hash_key_name(type(model))},
    }


def _update(
    model: type[Model],
    key: str,
    values: Mapping[str, dict] | None = None,
    remove: Iterable[str] = (),
    if_not_exists: Iterable[str] = (),
    must_exist: bool = True,
) -> dict:
    """An UpdateItem request: SET `values` (attribute → AttributeValue), REMOVE `remove`;
    attributes in `if_not_exists` keep a value they already have. By default the item must exist."""
    names = {"#key": hash_key_name(model)} if must_exist else {}
    actions, attribute_values = [], {}
    for index, (name, value) in enumerate((values or {}).items()):
        names[f"#a{index}"] = name
        attribute_values[f":v{index}"] = value
        target = f"if_not_exists(#a{index}, :v{index})" if name in if_not_exists else f":v{index}"
        actions.append(f"#a{index} = {target}")
    expression = f"SET {', '.join(actions)}" if actions else ""
    removed = []
    for index, name in enumerate(remove):
        names[f"#r{index}"] = name
        removed.append(f"#r{index}")
    if removed:
        expression += f" REMOVE {', '.join(removed)}"
    request = {
        "TableName": _table(model),
        "Key": _key(model, key),
        "UpdateExpression": expression.strip(),
        "ExpressionAttributeNames": names,
    }
    if must_exist:
        request["ConditionExpression"] = "attribute_exists(#key)"
    if attribute_values:
        request["ExpressionAttributeValues"] = attribute_values
    return request


def update[M: Model](
    model: type[M], key: str, values: Mapping[str, dict] | None = None, remove: Iterable[str] = ()
) -> M | None:
    """Update an existing item; returns it as it now is, None when there is no such item."""
    try:
        with available():
            answer = dynamodb().update_item(**_update(model, key, values, remove), ReturnValues="ALL_NEW")
    except ConditionFailed:
        return None
    return model.from_raw_data(answer["Attributes"])


def create(model: Model) -> None:
    """Create an item; AlreadyExists when its key is taken."""
    try:
        with available():
            dynamodb().put_item(**_put_new(model))
    except ConditionFailed as error:
        raise AlreadyExists(model) from error


def save(model: Model) -> None:
    """Create or replace an item."""
    with available():
        dynamodb().put_item(TableName=_table(type(model)), Item=model.serialize())


def delete(model: type[Model], key: str) -> bool:
    """Delete an item; False when there was none."""
    try:
        with available():
            dynamodb().delete_item(
                TableName=_table(model),
                Key=_key(model, key),
                ConditionExpression="attribute_exists(#k)",
                ExpressionAttributeNames={"#k": hash_key_name(model)},
            )
    except ConditionFailed:
        return False
    return True


def scan[M: Model](model: type[M], **filters: str) -> Iterator[M]:
    """Every item of a table, optionally those whose string attributes equal `filters`
    (administration only, never on a request path)."""
    request: dict = {"TableName": _table(model), "ConsistentRead": True}
    if filters:
        request["FilterExpression"] = " AND ".join(f"#f{i} = :f{i}" for i in range(len(filters)))
        request["ExpressionAttributeNames"] = {f"#f{i}": name for i, name in enumerate(filters)}
        request["ExpressionAttributeValues"] = {
            f":f{i}": {"S": value} for i, value in enumerate(filters.values())
        }
    paginator = dynamodb().get_paginator("scan")
    with available():
        for page in paginator.paginate(**request):
            for item in page.get("Items", []):
                yield model.from_raw_data(item)


def _query(index: str, condition: str, names: dict, values: dict, table: str) -> Iterator[dict]:
    paginator = dynamodb().get_paginator("query")
    with available():
        for page in paginator.paginate(
            TableName=table,
            IndexName=index,
            KeyConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        ):
            yield from page.get("Items", [])


# -- grants: what the token endpoint writes ------------------------------------------------------


def registration_key(client_id: str, username: str) -> str:
    """The key of a (client, user) registration: unambiguous, and never a token's hash."""
    return "registration:" + credentials.digest(f"{client_id}\n{username}")


def _registration(client_id: str, username: str, now: int) -> dict:
    """Record once per (client, user) that the user got tokens through the password grant."""
    model = RegistrationModel
    return _update(
        model,
        registration_key(client_id, username),
        {
            model.kind.attr_name: {"S": "registration"},
            model.registered_client.attr_name: {"S": client_id},
            model.username.attr_name: {"S": username},
            model.first_at.attr_name: {"N": str(now)},
            model.last_at.attr_name: {"N": str(now)},
        },
        if_not_exists=[model.first_at.attr_name],
        must_exist=False,
    )


def _reset_failures(username: str) -> dict:
    zero = {"N": "0"}
    return _update(
        UserModel,
        username,
        {UserModel.failed_attempts.attr_name: zero, UserModel.lockouts.attr_name: zero},
        remove=[UserModel.locked_until.attr_name],
    )


def save_tokens(
    tokens: list[TokenModel],
    *,
    reset_failures_of: str | None = None,
    registration: tuple[str, str] | None = None,
) -> None:
    """Store every token of a grant, the (client, user) registration and a reset of the user's
    failure counters, all at once (one TransactWriteItems)."""
    items = [{"Put": _put_new(token)} for token in tokens]
    if registration is not None:
        items.append({"Update": _registration(*registration, now=int(tokens[0].issued_at))})
    if reset_failures_of is not None:
        items.append({"Update": _reset_failures(reset_failures_of)})
    with available():
        dynamodb().transact_write_items(TransactItems=items)


class AlreadyUsed(Exception):
    """The refresh token was rotated or revoked meanwhile (a concurrent or replayed refresh)."""


def rotate(old: TokenModel, new: list[TokenModel]) -> None:
    """Mark a refresh token used and store its successors, atomically (one TransactWriteItems).

    The condition makes two concurrent rotations of one token yield exactly one success; the
    successors' hashes are kept on the old token so a later reuse can find and revoke them.
    """
    spent = _update(
        TokenModel,
        old.token_hash,
        {
            TokenModel.used.attr_name: {"BOOL": True},
            TokenModel.replaced_by.attr_name: {"SS": [t.token_hash for t in new]},
        },
    )
    spent["ConditionExpression"] = "attribute_exists(#key) AND NOT #used = :true AND NOT #revoked = :true"
    spent["ExpressionAttributeNames"] |= {
        "#used": TokenModel.used.attr_name,
        "#revoked": TokenModel.revoked.attr_name,
    }
    spent["ExpressionAttributeValues"][":true"] = {"BOOL": True}
    try:
        with available():
            dynamodb().transact_write_items(
                TransactItems=[{"Update": spent}, *({"Put": _put_new(t)} for t in new)]
            )
    except ConditionFailed as error:
        raise AlreadyUsed() from error


# -- lockout counters --------------------------------------------------------------------------


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
    except ConditionFailed:
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
                ExpressionAttributeNames={
                    "#failed": UserModel.failed_attempts.attr_name,
                    "#lockouts": UserModel.lockouts.attr_name,
                    "#until": UserModel.locked_until.attr_name,
                },
                ExpressionAttributeValues={
                    ":until": {"N": str(until)},
                    ":zero": {"N": "0"},
                    ":one": {"N": "1"},
                    ":threshold": {"N": str(threshold)},
                },
            )
    except ConditionFailed:
        return False
    return True


# -- revocation ---------------------------------------------------------------------------------


class TokenRef(NamedTuple):
    token_hash: str
    kind: str
    grant_id: str
    client_id: str


def user_tokens(username: str, now: float | None = None) -> list[TokenRef]:
    """A user's unexpired tokens, by a query of the by_user index (eventually consistent)."""
    now = time.time() if now is None else now
    items = _query(
        TokenModel.by_user.Meta.index_name,
        "#user = :user AND #expires > :now",
        {"#user": TokenModel.username.attr_name, "#expires": TokenModel.expires_at.attr_name},
        {":user": {"S": username}, ":now": {"N": str(int(now))}},
        _table(TokenModel),
    )
    fields = (hash_key_name(TokenModel), "kind", "grant_id", "client_id")
    return [TokenRef(*(item.get(name, {}).get("S", "") for name in fields)) for item in items]


def revoke(token_hash: str) -> TokenModel | None:
    """Mark one token revoked; returns it as it now is (None if it no longer exists)."""
    return update(TokenModel, token_hash, {TokenModel.revoked.attr_name: {"BOOL": True}})


def revoke_all(token_hashes: Iterable[str], limit: int = 10_000) -> int:
    """Revoke tokens and, following `replaced_by`, everything their rotations issued.

    Each revocation is a strongly consistent update: a rotation racing with it either lands
    first (and its successors are followed) or fails its condition.
    """
    pending = list(token_hashes)
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


def revoke_grant(record: TokenModel) -> int:
    """Revoke a whole grant family: its older tokens from the by_user index, its newest by
    following rotations from `record` (found even before the index has caught up)."""
    family = [ref.token_hash for ref in user_tokens(record.username) if ref.grant_id == record.grant_id]
    return revoke_all([record.token_hash, *(record.replaced_by or ()), *family])


def revoke_user(username: str) -> int:
    """Revoke every live token of a user (by a query, no scan)."""
    return revoke_all(ref.token_hash for ref in user_tokens(username))


def revoke_client(client_id: str) -> int:
    """Revoke every token issued to a client (a filtered scan: a rare administrative act)."""
    return revoke_all(token.token_hash for token in scan(TokenModel, client_id=client_id))


# -- statistics ---------------------------------------------------------------------------------


def registrations(client_id: str) -> list[RegistrationModel]:
    """The users who got tokens for a client through the password grant (a query)."""
    items = _query(
        RegistrationModel.registrations.Meta.index_name,
        "#client = :client",
        {"#client": RegistrationModel.registered_client.attr_name},
        {":client": {"S": client_id}},
        _table(RegistrationModel),
    )
    return [RegistrationModel.from_raw_data(item) for item in items]
