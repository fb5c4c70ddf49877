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

    def resource(self, api_prefix: str) -> str:
        """The execute-api ARN of this route under `arn:...:api-id/stage`."""
        path = "/".join("*" if part.startswith("{") else part for part in self.path.strip("/").split("/"))
        return f"{api_prefix}/{self.method}/{path}"


PROTECTED_ROUTES: tuple[Route, ...] = (
    Route("GET", "/orders", "read"),
    Route("POST", "/orders", "update"),
    Route("GET", "/whoami", None),
)
