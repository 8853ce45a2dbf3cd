"""A deal's events on the timelines: the deal's own and its contact's."""

from __future__ import annotations

from typing import Any

from crm.deals.spec import DealItem
from crm.records.history import HistoryItem, history_entry
from crm.records.writes import Change, new_id


def on_timelines(change: Change, item: Any, entry_type: str, summary: str, data: dict[str, Any]) -> None:
    """One entry on the timeline of the deal `item` is (or names), and one on its contact's."""
    data = {**data, "deal_id": item.deal_id}
    if getattr(item, "deal_id", None):
        change.transaction.put(f"history:deal:{entry_type}", history_entry(
            DealItem.history_key(item.deal_id, change.at, new_id()), entry_type, summary, data, change.at))
    if item.contact_id:
        change.transaction.put(f"history:contact:{entry_type}", history_entry(
            HistoryItem.key(item.contact_id, change.at, new_id()), entry_type, summary, data, change.at))
