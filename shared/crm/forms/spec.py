"""Forms and what they receive, as stored: a form's configuration, its raw submissions, rate counters.

A form is shown as its configuration, taken whole (validated by crm.forms.config.FormConfig): FORM is
derived from the fields its item declares."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)

from crm.records.fields import Document, Integer, Text
from crm.records.table import ByCreatedIndex, CrmItem
from crm.records.views import RecordView


class FormItem(CrmItem):
    """A web form's configuration; its shape is validated by lead capture's FormConfig."""

    config = Document(writable=False, required=True, null=False)
    updated_at = Text(writable=False, required=True, null=False)
    version = Integer(writable=False, required=True, null=False, default=1)
    GSI1PK = UnicodeAttribute(null=True)
    GSI1SK = UnicodeAttribute(null=True)
    by_id = ByCreatedIndex()

    @staticmethod
    def key(form_id: str) -> tuple[str, str]:
        return f"FORM#{form_id}", "CONFIG"

    @staticmethod
    def list_key() -> str:
        return "FORMS"


def form_id(item: FormItem) -> Any:
    return item.config.as_dict().get("form_id")


FORM = RecordView("Form", FormItem, form_id)


class SubmissionItem(CrmItem):
    """A raw form submission, kept whether it was accepted or judged spam."""

    submission_id = UnicodeAttribute()
    form_id = UnicodeAttribute()
    status = UnicodeAttribute()
    spam_reasons: ListAttribute[str] = ListAttribute(null=True)
    contact_id = UnicodeAttribute(null=True)
    content_type = UnicodeAttribute()
    raw_body = UnicodeAttribute(null=True)
    fields: MapAttribute[str, Any] = MapAttribute()
    files: ListAttribute[dict[str, Any]] = ListAttribute(null=True)
    source: MapAttribute[str, Any] = MapAttribute()
    created_at = UnicodeAttribute()
    # Spam review: who released a spam submission into a contact, and when (crm.forms.review).
    released_by = UnicodeAttribute(null=True)
    released_at = UnicodeAttribute(null=True)

    @staticmethod
    def key(form_id: str, created_at: str, submission_id: str) -> tuple[str, str]:
        return f"FORM#{form_id}", f"SUBMISSION#{created_at}#{submission_id}"


class RateCounterItem(CrmItem):
    """Hits from one address on one form in one minute; expires by TTL."""

    hits = NumberAttribute(default=0)
    expires_at = NumberAttribute()

    @staticmethod
    def key(form_id: str, ip: str, window: int) -> tuple[str, str]:
        return f"RATE#{form_id}#{ip}", f"WINDOW#{window}"
