"""Writing records the same way for every collection: one transaction holds the change (conditioned on
the version the caller read), its uniqueness sentinels, its audit entry and its outbox event.

A create is a Put that must not overwrite; an update is an UpdateItem of only the changed attributes, so
fields others keep on the same item (a contact's score) are never overwritten by an edit.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aws_lambda_powertools.event_handler import Response
from crm.clock import iso_now
from crm.cursor import encode_cursor
from crm.entity_models import AuditItem
from crm.errors import ClientError
from crm.models import CrmItem, HistoryItem, get_item
from crm.transaction import LabelledTransaction
from pynamodb.exceptions import TransactWriteError

from api.paging import page_limit, start_key

RECORD = "record"
# Attributes that change on every write; the audit shows what the caller changed, not these.
_BOOKKEEPING = frozenset({"version", "updated_at"})

Item = TypeVar("Item", bound=CrmItem)


def new_id() -> str:
    return uuid.uuid4().hex


def load(model: type[Item], key: tuple[str, str], what: str, visible: Callable[[Item], bool] = lambda _: True) -> Item:
    """The record, read consistently (a write decides on it), or 404 when it is absent or not for this caller."""
    item = get_item(model, key, consistent=True)
    if item is None or not visible(item):
        raise ClientError(404, "not_found", f"There is no {what} with this id.")
    return item


def expect_version(if_match: str | None, item: Any, what: str) -> int:
    """The version the write is conditioned on: the one in If-Match when the caller sent it."""
    current = int(item.version)
    if if_match is not None and if_match.strip().strip('"') != str(current):
        raise ClientError(412, "version_mismatch", f"The {what} is at version {current}; read it again.")
    return current


def field_changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Field-level before and after, for the audit log."""
    before, after = before or {}, after or {}
    return {name: {"before": before.get(name), "after": after.get(name)}
            for name in sorted(set(before) | set(after))
            if name not in _BOOKKEEPING and before.get(name) != after.get(name)}


@dataclass
class Change:
    """One write to one record, and everything that must happen with it or not at all."""

    entity: str
    entity_id: str
    action: str
    actor: str
    transaction: LabelledTransaction = field(default_factory=LabelledTransaction)
    conflicts: dict[str, ClientError] = field(default_factory=dict)
    at: str = field(default_factory=iso_now)

    def audit(self, before: dict[str, Any] | None, after: dict[str, Any] | None,
              entity: str | None = None, entity_id: str | None = None) -> None:
        entity, entity_id = entity or self.entity, entity_id or self.entity_id
        audit_id = new_id()
        self.transaction.put(f"audit:{entity}:{entity_id}", AuditItem(
            *AuditItem.key(entity, entity_id, self.at, audit_id), audit_id=audit_id, entity=entity,
            entity_id=entity_id, action=self.action, actor=self.actor, at=self.at,
            changes=field_changes(before, after), GSI1PK=AuditItem.list_key(), GSI1SK=f"{self.at}#{audit_id}"))

    def unique(self, label: str, item: CrmItem, conflict: ClientError) -> None:
        """A sentinel this record must own alone; taken by another record means `conflict` (409)."""
        self.transaction.put(label, item, type(item).PK.does_not_exist())
        self.conflicts[label] = conflict

    def commit(self) -> None:
        try:
            self.transaction.commit()
        except TransactWriteError as exc:
            failed = self.transaction.failed_labels(exc)
            for label in self.transaction.labels:
                if label in failed and label in self.conflicts:
                    raise self.conflicts[label] from exc
            if RECORD in failed or _conflicted(exc):
                raise ClientError(412, "version_mismatch",
                                  f"The {self.entity} changed since it was read; read it again.") from exc
            raise


def _conflicted(exc: TransactWriteError) -> bool:
    """Another transaction on the same items at the same moment: the caller lost the race."""
    return any(r is not None and r.code == "TransactionConflict" for r in exc.cancellation_reasons or [])


def create(change: Change, item: CrmItem, view: dict[str, Any], label: str = RECORD,
           entity: str | None = None, entity_id: str | None = None) -> None:
    """`label`, `entity` and `entity_id` name a second record created in the same change (qualify)."""
    change.transaction.put(label, item, type(item).PK.does_not_exist())
    change.audit(None, view, entity, entity_id)


def created(view: dict[str, Any], location: str | None = None) -> Response:
    """201 with the new record, its version as the ETag, and where it lives."""
    headers = {"etag": f'"{view["version"]}"'}
    if location:
        headers["location"] = location
    return Response(201, "application/json", view, headers=headers)


def update(change: Change, item: Any, version: int, values: dict[str, Any], before: dict[str, Any],
           after: dict[str, Any], label: str = RECORD, entity: str | None = None, entity_id: str | None = None) -> None:
    """Sets (or, for None, removes) only the given attributes, if the record is still at `version`.
    A change that moves other records with its own (a contact's deals) names each by label and entity."""
    model = type(item)
    actions = [getattr(model, name).remove() if value is None else getattr(model, name).set(value)
               for name, value in values.items()]
    actions += [model.version.set(version + 1), model.updated_at.set(change.at)]
    change.transaction.update(label, item, actions, model.version == version)
    change.audit(before, after, entity, entity_id)


def update_viewed(change: Change, item: Any, version: int, attributes: dict[str, Any],
                  view: Callable[[Any], dict[str, Any]], label: str = RECORD, entity: str | None = None,
                  entity_id: str | None = None) -> dict[str, Any]:
    """`update` of an item read at `version`, its audit before/after taken with `view`; the item is left
    as it will be after the commit, and its view is returned."""
    before = view(item)
    for name, value in attributes.items():
        setattr(item, name, value)
    item.version, item.updated_at = version + 1, change.at
    after = view(item)
    update(change, item, version, attributes, before, after, label, entity, entity_id)
    return after


def delete(change: Change, item: Any, version: int, before: dict[str, Any]) -> None:
    change.transaction.delete(RECORD, item, type(item).version == version)
    change.audit(before, None)


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
            raise ClientError(404, "not_found", f"There is no {what} with this id.")
    entries = [HistoryItem.from_raw_data(i) for i in raw if i["SK"]["S"].startswith("HISTORY#")]
    last = page.get("LastEvaluatedKey")
    return entries, encode_cursor(last, secret, scope) if last else None


def history_view(entry: HistoryItem) -> dict[str, Any]:
    return {"type": entry.entry_type, "summary": entry.summary, "at": entry.created_at,
            "data": entry.data.as_dict() if entry.data else {}}


def history_entry(key: tuple[str, str], entry_type: str, summary: str, data: dict[str, Any],
                  at: str) -> HistoryItem:
    return HistoryItem(*key, entry_type=entry_type, summary=summary, data=data, created_at=at)


def must_exist(change: Change, field_name: str, model: Any, key: tuple[str, str], what: str,
               condition: Any = None) -> None:
    """A record this write links to must exist (and meet `condition`) when the transaction commits;
    otherwise the write is refused with a 422 on `field_name`."""
    label = f"link:{field_name}"
    change.transaction.check(label, model, key, model.PK.exists() if condition is None
                             else model.PK.exists() & condition)
    message = f"There is no {what} with this id."
    change.conflicts[label] = ClientError(422, "invalid_fields", message, {field_name: message})


def all_of(*conditions: Any) -> Any:
    """The conditions that are not None, joined with AND (None when there are none)."""
    joined = None
    for condition in conditions:
        if condition is not None:
            joined = condition if joined is None else joined & condition
    return joined
