"""One raw message to the CRM: parsed, linked to contacts, threaded, routed, maybe a case and an
auto-reply. Pure logic over a store; it knows nothing of boto3, S3 keys or the table's items."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Protocol, TypeVar

from crm.mail.mailboxes import Mailbox, MailSettings
from crm.mail.parse import Attachment, ParsedEmail, parse_email
from crm.platform.identity import InvalidValue, email_key, normalize_email

MAX_MESSAGE_BYTES = 40 * 1024 * 1024
MAX_LINKED_CONTACTS = 40
MAX_BOUNCED_CONTACTS = 25
# More parts than this are left in the raw message (flagged), so that the item and the run stay bounded.
MAX_ATTACHMENTS = 100
AUTO_REPLY_WINDOW_SECONDS = 24 * 3600
_NO_REPLY = re.compile(r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?)([+.\-_].*)?@", re.I)
_BULK_PRECEDENCE = {"bulk", "list", "junk"}
T = TypeVar("T")


@dataclass(frozen=True)
class RawMessage:
    bucket: str
    key: str
    data: bytes = field(repr=False)
    size: int

    @property
    def too_large(self) -> bool:
        return self.size > MAX_MESSAGE_BYTES


@dataclass(frozen=True)
class StoredAttachment:
    attachment_id: str
    filename: str
    content_type: str
    disposition: str
    content_id: str | None
    size: int


@dataclass(frozen=True)
class ThreadRef:
    thread_id: str
    case_id: str | None


@dataclass(frozen=True)
class NewContact:
    contact_id: str
    email: str
    email_key: str
    first_name: str | None
    last_name: str | None
    owner: str | None
    source: str


@dataclass(frozen=True)
class CaseChange:
    case_id: str
    opened: bool
    mailbox: str
    queue: str | None
    owner: str | None


@dataclass
class EmailRecord:
    """Everything one message writes, in one transaction."""

    email_id: str
    status: str
    flags: list[str]
    parsed: ParsedEmail
    raw: RawMessage
    received_at: str
    thread_id: str
    contact_ids: list[str] = field(default_factory=list)
    sender_contact_id: str | None = None
    new_contact: NewContact | None = None
    mailbox: str | None = None
    routed_to: dict[str, str] = field(default_factory=dict)
    case: CaseChange | None = None
    attachments: list[StoredAttachment] = field(default_factory=list)
    bouncing_contact_ids: list[str] = field(default_factory=list)
    # The sender's key, when an auto-reply is due: claimed in the transaction, at most one per 24 h.
    auto_reply_key: str | None = None


@dataclass(frozen=True)
class Outcome:
    email_id: str
    status: str
    duplicate: bool = False
    created_contact: bool = False
    auto_replied: bool = False


class MailStore(Protocol):
    def find_threads(self, email_ids: list[str]) -> dict[str, ThreadRef]: ...

    def contacts_by_email(self, keys: list[str]) -> dict[str, str]: ...

    def store_attachment(self, attachment: Attachment, email_id: str) -> str: ...

    def save(self, record: EmailRecord) -> EmailRecord | None:
        """Writes the record; None when this email is already stored. May drop the auto-reply claim
        (one was sent within the window) or swap the new contact for one created meanwhile."""

    def send_raw(self, source: str, destination: str, message: bytes) -> bool:
        """True when the message was sent."""


def email_id_for(message_id: str | None, raw: bytes) -> str:
    """The same Message-ID is the same email; without one, the same bytes are."""
    basis = f"mid:{message_id.strip()}".encode() if message_id else b"raw:" + hashlib.sha256(raw).digest()
    return hashlib.sha256(basis).hexdigest()[:32]


def ingest(raw: RawMessage, settings: MailSettings, store: MailStore, received_at: str) -> Outcome:
    """Never raises for what is in the message; only the store's faults (to be retried) escape."""
    parsed = parse_email(b"" if raw.too_large else raw.data)
    email_id = email_id_for(parsed.message_id, raw.key.encode() if raw.too_large else raw.data)
    record = EmailRecord(email_id=email_id, status="received", flags=_flags(parsed, raw), parsed=parsed, raw=raw,
                         received_at=received_at, thread_id=email_id)
    if raw.too_large or not parsed.parsed:
        record.status = "unparseable"
    elif {"spam", "virus"} & set(record.flags):
        record.status = "quarantined"
    elif parsed.bounce is not None:
        record.status = "bounce"
        keys = _keys(parsed.bounce.failed_recipients)
        record.bouncing_contact_ids = _unique(store.contacts_by_email(keys).values())[:MAX_BOUNCED_CONTACTS]
        record.contact_ids = list(record.bouncing_contact_ids)
    else:
        _link(record, settings, store)
    if record.status in ("received", "bounce"):
        record.attachments = [_stored(store, a, email_id) for a in parsed.attachments[:MAX_ATTACHMENTS]]
    saved = store.save(record)
    if saved is None:
        return Outcome(email_id, record.status, duplicate=True)
    replied = False
    if saved.auto_reply_key is not None and saved.mailbox is not None and parsed.sender is not None:
        mailbox = settings.mailbox_for([saved.mailbox])
        if mailbox.auto_reply is not None:
            replied = store.send_raw(mailbox.address, parsed.sender.address,
                                     auto_reply(parsed, mailbox, settings.domain))
    return Outcome(email_id, saved.status, created_contact=saved.new_contact is not None, auto_replied=replied)


