"""Creating the tables from the template's own definitions (local runner and tests)."""

import contextlib

from localrun import template
from tokenservice.core import config


def ensure_tables(client, tmpl: dict | None = None) -> list[str]:
    """Create every table the functions reference that does not exist yet; returns the new ones."""
    tmpl = tmpl or template.load()
    existing = set(client.list_tables().get("TableNames", []))
    created = []
    for variable, logical_id in template.table_env_variables(tmpl).items():
        name = config.table_name(variable)
        if name in existing:
            continue
        # botocore may retry a CreateTable whose answer timed out (a loaded machine): then ours exists
        with contextlib.suppress(client.exceptions.ResourceInUseException):
            client.create_table(TableName=name, **template.table_definition(logical_id, tmpl))
        client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        ttl = template.resources("AWS::DynamoDB::Table", tmpl)[logical_id]["Properties"].get(
            "TimeToLiveSpecification"
        )
        if ttl:
            client.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        created.append(name)
    return created
