"""Mail: emails, attachments, cases, auto-reply claims and mailbox settings (email ingestion and the API).

Apart from crm.models so that functions which do not use them do not build their classes at cold start.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)

from crm.records.table import ContactListIndex, CrmItem


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
    status = UnicodeAttribute()
    flags = ListAttribute(null=True)
    message_id = UnicodeAttribute(null=True)
    thread_id = UnicodeAttribute()
    in_reply_to = UnicodeAttribute(null=True)
    references = ListAttribute(null=True)
    subject = UnicodeAttribute(null=True)
    from_address = UnicodeAttribute(null=True)
    from_name = UnicodeAttribute(null=True)
    to = ListAttribute(null=True)
    cc = ListAttribute(null=True)
    reply_to = ListAttribute(null=True)
    sent_at = UnicodeAttribute(null=True)
    text_body = UnicodeAttribute(null=True)
    html_body = UnicodeAttribute(null=True)
    preview = UnicodeAttribute(null=True)
    attachments = ListAttribute(null=True)
    contact_ids = ListAttribute(null=True)
    mailbox = UnicodeAttribute(null=True)
    routed_to = MapAttribute(null=True)
    case_id = UnicodeAttribute(null=True)
    raw_bucket = UnicodeAttribute()
    raw_key = UnicodeAttribute()
    size = NumberAttribute()
    received_at = UnicodeAttribute()
    GSI1PK = UnicodeAttribute(null=True)
    GSI1SK = UnicodeAttribute(null=True)
    by_thread = ContactListIndex()

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
    filename = UnicodeAttribute()
    content_type = UnicodeAttribute()
    size = NumberAttribute()
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
    status = UnicodeAttribute()
    subject = UnicodeAttribute(null=True)
    contact_id = UnicodeAttribute(null=True)
    thread_id = UnicodeAttribute()
    mailbox = UnicodeAttribute()
    queue = UnicodeAttribute(null=True)
    owner = UnicodeAttribute(null=True)
    email_count = NumberAttribute(default=1)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()

    @staticmethod
    def key(case_id: str) -> tuple[str, str]:
        return f"CASE#{case_id}", "CASE"


class AutoReplyItem(CrmItem):
    """One auto-reply from one inbound address to one sender; its TTL is the 24-hour window."""

    sent_at = NumberAttribute()
    expires_at = NumberAttribute()

    @staticmethod
    def key(mailbox: str, sender_key: str) -> tuple[str, str]:
        return f"AUTOREPLY#{mailbox}#{sender_key}", "WINDOW"
