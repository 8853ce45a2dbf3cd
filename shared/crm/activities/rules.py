"""An activity's rules as pure functions: what it needs after a write, and when it was done."""

from __future__ import annotations

from typing import Any

from crm.activities.spec import LINKS, ActivityItem

# Fields an activity always has: a client gives the first two on create, and may clear none.
_KEPT = ("type", "subject", "done")


def current(values: dict[str, Any], existing: ActivityItem | None, name: str) -> Any:
    """A field as the write leaves it: what it sets, else what the record had (nothing for a new one)."""
    return values[name] if name in values else getattr(existing, name) if existing is not None else None


def activity_problems(values: dict[str, Any], existing: ActivityItem | None, customers_only: bool) -> dict[str, str]:
    """What is wrong with the activity as this write leaves it, by field."""
    problems = {name: "Required." if existing is None else "May not be cleared." for name in _KEPT
                if current(values, existing, name) is None and (existing is not None or name != "done")}
    remind_at, due_at = current(values, existing, "remind_at"), current(values, existing, "due_at")
    if remind_at and (not due_at or remind_at > due_at):
        problems["remind_at"] = "A reminder is at or before the due time."
    return problems | link_problems(values, existing, customers_only)


def link_problems(values: dict[str, Any], existing: ActivityItem | None, customers_only: bool) -> dict[str, str]:
    """An activity is linked to at least one record; support's, to a customer."""
    if customers_only and not current(values, existing, "contact_id"):
        return {"contact_id": "Support logs activities on customers: give the customer's id."}
    if not any(current(values, existing, link) for link in LINKS):
        return {"contact_id": "Link the activity to a contact, a company or a deal."}
    return {}


def done_change(values: dict[str, Any], existing: ActivityItem | None, now: str) -> dict[str, Any]:
    """`done_at` follows `done`: set when the activity becomes done, cleared when it is undone."""
    if values.get("done") and not (existing is not None and existing.done):
        return {"done_at": now}
    if values.get("done") is False:
        return {"done_at": None}
    return {}