def _link(record: EmailRecord, settings: MailSettings, store: MailStore) -> None:
    parsed = record.parsed
    recipients = [a.address for a in (*parsed.to, *parsed.cc)]
    mailbox = settings.mailbox_for(recipients)
    record.mailbox = mailbox.address
    record.routed_to = mailbox.route(parsed.subject, parsed.text_body)
    outside = [a.address for a in (*((parsed.sender,) if parsed.sender else ()), *parsed.reply_to, *parsed.to,
                                    *parsed.cc) if not settings.is_own(a.address)]
    keys = _keys(outside)
    owners = store.contacts_by_email(keys)
    sender_key = _key(parsed.sender.address) if parsed.sender else None
    outside_sender = sender_key is not None and not settings.is_own(sender_key)
    if outside_sender and sender_key is not None and sender_key not in owners and not _NO_REPLY.match(sender_key):
        record.new_contact = _new_contact(parsed, sender_key, mailbox, record.routed_to)
        owners[sender_key] = record.new_contact.contact_id
    record.sender_contact_id = owners.get(sender_key) if sender_key else None
    linked = [record.sender_contact_id] if record.sender_contact_id else []
    record.contact_ids = _unique([*linked, *(owners[k] for k in keys if k in owners)])[:MAX_LINKED_CONTACTS]
    parent = _parent(parsed, store)
    if parent is not None:
        record.thread_id = parent.thread_id
    if parent is not None and parent.case_id:
        record.case = CaseChange(parent.case_id, False, mailbox.address, record.routed_to.get("queue"),
                                 record.routed_to.get("owner"))
    elif mailbox.opens_cases and outside_sender:
        record.case = CaseChange(uuid.uuid4().hex, True, mailbox.address, record.routed_to.get("queue"),
                                 record.routed_to.get("owner"))
    if mailbox.auto_reply is not None and outside_sender and may_auto_reply(parsed, settings):
        record.auto_reply_key = sender_key


def may_auto_reply(parsed: ParsedEmail, settings: MailSettings) -> bool:
    """RFC 3834: never answer automated mail, lists, bulk, bounces, no-reply senders or ourselves."""
    sender = parsed.sender.address if parsed.sender else ""
    auto_submitted = parsed.header("auto-submitted").strip().lower()
    return bool(
        sender
        and auto_submitted in ("", "no")
        and parsed.header("precedence").strip().lower() not in _BULK_PRECEDENCE
        and not parsed.header("list-id")
        and not parsed.header("list-unsubscribe")
        and parsed.header("return-path").strip() != "<>"
        and not parsed.header("x-auto-response-suppress")
        and not _NO_REPLY.match(sender)
        and not settings.is_own(sender)
    )


