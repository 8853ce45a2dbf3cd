"""Data access for lead capture: one DynamoDB transaction per submission, uniqueness by sentinels.

An accepted submission is kept as the contact's timeline entry (the raw body, every value sent, the files
and the visit), and its events go in one outbox item. A new lead is scored in the transaction that
creates it, its Form Submitted already in its engagement ledger; its two events then say so
(`scored_at_capture`), and the scoring function's rule in template.yaml does not deliver them (they would
find nothing to write). They are published all the same, for every other consumer."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition

from crm.contacts.spec import ContactItem, UniqueItem, created_detail
from crm.contacts.store import new_contact_item
from crm.forms.capture import Lead, RateLimited, Submission
from crm.forms.request import UploadedFile
from crm.forms.spec import RateCounterItem, SubmissionItem
from crm.platform import aws
from crm.platform.clock import epoch_seconds
from crm.platform.config import Settings
from crm.platform.observability import logger
from crm.platform.transactions import back_off, conflicted, retrying
from crm.records.history import HistoryItem
from crm.records.outbox import Event, new_event, outbox_item
from crm.records.transactions import LabelledTransaction

if TYPE_CHECKING:
    from crm.scoring.changes import ScoreChange

# In the detail of a new lead's Contact Created and Form Submitted when the transaction that created the lead
# scored it; the LeadScoringFunction's ContactActivity rule (template.yaml) matches only events without it.
SCORED_AT_CAPTURE = "scored_at_capture"
_RATE_WINDOW_SECONDS = 60


class DynamoLeadStore:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def store_file(self, form_id: str, upload: UploadedFile, sha256: str) -> str:
        """Content-addressed, so the same file sent twice is stored once."""
        key = f"forms/{form_id}/{sha256}"
        aws.client("s3").put_object(
            Bucket=self._settings.attachments_bucket, Key=key, Body=upload.content,
            ContentType=upload.content_type, Metadata={"filename": quote(upload.filename[:255])},
        )
        return key

    def save_spam(self, submission: Submission, rate_limit_per_minute: int) -> None:
        transaction = LabelledTransaction()
        transaction.put("submission", _submission_item(submission, "spam", None))
        _count_hit(transaction, submission, rate_limit_per_minute)
        try:
            transaction.commit()
        except TransactWriteError as exc:
            if "rate" in transaction.failed_items(exc):
                raise RateLimited from exc
            raise

    def save_lead(self, submission: Submission, lead: Lead, rate_limit_per_minute: int) -> tuple[str, bool]:
        """Creates the contact, or finds the one that owns this email or phone and fills its gaps.

        The first write assumes a new person; the sentinels' conditions tell us, in the same request,
        whether the email or phone already belongs to someone, and whom. An identifier owned by
        another contact is left with its owner. Retries only on transaction conflicts.
        """
        owner: str | None = None
        for attempt in retrying("lead could not be saved after repeated transaction conflicts"):
            transaction = LabelledTransaction()
            if owner is None:
                saved = self._create(transaction, submission, lead, rate_limit_per_minute), True
            else:
                self._update(transaction, owner, submission, lead, rate_limit_per_minute)
                saved = owner, False
            try:
                transaction.commit()
                return saved
            except TransactWriteError as exc:
                failed = transaction.failed_items(exc)
                if "rate" in failed:
                    raise RateLimited from exc
                if owner is not None and "contact" in failed:
                    # Merged away or erased since its sentinel was read: look the person up again.
                    owner = None
                    continue
                owners = _sentinel_owners(failed)
                if owner is None and owners:
                    owner = owners.get("email") or owners["phone"]
                elif owner is not None and owners:
                    taken: dict[str, Any] = {kind: None for kind, who in owners.items() if who != owner}
                    lead = replace(lead, **taken)
                elif conflicted(exc):
                    back_off(attempt)
                else:
                    raise
        raise AssertionError("not reached: retrying() raises after its last try")

    def _create(self, transaction: LabelledTransaction, submission: Submission, lead: Lead, limit: int) -> str:
        """Adds a new contact with its sentinels, submission, score and events; returns its id."""
        contact_id = uuid.uuid4().hex
        now = submission.received_at
        contact = new_contact_item(
            contact_id, now=now, lifecycle_stage="lead", source=lead.source, email=lead.email, phone=lead.phone,
            owner=lead.owner, custom_fields=lead.custom_fields, first_touch=submission.touch,
            last_touch=submission.touch, **lead.properties,
        )
        events = [new_event("Contact Created", created_detail(contact_id, lead.source, "form")),
                  new_event("Form Submitted", _form_event(submission, contact_id, created=True))]
        scored = _score_at_capture(contact, events[-1], now)
        timeline = scored.timeline if scored else []
        if scored is not None:
            # Scoring has nothing left to do with them: its rule skips events that carry the flag. A lead
            # left unscored keeps them unflagged, and the scoring function scores it from them.
            events = [replace(event, detail={**event.detail, SCORED_AT_CAPTURE: True}) for event in events]
        events += [new_event(detail_type, detail) for detail_type, detail in (scored.events if scored else [])]
        transaction.put("contact", contact, ContactItem.PK.does_not_exist())
        for sentinel in _sentinels(lead, contact_id):
            transaction.put(f"sentinel:{sentinel.kind}", sentinel, UniqueItem.PK.does_not_exist(), return_old=True)
        transaction.put("submission", _submission_entry(contact_id, submission, "contact_created",
                                                        "Created from a web form submission"))
        for entry_type, summary, data in timeline:
            transaction.put(f"timeline:{entry_type}", HistoryItem(
                *HistoryItem.key(contact_id, now, uuid.uuid4().hex), entry_type=entry_type, summary=summary, data=data,
                created_at=now))
        transaction.put("outbox", outbox_item(events))
        _count_hit(transaction, submission, limit)
        return contact_id

    def _update(self, transaction: LabelledTransaction, contact_id: str, submission: Submission, lead: Lead,
                limit: int) -> None:
        """Adds the known contact's update. Fills only empty fields (if_not_exists), so a filled one is never
        silently overwritten; the submission, with every value sent, goes on the contact's history."""
        pk, sk = ContactItem.key(contact_id)
        contact = ContactItem(pk, sk)
        actions: list[Any] = [
            ContactItem.last_touch.set(submission.touch),
            ContactItem.updated_at.set(submission.received_at),
            ContactItem.version.add(1),
        ]
        for name, value in lead.properties.items():
            attribute = getattr(ContactItem, name)
            actions.append(attribute.set(attribute | value))
        for name, value in lead.custom_fields.items():
            actions.append(ContactItem.custom_fields[name].set(ContactItem.custom_fields[name] | value))
        if lead.email:
            actions += [ContactItem.email.set(ContactItem.email | lead.email),
                        ContactItem.email_key.set(ContactItem.email_key | lead.email_key),
                        ContactItem.emails.add({lead.email_key})]
        if lead.phone:
            actions += [ContactItem.phone.set(ContactItem.phone | lead.phone),
                        ContactItem.phones.add({lead.phone})]
        if lead.search_name:
            actions.append(ContactItem.search_name.set(ContactItem.search_name | lead.search_name))
        transaction.update("contact", contact, actions, ContactItem.PK.exists()
                           & ContactItem.merged_into.does_not_exist() & ContactItem.erased_at.does_not_exist(),
                           return_old=True)
        for sentinel in _sentinels(lead, contact_id):
            # Claim an identifier that is new to this person; one owned by someone else is left alone.
            transaction.put(f"sentinel:{sentinel.kind}", sentinel,
                            UniqueItem.PK.does_not_exist() | (UniqueItem.contact_id == contact_id), return_old=True)
        transaction.put("submission", _submission_entry(
            contact_id, submission, "form_resubmitted",
            "Submitted a web form again; empty fields were filled, filled ones kept"))
        transaction.put("outbox", outbox_item([
            new_event("Contact Updated", {"contact_id": contact_id}),
            new_event("Form Submitted", _form_event(submission, contact_id, created=False))]))
        _count_hit(transaction, submission, limit)


