"""Spam review: the submissions a form judged spam, listed with why, and released by a person into a contact as if
the form had accepted them. Lead capture keeps every spam submission whole under its form (`FORM#<id>` /
`SUBMISSION#<received at>#<id>`), so nothing a visitor sent is lost to a wrong verdict.

A release validates the stored fields with the form's configuration as it is now (a 422 names what cannot make a
contact), then goes through the same write as an accepted submission (`DynamoLeadStore.save_lead`: one person, one
record, the submission on its timeline at the time it was received), then marks the submission released, with its
audit entry, in one transaction conditioned on its still being spam. Two people releasing the same submission make
one contact: the second write finds the first's email or phone and fills gaps, and the second mark is refused
(409)."""

from __future__ import annotations

import base64
import binascii
from functools import partial
from typing import Any

from crm.forms.capture import RENDER_TIME_FIELD, Submission, source_touch, validate_lead
from crm.forms.config import load_form
from crm.forms.request import FormRequest
from crm.forms.spec import SubmissionItem
from crm.forms.store import DynamoLeadStore
from crm.platform.access import Caller
from crm.platform.config import get_settings
from crm.platform.errors import HttpError
from crm.platform.secrets import cursor_secret
from crm.records.reads import Page, list_page
from crm.records.table import get_item
from crm.records.writes import Change

SPAM, RELEASED = "spam", "released"
# A release is one person's decision, not a visitor's burst: the form's per-address limit does not apply.
_NO_RATE_LIMIT = 10**9


def review_id(item: SubmissionItem) -> str:
    """A submission's id in the API: its place under the form, opaque."""
    return base64.urlsafe_b64encode(f"{item.created_at}#{item.submission_id}".encode()).decode().rstrip("=")


def submission_key(form_id: str, reviewed: str) -> tuple[str, str]:
    try:
        received_at, _, submission_id = base64.urlsafe_b64decode(reviewed + "=" * (-len(reviewed) % 4)).decode(
            "utf-8").partition("#")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        received_at = submission_id = ""
    if not received_at or not submission_id:
        raise HttpError(404, "not_found", "There is no such submission.")
    return SubmissionItem.key(form_id, received_at, submission_id)


def submission_view(item: SubmissionItem) -> dict[str, Any]:
    fields = _plain(item.fields)
    return {"id": review_id(item), "form_id": item.form_id, "received_at": item.created_at, "status": item.status,
            "reasons": list(item.spam_reasons or ()), "fields": {k: v for k, v in fields.items()
                                                                if k != RENDER_TIME_FIELD},
            "contact_id": item.contact_id, "released_by": item.released_by, "released_at": item.released_at}


def spam_page(form_id: str, status: str | None, limit: str | None, cursor: str | None) -> Page:
    """A form's kept submissions, newest first (spam, and those released from it); `status` keeps one kind."""
    condition = SubmissionItem.status == status if status else None
    query = partial(SubmissionItem.query, f"FORM#{form_id}", SubmissionItem.SK.startswith("SUBMISSION#"),
                    filter_condition=condition)
    return list_page(query, submission_view, scope=f"spam:{form_id}:{status}", secret=cursor_secret(get_settings()),
                     limit=limit, cursor=cursor)


def release(caller: Caller, form_id: str, reviewed: str) -> dict[str, Any]:
    item = get_item(SubmissionItem, submission_key(form_id, reviewed), consistent=True)
    if item is None:
        raise HttpError(404, "not_found", "There is no such submission.")
    if item.status != SPAM:
        raise HttpError(409, "already_released", "This submission was released already.",
                        {"contact_id": str(item.contact_id)})
    config = load_form(form_id)
    if config is None:
        raise HttpError(409, "form_gone", "Its form no longer exists, so there is no mapping to make a contact with.")
    fields = {key: str(value) for key, value in _plain(item.fields).items()}
    request = FormRequest(form_id=form_id, content_type=item.content_type, raw_body=(item.raw_body or "").encode(),
                          fields=fields, files=(), source_ip="", user_agent="", origin=None, referer=None,
                          wants_json=True)
    lead = validate_lead(config, request)
    touch = _plain(item.source) or source_touch(config, request, item.created_at)
    submission = Submission(submission_id=item.submission_id, form_id=form_id, received_at=item.created_at,
                            content_type=item.content_type, raw_body=item.raw_body, fields=fields, files=(),
                            touch=touch, source_ip="")
    contact_id, created = DynamoLeadStore(get_settings()).save_lead(submission, lead, _NO_RATE_LIMIT)
    before = submission_view(item)
    change = Change("form_submission", reviewed, "release", caller.user_id)
    change.transaction.update("record", item, [
        SubmissionItem.status.set(RELEASED), SubmissionItem.contact_id.set(contact_id),
        SubmissionItem.released_by.set(caller.user_id), SubmissionItem.released_at.set(change.at)],
        SubmissionItem.status == SPAM)
    after = {**before, "status": RELEASED, "contact_id": contact_id, "released_by": caller.user_id,
             "released_at": change.at}
    change.audit(before, after)
    change.conflicts["record"] = HttpError(409, "already_released", "Someone released this submission just now.",
                                           {"contact_id": contact_id})
    change.commit()
    return {**after, "contact_created": created}


def _plain(stored: Any) -> dict[str, Any]:
    """A raw map attribute as a dict (PynamoDB gives a MapAttribute, or a dict for an item built in code)."""
    return dict(stored.as_dict() if hasattr(stored, "as_dict") else stored or {})
