"""WSO2 API Manager's OpenAPI extensions (carbon-apimgt's OAS2Parser and OAS3Parser), read by
`tokenctl api import` beside the standard `security` requirements (`openapi`).

- 3.x/4.x: the oauth2 scheme `default` lists the API's scopes in a flow (`implicit`), and the flow's
  `x-scopes-bindings` maps each scope to its roles as a comma-separated string; operations carry
  `security: [{default: [scope]}]`, and `[{default: []}]` means any valid token.
- 2.x (Swagger 2.0): `x-wso2-security: {apim: {x-wso2-scopes: [{key, name, roles, description}]}}`
  at the top, `x-scope: <key>` on an operation (an operation without one: any valid token).
- Both: `x-auth-type: None` marks a public resource (no token at all). The registry has no rule
  for "no token" (API Gateway decides that: a route without the authorizer), so such operations get
  no rule and are reported; `Application` / `Application User` (only applications' or only users'
  tokens) cannot be told apart here and are reported too.
"""

from collections.abc import Iterator, Mapping

PUBLIC = "none"
_SCHEME_FLOWS = ("implicit", "password", "clientCredentials", "authorizationCode")


def is_wso2(document: Mapping) -> bool:
    return "x-wso2-security" in document or any(True for _ in _bindings_sources(document))


def _schemes(document: Mapping) -> Iterator[Mapping]:
    """The document's oauth2 security schemes (OpenAPI 3 components, or Swagger 2.0 definitions)."""
    found = ((document.get("components") or {}).get("securitySchemes")) or {}
    found = {**(document.get("securityDefinitions") or {}), **found}
    for scheme in found.values():
        if isinstance(scheme, Mapping) and scheme.get("type") == "oauth2":
            yield scheme


def _bindings_sources(document: Mapping) -> Iterator[Mapping]:
    for scheme in _schemes(document):
        if isinstance(scheme.get("x-scopes-bindings"), Mapping):
            yield scheme["x-scopes-bindings"]
        for flow in (scheme.get("flows") or {}).values():
            if isinstance(flow, Mapping) and isinstance(flow.get("x-scopes-bindings"), Mapping):
                yield flow["x-scopes-bindings"]


def _roles(text) -> list[str]:
    return [role.strip() for role in str(text or "").split(",") if role.strip()]


def legacy_scopes(document: Mapping) -> list[Mapping]:
    """2.x's x-wso2-scopes entries."""
    security = document.get("x-wso2-security")
    apim = security.get("apim") if isinstance(security, Mapping) else None
    entries = apim.get("x-wso2-scopes") if isinstance(apim, Mapping) else None
    return [entry for entry in entries or [] if isinstance(entry, Mapping) and entry.get("key")]


def scope_roles(document: Mapping) -> dict[str, list[str]]:
    """Scope → the roles WSO2 binds to it."""
    bound: dict[str, list[str]] = {}
    for bindings in _bindings_sources(document):
        for scope, roles in bindings.items():
            bound.setdefault(str(scope), []).extend(_roles(roles))
    for entry in legacy_scopes(document):
        bound.setdefault(str(entry["key"]), []).extend(_roles(entry.get("roles")))
    return bound


def scope_descriptions(document: Mapping) -> dict[str, str]:
    """Scope → description, from Swagger 2.0's flat oauth2 `scopes` and 2.x's x-wso2-scopes."""
    described: dict[str, str] = {}
    for scheme in _schemes(document):
        for name, text in (scheme.get("scopes") or {}).items():
            described.setdefault(str(name), str(text or ""))
    for entry in legacy_scopes(document):
        described.setdefault(str(entry["key"]), str(entry.get("description") or entry.get("name") or ""))
    return described


def requirement(operation: Mapping, document: Mapping) -> str | None:
    """What WSO2's extensions say an operation needs: PUBLIC, a 2.x `x-scope`, "" (any valid
    token) for another operation of a 2.x document, None when they say nothing."""
    if str(operation.get("x-auth-type", "")).strip().lower() == PUBLIC:
        return PUBLIC
    if operation.get("x-scope"):
        return str(operation["x-scope"])
    if "x-wso2-security" in document and "security" not in operation and "security" not in document:
        return ""
    return None


def note(operation: Mapping) -> str | None:
    """What WSO2 enforced on an operation that this registry cannot."""
    auth_type = str(operation.get("x-auth-type", "")).strip()
    if auth_type.lower() == PUBLIC:
        return "public in WSO2 (x-auth-type: None): no rule; serve its route without the authorizer"
    if auth_type in ("Application", "Application User"):
        return f"x-auth-type {auth_type}: here any token with its scopes, an application's or a user's"
    return None
