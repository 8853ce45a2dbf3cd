"""Lambda entry for lead scoring: contact and engagement events, re-score pages, the daily decay."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from crm.platform.config import get_settings
from crm.platform.observability import count, logger, metrics
from crm.platform.startup import loaded
from crm.records.table import bind_table
from crm.scoring import store
from crm.scoring.changes import ContactSnapshot, current_model, rescore, snapshot_of
from crm.scoring.rescore import RESCORE_BATCH_EVENT, new_rescore_job
from crm.scoring.rules import ENGAGEMENT_EVENTS, LedgerEntry

CONTACT_EVENTS = ("Contact Created", "Contact Updated")
DAILY_DECAY_EVENT = "Daily Decay Requested"
PAGE_SIZE = 25
CONFLICT_RETRIES = 5

bind_table(get_settings())


class MalformedTrigger(ValueError):
    """An event this function is wired to but cannot read: it is retried, then kept in the DLQ."""


def today() -> Any:
    return datetime.now(UTC).date()


def score_one(contact_id: str, cause: str, new_entry: LedgerEntry | None = None,
              snapshot: ContactSnapshot | None = None) -> bool:
    """Re-scores one contact; True when something was written. Retries when the contact moved.

    An engagement is read eventually consistently: a stale read can only make a write that its condition
    (the contact's version and score revision) refuses, or find the entry already in the ledger, which a
    stale read never shows before it was written. A contact not found, a refused write, or a contact event
    (whose "nothing changed" a stale read could fake) reads consistently."""
    consistent = new_entry is None
    for _ in range(CONFLICT_RETRIES):
        snapshot = snapshot or store.load_contact(contact_id, consistent=consistent)
        if snapshot is None and not consistent:
            consistent = True
            snapshot = store.load_contact(contact_id, consistent=True)
        if snapshot is None:
            return False
        change = rescore(snapshot, current_model(), today(), cause, new_entry)
        if change is None:
            return False
        try:
            store.save_change(snapshot, change)
            return True
        except store.WriteConflict:
            snapshot, consistent = None, True
    raise RuntimeError(f"contact {contact_id} kept changing while being scored")


def run_page(job_id: str, cursor: str | None) -> None:
    job = store.load_job(job_id)
    if job is None or job.status == "done" or job.cursor != cursor:
        return  # a duplicate or stale page request: that page is already done
    current_model(fresh=True)
    items, next_cursor = store.contacts_page(cursor, PAGE_SIZE)
    changed = sum(score_one(item.contact_id, f"rescore:{job.reason}", snapshot=snapshot_of(item))
                  for item in items)
    store.advance_job(job, next_cursor, len(items), changed)
    count("ContactsRescored", len(items))


def start_daily_decay() -> None:
    job, first_page = new_rescore_job("daily decay", current_model(fresh=True).version)
    store.start_job(job, first_page)


@metrics.log_metrics
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    detail_type = event.get("detail-type")
    given = event.get("detail")
    detail: dict[str, Any] = given if isinstance(given, dict) else {}
    if detail_type == DAILY_DECAY_EVENT:
        start_daily_decay()
    elif detail_type == RESCORE_BATCH_EVENT:
        if not isinstance(detail.get("job_id"), str):
            raise MalformedTrigger("a re-score page request without a job id")
        run_page(detail["job_id"], detail.get("cursor"))
    elif detail_type in CONTACT_EVENTS or detail_type in ENGAGEMENT_EVENTS:
        contact_id, event_id = detail.get("contact_id"), detail.get("event_id")
        if not isinstance(contact_id, str) or not isinstance(event_id, str):
            raise MalformedTrigger(f"{detail_type} without contact_id or event_id")
        entry = LedgerEntry(event_id, detail_type, str(event.get("time") or datetime.now(UTC).isoformat())) \
            if detail_type in ENGAGEMENT_EVENTS else None
        if score_one(contact_id, f"{detail_type}:{event_id}", entry):
            count("ContactScored")
    else:
        logger.info("ignored an event this function does not score", extra={"detail_type": detail_type})
    return {"status": "ok"}


# The import is done: what it built lives as long as the container (crm.platform.startup).
loaded()
