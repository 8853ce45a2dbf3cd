"""Data access for lead scoring: one read of the contact (with its ledger), one transactional write."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from crm.clock import iso_now
from crm.events import outbox_event
from crm.models import ContactItem, HistoryItem, get_item, transaction_connection
from crm.scoring_models import RescoreJobItem, ScoringModelItem
from crm.rescore import next_page_event
from crm.scoring import LedgerEntry, ScoringModel, default_model
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from lead_scoring.rescore import ContactSnapshot, ScoreChange

MODEL_CACHE_SECONDS = 60
_model_cache: tuple[float, ScoringModel] | None = None


class WriteConflict(Exception):
    """The contact changed between our read and our write; read again and recompute."""


def current_model(fresh: bool = False) -> ScoringModel:
    """The model in force, cached per container; the default until someone saves one."""
    global _model_cache
    if fresh or _model_cache is None or _model_cache[0] < time.monotonic():
        item = get_item(ScoringModelItem, ScoringModelItem.key())
        model = (ScoringModel.from_dict(json.loads(item.model_json), version=int(item.version)) if item
                 else default_model())
        _model_cache = (time.monotonic() + MODEL_CACHE_SECONDS, model)
    return _model_cache[1]


def snapshot_of(item: ContactItem) -> ContactSnapshot:
    ledger = item.engagement.as_dict() if item.engagement is not None else {}
    properties = {name: getattr(item, name) for name in (
        "email", "phone", "first_name", "last_name", "company", "job_title", "owner", "lifecycle_stage",
        "lead_status", "source", "email_status")}
    properties["custom_fields"] = item.custom_fields.as_dict() if item.custom_fields else {}
    return ContactSnapshot(
        contact_id=item.contact_id,
        properties=properties,
        ledger=tuple(LedgerEntry(event_id, entry["type"], entry["at"]) for event_id, entry in ledger.items()),
        version=int(item.version),
        score_rev=int(item.score_rev) if item.score_rev is not None else None,
        score=int(item.score) if item.score is not None else None,
        grade=item.grade,
        breakdown=list(item.score_breakdown) if item.score_breakdown is not None else None,
        qualified=bool(item.qualified),
        lifecycle_stage=item.lifecycle_stage,
        has_ledger=item.engagement is not None,
    )


def load_contact(contact_id: str) -> ContactSnapshot | None:
    item = get_item(ContactItem, ContactItem.key(contact_id), consistent=True)
    return snapshot_of(item) if item else None


def save_change(snapshot: ContactSnapshot, change: ScoreChange) -> None:
    """Writes the score, its explanation, the ledger entry, timeline and events, or nothing at all."""
    contact = ContactItem(*ContactItem.key(snapshot.contact_id))
    result = change.result
    actions: list[Any] = [
        ContactItem.score.set(result.score),
        ContactItem.grade.set(result.grade),
        ContactItem.score_breakdown.set(list(result.breakdown)),
        ContactItem.score_key.set(ContactItem.score_sort_key(result.score, snapshot.contact_id)),
        ContactItem.qualified.set(change.qualified),
        ContactItem.score_rev.set((snapshot.score_rev or 0) + 1),
    ]
    entry = change.new_entry
    if entry is not None:
        value = {"type": entry.event_type, "at": entry.at}
        actions.append(ContactItem.engagement[entry.event_id].set(value) if snapshot.has_ledger
                       else ContactItem.engagement.set({entry.event_id: value}))
    if change.stage is not None:
        actions += [ContactItem.lifecycle_stage.set(change.stage),
                    ContactItem.GSI3PK.set(ContactItem.stage_key(change.stage)),
                    ContactItem.version.add(1)]
    unchanged_since_read = (ContactItem.version == snapshot.version) & (
        ContactItem.score_rev.does_not_exist() if snapshot.score_rev is None
        else ContactItem.score_rev == snapshot.score_rev)
    now = iso_now()
    try:
        with TransactWrite(connection=transaction_connection()) as tx:
            tx.update(contact, actions, condition=unchanged_since_read, add_version_condition=False)
            for entry_type, summary, data in change.timeline:
                tx.save(HistoryItem(*HistoryItem.key(snapshot.contact_id, now, uuid.uuid4().hex),
                                    entry_type=entry_type, summary=summary, data=data, created_at=now))
            for detail_type, detail in change.events:
                tx.save(outbox_event(detail_type, detail))
    except TransactWriteError as exc:
        if any(r is not None and r.code in ("ConditionalCheckFailed", "TransactionConflict")
               for r in exc.cancellation_reasons):
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
    with TransactWrite(connection=transaction_connection()) as tx:
        tx.update(job, [RescoreJobItem.cursor.set(next_cursor) if next_cursor else RescoreJobItem.cursor.remove(),
                        RescoreJobItem.processed.add(processed), RescoreJobItem.changed.add(changed),
                        RescoreJobItem.status.set("running" if next_cursor else "done"),
                        RescoreJobItem.updated_at.set(iso_now())],
                  condition=(RescoreJobItem.cursor == job.cursor) if job.cursor else RescoreJobItem.cursor.does_not_exist(),
                  add_version_condition=False)
        if next_cursor:
            tx.save(next_page_event(job.job_id, next_cursor))


def start_job(job: RescoreJobItem, first_page: Any) -> None:
    with TransactWrite(connection=transaction_connection()) as tx:
        tx.save(job, condition=RescoreJobItem.PK.does_not_exist())
        tx.save(first_page)
