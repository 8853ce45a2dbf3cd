"""Mail as the clients see it: a contact's timeline, one email with its thread, a case and its status,
and short-lived download links for attachments. Emails and cases: admin and support read and write, sales reads,
marketing sees neither (its timeline omits the email entries). Support sees mail only where it belongs to a
support case or to a customer, as it sees contacts: an email, the thread beside it, an attachment."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal
from urllib.parse import quote

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.contacts.spec import CUSTOMER_STAGE, ContactItem
from crm.mail.spec import AttachmentItem, CaseItem, EmailItem
from crm.platform import aws
from crm.platform.access import Caller
from crm.platform.clock import iso_now
from crm.platform.config import get_settings
from crm.platform.errors import ClientError
from crm.platform.secrets import cursor_secret
from crm.records.outbox import outbox_event
from crm.records.reads import history_page, history_view
from crm.records.table import CrmItem, get_item, transaction_connection
from pydantic import BaseModel, ConfigDict
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from api.auth import current_caller, requires

router = APIGatewayHttpRouter()
DOWNLOAD_SECONDS = 300
THREAD_LIMIT = 100
_EMAIL_ENTRIES = ("email_received", "email_bounced")


class CaseChange(BaseModel):
    """pending waits for the customer; closed is done until the customer writes again."""

    model_config = ConfigDict(extra="forbid")
    status: Literal["open", "pending", "closed"]


def _not_found(what: str) -> ClientError:
    return ClientError(404, "not_found", f"There is no {what} with this id.")


@router.get("/contacts/<contact_id>/timeline", middlewares=[requires("contacts", "read")])
def contact_timeline(contact_id: str) -> dict[str, Any]:
    """Newest first, one Query per page: the profile's sort key follows the history's, so the first page
    brings the profile too, which says whether the contact exists and whether the caller may see it."""
    caller = current_caller()
    event = router.current_event
    # The cursor is bound to the contact and to the caller's roles, whose check it skips on later pages.
    entries, next_cursor = history_page(
        ContactItem.key(contact_id), "contact",
        lambda profile: not caller.customers_only or profile.get("lifecycle_stage", {}).get("S") == CUSTOMER_STAGE,
        scope=f"timeline:{contact_id}:{','.join(sorted(caller.roles))}", secret=cursor_secret(get_settings()),
        limit=event.get_query_string_value("limit"), cursor=event.get_query_string_value("cursor"))
    shows_email = caller.can("emails", "read")
    return {"items": [history_view(e) for e in entries if shows_email or e.entry_type not in _EMAIL_ENTRIES],
            "next_cursor": next_cursor}


@router.get("/emails/<email_id>", middlewares=[requires("emails", "read")])
def get_email(email_id: str) -> dict[str, Any]:
    caller = current_caller()
    email = _get(EmailItem, EmailItem.key(email_id), "email")
    thread = list(EmailItem.by_thread.query(EmailItem.thread_key(email.thread_id), limit=THREAD_LIMIT,
                                            attributes_to_get=["email_id", "subject", "from_address", "received_at",
                                                               "preview", *_WHOSE]))
    if caller.customers_only:
        visible = _visible_to_support([email, *thread])
        if email.email_id not in visible:
            raise _not_found("email")
        thread = [e for e in thread if e.email_id in visible]
    return {**email_view(email), "thread": [
        {"id": e.email_id, "subject": e.subject, "from": e.from_address, "received_at": e.received_at,
         "preview": e.preview} for e in thread]}


@router.get("/cases/<case_id>", middlewares=[requires("cases", "read")])
def get_case(case_id: str) -> dict[str, Any]:
    return case_view(_get(CaseItem, CaseItem.key(case_id), "case"))


@router.patch("/cases/<case_id>", middlewares=[requires("cases", "write")])
def update_case(case_id: str, body: CaseChange) -> dict[str, Any]:
    """Moves a case between open, pending (waiting for the customer) and closed; a customer's reply on
    its thread opens it again. The change and its `Case Updated` event are one transaction."""
    caller = current_caller()
    status = body.status
    now = iso_now()
    try:
        with TransactWrite(connection=transaction_connection()) as tx:
            tx.update(CaseItem(*CaseItem.key(case_id)), [CaseItem.status.set(status), CaseItem.updated_at.set(now)],
                      condition=CaseItem.PK.exists(), add_version_condition=False)
            tx.save(outbox_event("Case Updated", {"case_id": case_id, "status": status, "by": caller.user_id}))
    except TransactWriteError as exc:
        if any(r is not None and r.code == "ConditionalCheckFailed" for r in exc.cancellation_reasons or []):
            raise _not_found("case") from None
        raise
    return case_view(_get(CaseItem, CaseItem.key(case_id), "case"))


def case_view(case: CaseItem) -> dict[str, Any]:
    thread = EmailItem.by_thread.query(EmailItem.thread_key(case.thread_id), limit=THREAD_LIMIT)
    return {"id": case.case_id, "status": case.status, "subject": case.subject, "contact_id": case.contact_id,
            "thread_id": case.thread_id, "mailbox": case.mailbox, "queue": case.queue, "owner": case.owner,
            "email_count": int(case.email_count), "created_at": case.created_at, "updated_at": case.updated_at,
            "emails": [{"id": e.email_id, "subject": e.subject, "from": e.from_address,
                        "received_at": e.received_at, "preview": e.preview} for e in thread]}


@router.get("/attachments/<attachment_id>", middlewares=[requires("emails", "read")])
def get_attachment(attachment_id: str) -> dict[str, Any]:
    """A presigned GET that downloads the file (Content-Disposition: attachment) for five minutes."""
    caller = current_caller()
    attachment = _get(AttachmentItem, AttachmentItem.key(attachment_id), "attachment")
    if not _attachment_visible(caller, attachment):
        raise _not_found("attachment")
    filename = attachment.filename
    url = aws.client("s3").generate_presigned_url("get_object", ExpiresIn=DOWNLOAD_SECONDS, Params={
        "Bucket": get_settings().attachments_bucket, "Key": attachment.s3_key,
        "ResponseContentType": attachment.content_type,
        "ResponseContentDisposition": f"attachment; filename*=UTF-8''{quote(filename, safe='')}",
    })
    return {"id": attachment.attachment_id, "filename": filename, "content_type": attachment.content_type,
            "size": int(attachment.size), "url": url, "expires_in": DOWNLOAD_SECONDS}


def email_view(email: EmailItem) -> dict[str, Any]:
    return {
        "id": email.email_id, "status": email.status, "flags": list(email.flags or []),
        "message_id": email.message_id, "thread_id": email.thread_id, "in_reply_to": email.in_reply_to,
        "subject": email.subject, "from": {"address": email.from_address, "name": email.from_name},
        "to": list(email.to or []), "cc": list(email.cc or []), "reply_to": list(email.reply_to or []),
        "sent_at": email.sent_at, "received_at": email.received_at, "preview": email.preview,
        "text_body": email.text_body, "html_body": email.html_body,
        "attachments": [dict(a) for a in email.attachments or []], "contact_ids": list(email.contact_ids or []),
        "mailbox": email.mailbox, "routed_to": email.routed_to.as_dict() if email.routed_to else None,
        "case_id": email.case_id, "size": int(email.size),
    }


# What says whom an email belongs to: a support case, or its contacts.
_WHOSE = ("case_id", "contact_ids")


def _visible_to_support(emails: Iterable[EmailItem]) -> set[str]:
    """The ids of the emails support may see: those of a support case or of a customer. One BatchGetItem
    of the contacts' stages, for all the emails at once."""
    emails = list(emails)
    customers = _customers({contact_id for e in emails if not e.case_id for contact_id in e.contact_ids or []})
    return {e.email_id for e in emails if e.case_id or customers & set(e.contact_ids or [])}


def _customers(contact_ids: set[str]) -> set[str]:
    if not contact_ids:
        return set()
    profiles = ContactItem.batch_get([ContactItem.key(contact_id) for contact_id in sorted(contact_ids)],
                                     attributes_to_get=["contact_id", "lifecycle_stage"])
    return {profile.contact_id for profile in profiles if profile.lifecycle_stage == CUSTOMER_STAGE}


def _attachment_visible(caller: Caller, attachment: AttachmentItem) -> bool:
    """Support may download a file one of whose emails it may see. A file carried by too many emails to
    track (widely shared, like a logo) names none of them, so support is not given it."""
    if not caller.customers_only:
        return True
    carriers = sorted(attachment.email_ids or ())
    if not carriers:
        return False
    emails = EmailItem.batch_get([EmailItem.key(email_id) for email_id in carriers],
                                 attributes_to_get=["email_id", *_WHOSE])
    return bool(_visible_to_support(emails))


def _get(model: type[CrmItem], key: tuple[str, str], what: str) -> Any:
    item = get_item(model, key)
    if item is None:
        raise _not_found(what)
    return item
