"""Erasing a person (GDPR): their personal data leaves the table and the buckets; what the business must
keep (payments and their amounts, who changed which fields when) stays, without the person in it.

The timeline is the map of what the person left behind: its entries name the emails (with their raw MIME
and attachments), the cases they opened and the form submissions. Those are deleted first and the entries
last, so a crash leaves the entries that still lead to what is left, and repeating the erase finishes it.
Provider events are kept under the contact as well (`ContactWebhookItem`, whether or not they made a
timeline entry); they are stripped, then their references deleted. Workflow runs, which keep the event that
started them, are deleted. Then one transaction makes the profile a tombstone,
frees its emails and phones (the person may come back as a new contact), audits `erase` and announces
`Contact Erased`; last, the contact's audit entries keep who, when and which fields, not the values.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pynamodb.exceptions import DeleteError
from pynamodb.expressions.condition import size

from crm.contacts.edits import release_identifiers
from crm.contacts.history import TIMELINE_PAGE, chunks, entry_data, linked, stripped, timeline, timeline_links
from crm.contacts.spec import CONTACT, ContactItem
from crm.mail.spec import AttachmentItem, AutoReplyItem, EmailItem
from crm.payments.spec import ContactWebhookItem, WebhookEventItem
from crm.platform import aws
from crm.platform.config import ConfigError, get_settings
from crm.platform.errors import HttpError
from crm.platform.identity import InvalidValue, email_key, normalize_email
from crm.records.audit import AuditItem
from crm.records.history import HistoryItem
from crm.records.reads import load
from crm.records.table import CrmItem
from crm.records.transactions import MAX_TRANSACTION_ITEMS, LabelledTransaction
from crm.records.writes import Change, update
from crm.workflows.spec import RunItem

REDACTED = "[erased]"
# S3's DeleteObjects takes at most this many keys.
MAX_S3_KEYS = 1000


def erase(actor: str, contact_id: str) -> ContactItem:
    """Erases the contact, or finishes an erase begun before; the tombstone is what remains."""
    item = load(ContactItem, ContactItem.key(contact_id), "contact")
    if item.merged_into:
        raise HttpError(409, "contact_merged", f"This contact was merged into {item.merged_into}; erase that one.",
                        {"merged_into": item.merged_into})
    merged_away = _sweep_timeline(contact_id)
    for person in (contact_id, *merged_away):
        _strip_kept_webhooks(person)
        _delete_items(_workflow_runs(person))
    if not item.erased_at:
        _tombstone(actor, item)
    for entity_id in (contact_id, *merged_away):
        scrub_audit("contact", entity_id)
    return load(ContactItem, ContactItem.key(contact_id), "contact")


def tombstone_view(item: ContactItem) -> dict[str, Any]:
    return {"id": item.contact_id, "erased_at": item.erased_at, "erased_by": item.erased_by,
            "version": int(item.version)}


def _tombstone(actor: str, item: ContactItem) -> None:
    contact_id = item.contact_id
    change = Change("contact", contact_id, "erase", actor)
    # The audit says which fields were erased, never their values.
    before = {name: REDACTED for name, value in CONTACT.view(item).items()
              if value not in (None, [], {}) and name not in ("id", "version", "created_at", "updated_at")}
    update(change, item, int(item.version), {**stripped(item), "erased_at": change.at, "erased_by": actor},
           before, {})
    release_identifiers(change, contact_id, set(item.emails or ()), set(item.phones or ()))
    change.transaction.event("Contact Erased", {"contact_id": contact_id, "by": actor})
    change.commit()


def _sweep_timeline(contact_id: str) -> list[str]:
    """Deletes or strips what each page of the timeline names, then the page; returns the contacts that
    were merged into this one (their audit entries hold this person's values too)."""
    merged_away: list[str] = []
    for entries in chunks(timeline(contact_id), TIMELINE_PAGE):
        data = [entry_data(entry) for entry in entries]
        merged_away += [v["loser_id"] for v in data if v.get("loser_id")]
        links = timeline_links(entries)
        doomed: list[CrmItem] = [*links.cases, *links.submissions]
        settings = get_settings()
        # An email the CRM sent keeps no raw copy (its raw_key is empty).
        _delete_objects(_inbound_bucket(links.emails), [e.raw_key for e in links.emails if e.raw_key])
        _delete_objects(settings.attachments_bucket,
                        _release_attachments(links.emails)
                        + [f["key"] for s in links.submissions for f in s.files or () if f.get("key")]
                        + [f["key"] for v in data for f in v.get("files") or () if f.get("key")])
        for email in links.emails:
            doomed += [email, *_auto_reply_claims(email)]
            # The same email on the other contacts' timelines names this person too.
            doomed += [HistoryItem(*HistoryItem.key(other, email.received_at, email.email_id))
                       for other in email.contact_ids or () if other != contact_id]
        _delete_items(doomed)
        _delete_items(entries)
    return merged_away


def _release_attachments(emails: list[EmailItem]) -> list[str]:
    """The S3 keys of the files only these emails carry, whose items are deleted here. A file another
    email carries too (or a widely shared one, a logo) stays, no longer noting these emails."""
    erased = {email.email_id for email in emails}
    ids = sorted({a["attachment_id"] for e in emails for a in e.attachments or () if a.get("attachment_id")})
    held = {a.attachment_id: a for a in AttachmentItem.batch_get([AttachmentItem.key(i) for i in ids],
                                                                  consistent_read=True)} if ids else {}
    keys = []
    for attachment_id in ids:
        attachment = held.get(attachment_id)
        if attachment is None:
            # An erase cut short after the item went: its file goes now.
            keys.append(AttachmentItem.object_key(attachment_id))
            continue
        carried_by = set(attachment.email_ids or {attachment.first_email_id})
        if not attachment.widely_shared and carried_by <= erased:
            # Unless an email with the same file arrived since it was read.
            unchanged = AttachmentItem.widely_shared.does_not_exist() & (
                AttachmentItem.email_ids.does_not_exist() | (size(AttachmentItem.email_ids) == len(carried_by)))
            try:
                attachment.delete(condition=unchanged)
                keys.append(attachment.s3_key)
                continue
            except DeleteError as error:
                if error.cause_response_code != "ConditionalCheckFailedException":
                    raise
        if carried_by & erased and attachment.email_ids:
            attachment.update(actions=[AttachmentItem.email_ids.delete(carried_by & erased)])
    return keys


def _inbound_bucket(emails: list[EmailItem]) -> str:
    bucket = get_settings().inbound_bucket
    if emails and not bucket:
        raise ConfigError("CRM_INBOUND_BUCKET is not set: raw emails cannot be erased")
    return bucket or ""


def _auto_reply_claims(email: EmailItem) -> list[AutoReplyItem]:
    """The claim that keys the sender's address to a mailbox, kept for the day auto-replies are limited."""
    try:
        sender = email_key(normalize_email(email.from_address or ""))
    except InvalidValue:
        return []
    return [AutoReplyItem(*AutoReplyItem.key(email.mailbox, sender))] if email.mailbox else []


def _delete_objects(bucket: str, keys: list[str]) -> None:
    """DeleteObjects is idempotent: an object deleted before is not an error."""
    for batch in chunks(sorted(set(keys)), MAX_S3_KEYS):
        aws.client("s3").delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in batch],
                                                               "Quiet": True})


