"""Reading records the same way for every collection: one consistent read that 404s what the caller
may not see, the version an If-Match names, and pages with signed cursors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from crm.platform.cursor import encode_cursor
from crm.platform.errors import HttpError
from crm.records.history import HistoryItem
from crm.records.paging import page_limit, start_key
from crm.records.table import CrmItem, Item, get_item


def load(model: type[Item], key: tuple[str, str], what: str, visible: Callable[[Item], bool] = lambda _: True) -> Item:
    """The record, read consistently (a write decides on it), or 404 when it is absent or not for this caller."""
    item = get_item(model, key, consistent=True)
    if item is None or not visible(item):
        raise HttpError(404, "not_found", f"There is no {what} with this id.")
    return item


def expect_version(if_match: str | None, item: Any, what: str) -> int:
    """The version the write is conditioned on: the one in If-Match when the caller sent it."""
    current = int(item.version)
    if if_match is not None and if_match.strip().strip('"') != str(current):
        raise HttpError(412, "version_mismatch", f"The {what} is at version {current}; read it again.")
    return current


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"items": self.items, "next_cursor": self.next_cursor}


def list_page(query: Callable[..., Any], view: Callable[[Any], dict[str, Any]], *, scope: str, secret: str,
              limit: str | None, cursor: str | None, ascending: bool = False) -> Page:
    """One Query per page; the cursor is signed and bound to `scope` (the listing and its filters)."""
    size = page_limit(limit)
    results = query(limit=size, page_size=size, last_evaluated_key=start_key(cursor, secret, scope),
                    scan_index_forward=ascending)
    items = [view(item) for item in results]
    last_key = results.last_evaluated_key
    return Page(items, encode_cursor(last_key, secret, scope) if last_key else None)


def history_page(key: tuple[str, str], what: str, visible: Callable[[dict[str, Any]], bool], *, scope: str,
                 secret: str, limit: str | None, cursor: str | None) -> tuple[list[HistoryItem], str | None]:
    """A record's timeline newest first, one Query per page: the profile's sort key ("PROFILE") sorts
    after the history's ("HISTORY#...") and the range ends there (items after it, such as the search
    indexer's SEARCH_TERMS, take no room), so the first page brings the profile too, which says whether the
    record exists and whether the caller may see it (`visible` gets its raw attributes). Bind `scope` to
    the record and to what the caller may see: later pages skip that check."""
    size = page_limit(limit)
    start = start_key(cursor, secret, scope)
    pk, profile_sk = key
    page = CrmItem._get_connection().query(pk, range_key_condition=CrmItem.SK.between("HISTORY#", profile_sk),
                                           scan_index_forward=False, exclusive_start_key=start,
                                           limit=size + (start is None))
    raw = page.get("Items", [])
    if start is None:
        profile = next((i for i in raw if i["SK"]["S"] == profile_sk), None)
        if profile is None or not visible(profile):
            raise HttpError(404, "not_found", f"There is no {what} with this id.")
    entries = [HistoryItem.from_raw_data(i) for i in raw if i["SK"]["S"].startswith("HISTORY#")]
    last = page.get("LastEvaluatedKey")
    return entries, encode_cursor(last, secret, scope) if last else None


def history_view(entry: HistoryItem) -> dict[str, Any]:
    return {"type": entry.entry_type, "summary": entry.summary, "at": entry.created_at,
            "data": entry.data.as_dict() if entry.data else {}}


def all_of(*conditions: Any) -> Any:
    """The conditions that are not None, joined with AND (None when there are none)."""
    joined = None
    for condition in conditions:
        if condition is not None:
            joined = condition if joined is None else joined & condition
    return joined