def _sentinels(lead: Lead, contact_id: str) -> list[UniqueItem]:
    pairs = [("email", lead.email_key), ("phone", lead.phone)]
    return [UniqueItem(*UniqueItem.key(kind, value), kind=kind, contact_id=contact_id)
            for kind, value in pairs if value]


def _submission_item(submission: Submission, status: str, contact_id: str | None) -> SubmissionItem:
    """A submission that made no contact (spam), kept under its form for review."""
    pk, sk = SubmissionItem.key(submission.form_id, submission.received_at, submission.submission_id)
    return SubmissionItem(
        pk, sk,
        submission_id=submission.submission_id, form_id=submission.form_id, status=status,
        spam_reasons=list(submission.spam_reasons) or None, contact_id=contact_id,
        content_type=submission.content_type, raw_body=submission.raw_body, fields=submission.fields,
        files=[vars(f) for f in submission.files] or None, source=submission.touch,
        created_at=submission.received_at,
    )


def _submission_entry(contact_id: str, submission: Submission, entry_type: str, summary: str) -> HistoryItem:
    """An accepted submission, kept as the contact's timeline entry: the raw body as received (JSON and
    urlencoded; multipart is kept parsed, its files in the attachments bucket), every value sent, the files
    and the visit, listed under its form too. A merge moves it with the timeline, an erase deletes it (and the
    files it names)."""
    pk, sk = HistoryItem.key(contact_id, submission.received_at, submission.submission_id)
    data: dict[str, Any] = {"form_id": submission.form_id, "submission_id": submission.submission_id,
                            "submitted": submission.fields, "files": [vars(f) for f in submission.files],
                            "touch": submission.touch, "content_type": submission.content_type}
    if submission.raw_body is not None:
        data["raw_body"] = submission.raw_body
    entry = HistoryItem(pk, sk, entry_type=entry_type, summary=summary, created_at=submission.received_at, data=data)
    listed = HistoryItem.form_keys(submission.form_id, submission.received_at, submission.submission_id)
    entry.GSI1PK, entry.GSI1SK = listed["GSI1PK"], listed["GSI1SK"]
    return entry


