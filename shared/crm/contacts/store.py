"""Contacts as every entry point writes them: a new contact built alike by forms, payments, mail and the
API, and where a merged id leads (what only the API's edits need is crm.contacts.edits)."""

from __future__ import annotations

from typing import Any

from crm.contacts.spec import ContactItem
from crm.platform.identity import email_key
from crm.platform.text import fold_text
from crm.records.table import get_item


def new_contact_item(contact_id: str, *, now: str, lifecycle_stage: str, source: str, email: str | None = None,
                     phone: str | None = None, owner: str | None = None, first_name: str | None = None,
                     last_name: str | None = None, custom_fields: dict[str, Any] | None = None,
                     lead_status: str | None = None, **attributes: Any) -> ContactItem:
    """Every key and index key set alike, so a contact appears in the newest-first and score lists
    (score 0 until it is scored) whoever created it; `email` is already normalized."""
    key = email_key(email) if email else None
    name = " ".join(part for part in (first_name, last_name) if part)
    return ContactItem(
        *ContactItem.key(contact_id),
        contact_id=contact_id, email=email, email_key=key, emails={key} if key else None,
        phone=phone, phones={phone} if phone else None, first_name=first_name, last_name=last_name,
        owner=owner, lifecycle_stage=lifecycle_stage, lead_status=lead_status or "new", source=source,
        custom_fields=custom_fields or {}, search_name=fold_text(name) if name else None,
        created_at=now, updated_at=now, version=1,
        GSI1PK=ContactItem.list_key(), GSI1SK=f"{now}#{contact_id}",
        score_key=ContactItem.score_sort_key(0, contact_id), GSI2PK=ContactItem.list_key(),
        GSI3PK=ContactItem.stage_key(lifecycle_stage), GSI4PK=ContactItem.owner_key(owner) if owner else None,
        **attributes,
    )


# A merge into a contact that was itself merged later makes a chain; a few hops cover any real history.
MAX_MERGE_HOPS = 5


def current_contact_id(contact_id: str) -> str | None:
    """Where a stored contact id (a provider's customer link, an id in a webhook's metadata) leads
    now: the contact itself, the one it was merged into, or None when it was erased or never existed."""
    for _ in range(MAX_MERGE_HOPS):
        item = get_item(ContactItem, ContactItem.key(contact_id), consistent=True)
        if item is None or item.erased_at:
            return None
        if not item.merged_into:
            return contact_id
        contact_id = item.merged_into
    return None

