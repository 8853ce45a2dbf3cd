"""Mail: emails, attachments, cases, auto-reply claims and mailbox settings (email ingestion and the API).

Emails, cases and attachments are shown, never taken: their items declare each field the API shows once
(crm.records.fields, `writable=False`), and EMAIL, EMAIL_IN_THREAD, CASE and ATTACHMENT are derived from
them. Who may see which mail is crm.mail.visibility.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)

from crm.records.fields import Document, Integer, Listing, Text
from crm.records.table import ByCreatedIndex, CrmItem, GroupOrderIndex
from crm.records.views import Many, RecordView, shown_as


class MailboxesItem(CrmItem):
    """Inbound addresses and their routing, as edited through the API (validated by crm.mailboxes)."""

    definitions_json = UnicodeAttribute()
    version = NumberAttribute()
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()

    @staticmethod
    def key() -> tuple[str, str]:
        return "MAILBOXES", "CONFIG"


class EmailItem(CrmItem):
    """One received email, keyed by its Message-ID (or its raw bytes' hash), so it is stored once.

    Bodies are cut to fit an item; the raw MIME in the inbound bucket stays the full record."""

    email_id = UnicodeAttribute()
    status = Text(writable=False, required=True, null=False)
    flags = Listing(writable=False)
    message_id = Text(writable=False)
    thread_id = Text(writable=False, required=True, null=False)
    in_reply_to = Text(writable=False)
    references: ListAttribute[str] = ListAttribute(null=True)
    subject = Text(writable=False)
    from_address = shown_as("from.address", Text(writable=False))
    from_name = shown_as("from.name", Text(writable=False))
    to = Listing(writable=False)
    cc = Listing(writable=False)
    reply_to = Listing(writable=False)
    sent_at = Text(writable=False)
    received_at = Text(writable=False, required=True, null=False)
    preview = Text(writable=False)
    text_body = Text(writable=False)
    html_body = Text(writable=False)
    attachments = Listing(writable=False, description="What each file is; its id downloads it.")
    contact_ids = Listing(writable=False)
    mailbox = Text(writable=False)
    routed_to = Document(writable=False)
    case_id = Text(writable=False)
    size = Integer(writable=False, required=True, null=False)
    raw_bucket = UnicodeAttribute()
    raw_key = UnicodeAttribute()
    GSI1PK = UnicodeAttribute(null=True)
    GSI1SK = UnicodeAttribute(null=True)
    by_thread = ByCreatedIndex()

    @staticmethod
    def key(email_id: str) -> tuple[str, str]:
        return f"EMAIL#{email_id}", "EMAIL"

    @staticmethod
    def thread_key(thread_id: str) -> str:
        return f"THREAD#{thread_id}"


class AttachmentItem(CrmItem):
    """A file that arrived by email, stored once per content (its SHA-256 is its id and S3 key)."""

    attachment_id = UnicodeAttribute()
    s3_key = UnicodeAttribute()
    filename = Text(writable=False, required=True, null=False)
    content_type = Text(writable=False, required=True, null=False)
    size = Integer(writable=False, required=True, null=False)
    first_email_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    # The emails that carry the file, so erasing one person deletes it only when no one else's email does.
    # Past MAX_TRACKED_EMAILS (a logo in every signature) the file is `widely_shared` and never erased.
    email_ids = UnicodeSetAttribute(null=True)
    widely_shared = BooleanAttribute(null=True)

    MAX_TRACKED_EMAILS = 50

    @staticmethod
    def key(sha256: str) -> tuple[str, str]:
        return f"ATTACHMENT#{sha256}", "BLOB"

    @staticmethod
    def object_key(sha256: str) -> str:
        """Its S3 key in the attachments bucket."""
        return f"email/{sha256}"


class CaseItem(CrmItem):
    """A support case opened by mail to a support address; replies on its thread attach to it."""

    case_id = UnicodeAttribute()
    status = Text(writable=False, required=True, null=False)
    subject = Text(writable=False)
    contact_id = Text(writable=False)
    thread_id = Text(writable=False, required=True, null=False)
    mailbox = Text(writable=False, required=True, null=False)
    queue = Text(writable=False)
    owner = Text(writable=False)
    email_count = Integer(writable=False, required=True, null=False, default=1)
    created_at = Text(writable=False, required=True, null=False)
    updated_at = Text(writable=False, required=True, null=False)
    # The inbox: one status's cases, the most recently active first (GSI3, queried backwards).
    GSI3PK = UnicodeAttribute(null=True)
    order_key = UnicodeAttribute(null=True, attr_name="score_key")
    by_status = GroupOrderIndex()

    @staticmethod
    def key(case_id: str) -> tuple[str, str]:
        return f"CASE#{case_id}", "CASE"

    @staticmethod
    def inbox(status: str) -> str:
        return f"CASES#{status}"

    @staticmethod
    def inbox_keys(status: str, updated_at: str, case_id: str) -> dict[str, str]:
        """Where a case sorts in the inbox; every write of its status or activity sets them."""
        return {"GSI3PK": CaseItem.inbox(status), "order_key": f"{updated_at}#{case_id}"}


class AutoReplyItem(CrmItem):
    """One auto-reply from one inbound address to one sender; its TTL is the 24-hour window."""

    sent_at = NumberAttribute()
    expires_at = NumberAttribute()

    @staticmethod
    def key(mailbox: str, sender_key: str) -> tuple[str, str]:
        return f"AUTOREPLY#{mailbox}#{sender_key}", "WINDOW"


# An email in the list of its thread or its case: its sender's address is its `from`.
EMAIL_IN_THREAD = RecordView("Email", EmailItem, "email_id").part("EmailInThread", "subject", "from_address",
                                                                  "received_at", "preview")
# An email with the emails of its thread the caller may see.
EMAIL = RecordView("Email", EmailItem, "email_id", computed={"thread": Many(EMAIL_IN_THREAD)})
CASE = RecordView("Case", CaseItem, "case_id", computed={"emails": Many(EMAIL_IN_THREAD)})
# A case in the inbox's list: what it is about and where it stands, without its emails.
CASE_IN_INBOX = CASE.part("CaseInInbox", "status", "subject", "contact_id", "mailbox", "queue", "owner",
                          "email_count", "created_at", "updated_at")


def case_status(case_id: str, status: str, at: str) -> list[Any]:
    """The update actions that set a case's status at `at` and move it to that status's inbox."""
    keys = CaseItem.inbox_keys(status, at, case_id)
    return [CaseItem.status.set(status), CaseItem.updated_at.set(at), CaseItem.GSI3PK.set(keys["GSI3PK"]),
            CaseItem.order_key.set(keys["order_key"])]
# A file with a link that downloads it for a few minutes.
ATTACHMENT = RecordView("Attachment", AttachmentItem, "attachment_id", computed={"url": str, "expires_in": int})
