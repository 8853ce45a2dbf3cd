"""Data access for lead scoring: one read of the contact (with its ledger), then one write: a conditional
UpdateItem of the contact, or, when the change crosses the qualification threshold, one transaction with
its timeline entry and event."""

from __future__ import annotations

import json
import uuid
from typing import Any

from pynamodb.constants import NONE
from pynamodb.exceptions import TransactWriteError, UpdateError

from crm.contacts.spec import ContactItem
from crm.platform.clock import iso_now
from crm.platform.transactions import conflicted
from crm.records.history import HistoryItem
from crm.records.table import get_item
from crm.records.transactions import LabelledTransaction
from crm.scoring.changes import ContactSnapshot, ScoreChange, ledger_value, score_values, snapshot_of
from crm.scoring.rescore import next_page_event
from crm.scoring.spec import RescoreJobItem


class WriteConflict(Exception):
    """The contact changed between our read and our write; read again and recompute."""


def load_contact(contact_id: str, consistent: bool = True) -> ContactSnapshot | None:
    item = get_item(ContactItem, ContactItem.key(contact_id), consistent=consistent)
    return snapshot_of(item) if item else None


def save_change(snapshot: ContactSnapshot, change: ScoreChange) -> None:
    """Writes the score, its explanation and the ledger entry, conditioned on the contact being as read;
    a crossing's timeline entries and events go with it in one transaction. All of it or nothing."""
    contact = ContactItem(*ContactItem.key(snapshot.contact_id))
    attributes = [(getattr(ContactItem, name), value) for name, value in score_values(snapshot, change).items()]
    actions: list[Any] = [a.remove() if value is None else a.set(value) for a, value in attributes]
    entry = change.new_entry
    if entry is not None:
        actions.append(ContactItem.engagement[entry.event_id].set(ledger_value(entry)) if snapshot.has_ledger
                       else ContactItem.engagement.set({entry.event_id: ledger_value(entry)}))
    if change.stage is not None:
        actions.append(ContactItem.version.add(1))
    unchanged_since_read = (ContactItem.version == snapshot.version) & (
        ContactItem.score_rev.does_not_exist() if snapshot.score_rev is None
        else ContactItem.score_rev == snapshot.score_rev)
    if not change.crosses:
        try:
            ContactItem._get_connection().update_item(contact.PK, range_key=contact.SK, actions=actions,
                                                      condition=unchanged_since_read, return_values=NONE)
        except UpdateError as exc:
            if exc.cause_response_code in ("ConditionalCheckFailedException", "TransactionConflictException"):
                raise WriteConflict from exc
            raise
        return
    now = iso_now()
    transaction = LabelledTransaction()
    transaction.update("contact", contact, actions, unchanged_since_read)
    for entry_type, summary, data in change.timeline:
        transaction.put(f"timeline:{entry_type}", HistoryItem(
            *HistoryItem.key(snapshot.contact_id, now, uuid.uuid4().hex), entry_type=entry_type, summary=summary,
            data=data, created_at=now))
    for detail_type, detail in change.events:
        transaction.event(detail_type, detail)
    try:
        transaction.commit()
    except TransactWriteError as exc:
        if transaction.failed_labels(exc) or conflicted(exc):
            raise WriteConflict from exc
        raise


def load_job(job_id: str) -> RescoreJobItem | None:
    return get_item(RescoreJobItem, RescoreJobItem.key(job_id), consistent=True)


def contacts_page(cursor: str | None, page_size: int) -> tuple[list[ContactItem], str | None]:
    """One page of every contact, by the creation index (a Query, never a Scan)."""
    start = json.loads(cursor) if cursor else None
    results = ContactItem.by_created.query(ContactItem.list_key(), limit=page_size, page_size=page_size,
                                           last_evaluated_key=start)
    items = list(results)
    last = results.last_evaluated_key
    return items, json.dumps(last, sort_keys=True) if last else None


def advance_job(job: RescoreJobItem, next_cursor: str | None, processed: int, changed: int) -> None:
    """Records the page as done and asks for the next one, together; a duplicate page event finds
    the cursor already moved and does nothing."""
    transaction = LabelledTransaction()
    transaction.update("job", job, [
        RescoreJobItem.cursor.set(next_cursor) if next_cursor else RescoreJobItem.cursor.remove(),
        RescoreJobItem.processed.add(processed), RescoreJobItem.changed.add(changed),
        RescoreJobItem.status.set("running" if next_cursor else "done"), RescoreJobItem.updated_at.set(iso_now()),
    ], (RescoreJobItem.cursor == job.cursor) if job.cursor else RescoreJobItem.cursor.does_not_exist())
    if next_cursor:
        transaction.put("next_page", next_page_event(job.job_id, next_cursor))
    transaction.commit()


def start_job(job: RescoreJobItem, first_page: Any) -> None:
    transaction = LabelledTransaction()
    transaction.put("job", job, RescoreJobItem.PK.does_not_exist())
    transaction.put("first_page", first_page)
    transaction.commit()
