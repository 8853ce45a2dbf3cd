"""A member of staff writes from the CRM (POST /v1/emails): to a contact or an address, perhaps in reply to an
email the CRM holds (threaded by In-Reply-To and References, kept in the same thread), perhaps from a template,
with files attached, from their own address on the business's domain. A retried request sends nothing twice:
its Idempotency-Key, or without one the request's own content that day, is the send's key."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from crm.contacts.spec import CONTACT, ContactItem, UniqueItem
from crm.mail.parse import sanitize_html
from crm.mail.spec import AttachmentItem, EmailItem
from crm.mail.visibility import attachment_visible, visible_emails
from crm.outbound.compose import (
    FileToSend,
    Outgoing,
    contact_language,
    contact_values,
    deliver,
    sender_address,
    sender_with_name,
    template,
    unsubscribe_url,
    user_values,
)
from crm.outbound.consent import TRANSACTIONAL, refusal
from crm.outbound.render import Rendered, TemplateRefused, pick_language, render_variant
from crm.outbound.suppression import address_key, suppressed
from crm.platform import aws
from crm.platform.access import Caller
from crm.platform.clock import iso_now
from crm.platform.config import get_settings
from crm.platform.errors import HttpError
from crm.platform.identity import InvalidValue, normalize_email
from crm.records.table import get_item
from crm.team.directory import member

# Files ride in the request (API Gateway and Lambda take about 6 MB), so those attached inline are bounded
# well below; files the CRM holds already are named by id and read from the bucket.
MAX_INLINE_BYTES = 4 * 1024 * 1024
MAX_HELD_BYTES = 20 * 1024 * 1024
MAX_ATTACHMENTS = 10
MAX_REFERENCES = 20


@dataclass(frozen=True)
class Request:
    contact_id: str | None
    to: str | None
    subject: str | None
    text: str | None
    html: str | None
    reply_to_email_id: str | None
    template_id: str | None
    variables: dict[str, Any]
    attachments: list[dict[str, Any]]


def _refused(field: str, message: str, status: int = 422, code: str = "invalid_fields") -> HttpError:
    return HttpError(status, code, message, {field: message})


def _replied(caller: Caller, email_id: str | None) -> EmailItem | None:
    if not email_id:
        return None
    email = get_item(EmailItem, EmailItem.key(email_id))
    if email is None or not visible_emails(caller, [email]):
        raise _refused("reply_to_email_id", "There is no email with this id.")
    return email


def _contact(caller: Caller, contact_id: str | None, address: str | None,
             replied: EmailItem | None = None) -> ContactItem | None:
    """The contact named, or the one whose address it is; a contact the caller may not see is not there,
    unless it wrote the support case email being answered (support answers leads' cases too)."""
    if contact_id is None and address is not None:
        key = address_key(address)
        sentinel = get_item(UniqueItem, UniqueItem.key("email", key)) if key else None
        contact_id = sentinel.contact_id if sentinel is not None else None
        if contact_id is None:
            return None
    if contact_id is None:
        return None
    contact = get_item(ContactItem, ContactItem.key(contact_id), consistent=True)
    answered_case = replied is not None and replied.case_id is not None and contact_id in (replied.contact_ids or [])
    if contact is None or contact.merged_into or contact.erased_at or not (
            answered_case or CONTACT.viewer(caller)(contact)):
        raise _refused("contact_id", "There is no contact with this id.")
    return contact


def _recipient(request: Request, contact: ContactItem | None, replied: EmailItem | None) -> str:
    raw = request.to or (contact.email if contact is not None else None) or \
        (replied.from_address if replied is not None else None)
    if not raw:
        raise _refused("to", "Name a contact with an address, an address, or an email to reply to.")
    try:
        return normalize_email(str(raw))
    except InvalidValue as exc:
        raise _refused("to", "This is not an email address.") from exc


def _files(caller: Caller, attachments: list[dict[str, Any]]) -> tuple[FileToSend, ...]:
    if len(attachments) > MAX_ATTACHMENTS:
        raise _refused("attachments", f"At most {MAX_ATTACHMENTS} files.")
    files, inline, held = [], 0, 0
    for index, spec in enumerate(attachments):
        if spec.get("attachment_id"):
            item = get_item(AttachmentItem, AttachmentItem.key(str(spec["attachment_id"])))
            if item is None or not attachment_visible(caller, item):
                raise _refused(f"attachments.{index}", "There is no attachment with this id.")
            held += int(item.size)
            if held > MAX_HELD_BYTES:
                raise _refused("attachments", f"Files held by the CRM add up to at most {MAX_HELD_BYTES} bytes.")
            body = aws.client("s3").get_object(Bucket=get_settings().attachments_bucket, Key=item.s3_key)["Body"]
            files.append(FileToSend(item.filename, item.content_type, body.read()))
            continue
        try:
            data = base64.b64decode(str(spec.get("content_base64") or ""), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise _refused(f"attachments.{index}.content_base64", "This is not base64.") from exc
        inline += len(data)
        if inline > MAX_INLINE_BYTES:
            raise _refused("attachments", f"Files sent inline add up to at most {MAX_INLINE_BYTES} bytes; "
                                          "larger ones go to the CRM first.", status=413, code="too_large")
        files.append(FileToSend(str(spec["filename"]), str(spec["content_type"]), data))
    return tuple(files)


def _rendered(request: Request, contact: ContactItem | None, user: dict[str, Any]) -> tuple[Rendered, str, str | None]:
    """The message's parts, its topic and its template: a template fills what the request leaves out."""
    values = {**request.variables, "contact": contact_values(contact) if contact is not None else {}, "user": user}
    item = template(request.template_id) if request.template_id else None
    if request.template_id and item is None:
        raise _refused("template_id", "There is no email template with this id.")
    topic = item.topic if item is not None else TRANSACTIONAL
    marketing = topic != TRANSACTIONAL and contact is not None
    link = unsubscribe_url(contact.contact_id, topic) if marketing and contact is not None else None
    try:
        if item is not None:
            variants = item.variants
            language = pick_language(variants, (contact_language(contact) if contact else None,),
                                     item.default_language)
            base = dict(variants[language])
            for part in ("subject", "text", "html"):
                if getattr(request, part) is not None:
                    base[part] = getattr(request, part)
            return render_variant(base, language, values, link), topic, item.template_id
        # Words staff typed are sent as typed, not read as a template.
        subject = " ".join((request.subject or "").split())
        html = sanitize_html(request.html) if request.html else None
        return Rendered(subject, request.text or "", html, "und"), topic, None
    except TemplateRefused as exc:
        raise HttpError(422, "invalid_fields", "The email could not be rendered.",
                        {f"variables{'' if k == 'template' else '.' + k}": v for k, v in exc.fields.items()}) from exc


def send_key(caller: Caller, request: Request, idempotency_key: str | None) -> str:
    if idempotency_key:
        return f"email:{caller.user_id}:key:{idempotency_key[:200]}"
    basis = json.dumps([caller.user_id, request.__dict__, iso_now()[:10]], sort_keys=True, default=str)
    return f"email:{caller.user_id}:content:{hashlib.sha256(basis.encode('utf-8')).hexdigest()}"


def send_from_staff(caller: Caller, request: Request, idempotency_key: str | None) -> dict[str, Any]:
    replied = _replied(caller, request.reply_to_email_id)
    contact = _contact(caller, request.contact_id or _first(replied), request.to, replied)
    to = _recipient(request, contact, replied)
    profile = member(caller.user_id)
    sender = sender_address(caller.user_id, profile)
    rendered, topic, template_id = _rendered(request, contact, user_values(profile, sender))
    if replied is not None and not request.subject and not rendered.subject:
        rendered = Rendered(_re(replied.subject), rendered.text, rendered.html, rendered.language)
    if not rendered.subject or not (rendered.text or rendered.html):
        raise HttpError(422, "invalid_fields", "An email needs a subject and a text.",
                        {"subject" if not rendered.subject else "text": "Required."})
    _check_sendable(contact, topic, to)
    outgoing = Outgoing(
        sender=sender_with_name(sender, profile), to=to, rendered=rendered, topic=topic,
        contact_id=contact.contact_id if contact is not None else None, **_threading(replied),
        files=_files(caller, request.attachments), automatic=False, template_id=template_id, by=caller.user_id)
    sent = deliver(send_key(caller, request, idempotency_key), outgoing, suppression_checked=True)
    return {"status": sent.status, "reason": sent.reason, "email_id": sent.email_id, "message_id": sent.message_id,
            "to": to, "contact_id": outgoing.contact_id, "thread_id": outgoing.thread_id or sent.email_id,
            "subject": rendered.subject}


def _check_sendable(contact: ContactItem | None, topic: str, to: str) -> None:
    """409 for marketing mail without the contact's yes to its topic, or to a suppressed address."""
    if topic != TRANSACTIONAL:
        consent = contact.consent.as_dict() if contact is not None and contact.consent is not None else None
        reason = refusal(consent, topic) if contact is not None else "no_contact"
        if reason is not None:
            raise HttpError(409, "not_sendable", f"The contact may not get {topic} mail ({reason}).",
                            {"template_id": reason})
    if suppressed(to):
        raise HttpError(409, "not_sendable", "This address bounced or complained; mail to it is suppressed.",
                        {"to": "suppressed"})


def _threading(replied: EmailItem | None) -> dict[str, Any]:
    """In-Reply-To, References (the replied email's and its own id, the last MAX_REFERENCES), its thread and
    its case."""
    if replied is None:
        return {}
    references = [*(replied.references or []), replied.message_id] if replied.message_id else []
    return {"in_reply_to": replied.message_id, "references": tuple(references[-MAX_REFERENCES:]),
            "thread_id": replied.thread_id, "case_id": replied.case_id}


def _first(replied: EmailItem | None) -> str | None:
    return (replied.contact_ids or [None])[0] if replied is not None else None


def _re(subject: str | None) -> str:
    subject = (subject or "").strip()
    return subject if subject.lower().startswith("re:") else f"Re: {subject}".strip()