def auto_reply(parsed: ParsedEmail, mailbox: Mailbox, domain: str) -> bytes:
    """An RFC 3834 reply: Auto-Submitted: auto-replied, threaded to the message it answers."""
    try:
        return _reply(parsed, mailbox, domain, parsed.subject or "your message", echo=True)
    except (UnicodeError, ValueError):
        # The email package re-parses what is written back: a subject that reads as a broken encoded word,
        # or a message id with a line break, cannot be (both found by `make fuzz`). Answer under a plain
        # subject, unthreaded, rather than fail the message.
        return _reply(parsed, mailbox, domain, "your message", echo=False)


def _reply(parsed: ParsedEmail, mailbox: Mailbox, domain: str, subject: str, echo: bool) -> bytes:
    assert mailbox.auto_reply is not None  # noqa: S101 - narrows the Optional for the type checker; the caller guarantees it
    reply = EmailMessage()
    reply["From"] = mailbox.address
    reply["To"] = parsed.sender.address if parsed.sender else ""
    prefix = mailbox.auto_reply.subject_prefix
    reply["Subject"] = subject if subject.lower().startswith(prefix.strip().lower()) else f"{prefix}{subject}"
    reply["Date"] = format_datetime(datetime.now().astimezone())
    reply["Message-ID"] = make_msgid(domain=domain)
    reply["Auto-Submitted"] = "auto-replied"
    reply["X-Auto-Response-Suppress"] = "All"
    if echo and parsed.message_id:
        reply["In-Reply-To"] = f"<{parsed.message_id}>"
        reply["References"] = " ".join(f"<{i}>" for i in (*parsed.references, parsed.message_id))
    reply.set_content(mailbox.auto_reply.body)
    return reply.as_bytes()


def _parent(parsed: ParsedEmail, store: MailStore) -> ThreadRef | None:
    """The nearest earlier message of the thread we hold: In-Reply-To first, then References, newest first."""
    candidates = _unique([i for i in (parsed.in_reply_to, *reversed(parsed.references)) if i])
    if not candidates:
        return None
    ids = [email_id_for(c, b"") for c in candidates]
    found = store.find_threads(ids)
    return next((found[i] for i in ids if i in found), None)


def _new_contact(parsed: ParsedEmail, key: str, mailbox: Mailbox, routed_to: dict[str, str]) -> NewContact:
    sender = parsed.sender
    assert sender is not None  # noqa: S101 - narrows the Optional for the type checker; the caller guarantees it
    first, _, last = sender.name.partition(" ")
    return NewContact(contact_id=uuid.uuid4().hex, email=_normalized(sender.address) or key, email_key=key,
                      first_name=first[:100] or None, last_name=last[:100] or None,
                      owner=routed_to.get("owner"), source=mailbox.contact_source)


def _flags(parsed: ParsedEmail, raw: RawMessage) -> list[str]:
    flags = []
    if raw.too_large:
        flags.append("too_large")
    if not parsed.parsed:
        flags.append("unparseable")
    if parsed.header("x-ses-spam-verdict").strip().upper() == "FAIL":
        flags.append("spam")
    if parsed.header("x-ses-virus-verdict").strip().upper() == "FAIL":
        flags.append("virus")
    if parsed.defects:
        flags.append("malformed")
    if len(parsed.attachments) > MAX_ATTACHMENTS:
        flags.append("attachments_truncated")
    return flags


def _stored(store: MailStore, attachment: Attachment, email_id: str) -> StoredAttachment:
    return StoredAttachment(store.store_attachment(attachment, email_id), attachment.filename,
                            attachment.content_type, attachment.disposition, attachment.content_id,
                            len(attachment.data))


def _normalized(address: str) -> str | None:
    try:
        return normalize_email(address)
    except InvalidValue:
        return None


def _key(address: str) -> str | None:
    normalized = _normalized(address)
    return email_key(normalized) if normalized else None


def _keys(addresses: Iterable[str]) -> list[str]:
    return _unique(k for k in (_key(a) for a in addresses) if k)


def _unique(values: Iterable[T]) -> list[T]:
    return list(dict.fromkeys(values))
