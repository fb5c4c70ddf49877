"""The custom resource that registers the stack's own API at deployment (against moto, with a
local HTTP server standing in for CloudFormation's presigned response URL)."""

import pytest

from tests.conftest import handler
from tokenservice.registry import openapi, registry


def event(kind: str, url: str, api_id: str = "stackapi1", kms_key: str = "") -> dict:
    return {
        "RequestType": kind,
        "ResponseURL": url,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/tokenservice/x",
        "RequestId": "r1",
        "LogicalResourceId": "OwnApiRules",
        "ResourceProperties": {
            "ApiId": api_id,
            "Issuer": "",
            "DefaultIssuer": f"https://{api_id}.execute-api.us-east-1.amazonaws.com/v1",
            "KmsKeyId": kms_key,
        },
    }


@pytest.fixture
def kms_key(aws) -> str:
    import boto3

    return boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]


def test_create_and_update_register_the_sample_apis_rules_and_delete_removes_them(
    aws, lambda_context, cloudformation, kms_key
):
    url, answers = cloudformation
    registry_function = handler("stack_setup")
    expected = {(r.method, r.path, r.scope) for r in openapi.access_rules(openapi.load(openapi.SAMPLE))}
    for kind in ("Create", "Update"):
        registry_function(event(kind, url, kms_key=kms_key), lambda_context)
        assert {
            (r.method, r.path, r.scope) for r in registry.api_rules(registry.api("stackapi1"))
        } == expected
    registry_function(event("Delete", url, kms_key=kms_key), lambda_context)
    assert registry.api("stackapi1") is None
    assert [a["Status"] for a in answers] == ["SUCCESS"] * 3
    assert {a["PhysicalResourceId"] for a in answers} == {"registry-api-stackapi1"}


def test_a_failure_is_reported_to_cloudformation_not_left_waiting(aws, lambda_context, cloudformation):
    url, answers = cloudformation
    handler("stack_setup")(event("Create", url, api_id="not an id!"), lambda_context)
    assert answers[0]["Status"] == "FAILED" and answers[0]["Reason"]


def test_create_sets_up_signing_for_the_apis_own_url_and_makes_one_key(
    aws, lambda_context, cloudformation, kms_key
):
    from tokenservice.jose import signing

    url, answers = cloudformation
    handler("stack_setup")(event("Create", url, kms_key=kms_key), lambda_context)
    handler("stack_setup")(event("Update", url, kms_key=kms_key), lambda_context)
    settings = signing.read()
    assert settings.issuer == "https://stackapi1.execute-api.us-east-1.amazonaws.com/v1"
    assert answers[0]["Data"]["Issuer"] == settings.issuer
    assert len(settings.keys) == 1  # an update keeps the key that signs


def test_a_retried_table_creation_that_finds_its_table_is_no_error(aws, monkeypatch):
    """botocore retries a CreateTable whose answer came after its read timeout (DynamoDB Local on a
    busy machine): the retry meets ResourceInUseException, and make run must start all the same."""
    from localrun.tables import ensure_tables

    monkeypatch.setattr(aws, "list_tables", lambda **_: {"TableNames": []})  # as read before the first try
    assert len(ensure_tables(aws)) == 4
