"""Data access for email ingestion: raw MIME from the inbound bucket, attachments content-addressed in
the attachments bucket, and one DynamoDB transaction per message with its outbox events."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from pynamodb.exceptions import TransactWriteError

from crm.contacts.spec import ContactItem, UniqueItem, created_detail
from crm.contacts.store import new_contact_item
from crm.mail.ingest import AUTO_REPLY_WINDOW_SECONDS, EmailRecord, RawMessage, ThreadRef
from crm.mail.parse import Attachment
from crm.mail.spec import AttachmentItem, AutoReplyItem, CaseItem, EmailItem, MailboxesItem, case_status
from crm.platform import aws
from crm.platform.clock import epoch_seconds, iso_now
from crm.platform.config import Settings
from crm.platform.observability import logger
from crm.platform.transactions import back_off, conflicted, retrying
from crm.records.history import HistoryItem
from crm.records.table import get_item
from crm.records.transactions import LabelledTransaction

# Bodies are cut to keep the item well under DynamoDB's 400 KB; the raw MIME stays whole in S3.
MAX_TEXT_BYTES = 96 * 1024
MAX_HTML_BYTES = 160 * 1024


class LinkedContactMoved(RuntimeError):
    """A contact the email was linked to is a redirect or a tombstone now: link the message again."""


class DynamoMailStore:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def saved_mailboxes(self) -> dict[str, Any] | None:
        """The mailbox definitions saved through the API, or None when there are none."""
        item = get_item(MailboxesItem, MailboxesItem.key())
        return json.loads(item.definitions_json) if item else None

    def load_raw(self, bucket: str, key: str, max_bytes: int) -> RawMessage:
        """The raw message; one over `max_bytes` is not read (it is kept and flagged)."""
        response = aws.client("s3").get_object(Bucket=bucket, Key=key)
        size = int(response["ContentLength"])
        body = response["Body"]
        try:
            data = body.read() if size <= max_bytes else b""
        finally:
            body.close()
        return RawMessage(bucket=bucket, key=key, data=data, size=size)

    def find_threads(self, email_ids: list[str]) -> dict[str, ThreadRef]:
        keys = [EmailItem.key(i) for i in email_ids]
        return {item.email_id: ThreadRef(item.thread_id, item.case_id)
                for item in EmailItem.batch_get(keys, attributes_to_get=["PK", "SK", "email_id", "thread_id",
                                                                         "case_id"])}

    def contacts_by_email(self, keys: list[str]) -> dict[str, str]:
        sentinels = UniqueItem.batch_get([UniqueItem.key("email", k) for k in keys])
        return {item.PK.removeprefix("UNIQUE#EMAIL#"): item.contact_id for item in sentinels}

    def store_attachment(self, attachment: Attachment, email_id: str) -> str:
        """Content-addressed: a file already held (by any email) is not uploaded again, only noted as this
        email's too. Adding to a set is idempotent, so a redelivered message changes nothing."""
        sha256 = attachment.sha256
        item = AttachmentItem(*AttachmentItem.key(sha256))
        try:
            held: AttachmentItem | None = AttachmentItem.get(*AttachmentItem.key(sha256), attributes_to_get=[
                "PK", "email_ids", "widely_shared"])
        except AttachmentItem.DoesNotExist:
            held = None
        if held is None:
            key = AttachmentItem.object_key(sha256)
            aws.client("s3").put_object(Bucket=self._settings.attachments_bucket, Key=key, Body=attachment.data,
                                        ContentType=attachment.content_type,
                                        Metadata={"filename": quote(attachment.filename)})
            # An update, not a put: an email racing with the same new file keeps its reference too.
            item.update(actions=[
                AttachmentItem.attachment_id.set(sha256), AttachmentItem.s3_key.set(key),
                AttachmentItem.filename.set(AttachmentItem.filename | (attachment.filename or sha256)),
                AttachmentItem.content_type.set(attachment.content_type),
                AttachmentItem.size.set(len(attachment.data)),
                AttachmentItem.first_email_id.set(AttachmentItem.first_email_id | email_id),
                AttachmentItem.created_at.set(AttachmentItem.created_at | iso_now()),
                AttachmentItem.email_ids.add({email_id})])
        elif held.widely_shared or email_id in (held.email_ids or ()):
            pass
        elif held.email_ids is None or len(held.email_ids) >= AttachmentItem.MAX_TRACKED_EMAILS:
            # Held before references were kept, or carried by many: whose it is cannot be told any more.
            item.update(actions=[AttachmentItem.widely_shared.set(True), AttachmentItem.email_ids.remove()])
        else:
            item.update(actions=[AttachmentItem.email_ids.add({email_id})])
        return sha256

    def send_raw(self, source: str, destination: str, message: bytes) -> bool:
        """False when SES failed. The email is saved by then, so a redelivery would find it stored and
        send nothing either: failing the message would only dead-letter mail that was kept."""
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415 - with the client it serves

        try:
            aws.client("ses").send_raw_email(Source=source, Destinations=[destination], RawMessage={"Data": message})
        except (BotoCoreError, ClientError):
            logger.exception("the auto-reply could not be sent", extra={"destination": destination})
            return False
        return True

    def save(self, record: EmailRecord) -> EmailRecord | None:
        for attempt in retrying("email could not be saved after repeated transaction conflicts"):
            transaction = _transaction(record)
            try:
                transaction.commit()
                return record
            except TransactWriteError as exc:
                failed = transaction.failed_items(exc)
                if "email" in failed:
                    return None
                if "email_sentinel" in failed and record.new_contact is not None:
                    record = _with_existing_sender(record, failed["email_sentinel"]["contact_id"]["S"])
                elif "auto_reply" in failed:
                    record = replace(record, auto_reply_key=None)
                elif conflicted(exc):
                    back_off(attempt)
                elif self._moved_contacts(record):
                    raise LinkedContactMoved("a contact of this email was merged or erased meanwhile; the message "
                                             "is delivered again and linked anew") from exc
                else:
                    raise
        raise AssertionError("not reached: retrying() raises after its last try")

    @staticmethod
    def _moved_contacts(record: EmailRecord) -> bool:
        known = [c for c in record.contact_ids if record.new_contact is None or c != record.new_contact.contact_id]
        profiles = ContactItem.batch_get([ContactItem.key(c) for c in known], consistent_read=True,
                                         attributes_to_get=["PK", "SK", "merged_into", "erased_at"]) if known else []
        return any(p.merged_into or p.erased_at for p in profiles)


