"""An email the CRM sends to a contact: rendered from a template in the contact's language, sent once per key,
kept in its thread and on the contact's timeline. Workflows call `send_to_contact`; staff send through the API
(crm.outbound.staff), which shares the message, the checks and the record made here.

What is skipped, and why (Sent.reason): `no_contact`, `no_template`, `no_address`, `no_consent` and
`unsubscribed` (the template's topic, crm.outbound.consent), `suppressed` (a hard bounce or a complaint),
`template_failed` (a render the sandbox refused), `sent_before` (the key was sent already)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Any, Literal

from crm.contacts.spec import ContactItem
from crm.mail.ingest import email_id_for
from crm.mail.parse import Attachment, html_to_text
from crm.mail.parse import preview as preview_of
from crm.mail.spec import EmailItem
from crm.mail.store import DynamoMailStore
from crm.outbound.consent import TRANSACTIONAL, refusal, sign_token, token_key
from crm.outbound.render import Rendered, TemplateRefused, pick_language, render_variant
from crm.outbound.send import send_once, sent_before
from crm.outbound.spec import EmailTemplateItem
from crm.outbound.suppression import suppressed
from crm.platform.clock import iso_now
from crm.platform.config import get_settings
from crm.platform.secrets import cursor_secret
from crm.records.history import HistoryItem
from crm.records.table import get_item
from crm.records.transactions import LabelledTransaction
from crm.team.directory import member
from crm.team.spec import MemberItem

MAX_TEXT_BYTES = 96 * 1024
MAX_HTML_BYTES = 160 * 1024
# Fields of the contact a template may show, as {{ contact.<name> }} (its custom fields as contact.custom.<name>).
CONTACT_FIELDS = ("first_name", "last_name", "email", "phone", "company", "job_title", "lifecycle_stage", "owner")


@dataclass(frozen=True)
class Sent:
    status: Literal["sent", "skipped"]
    reason: str | None = None
    message_id: str | None = None
    # The CRM's id of the email sent (its thread and timeline entry name it).
    email_id: str | None = None


@dataclass(frozen=True)
class FileToSend:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Outgoing:
    """One message to one contact (or address), before it is sent."""

    sender: str
    to: str
    rendered: Rendered
    topic: str = TRANSACTIONAL
    contact_id: str | None = None
    reply_to: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    thread_id: str | None = None
    # The support case a reply answers: the reply joins it, so whoever may see the case sees the answer.
    case_id: str | None = None
    files: tuple[FileToSend, ...] = ()
    automatic: bool = True
    template_id: str | None = None
    by: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def template(template_id: str) -> EmailTemplateItem | None:
    return get_item(EmailTemplateItem, EmailTemplateItem.key(template_id)) if template_id else None


def live_contact(contact_id: str) -> ContactItem | None:
    contact = get_item(ContactItem, ContactItem.key(contact_id), consistent=True)
    return None if contact is None or contact.merged_into or contact.erased_at else contact


def contact_values(contact: ContactItem) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(contact, name, None) for name in CONTACT_FIELDS}
    values["id"] = contact.contact_id
    values["full_name"] = " ".join(p for p in (contact.first_name, contact.last_name) if p)
    custom = contact.custom_fields
    values["custom"] = custom.as_dict() if hasattr(custom, "as_dict") else dict(custom or {})
    return values


def contact_language(contact: ContactItem) -> str | None:
    """A contact's language is its `language` custom field (as assignment rules read it)."""
    language = contact_values(contact)["custom"].get("language")
    return language if isinstance(language, str) else None


def user_values(profile: MemberItem | None, address: str | None) -> dict[str, Any]:
    return {"name": (profile.name if profile else None) or "", "email": address or ""}


def sender_address(user_id: str | None, profile: MemberItem | None = None) -> str:
    """The user's own address on the business's domain: their profile's when it is on the domain, else a
    local part made from their name (or id) at the domain. Without a user, the notifications address."""
    settings = get_settings()
    domain = (settings.mail_domain or "").lower()
    if not user_id or not domain:
        return settings.notification_sender or f"notifications@{domain or 'localhost'}"
    profile = profile if profile is not None else member(user_id)
    own = (profile.email or "") if profile is not None else ""
    if own.lower().endswith(f"@{domain}"):
        return own
    return f"{_local_part((profile.name if profile else None) or user_id)}@{domain}"


