"""An activity (task, call, meeting, note): its fields once (stored, taken and shown by the API, validated), and
who may see one: support only those whose contact is a customer.

Indexes: GSI1 `ACTIVITIES` newest first (`by_created`); on `order_key` (stored as `score_key`) = `<due_at or
9999-12-31T00:00:00Z>#<id>`: GSI2 every activity (`by_order`), GSI3 one contact's (`by_group_order`), GSI4 one
owner's (`by_owner_order`)."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import UnicodeAttribute

from crm.contacts.spec import CUSTOMER_STAGE, ContactItem
from crm.custom_fields.field import CustomFields
from crm.platform.access import Caller
from crm.records.fields import Choice, DateTime, Flag, Ref, Text
from crm.records.spec import Entity
from crm.records.table import VersionedItem, get_item

ACTIVITY_TYPES = ("task", "call", "meeting", "note")
# What an activity may be linked to: at least one, each existing when it is written.
LINKS = ("contact_id", "company_id", "deal_id")


class ActivityItem(VersionedItem):
    """A task, call, meeting or note linked to a contact, a company and/or a deal. The API's `type` is
    stored as `activity_type`."""

    activity_id = UnicodeAttribute()
    type = Choice(ACTIVITY_TYPES, null=False, attr_name="activity_type")
    subject = Text(500, null=False)
    body = Text(10_000)
    due_at = DateTime()
    remind_at = DateTime(description="At or before due_at.")
    done = Flag(default=False, null=False, strict=True)
    done_at = DateTime(writable=False)
    owner = Text(128, min_length=1)
    external_id = Text(128, description="Its id where it came from; unique, an import matches on it.")
    contact_id = Ref()
    company_id = Ref()
    deal_id = Ref()
    custom_fields = CustomFields()

    def __init__(self, *key: Any, activity_type: str | None = None, **attributes: Any) -> None:
        """An item may be built by its stored names too: `activity_type` is `type`."""
        if activity_type is not None:
            attributes["type"] = activity_type
        super().__init__(*key, **attributes)

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


def is_customer(contact_id: str | None) -> bool:
    """Whether the contact is a customer now: one consistent GetItem."""
    contact = get_item(ContactItem, ContactItem.key(contact_id), consistent=True) if contact_id else None
    return contact is not None and contact.lifecycle_stage == CUSTOMER_STAGE


def visible_activity(caller: Caller, item: ActivityItem) -> bool:
    """Support sees an activity only when its contact is a customer now (one more GetItem, for support only)."""
    return not caller.customers_only or is_customer(item.contact_id)


ACTIVITY = Entity("activity", "Activity", ActivityItem, "activity_id", visible_activity)
