"""`make run`: the API served locally without Docker, from template.yaml, on an embedded moto
DynamoDB server, invoking the real Lambda handlers in-process."""
