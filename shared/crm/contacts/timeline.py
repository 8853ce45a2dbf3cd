"""Who sees which entry of a contact's timeline: an entry about another kind of record (an email, a deal, a
payment) is shown only to a caller who may read that kind, as the record itself would be."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crm.platform.access import Caller

# The kind of record an entry is about, by the prefix of its type; any other entry is about the contact.
SUBJECTS = (("email_", "emails"), ("deal_", "deals"), ("payment_", "payments"), ("refund_", "payments"),
            ("subscription_", "payments"), ("activity_", "activities"))


def subject_of(entry_type: str, data: Mapping[str, Any]) -> str:
    """The permission resource an entry is about."""
    if entry_type == "qualified" and "deal_id" in data:
        # Qualifying opened a deal; lead scoring's "qualified" is about the contact itself.
        return "deals"
    return next((resource for prefix, resource in SUBJECTS if entry_type.startswith(prefix)), "contacts")


def shows_timeline_entry(caller: Caller, entry_type: str, data: Mapping[str, Any]) -> bool:
    return caller.can(subject_of(entry_type, data), "read")
