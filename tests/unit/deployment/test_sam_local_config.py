"""What `sam local start-api` is given: env.json against the template, and make sam-local's
architecture variant of the template."""

import json

import pytest

from localrun import template
from samlocal.__main__ import local_template
from samlocal.seed import ENV_FILE, SAM_API_ID
from tokenservice.core import config

TMPL = template.load()
ENV = json.loads(ENV_FILE.read_text())["Parameters"]
# Variables whose sam local value is not the template's default: where the functions find
# DynamoDB Local and the KMS (the services container's aliases on make sam-local's network), the
# REST API's id as SAM CLI names it, and the portal client (its secret is filled in at run time).
LOCAL_VALUES = {
    "AWS_ENDPOINT_URL_DYNAMODB": "http://dynamodb-local:8000",
    "AWS_ENDPOINT_URL_KMS": "http://kms-local:4566",
    "APPLICATIONS_API_ID": SAM_API_ID,
    "PORTAL_CLIENT_ID": config.PORTAL_CLIENT_ID.default,
    "PORTAL_CLIENT_SECRET": "",
    "DEFAULT_USAGE_KEY": "tokenservice-default-sam-local",  # sam local has no usage plans
}


def test_env_json_names_every_variable_the_template_passes_and_no_other():
    # sam local passes a function only the variables its template names, and gives those it cannot
    # resolve (table names, the portal client) nonsense: env.json must name every one.
    assert sorted(ENV) == sorted(template.function_variables(TMPL))


def test_env_json_gives_the_tables_their_local_names():
    for variable in template.table_env_variables(TMPL):
        assert ENV[variable] == config.TABLE_DEFAULTS[variable]


@pytest.mark.parametrize(
    "variable",
    [
        name
        for name, value in template.function_variables(TMPL).items()
        if isinstance(value, dict) and value.get("Ref") in template.parameter_values(TMPL)
    ],
)
def test_env_json_keeps_each_parameter_fed_variable_at_the_parameters_default(variable):
    value = template.function_variables(TMPL)[variable]
    assert ENV[variable] == template.parameter_values(TMPL)[value["Ref"]]


def test_env_json_gives_the_rest_the_local_values():
    assert {name: ENV[name] for name in LOCAL_VALUES} == LOCAL_VALUES
    covered = (
        set(template.table_env_variables(TMPL))
        | set(LOCAL_VALUES)
        | {
            name
            for name, value in template.function_variables(TMPL).items()
            if isinstance(value, dict) and value.get("Ref") in template.parameter_values(TMPL)
        }
    )
    assert covered == set(ENV)


def test_the_local_template_changes_only_the_architecture():
    original = (template.ROOT / "template.yaml").read_text()
    variant = local_template("x86_64")
    changed = [(a, b) for a, b in zip(original.splitlines(), variant.splitlines(), strict=True) if a != b]
    assert [b.strip() for _, b in changed] == [
        "Architectures: [x86_64]",
        "CompatibleArchitectures: [x86_64]",
        "BuildArchitecture: x86_64",
    ]
    assert local_template("arm64") == original


def test_under_emulation_the_local_template_also_gives_the_functions_more_time():
    original = (template.ROOT / "template.yaml").read_text()
    variant = local_template("arm64", emulated=True)
    changed = [(a, b) for a, b in zip(original.splitlines(), variant.splitlines(), strict=True) if a != b]
    assert changed == [("    Timeout: 15", "    Timeout: 180")]


def test_the_local_template_is_still_the_same_stack(tmp_path):
    (tmp_path / "template.yaml").write_text(local_template("x86_64"))
    variant = template.load(tmp_path / "template.yaml")
    assert variant["Globals"]["Function"]["Architectures"] == ["x86_64"]
    assert variant["Resources"].keys() == TMPL["Resources"].keys()
