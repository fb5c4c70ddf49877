"""`make run`: the API served locally without Docker, from template.yaml, on an embedded
DynamoDB (Amazon's DynamoDB Local; the moto server where Java 17+ or npm is missing), invoking the
real Lambda handlers in-process."""