def _delete_items(items: Iterable[CrmItem]) -> None:
    """BatchWriteItem deletes (25 a request); a key deleted before is not an error."""
    unique = {(item.PK, item.SK): item for item in items}
    with CrmItem.batch_write() as batch:
        for item in unique.values():
            batch.delete(item)


def _workflow_runs(contact_id: str) -> Iterable[RunItem]:
    """The contact's workflow runs, each holding the event that started it: they go. A wait's schedule that
    fires later finds no run and does nothing (crm.workflows.engine.wake)."""
    pk, _ = RunItem.key(contact_id, "")
    return RunItem.query(pk, RunItem.SK.startswith("WORKFLOW_RUN#"), consistent_read=True)


def _strip_kept_webhooks(contact_id: str) -> None:
    """Every provider event kept about the contact, with a timeline entry or without, page by page."""
    pk, _ = ContactWebhookItem.key(contact_id, "", "")
    kept = ContactWebhookItem.query(pk, ContactWebhookItem.SK.startswith(ContactWebhookItem.PREFIX))
    for page in chunks(kept, MAX_TRANSACTION_ITEMS):
        _strip_webhook_events({"provider": ref.provider, "provider_event_id": ref.event_id} for ref in page)
        _delete_items(page)


def _strip_webhook_events(payments: Iterable[dict[str, Any]]) -> None:
    """A payment stays for the books; the provider's raw event (payer's email, name, address) and its
    headers do not. The event's id, type, status and payment key stay."""
    keys = sorted({WebhookEventItem.key(p["provider"], p["provider_event_id"]) for p in payments})
    for batch in chunks(linked(WebhookEventItem, keys), MAX_TRANSACTION_ITEMS):
        tx = LabelledTransaction()
        for event in batch:
            tx.update(f"webhook:{event.PK}", event, [WebhookEventItem.raw_body.set(REDACTED),
                                                     WebhookEventItem.headers.set({})])
        tx.commit()


def scrub_audit(entity: str, entity_id: str) -> None:
    """Each audit entry of the record keeps who, when and which fields; every value becomes "[erased]"."""
    entries = AuditItem.query(AuditItem.key(entity, entity_id, "", "")[0], consistent_read=True)
    for batch in chunks((e for e in entries if _has_values(e)), MAX_TRANSACTION_ITEMS):
        tx = LabelledTransaction()
        for entry in batch:
            tx.update(f"audit:{entry.SK}", entry, [AuditItem.changes.set({
                name: {side: None if value is None else REDACTED for side, value in change.items()}
                for name, change in entry.changes.as_dict().items()})])
        tx.commit()


def _has_values(entry: AuditItem) -> bool:
    return any(value not in (None, REDACTED) for change in entry.changes.as_dict().values()
               for value in change.values())