def _local_part(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    local = re.sub(r"[^a-z0-9]+", ".", ascii_name.split("@")[0]).strip(".")[:48]
    # A name in another script (Persian, Russian) keeps no ASCII: its hash stands in, the same each time.
    return local or f"staff.{hashlib.sha256(name.encode('utf-8')).hexdigest()[:10]}"


def sender_with_name(address: str, profile: MemberItem | None) -> str:
    return formataddr((profile.name, address)) if profile is not None and profile.name else address


def unsubscribe_url(contact_id: str, topic: str) -> str:
    settings = get_settings()
    token = sign_token(token_key(cursor_secret(settings)), contact_id, topic)
    return f"{(settings.public_url or '').rstrip('/')}/unsubscribe/{token}"


def message(outgoing: Outgoing) -> EmailMessage:
    """The MIME message: threading, RFC 8058 one-click unsubscribe on marketing mail, attachments."""
    rendered = outgoing.rendered
    mail = EmailMessage()
    mail["From"] = outgoing.sender
    mail["To"] = outgoing.to
    mail["Subject"] = rendered.subject
    mail["Date"] = formatdate(usegmt=True)
    mail["Message-ID"] = make_msgid(domain=outgoing.sender.rpartition("@")[2].rstrip(">") or None)
    if outgoing.reply_to:
        mail["Reply-To"] = outgoing.reply_to
    if outgoing.in_reply_to:
        mail["In-Reply-To"] = f"<{outgoing.in_reply_to}>"
    if outgoing.references:
        mail["References"] = " ".join(f"<{r}>" for r in outgoing.references)
    if outgoing.automatic:
        mail["Auto-Submitted"] = "auto-generated"
    if outgoing.topic != TRANSACTIONAL and outgoing.contact_id:
        mail["List-Unsubscribe"] = f"<{unsubscribe_url(outgoing.contact_id, outgoing.topic)}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    for name, value in outgoing.headers.items():
        mail[name] = value
    mail.set_content(rendered.text)
    if rendered.html is not None:
        mail.add_alternative(rendered.html, subtype="html")
    for file in outgoing.files:
        main, _, sub = file.content_type.partition("/")
        mail.add_attachment(file.data, maintype=main or "application", subtype=sub or "octet-stream",
                            filename=file.filename)
    return mail


def deliver(send_key: str, outgoing: Outgoing, suppression_checked: bool = False) -> Sent:
    """Sends once per `send_key` and records the email (its thread, the contact's timeline, `Email Sent`); the
    files it carried are kept in the attachments bucket, once per content, as inbound mail's are."""
    if not suppression_checked and suppressed(outgoing.to):
        return Sent("skipped", "suppressed")
    mail = message(outgoing)
    ses_id = send_once(send_key, outgoing.sender, (outgoing.to,), mail.as_bytes())
    if ses_id is None:
        before = sent_before(send_key)
        return Sent("skipped", "sent_before", before.message_id if before else None)
    email_id = email_id_for(_message_id(mail), b"")
    store = DynamoMailStore(get_settings())
    # A file already held (a reply forwarding what the customer sent) is noted as this email's too, not uploaded.
    attachments = [{"attachment_id": store.store_attachment(Attachment(f.filename, f.content_type, "attachment", None,
                                                                       f.data), email_id),
                    "filename": f.filename, "content_type": f.content_type, "size": len(f.data)}
                   for f in outgoing.files]
    _record(mail, outgoing, attachments)
    return Sent("sent", None, ses_id, email_id)


def _message_id(mail: EmailMessage) -> str:
    return str(mail["Message-ID"]).strip().strip("<>")


def _record(mail: EmailMessage, outgoing: Outgoing, attachments: Sequence[Mapping[str, Any]]) -> None:
    message_id = _message_id(mail)
    email_id = email_id_for(message_id, b"")
    thread_id = outgoing.thread_id or email_id
    now, rendered = iso_now(), outgoing.rendered
    text = rendered.text or html_to_text(rendered.html or "")
    summary = preview_of(text)
    pk, sk = EmailItem.key(email_id)
    transaction = LabelledTransaction()
    transaction.put("email", EmailItem(
        pk, sk, email_id=email_id, status="sent", message_id=message_id, thread_id=thread_id,
        in_reply_to=outgoing.in_reply_to, references=list(outgoing.references) or None,
        subject=rendered.subject or None, from_address=outgoing.sender.rpartition("<")[2].rstrip(">"),
        to=[outgoing.to], sent_at=now, received_at=now, preview=summary or None,
        text_body=_cut(rendered.text, MAX_TEXT_BYTES), html_body=_cut(rendered.html, MAX_HTML_BYTES),
        attachments=[dict(a) for a in attachments] or None,
        contact_ids=[outgoing.contact_id] if outgoing.contact_id else None, case_id=outgoing.case_id,
        size=len(mail.as_bytes()), raw_bucket="", raw_key="",
        GSI1PK=EmailItem.thread_key(thread_id), GSI1SK=f"{now}#{email_id}"), EmailItem.PK.does_not_exist())
    if outgoing.contact_id:
        data = {"email_id": email_id, "thread_id": thread_id, "direction": "outbound", "to": outgoing.to,
                "subject": rendered.subject, "preview": summary, "attachments": len(attachments),
                "topic": outgoing.topic, "template_id": outgoing.template_id, "by": outgoing.by,
                "language": rendered.language}
        transaction.put(f"history:{outgoing.contact_id}", HistoryItem(
            *HistoryItem.key(outgoing.contact_id, now, email_id), entry_type="email_sent",
            summary=(rendered.subject or "(no subject)")[:500], data={k: v for k, v in data.items() if v is not None},
            created_at=now))
    transaction.event("Email Sent", {"email_id": email_id, "thread_id": thread_id, "contact_id": outgoing.contact_id,
                                     "template_id": outgoing.template_id, "topic": outgoing.topic,
                                     "by": outgoing.by})
    transaction.commit()


def _cut(text: str | None, max_bytes: int) -> str | None:
    return text.encode("utf-8")[:max_bytes].decode("utf-8", "ignore") if text else None


@dataclass(frozen=True)
class _Prepared:
    contact: ContactItem | None
    item: EmailTemplateItem | None
    reason: str | None
    outgoing: Outgoing | None = None


def _prepare(contact_id: str, template_id: str, variables: Mapping[str, Any] | None) -> _Prepared:
    """Everything but the send: the checks in the order a reader would make them, then the render."""
    contact, item = live_contact(contact_id), template(template_id)
    if contact is None:
        return _Prepared(None, item, "no_contact")
    if item is None:
        return _Prepared(contact, None, "no_template")
    if not contact.email:
        return _Prepared(contact, item, "no_address")
    reason = refusal(contact.consent.as_dict() if contact.consent is not None else None, item.topic)
    if reason is None and suppressed(contact.email):
        reason = "suppressed"
    profile = member(contact.owner) if contact.owner else None
    sender = sender_address(contact.owner, profile)
    values = {**(variables or {}), "contact": contact_values(contact),
              "user": user_values(profile, sender if contact.owner else None)}
    variants = item.variants
    language = pick_language(variants, (contact_language(contact),), item.default_language)
    marketing = item.topic != TRANSACTIONAL
    try:
        rendered = render_variant(variants[language], language, values,
                                  unsubscribe_url(contact_id, item.topic) if marketing else None)
    except TemplateRefused:
        return _Prepared(contact, item, reason or "template_failed")
    outgoing = Outgoing(sender=sender_with_name(sender, profile), to=str(contact.email), rendered=rendered,
                        topic=item.topic, contact_id=contact_id, template_id=template_id, automatic=True)
    return _Prepared(contact, item, reason, outgoing)


def send_to_contact(contact_id: str, template_id: str, *, send_key: str,
                    variables: dict[str, Any] | None = None) -> Sent:
    """Sends the template to the contact once per `send_key` (a workflow step's own key), unless skipped."""
    prepared = _prepare(contact_id, template_id, variables)
    if prepared.reason is not None or prepared.outgoing is None:
        return Sent("skipped", prepared.reason or "template_failed")
    return deliver(send_key, prepared.outgoing, suppression_checked=True)


def preview(contact_id: str, template_id: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """What send_to_contact would send, and whether it would be skipped and why; writes nothing."""
    prepared = _prepare(contact_id, template_id, variables)
    outgoing = prepared.outgoing
    rendered = outgoing.rendered if outgoing is not None else None
    return {"contact_id": contact_id, "template_id": template_id,
            "topic": prepared.item.topic if prepared.item is not None else None,
            "would_send": prepared.reason is None and outgoing is not None,
            "skip_reason": prepared.reason, "from": outgoing.sender if outgoing else None,
            "to": outgoing.to if outgoing else None, "language": rendered.language if rendered else None,
            "subject": rendered.subject if rendered else None, "text": rendered.text if rendered else None,
            "html": rendered.html if rendered else None}

