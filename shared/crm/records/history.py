"""A record's timeline entries, kept in the record's own partition."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    MapAttribute,
    UnicodeAttribute,
)

from crm.records.table import CrmItem


class HistoryItem(CrmItem):
    """One entry of a contact's timeline."""

    entry_type = UnicodeAttribute()
    summary = UnicodeAttribute()
    data: MapAttribute[str, Any] = MapAttribute(null=True)
    created_at = UnicodeAttribute()

    @staticmethod
    def key(contact_id: str, created_at: str, entry_id: str) -> tuple[str, str]:
        return f"CONTACT#{contact_id}", f"HISTORY#{created_at}#{entry_id}"


def history_entry(key: tuple[str, str], entry_type: str, summary: str, data: dict[str, Any],
                  at: str) -> HistoryItem:
    return HistoryItem(*key, entry_type=entry_type, summary=summary, data=data, created_at=at)
