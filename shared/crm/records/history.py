"""A record's timeline entries, kept in the record's own partition."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    MapAttribute,
    UnicodeAttribute,
)

from crm.records.table import ByCreatedIndex, CrmItem


class HistoryItem(CrmItem):
    """One entry of a contact's timeline."""

    entry_type = UnicodeAttribute()
    summary = UnicodeAttribute()
    data: MapAttribute[str, Any] = MapAttribute(null=True)
    created_at = UnicodeAttribute()
    # A form's accepted submissions, newest first, whoever they made or updated (crm.forms.store).
    GSI1PK = UnicodeAttribute(null=True)
    GSI1SK = UnicodeAttribute(null=True)
    by_form = ByCreatedIndex()

    @staticmethod
    def key(contact_id: str, created_at: str, entry_id: str) -> tuple[str, str]:
        return f"CONTACT#{contact_id}", f"HISTORY#{created_at}#{entry_id}"

    @staticmethod
    def form_keys(form_id: str, received_at: str, submission_id: str) -> dict[str, str]:
        return {"GSI1PK": HistoryItem.form_list_key(form_id), "GSI1SK": f"{received_at}#{submission_id}"}

    @staticmethod
    def form_list_key(form_id: str) -> str:
        return f"FORM_SUBMISSIONS#{form_id}"


def history_entry(key: tuple[str, str], entry_type: str, summary: str, data: dict[str, Any],
                  at: str) -> HistoryItem:
    return HistoryItem(*key, entry_type=entry_type, summary=summary, data=data, created_at=at)
