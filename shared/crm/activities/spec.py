"""An activity (call, meeting, task, note) as stored."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    UnicodeAttribute,
)

from crm.records.table import VersionedItem


class ActivityItem(VersionedItem):
    """A task, call, meeting or note linked to a contact, a company and/or a deal.

    Indexes: GSI1 `ACTIVITIES` newest first; GSI2 `ACTIVITIES`, GSI3 a contact's activities and GSI4 an
    owner's, all three on `score_key` = `<due_at or 9999-12-31T00:00:00Z>#<id>`.
    """

    activity_id = UnicodeAttribute()
    activity_type = UnicodeAttribute()
    subject = UnicodeAttribute()
    body = UnicodeAttribute(null=True)
    due_at = UnicodeAttribute(null=True)
    remind_at = UnicodeAttribute(null=True)
    done = BooleanAttribute(default=False)
    done_at = UnicodeAttribute(null=True)
    contact_id = UnicodeAttribute(null=True)
    company_id = UnicodeAttribute(null=True)
    deal_id = UnicodeAttribute(null=True)

    @staticmethod
    def key(activity_id: str) -> tuple[str, str]:
        return f"ACTIVITY#{activity_id}", "PROFILE"

    @staticmethod
    def list_key() -> str:
        return "ACTIVITIES"

    @staticmethod
    def due_key(due_at: str | None, activity_id: str) -> str:
        return f"{due_at or '9999-12-31T00:00:00Z'}#{activity_id}"

    @staticmethod
    def contact_partition(contact_id: str) -> str:
        return f"CONTACT#{contact_id}#ACTIVITIES"

    @staticmethod
    def owner_partition(owner: str) -> str:
        return f"ACTIVITY_OWNER#{owner}"
