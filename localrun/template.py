"""Reading template.yaml: the same definitions the local runner and the tests use.

CloudFormation's short-form tags (`!Ref`, `!GetAtt`, `!Sub`, ...) load as their long forms
(`{"Ref": ...}`, `{"Fn::GetAtt": [...]}`), as CloudFormation itself reads them.
"""

import functools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    pass


def _construct_tag(loader: yaml.Loader, suffix: str, node: yaml.Node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


@functools.cache
def load(path: Path = TEMPLATE) -> dict:
    return yaml.load(path.read_text(), Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass


def resources(kind: str, template: dict | None = None) -> dict[str, dict]:
    template = template or load()
    return {name: res for name, res in template["Resources"].items() if res["Type"] == kind}


def parameter_defaults(template: dict | None = None) -> dict[str, str]:
    template = template or load()
    return {name: str(spec.get("Default", "")) for name, spec in template.get("Parameters", {}).items()}


# The pseudo parameters of the local stack (the stack name is samconfig.toml's default).
PSEUDO_PARAMETERS = {
    "AWS::StackName": "tokenservice",
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
}


def parameter_values(template: dict | None = None, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The parameters as this process runs the stack: their defaults (and the pseudo parameters),
    except where the function variable a parameter feeds (`NAME: !Ref Parameter`) is set in the
    environment."""
    template = template or load()
    values = {**PSEUDO_PARAMETERS, **parameter_defaults(template)}
    for name, value in function_variables(template).items():
        if isinstance(value, dict) and value.get("Ref") in values and environ.get(name):
            values[value["Ref"]] = environ[name]
    return values


_SUB_VARIABLE = re.compile(r"\$\{([A-Za-z0-9_:]+)\}")


def resolve(value, parameters: Mapping[str, str]) -> str | None:
    """A template value as a string: plain scalars, `!Ref Parameter` and `!Sub` over parameters;
    None for anything else (other intrinsics, unknown names)."""
    if isinstance(value, dict) and "Ref" in value:
        return parameters.get(value["Ref"])
    if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str):
        text = value["Fn::Sub"]
        if any(name not in parameters for name in _SUB_VARIABLE.findall(text)):
            return None
        return _SUB_VARIABLE.sub(lambda match: parameters[match.group(1)], text)
    if isinstance(value, bool):
        return str(value).lower()
    return str(value) if isinstance(value, str | int | float) else None


def exported_function(template: dict, export_name: str) -> str:
    """The function whose ARN a stack exports under `export_name` (an output `!GetAtt F.Arn`)."""
    parameters = parameter_values(template)
    for output in template.get("Outputs", {}).values():
        name = resolve((output.get("Export") or {}).get("Name"), parameters)
        value = output.get("Value")
        if name == export_name and isinstance(value, dict):
            return function_named(value)
    raise KeyError(f"no stack output exports {export_name}")


_SUB_FUNCTION = re.compile(r"\$\{([A-Za-z0-9]+)\.(?:Arn|Alias)\}")


def function_named(arn: dict) -> str:
    """The function a function ARN names: `!GetAtt F.Arn`, `!Ref F.Alias` (its SAM alias),
    `!Sub "${F.Alias}"` / `!Sub "${F.Arn}"`, or `!Sub ["${Function}:alias", {Function: !GetAtt F.Arn}]`."""
    if "Fn::GetAtt" in arn:
        return arn["Fn::GetAtt"][0]
    if isinstance(arn.get("Fn::Sub"), list):  # ["${Function}:live", {"Function": !GetAtt F.Arn}]
        return next(function_named(value) for value in arn["Fn::Sub"][1].values() if isinstance(value, dict))
    if "Fn::Sub" in arn:
        match = _SUB_FUNCTION.search(str(arn["Fn::Sub"]))
        if match is None:
            raise ValueError(f"no function in {arn['Fn::Sub']!r}")
        return match.group(1)
    return str(arn["Ref"]).split(".", 1)[0]


@dataclass(frozen=True)
class Endpoint:
    """One API event: a route of an API and the function behind it. `api` is the API's logical id;
    `http_api`: an AWS::Serverless::HttpApi (Lambda payload format `payload`), else a REST API."""

    method: str
    path: str
    function: str
    authorizer: str | None
    api: str = "Api"
    http_api: bool = False
    payload: str = "1.0"


EVENT_API_PROPERTY = {"Api": "RestApiId", "HttpApi": "ApiId"}  # event type → the property naming its API
API_TYPES = {"Api": "AWS::Serverless::Api", "HttpApi": "AWS::Serverless::HttpApi"}


def api_endpoints(template: dict | None = None) -> list[Endpoint]:
    """Every route of the template's REST and HTTP APIs (events of type Api and HttpApi)."""
    template = template or load()
    endpoints = []
    for name, function in resources("AWS::Serverless::Function", template).items():
        for event in (function["Properties"].get("Events") or {}).values():
            if event["Type"] not in EVENT_API_PROPERTY:
                continue
            props = event["Properties"]
            api_name = (props.get(EVENT_API_PROPERTY[event["Type"]]) or {}).get("Ref")
            api = resources(API_TYPES[event["Type"]], template).get(api_name, {}).get("Properties", {})
            default = (api.get("Auth") or {}).get("DefaultAuthorizer")
            authorizer = (props.get("Auth") or {}).get("Authorizer", default)
            endpoints.append(
                Endpoint(
                    props["Method"].upper(),
                    props["Path"],
                    name,
                    None if authorizer in ("NONE", None) else authorizer,
                    api=api_name,
                    http_api=event["Type"] == "HttpApi",
                    payload=str(props.get("PayloadFormatVersion", "2.0")),
                )
            )
    return endpoints


def table_definition(logical_id: str, template: dict | None = None) -> dict:
    """The CreateTable arguments (minus TableName) of an AWS::DynamoDB::Table resource."""
    props = resources("AWS::DynamoDB::Table", template)[logical_id]["Properties"]
    definition = {
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if props.get("GlobalSecondaryIndexes"):
        definition["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    return definition


def function_variables(template: dict | None = None) -> dict:
    """Every environment variable the functions get (Globals, then each function's; later wins),
    with its template value (a string or an intrinsic such as `{"Ref": ...}`)."""
    template = template or load()
    variables = dict(
        template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    )
    for function in resources("AWS::Serverless::Function", template).values():
        variables.update(function["Properties"].get("Environment", {}).get("Variables", {}))
    return variables


def _table_reference(value, tables: Mapping[str, dict]) -> str | None:
    """The table logical id a variable's value names: `!Ref Table`, or the branch of an
    `!If [CreateTable, !Ref Table, !Ref ExistingTable]` that creates it."""
    if isinstance(value, dict) and value.get("Ref") in tables:
        return value["Ref"]
    if isinstance(value, dict) and "Fn::If" in value:
        return next(
            (ref for branch in value["Fn::If"][1:] if (ref := _table_reference(branch, tables))), None
        )
    return None


def table_env_variables(template: dict | None = None) -> dict[str, str]:
    """Environment variable → table logical id, from the functions' variables that name a table."""
    template = template or load()
    tables = resources("AWS::DynamoDB::Table", template)
    return {
        name: logical_id
        for name, value in function_variables(template).items()
        if (logical_id := _table_reference(value, tables))
    }
