"""Who is calling and what their Cognito groups allow: the role matrix, as data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crm.platform.errors import HttpError

ROLES = ("admin", "sales", "marketing", "support")


# resource -> action -> roles allowed, as the product's role matrix says. Support reads contacts and
# companies of customers only, and writes activities on customers only (see `Caller.customers_only`).
_ALL = frozenset(ROLES)


_SALES = frozenset({"admin", "sales"})


PERMISSIONS: dict[str, dict[str, frozenset[str]]] = {
    "contacts": {"read": _ALL, "write": frozenset({"admin", "sales", "marketing"})},
    "companies": {"read": _ALL, "write": frozenset({"admin", "sales", "marketing"})},
    # "deals, pipelines (data)": a pipeline's board is the deals list filtered by pipeline.
    "deals": {"read": _SALES, "write": _SALES},
    "activities": {"read": _ALL, "write": frozenset({"admin", "sales", "support"})},
    "payments": {"read": _SALES, "write": frozenset()},
    "forms": {"read": frozenset({"admin", "sales", "marketing"}), "write": frozenset({"admin", "marketing"})},
    "scoring_model": {"read": frozenset({"admin", "sales", "marketing"}), "write": frozenset({"admin", "marketing"})},
    "emails": {"read": frozenset({"admin", "sales", "support"}), "write": frozenset({"admin", "support"})},
    "cases": {"read": frozenset({"admin", "sales", "support"}), "write": frozenset({"admin", "support"})},
    "definitions": {"read": _ALL, "write": frozenset({"admin"})},
    # The text says the audit log is for admins; its before/after values would otherwise show
    # support the contacts that are not customers.
    "audit": {"read": frozenset({"admin"}), "write": frozenset({"admin"})},
    "mailboxes": {"read": frozenset({"admin", "sales", "support"}), "write": frozenset({"admin"})},
    # Email templates: marketing and admins write them; everyone reads them, to send one (decision 0052).
    "email_templates": {"read": _ALL, "write": frozenset({"admin", "marketing"})},
    # Erasing a person (GDPR) destroys data for good, so it is its own permission: admins only.
    "gdpr": {"read": frozenset({"admin"}), "write": frozenset({"admin"})},
    # Anyone may start one; what it reads or writes is checked against the entity's own permission, so
    # an import needs write on its entity and an export read on the list it pages through.
    "imports": {"read": _ALL, "write": _ALL},
    "exports": {"read": _ALL, "write": _ALL},
    # Saved reports: anyone keeps their own and runs those shared with their role; the list a report reads is
    # read through its own route as whoever runs it, with that entity's permission (crm.reports, decision 0048).
    "reports": {"read": _ALL, "write": _ALL},
    # Each widget needs read on the entity it counts too, and all of its records (crm.dashboards.board).
    "dashboards": {"read": _ALL, "write": frozenset()},
    # SQL over the analytical store, and running its analyses (RFM): admins only. Every event of every
    # record is there, whoever owns it, so no role that sees part of the data may query it.
    "analytics": {"read": frozenset({"admin"}), "write": frozenset({"admin"})},
    # Who gets new leads, and the staff directory beyond one's own profile: admins (decision 0050). Everyone
    # reads and edits their own profile (/v1/users/me) under "profile".
    "assignment_rules": {"read": frozenset({"admin"}), "write": frozenset({"admin"})},
    "team": {"read": frozenset({"admin"}), "write": frozenset({"admin"})},
    "profile": {"read": _ALL, "write": _ALL},
    # Everyone's own notifications (a reminder due, a lead assigned): nobody reads another's.
    "notifications": {"read": _ALL, "write": _ALL},
    # Everyone keeps views of their own; sharing one with the team is an admin's (crm.saved_views).
    "saved_views": {"read": _ALL, "write": _ALL},
    # Workflows and sequences: marketing and admins make and read them (decision 0051); a workflow may email,
    # set fields and assign any contact, so no role that sees only part of the data writes one.
    "workflows": {"read": frozenset({"admin", "marketing"}), "write": frozenset({"admin", "marketing"})},
}


@dataclass(frozen=True)
class Caller:
    user_id: str
    roles: frozenset[str]

    @property
    def customers_only(self) -> bool:
        """Support alone sees contacts, companies, timelines and activities of customers only."""
        return self.roles == frozenset({"support"})

    def can(self, resource: str, action: str) -> bool:
        return bool(self.roles & PERMISSIONS[resource][action])

    def require(self, resource: str, action: str) -> None:
        if not self.can(resource, action):
            raise HttpError(403, "forbidden", f"Your role may not {action} {resource}.")


def caller_from_claims(claims: dict[str, Any]) -> Caller:
    """API Gateway's JWT authorizer has already verified the token; here we only read its claims."""
    subject = str(claims.get("sub") or claims.get("username") or "")
    if not subject:
        raise HttpError(401, "unauthorized", "A valid token is required.")
    return Caller(user_id=subject, roles=frozenset(_groups(claims.get("cognito:groups"))) & frozenset(ROLES))


def _groups(value: Any) -> list[str]:
    """HTTP APIs pass array claims flattened to a string such as "[admin sales]"."""
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):
        return [part for part in value.strip("[]").replace(",", " ").split() if part]
    return []
