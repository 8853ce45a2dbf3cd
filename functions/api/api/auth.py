"""Who is calling and what their Cognito groups allow. The role matrix is data, checked per route."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crm.errors import ClientError

ROLES = ("admin", "sales", "marketing", "support")

# resource -> action -> roles allowed. Support reads contacts, but customers only (see `contacts`).
PERMISSIONS: dict[str, dict[str, frozenset[str]]] = {
    "contacts": {
        "read": frozenset({"admin", "sales", "marketing", "support"}),
        "write": frozenset({"admin", "sales", "marketing"}),
    },
    "payments": {
        "read": frozenset({"admin", "sales"}),
        "write": frozenset(),
    },
    "mailboxes": {
        "read": frozenset({"admin", "sales", "support"}),
        "write": frozenset({"admin"}),
    },
    "scoring_model": {
        "read": frozenset({"admin", "sales", "marketing"}),
        "write": frozenset({"admin", "marketing"}),
    },
    "emails": {
        "read": frozenset({"admin", "sales", "support"}),
        "write": frozenset({"admin", "support"}),
    },
    "cases": {
        "read": frozenset({"admin", "sales", "support"}),
        "write": frozenset({"admin", "support"}),
    },
}


@dataclass(frozen=True)
class Caller:
    user_id: str
    roles: frozenset[str]

    @property
    def customers_only(self) -> bool:
        """Support alone reads contacts, and their timelines, of customers only."""
        return self.roles == frozenset({"support"})

    def can(self, resource: str, action: str) -> bool:
        return bool(self.roles & PERMISSIONS[resource][action])

    def require(self, resource: str, action: str) -> None:
        if not self.can(resource, action):
            raise ClientError(403, "forbidden", f"Your role may not {action} {resource}.")


def caller_from_claims(claims: dict[str, Any]) -> Caller:
    """API Gateway's JWT authorizer has already verified the token; here we only read its claims."""
    subject = str(claims.get("sub") or claims.get("username") or "")
    if not subject:
        raise ClientError(401, "unauthorized", "A valid token is required.")
    return Caller(user_id=subject, roles=frozenset(_groups(claims.get("cognito:groups"))) & frozenset(ROLES))


def _groups(value: Any) -> list[str]:
    """HTTP APIs pass array claims flattened to a string such as "[admin sales]"."""
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):
        return [part for part in value.strip("[]").replace(",", " ").split() if part]
    return []
