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
- WSO2 API Manager's definitions (`wso2`): Swagger 2.0 documents too, scopes bound to roles by
  `x-scopes-bindings` (3.x/4.x) or `x-wso2-security` (2.x, with operations' `x-scope`), public
  operations (`x-auth-type: None`) left to API Gateway; what cannot be carried is noted.
"""

from collections.abc import Mapping
from pathlib import Path

from tokenservice.core import problems
from tokenservice.core.text import printable
from tokenservice.registry import rules, wso2

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
    """Security scheme name → "oauth2", "bearer" or something else (OpenAPI 3's components, or
    Swagger 2.0's securityDefinitions)."""
    schemes = ((document.get("components") or {}).get("securitySchemes")) or {}
    schemes = {**(document.get("securityDefinitions") or {}), **schemes}
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
    return {**wso2.scope_descriptions(document), **described}


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
    for name, roles in wso2.scope_roles(document).items():
        bound.setdefault(name, []).extend(roles)
    return bound


def _operation_scope(operation: Mapping, document: Mapping, notes: list[str], where: str) -> str | None:
    """The scope string an operation's rule needs ("" for any valid token), None for no rule."""
    extension = wso2.requirement(operation, document)
    if (text := wso2.note(operation)) is not None:
        notes.append(f"{where}: {text}")
    if extension == wso2.PUBLIC:
        return None
    scope = _requirement(operation.get("security", document.get("security")), _schemes(document))
    return scope if scope is not None else extension


def access_rules(document: Mapping, notes: list[str] | None = None) -> list[rules.Rule]:
    """The document's bearer-protected operations as rules (and, in `notes`, what WSO2 enforced on
    them that a rule cannot say)."""
    if not isinstance(document, Mapping):
        raise InvalidDocument("not an OpenAPI 3 or Swagger 2.0 document")
    if not str(document.get("openapi", "")).startswith("3") and not str(document.get("swagger", "")) == "2.0":
        raise InvalidDocument("not an OpenAPI 3 or Swagger 2.0 document (no 'openapi: 3.x')")
    notes = [] if notes is None else notes
    found = []
    for path, item in (document.get("paths") or {}).items():
        if not isinstance(item, Mapping):
            continue
        for key, operation in item.items():
            if key.lower() not in OPERATIONS or not isinstance(operation, Mapping):
                continue
            where = f"{key.upper()} {path if str(path).isprintable() else printable(str(path))}"
            scope = _operation_scope(operation, document, notes, where)
            if scope is not None:
                try:
                    found.append(rules.rule(OPERATIONS[key.lower()], str(path), scope))
                except rules.InvalidRule as error:
                    raise InvalidDocument(f"{key.upper()} {path}: {error}") from error
    return found
