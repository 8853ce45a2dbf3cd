"""Which api modules' routers may serve a path, known without importing them: the handler imports and
includes a router the first time a request needs it, so a cold start loads only the routes it serves.

A route is listed under its resource (the first segment under /v1), or under resource/action when its
third segment is a word, as in /v1/contacts/{contact_id}/merge. tests/integration/test_api_routers.py
holds this table to every route of every router.
"""

from __future__ import annotations

PREFIX = "/v1"

ROUTERS: dict[str, tuple[str, ...]] = {
    "contacts": ("contacts",),
    "contacts/timeline": ("emails",),
    "contacts/reassign": ("contact_operations",),
    "contacts/merge": ("contact_operations",),
    "contacts/erase": ("contact_operations",),
    "contacts/qualify": ("qualify",),
    "contacts/consent": ("consent",),
    "companies": ("companies",),
    "custom-fields": ("custom_fields",),
    "audit": ("audit",),
    "scoring-model": ("scoring_model",),
    "payments": ("payments",),
    "emails": ("emails", "sending"),
    "cases": ("emails",),
    "attachments": ("emails",),
    "mailboxes": ("mailboxes",),
    "email-templates": ("email_templates",),
    "email-templates/preview": ("email_templates",),
    "search": ("search",),
    "saved-views": ("saved_views",),
    "pipelines": ("pipelines",),
    "deals": ("deals",),
    "deals/timeline": ("deals",),
    "activities": ("activities",),
    "forms": ("forms",),
    "forms/spam": ("forms",),
    "forms/submissions": ("forms",),
    "imports": ("imports",),
    "imports/check": ("imports",),
    "imports/run": ("imports",),
    "imports/revert": ("imports",),
    "imports/results": ("imports",),
    "imports/errors": ("imports",),
    "import-mappings": ("imports",),
    "exports": ("exports",),
    "reports": ("reports",),
    "reports/run": ("reports",),
    "reports/schedule": ("reports",),
    "dashboards": ("dashboards",),
    "analytics": ("analytics",),
    "assignment-rules": ("assignment_rules",),
    "users": ("users",),
    "notifications": ("notifications",),
    "notifications/read": ("notifications",),
    "notifications/unread": ("notifications",),
    "notifications/snooze": ("notifications",),
    "workflows": ("workflows",),
    "workflows/dry-run": ("workflows",),
    "workflows/runs": ("workflows",),
}
ALL_ROUTERS = tuple(dict.fromkeys(module for modules in ROUTERS.values() for module in modules))


def routers_for(path: str) -> tuple[str, ...]:
    """The modules of the path's resource and of its action, if it names one; none for a path outside /v1."""
    if not path.startswith(f"{PREFIX}/"):
        return ()
    resource, *rest = path.removeprefix(f"{PREFIX}/").split("/")
    # rest[1:2] is the third segment, if any: the action on one record.
    keys = [resource, *(f"{resource}/{action}" for action in rest[1:2])]
    return tuple(dict.fromkeys(module for key in keys for module in ROUTERS.get(key, ())))