def _transaction(record: EmailRecord) -> LabelledTransaction:
    """The email, its contacts' history and what it changes, in one transaction; the writes whose failed
    condition `save` reads (the email, the sender's sentinel, the auto-reply claim) return the item as it was."""
    transaction = LabelledTransaction()
    transaction.put("email", _email_item(record), EmailItem.PK.does_not_exist(), return_old=True)
    if record.new_contact is not None:
        _create_contact(transaction, record)
    # A contact merged away or erased since it was looked up takes no more history.
    live = ContactItem.PK.exists() & ContactItem.merged_into.does_not_exist() & ContactItem.erased_at.does_not_exist()
    new_contact_id = record.new_contact.contact_id if record.new_contact is not None else None
    for contact_id in record.contact_ids:
        transaction.put(f"history:{contact_id}", _history(record, contact_id))
        if contact_id != new_contact_id and contact_id not in record.bouncing_contact_ids:
            transaction.check(f"contact:{contact_id}", ContactItem, ContactItem.key(contact_id), live)
    for contact_id in record.bouncing_contact_ids:
        transaction.update(f"bouncing:{contact_id}", ContactItem(*ContactItem.key(contact_id)),
                           [ContactItem.email_status.set("bouncing"), ContactItem.updated_at.set(record.received_at),
                            ContactItem.version.add(1)], live)
        transaction.event("Contact Updated", {"contact_id": contact_id})
    if record.case is not None:
        _write_case(transaction, record)
    if record.auto_reply_key is not None and record.mailbox is not None:
        now = epoch_seconds()
        claim = AutoReplyItem(*AutoReplyItem.key(record.mailbox, record.auto_reply_key), sent_at=now,
                              expires_at=now + AUTO_REPLY_WINDOW_SECONDS)
        # TTL deletes late, so an expired claim is as good as none.
        transaction.put("auto_reply", claim, AutoReplyItem.PK.does_not_exist() | (AutoReplyItem.expires_at < now),
                        return_old=True)
    if record.status == "received" and record.sender_contact_id is not None:
        transaction.event("Email Received", {"contact_id": record.sender_contact_id, "email_id": record.email_id,
                                             "thread_id": record.thread_id})
    return transaction


