"""Writing a contact's consent: through the API, by a one-click unsubscribe, by a spam complaint. Each change is
one transaction with the contact's new version, its audit entry, a timeline entry and its events; every topic it
unsubscribes emits `Contact Unsubscribed` {contact_id, topic, source}, on which workflows stop."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from crm.contacts.spec import ContactItem
from crm.outbound.consent import Status, read_token, token_key, unsubscribed_all, with_consent
from crm.platform.config import get_settings
from crm.platform.errors import HttpError
from crm.platform.secrets import cursor_secret
from crm.records.history import HistoryItem
from crm.records.table import get_item
from crm.records.writes import RECORD, Change, new_id

MAX_MERGE_HOPS = 5
TRIES = 3


def consent_of(contact: ContactItem) -> dict[str, Any]:
    return contact.consent.as_dict() if contact.consent is not None else {}


def _live(contact_id: str) -> ContactItem | None:
    """The contact, or the one it was merged into (a link in old mail names the loser); None if gone."""
    for _ in range(MAX_MERGE_HOPS):
        contact = get_item(ContactItem, ContactItem.key(contact_id), consistent=True)
        if contact is None or contact.erased_at:
            return None
        if not contact.merged_into:
            return contact
        contact_id = contact.merged_into
    return None


def change_consent(contact_id: str, change_of: Callable[[dict[str, Any], str], dict[str, Any]], source: str,
                   actor: str, version: int | None = None) -> dict[str, Any] | None:
    """Applies `change_of(consent, at)`; the contact's consent after, or None when the contact is gone. Without
    `version` (a click, a complaint), a write that raced another edit is tried again on the new version."""
    for attempt in range(TRIES):
        contact = _live(contact_id)
        if contact is None:
            return None
        if version is not None and int(contact.version) != version:
            raise HttpError(412, "version_mismatch", f"The contact is at version {contact.version}; read it again.")
        change = Change("contact", contact.contact_id, "consent", actor)
        before = consent_of(contact)
        after = change_of(before, change.at)
        if after == before:
            return after
        try:
            _commit(change, contact, before, after, source)
            return after
        except HttpError as exc:
            if exc.status != 412 or version is not None or attempt == TRIES - 1:
                raise
    return None


def _commit(change: Change, contact: ContactItem, before: Mapping[str, Any], after: dict[str, Any],
            source: str) -> None:
    current = int(contact.version)
    change.transaction.update(RECORD, contact, [
        ContactItem.consent.set(after), ContactItem.version.set(current + 1),
        ContactItem.updated_at.set(change.at)], ContactItem.version == current)
    change.audit({"consent": dict(before)}, {"consent": after})
    moved = {topic: entry["status"] for topic, entry in after.items()
             if (before.get(topic) or {}).get("status") != entry["status"]}
    summary = ", ".join(f"{topic}: {status}" for topic, status in sorted(moved.items()))
    entry_id = new_id()
    change.transaction.put(f"history:{contact.contact_id}", HistoryItem(
        *HistoryItem.key(contact.contact_id, change.at, entry_id), entry_type="consent_changed",
        summary=f"Consent changed ({source}): {summary}"[:500], data={"changes": moved, "source": source},
        created_at=change.at))
    change.transaction.event("Contact Updated", {"contact_id": contact.contact_id})
    for topic, status in moved.items():
        if status == "unsubscribed":
            change.transaction.event("Contact Unsubscribed", {"contact_id": contact.contact_id, "topic": topic,
                                                              "source": source})
    change.commit()


def set_consent(contact_id: str, changes: Mapping[str, Status], source: str, actor: str,
                version: int | None = None) -> dict[str, Any] | None:
    return change_consent(contact_id, lambda consent, at: with_consent(consent, changes, at, source), source,
                          actor, version)


def unsubscribe_everything(contact_id: str, source: str, actor: str) -> dict[str, Any] | None:
    return change_consent(contact_id, lambda consent, at: unsubscribed_all(consent, at, source), source, actor)


def token_target(token: str) -> tuple[str, str] | None:
    """(contact id, topic) of a genuine unsubscribe token."""
    return read_token(token_key(cursor_secret(get_settings())), token)


def one_click_unsubscribe(token: str) -> tuple[str, str] | None:
    """Unsubscribes the token's contact from its topic alone; (contact id, topic), or None for a bad token."""
    target = token_target(token)
    if target is None:
        return None
    contact_id, topic = target
    set_consent(contact_id, {topic: "unsubscribed"}, "one_click", "unsubscribe-link")
    return target
