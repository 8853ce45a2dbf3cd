"""A form's accepted submissions, newest first: each is the timeline entry of the contact it made or updated
(crm.forms.store), listed under its form too, so a page is one Query of GSI1. What was sent is shown as the
form read it (every value, the visit); the raw body stays on the entry."""

from __future__ import annotations

from functools import partial
from typing import Any

from crm.platform.config import get_settings
from crm.platform.secrets import cursor_secret
from crm.records.history import HistoryItem
from crm.records.reads import Page, list_page

OUTCOME = {"contact_created": "created", "form_resubmitted": "updated"}


def submission_view(entry: HistoryItem) -> dict[str, Any]:
    data = entry.data.as_dict() if entry.data else {}
    return {"id": data.get("submission_id"), "form_id": data.get("form_id"), "received_at": entry.created_at,
            "contact_id": entry.PK.removeprefix("CONTACT#"), "outcome": OUTCOME.get(entry.entry_type, "updated"),
            "fields": data.get("submitted") or {}, "source": data.get("touch") or {}}


def submissions_page(form_id: str, limit: str | None, cursor: str | None) -> Page:
    return list_page(partial(HistoryItem.by_form.query, HistoryItem.form_list_key(form_id)), submission_view,
                     scope=f"submissions:{form_id}", secret=cursor_secret(get_settings()), limit=limit, cursor=cursor)
