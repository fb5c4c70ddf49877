"""Route → scope rules of the protected API (RFC 6750 §3.1 `insufficient_scope`).

The single source of truth: the authorizer builds its policies from it, and a test checks that
the template's authorizer-protected routes are exactly these.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    scope: str | None  # None: any valid access token

    def allows(self, permissions: frozenset[str]) -> bool:
        return self.scope is None or self.scope in permissions

    def matches(self, method: str, path: str) -> bool:
        """Whether a request for `method path` is this route (`{name}` matches one segment)."""
        ours, theirs = self.path.strip("/").split("/"), path.strip("/").split("/")
        return (
            method == self.method
            and len(ours) == len(theirs)
            and all(a == b or (a.startswith("{") and b) for a, b in zip(ours, theirs, strict=True))
        )

    def resource(self, api_prefix: str) -> str:
        """The execute-api ARN of this route under `arn:...:api-id/stage`."""
        path = "/".join("*" if part.startswith("{") else part for part in self.path.strip("/").split("/"))
        return f"{api_prefix}/{self.method}/{path}"


PROTECTED_ROUTES: tuple[Route, ...] = (
    Route("GET", "/orders", "read"),
    Route("POST", "/orders", "update"),
    Route("GET", "/whoami", None),
)
