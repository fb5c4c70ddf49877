#!/bin/bash
# The services container of make sam-local: DynamoDB Local on 8000 and a moto server (KMS) on
# 4566, for the functions on the same Docker network (and the host, through ports published on
# 127.0.0.1). It stops when either stops.
set -e
java -Djava.library.path=/opt/dynamodb-local/DynamoDBLocal_lib -jar /opt/dynamodb-local/DynamoDBLocal.jar \
  -inMemory -sharedDb -disableTelemetry -port 8000 &
PYTHONPATH=/opt/moto python3.13 -m moto.server -H 0.0.0.0 -p 4566 &
wait -n
