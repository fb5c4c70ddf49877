"""Access rules of a protected API (RFC 6750 §3.1 `insufficient_scope`): resource → required scopes.

An API (keyed by its API Gateway REST API id) has resources, `METHOD /path` with `{param}`
segments (`{name+}` greedy) and the method `ANY`, each requiring a set of scopes (all of them) or
just any valid token (no scope). Rules are data, kept in the API registry (`registry`) and read by
the authorizer; this module only says what they mean, and turns them into IAM policy resources.

A call must satisfy every rule whose resource matches it, exactly as IAM evaluates the policy the
authorizer returns (an explicit Deny wins): in a resource, `{param}` is IAM's `*` wildcard, which
matches any characters, `/` included, so a rule for `/orders/{id}` also governs
`/orders/1/items`. A call no rule matches is denied.
"""

import fnmatch
import json
from dataclasses import dataclass

from tokenservice.core import problems

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY")
ANY_TOKEN = "-"  # how a rule that needs any valid token (no scope) is written
MAX_PATH_LENGTH = 512


class InvalidRule(problems.Invalid):
    """A rule that cannot be stored; the message says why, in one line."""


@dataclass(frozen=True, order=True)
class Rule:
    method: str
    path: str
    scopes: frozenset[str] = frozenset()  # every one of them is needed; empty: any valid token

    def allows(self, permissions: frozenset[str]) -> bool:
        return self.scopes <= permissions

    def matches(self, method: str, path: str) -> bool:
        """Whether this rule governs a call of `method path` (as IAM matches its resource)."""
        return fnmatch.fnmatchcase(f"{method}/{path.strip('/')}", self.pattern())

    def pattern(self) -> str:
        """The resource relative to the API and stage, with IAM's wildcards: `METHOD/path`."""
        method = "*" if self.method == "ANY" else self.method
        return method + "/" + "/".join("*" if part.startswith("{") else part for part in _segments(self.path))

    def resource(self, api_prefix: str) -> str:
        """The execute-api ARN of this resource under `arn:...:api-id/stage`."""
        return f"{api_prefix}/{self.pattern()}"

    @property
    def scope(self) -> str:
        """The rule's scopes as written (`-` for any valid token)."""
        return " ".join(sorted(self.scopes)) or ANY_TOKEN


def _segments(path: str) -> list[str]:
    return path.strip("/").split("/") if path.strip("/") else []


def rule(method: str, path: str, scope: str | None) -> Rule:
    """A validated rule: a known method, an absolute path of plain and `{param}` segments."""
    method = method.upper()
    if method not in METHODS:
        raise InvalidRule(f"method must be one of {' '.join(METHODS)}")
    if (
        not path.startswith("/")
        or len(path) > MAX_PATH_LENGTH
        or "//" in path
        or any(c in path for c in "?#*[] \t")
    ):
        raise InvalidRule("path must be an absolute resource path such as /orders/{id}")
    for part in _segments(path):
        if part.startswith("{") != part.endswith("}") or (part.startswith("{") and len(part) < 3):
            raise InvalidRule(f"bad path parameter {part!r}")
    scopes = frozenset((scope or "").split()) - {ANY_TOKEN}
    return Rule(method, "/" + "/".join(_segments(path)), scopes)


def encode(rules: list[Rule]) -> str:
    """Rules as stored: a compact JSON list of [method, path, scope]."""
    return json.dumps([[r.method, r.path, r.scope] for r in sorted(set(rules))], separators=(",", ":"))


def decode(stored: str) -> list[Rule]:
    return [
        Rule(method, path, frozenset(scope.split()) - {ANY_TOKEN})
        for method, path, scope in json.loads(stored)
    ]


@dataclass(frozen=True)
class MethodArn:
    """arn:aws:execute-api:region:account:api-id/stage/METHOD/path"""

    prefix: str  # arn:aws:execute-api:region:account:api-id/stage
    api_id: str
    stage: str
    method: str
    path: str

    @classmethod
    def parse(cls, method_arn: str) -> "MethodArn | None":
        head, _, rest = method_arn.partition("/")
        parts = rest.split("/", 2)
        if not head.startswith("arn:") or len(parts) < 2 or not parts[0]:
            return None
        api_id = head.rsplit(":", 1)[-1]
        return cls(
            f"{head}/{parts[0]}", api_id, parts[0], parts[1], "/" + (parts[2] if len(parts) > 2 else "")
        )

    def allowed(self, rules: list[Rule], permissions: frozenset[str]) -> bool:
        """Whether this call is allowed: some rule governs it, and every rule that does is satisfied."""
        governing = [r for r in rules if r.matches(self.method, self.path)]
        return bool(governing) and all(r.allows(permissions) for r in governing)


def policy_statements(rules: list[Rule], api_prefix: str, permissions: frozenset[str]) -> list[dict]:
    """Allow every resource whose scopes the permissions carry, Deny every other: one policy that is
    right for every resource of the API, as API Gateway's cache reuses it across them. An API with
    no rules is denied everything."""
    if not rules:
        return [{"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": [f"{api_prefix}/*"]}]
    statements = []
    for effect, allowed in (("Allow", True), ("Deny", False)):
        resources = sorted({r.resource(api_prefix) for r in rules if r.allows(permissions) is allowed})
        if resources:
            statements.append({"Action": "execute-api:Invoke", "Effect": effect, "Resource": resources})
    return statements