def _score_at_capture(contact: ContactItem, submitted: Event, received_at: str) -> ScoreChange | None:
    """Scores the new contact with its Form Submitted in its ledger, by the model in force (cached per
    container, like the form); what the change sets is on `contact`. None when the model cannot be read:
    the lead is stored unscored, and the scoring function scores it from its events."""
    # The scoring core is imported by the first submission that may be a new lead, not at cold start.
    from crm.scoring.changes import current_model, score_new_contact  # noqa: PLC0415 - the scoring core loads at the first new lead, not at cold start
    from crm.scoring.rules import LedgerEntry  # noqa: PLC0415 - the scoring core loads at the first new lead, not at cold start

    try:
        model = current_model()
    except Exception:  # noqa: BLE001 - an AWS fault or an invalid stored model must not refuse the lead
        logger.warning("the scoring model could not be read; the lead is left for the scoring function",
                       exc_info=True)
        return None
    entry = LedgerEntry(submitted.event_id, submitted.detail_type, received_at)
    return score_new_contact(contact, entry, model, date.fromisoformat(received_at[:10]),
                             f"{submitted.detail_type}:{submitted.event_id}")


def _form_event(submission: Submission, contact_id: str, created: bool) -> dict[str, Any]:
    return {"form_id": submission.form_id, "submission_id": submission.submission_id,
            "contact_id": contact_id, "created_contact": created,
            "utm_source": submission.touch.get("utm_source"), "utm_campaign": submission.touch.get("utm_campaign")}


def _count_hit(transaction: LabelledTransaction, submission: Submission, limit: int) -> None:
    window = epoch_seconds() // _RATE_WINDOW_SECONDS
    counter = RateCounterItem(*RateCounterItem.key(submission.form_id, submission.source_ip, window))
    under_limit: Condition = RateCounterItem.hits.does_not_exist() | (RateCounterItem.hits < limit)
    transaction.update("rate", counter, [RateCounterItem.hits.add(1),
                                         RateCounterItem.expires_at.set((window + 2) * _RATE_WINDOW_SECONDS)],
                       under_limit, return_old=True)


def _sentinel_owners(failed: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Which contact owns each identifier (email, phone) whose sentinel stopped the transaction."""
    return {label.removeprefix("sentinel:"): item["contact_id"]["S"]
            for label, item in failed.items() if label.startswith("sentinel:")}
