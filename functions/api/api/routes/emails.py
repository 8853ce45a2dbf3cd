"""Mail as the clients see it: a contact's timeline, one email with its thread, a case and its status,
and short-lived download links for attachments. Emails and cases: admin and support read and write, sales reads,
marketing sees neither (its timeline omits the email entries). What each shows is crm.mail.spec; who sees
which mail (support: a support case's or a customer's) is crm.mail.visibility."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, Literal
from urllib.parse import quote

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.contacts.spec import CUSTOMER_STAGE, ContactItem
from crm.contacts.timeline import shows_timeline_entry
from crm.mail.spec import (
    ATTACHMENT,
    CASE,
    CASE_IN_INBOX,
    EMAIL,
    EMAIL_IN_THREAD,
    AttachmentItem,
    CaseItem,
    EmailItem,
    case_status,
)
from crm.mail.visibility import WHOSE, attachment_visible, visible_emails
from crm.platform import aws
from crm.platform.access import Caller
from crm.platform.config import get_settings
from crm.platform.errors import HttpError
from crm.platform.secrets import cursor_secret
from crm.records.reads import history_page, history_view, list_page
from crm.records.table import CrmItem, get_item
from crm.records.writes import RECORD, Change
from pydantic import BaseModel, ConfigDict

from api.auth import current_caller, requires
from api.params import Cursor, Limit

router = APIGatewayHttpRouter()
DOWNLOAD_SECONDS = 300
THREAD_LIMIT = 100
CaseStatus = Literal["open", "pending", "closed"]
Case = CASE.output_model
Email = EMAIL.output_model
Attachment = ATTACHMENT.output_model
CaseInboxPage = CASE_IN_INBOX.page_model


class CaseChange(BaseModel):
    """pending waits for the customer; closed is done until the customer writes again."""

    model_config = ConfigDict(extra="forbid")
    status: CaseStatus


def _not_found(what: str) -> HttpError:
    return HttpError(404, "not_found", f"There is no {what} with this id.")


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
    return {"items": [history_view(e) for e in entries
                       if shows_timeline_entry(caller, e.entry_type, e.data.as_dict() if e.data else {})],
            "next_cursor": next_cursor}


@router.get("/emails/<email_id>", middlewares=[requires("emails", "read")])
def get_email(email_id: str) -> Email:
    caller = current_caller()
    email = _get(EmailItem, EmailItem.key(email_id), "email")
    thread = list(EmailItem.by_thread.query(EmailItem.thread_key(email.thread_id), limit=THREAD_LIMIT,
                                            attributes_to_get=[*EMAIL_IN_THREAD.attributes, *WHOSE]))
    visible = {e.email_id for e in visible_emails(caller, [email, *thread])}
    if email.email_id not in visible:
        raise _not_found("email")
    return EMAIL.view(email, thread=[EMAIL_IN_THREAD.view(e) for e in thread if e.email_id in visible])


@router.get("/cases", middlewares=[requires("cases", "read")])
def list_cases(status: Annotated[CaseStatus, Query(description="The inbox's tab.")] = "open",
               limit: Limit = None, cursor: Cursor = None) -> CaseInboxPage:
    """One status's cases, the most recently active first: every case is a support case, which every role
    that reads cases may see (crm.mail.visibility), so a page is one Query with no filter."""
    return list_page(partial(CaseItem.by_status.query, CaseItem.inbox(status)),
                     CASE_IN_INBOX.view, scope=f"cases:{status}", secret=cursor_secret(get_settings()),
                     limit=limit, cursor=cursor).as_dict()


@router.get("/cases/<case_id>", middlewares=[requires("cases", "read")])
def get_case(case_id: str) -> Case:
    return case_view(current_caller(), _get(CaseItem, CaseItem.key(case_id), "case"))


@router.patch("/cases/<case_id>", middlewares=[requires("cases", "write")])
def update_case(case_id: str, body: CaseChange) -> Case:
    """Moves a case between open, pending (waiting for the customer) and closed; a customer's reply on
    its thread opens it again. The change and its `Case Updated` event are one transaction."""
    caller = current_caller()
    status = body.status
    before = _get(CaseItem, CaseItem.key(case_id), "case").status
    change = Change("case", case_id, "update", caller.user_id)
    change.transaction.update(RECORD, CaseItem(*CaseItem.key(case_id)), case_status(case_id, status, change.at),
                              CaseItem.PK.exists())
    change.conflicts[RECORD] = _not_found("case")
    change.audit({"status": before}, {"status": status})
    change.transaction.event("Case Updated", {"case_id": case_id, "status": status, "by": caller.user_id})
    change.commit()
    return case_view(caller, _get(CaseItem, CaseItem.key(case_id), "case"))


def case_view(caller: Caller, case: CaseItem) -> dict[str, Any]:
    thread = EmailItem.by_thread.query(EmailItem.thread_key(case.thread_id), limit=THREAD_LIMIT)
    return CASE.view(case, emails=[EMAIL_IN_THREAD.view(e) for e in visible_emails(caller, thread)])


@router.get("/attachments/<attachment_id>", middlewares=[requires("emails", "read")])
def get_attachment(attachment_id: str) -> Attachment:
    """A presigned GET that downloads the file (Content-Disposition: attachment) for five minutes."""
    caller = current_caller()
    attachment = _get(AttachmentItem, AttachmentItem.key(attachment_id), "attachment")
    if not attachment_visible(caller, attachment):
        raise _not_found("attachment")
    url = aws.client("s3").generate_presigned_url("get_object", ExpiresIn=DOWNLOAD_SECONDS, Params={
        "Bucket": get_settings().attachments_bucket, "Key": attachment.s3_key,
        "ResponseContentType": attachment.content_type,
        "ResponseContentDisposition": f"attachment; filename*=UTF-8''{quote(attachment.filename, safe='')}",
    })
    return ATTACHMENT.view(attachment, url=url, expires_in=DOWNLOAD_SECONDS)


def _get(model: type[CrmItem], key: tuple[str, str], what: str) -> Any:
    item = get_item(model, key)
    if item is None:
        raise _not_found(what)
    return item
