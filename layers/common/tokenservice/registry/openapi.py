"""An OpenAPI 3 document's access rules: each operation's security requirement, as registry rules.

- An operation's `security` (else the document's) is a list of alternative requirements. The
  first one that names an `oauth2` scheme gives the rule its scopes (all of them required); one
  that names an HTTP `bearer` scheme, or an `oauth2` scheme with no scopes, means any valid token.
- Operations whose requirements name neither (public ones, or ones secured otherwise, like the
  token endpoint's client authentication) are not the authorizer's: they get no rule.
- The `oauth2` schemes' flows describe the scopes; they are defined in the registry with those
  descriptions (their roles are bound with `tokenctl scope create`, or, for a scope the import
  defines, by the scheme's `x-scope-roles` extension: `{scope: [role, ...]}`).
- `x-amazon-apigateway-any-method` is the method ANY.
"""

from collections.abc import Mapping
from pathlib import Path

from tokenservice.core import problems
from tokenservice.registry import rules

# The service's own API description: the token endpoints and the sample protected API.
SAMPLE = Path(__file__).parent / "apis" / "openapi.yaml"
MAX_DOCUMENT_BYTES = 4 * 1024 * 1024

OPERATIONS = {method.lower(): method for method in rules.METHODS if method != "ANY"}
OPERATIONS["x-amazon-apigateway-any-method"] = "ANY"


class InvalidDocument(problems.Invalid):
    """Not an OpenAPI 3 document this import understands; the message says why, in one line."""


def load(path: Path | str) -> Mapping:
    """An OpenAPI document from a YAML or JSON file."""
    import yaml  # only importing APIs needs it

    try:
        with open(path, "rb") as file:
            text = file.read(MAX_DOCUMENT_BYTES + 1)
        if len(text) > MAX_DOCUMENT_BYTES:
            raise InvalidDocument("the document is larger than 4 MiB")
        document = yaml.safe_load(text)
    except OSError as error:
        raise InvalidDocument(f"cannot read {path}: {error.strerror or error}") from error
    except yaml.YAMLError as error:
        raise InvalidDocument(f"{path} is not YAML or JSON: {str(error).splitlines()[0]}") from error
    if not isinstance(document, Mapping):
        raise InvalidDocument(f"{path} is not an OpenAPI document")
    return document


def _schemes(document: Mapping) -> dict[str, str]:
    """Security scheme name → "oauth2", "bearer" or something else."""
    schemes = ((document.get("components") or {}).get("securitySchemes")) or {}
    kinds = {}
    for name, scheme in schemes.items():
        if not isinstance(scheme, Mapping):
            continue
        if scheme.get("type") == "oauth2":
            kinds[name] = "oauth2"
        elif scheme.get("type") == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
            kinds[name] = "bearer"
        else:
            kinds[name] = str(scheme.get("type"))
    return kinds


def _requirement(security, kinds: dict[str, str]) -> str | None:
    """The scope string an operation's security requires ("" for any valid token), None when it is
    not protected by a bearer token."""
    for requirement in security or []:
        for name, scopes in (requirement or {}).items():
            if kinds.get(name) == "oauth2":
                return " ".join(scopes or [])
            if kinds.get(name) == "bearer":
                return ""
    return None


def scope_descriptions(document: Mapping) -> dict[str, str]:
    """Every scope the document's oauth2 schemes describe, with its description."""
    described: dict[str, str] = {}
    for scheme in (((document.get("components") or {}).get("securitySchemes")) or {}).values():
        if isinstance(scheme, Mapping) and scheme.get("type") == "oauth2":
            for flow in (scheme.get("flows") or {}).values():
                for name, text in ((flow or {}).get("scopes") or {}).items():
                    described.setdefault(str(name), str(text or ""))
    return described


def scope_roles(document: Mapping) -> dict[str, list[str]]:
    """The roles the oauth2 schemes' `x-scope-roles` extension binds to their scopes."""
    bound: dict[str, list[str]] = {}
    for scheme in (((document.get("components") or {}).get("securitySchemes")) or {}).values():
        if isinstance(scheme, Mapping) and scheme.get("type") == "oauth2":
            extension = scheme.get("x-scope-roles") or {}
            if not isinstance(extension, Mapping):
                raise InvalidDocument("x-scope-roles must map scopes to lists of roles")
            for name, roles in extension.items():
                if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
                    raise InvalidDocument(f"x-scope-roles: the roles of {name} must be a list of names")
                bound.setdefault(str(name), []).extend(roles)
    return bound


def access_rules(document: Mapping) -> list[rules.Rule]:
    """The document's bearer-protected operations as rules."""
    if not isinstance(document, Mapping) or not str(document.get("openapi", "")).startswith("3"):
        raise InvalidDocument("not an OpenAPI 3 document (no 'openapi: 3.x')")
    kinds = _schemes(document)
    found = []
    for path, item in (document.get("paths") or {}).items():
        if not isinstance(item, Mapping):
            continue
        for key, operation in item.items():
            if key.lower() not in OPERATIONS or not isinstance(operation, Mapping):
                continue
            security = operation.get("security", document.get("security"))
            scope = _requirement(security, kinds)
            if scope is not None:
                try:
                    found.append(rules.rule(OPERATIONS[key.lower()], str(path), scope))
                except rules.InvalidRule as error:
                    raise InvalidDocument(f"{key.upper()} {path}: {error}") from error
    return found