def _create_contact(transaction: LabelledTransaction, record: EmailRecord) -> None:
    new = record.new_contact
    assert new is not None  # noqa: S101 - narrows the Optional for the type checker; the caller guarantees it
    now = record.received_at
    contact = new_contact_item(new.contact_id, now=now, lifecycle_stage="lead", source=new.source, email=new.email,
                               owner=new.owner, first_name=new.first_name, last_name=new.last_name)
    transaction.put("new_contact", contact, ContactItem.PK.does_not_exist())
    transaction.put("email_sentinel", UniqueItem(*UniqueItem.key("email", new.email_key), kind="email",
                                                 contact_id=new.contact_id),
                    UniqueItem.PK.does_not_exist(), return_old=True)
    transaction.event("Contact Created", created_detail(new.contact_id, new.source, "email"))


def _write_case(transaction: LabelledTransaction, record: EmailRecord) -> None:
    case = record.case
    assert case is not None  # noqa: S101 - narrows the Optional for the type checker; the caller guarantees it
    pk, sk = CaseItem.key(case.case_id)
    if case.opened:
        opened = CaseItem(
            pk, sk, case_id=case.case_id, status="open", subject=record.parsed.subject[:500] or None,
            contact_id=record.sender_contact_id, thread_id=record.thread_id, mailbox=case.mailbox, queue=case.queue,
            owner=case.owner, email_count=1, created_at=record.received_at, updated_at=record.received_at)
        inbox = CaseItem.inbox_keys("open", record.received_at, case.case_id)
        opened.GSI3PK, opened.order_key = inbox["GSI3PK"], inbox["order_key"]
        transaction.put("case", opened, CaseItem.PK.does_not_exist())
        return
    # A reply on the case's thread: attached, and the case is open again for whoever handles it.
    transaction.update("case", CaseItem(pk, sk), [CaseItem.email_count.add(1),
                                                  *case_status(case.case_id, "open", record.received_at)],
                       CaseItem.PK.exists())


def _email_item(record: EmailRecord) -> EmailItem:
    parsed = record.parsed
    pk, sk = EmailItem.key(record.email_id)
    return EmailItem(
        pk, sk,
        email_id=record.email_id, status=record.status, flags=record.flags or None,
        message_id=parsed.message_id, thread_id=record.thread_id, in_reply_to=parsed.in_reply_to,
        references=list(parsed.references) or None, subject=parsed.subject or None,
        from_address=parsed.sender.address if parsed.sender else None,
        from_name=(parsed.sender.name or None) if parsed.sender else None,
        to=[a.address for a in parsed.to] or None, cc=[a.address for a in parsed.cc] or None,
        reply_to=[a.address for a in parsed.reply_to] or None, sent_at=parsed.sent_at,
        text_body=_cut(parsed.text_body, MAX_TEXT_BYTES), html_body=_cut(parsed.html_body, MAX_HTML_BYTES),
        preview=parsed.preview or None,
        attachments=[_without_none(vars(a)) for a in record.attachments] or None,
        contact_ids=record.contact_ids or None, mailbox=record.mailbox, routed_to=record.routed_to or None,
        case_id=record.case.case_id if record.case else None, raw_bucket=record.raw.bucket, raw_key=record.raw.key,
        size=record.raw.size, received_at=record.received_at,
        GSI1PK=EmailItem.thread_key(record.thread_id), GSI1SK=f"{record.received_at}#{record.email_id}",
    )


def _history(record: EmailRecord, contact_id: str) -> HistoryItem:
    parsed = record.parsed
    bounced = contact_id in record.bouncing_contact_ids
    pk, sk = HistoryItem.key(contact_id, record.received_at, record.email_id)
    data = {"email_id": record.email_id, "thread_id": record.thread_id, "direction": "inbound",
            "from": parsed.sender.address if parsed.sender else None, "subject": parsed.subject,
            "preview": parsed.preview, "attachments": len(record.attachments),
            "case_id": record.case.case_id if record.case else None}
    return HistoryItem(pk, sk, entry_type="email_bounced" if bounced else "email_received",
                       summary=(f"Mail to this address bounced: {parsed.subject}" if bounced
                                else parsed.subject or "(no subject)")[:500],
                       data=_without_none(data), created_at=record.received_at)


def _with_existing_sender(record: EmailRecord, owner: str) -> EmailRecord:
    """Someone created the sender's contact meanwhile: link to theirs instead of creating one."""
    assert record.new_contact is not None  # noqa: S101 - narrows the Optional for the type checker; the caller guarantees it
    created = record.new_contact.contact_id
    ids = list(dict.fromkeys(owner if i == created else i for i in record.contact_ids))
    return replace(record, new_contact=None, sender_contact_id=owner, contact_ids=ids)


def _cut(text: str, max_bytes: int) -> str | None:
    if not text:
        return None
    return text.encode("utf-8")[:max_bytes].decode("utf-8", "ignore")


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
