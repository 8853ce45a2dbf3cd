"""Writing records the same way for every collection: one transaction holds the change (conditioned on
the version the caller read), its uniqueness sentinels, its audit entry and its outbox event.

A create is a Put that must not overwrite; an update is an UpdateItem of only the changed attributes, so
fields others keep on the same item (a contact's score) are never overwritten by an edit.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pynamodb.exceptions import TransactWriteError

from crm.platform.clock import iso_now
from crm.platform.errors import HttpError
from crm.platform.transactions import conflicted
from crm.records.audit import AuditItem
from crm.records.table import CrmItem
from crm.records.transactions import LabelledTransaction
from crm.records.unique import ExternalIdItem

RECORD = "record"


# Attributes that change on every write; the audit shows what the caller changed, not these.
_BOOKKEEPING = frozenset({"version", "updated_at"})


def new_id() -> str:
    return uuid.uuid4().hex


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
    conflicts: dict[str, HttpError] = field(default_factory=dict)
    at: str = field(default_factory=iso_now)

    def audit(self, before: dict[str, Any] | None, after: dict[str, Any] | None,
              entity: str | None = None, entity_id: str | None = None) -> None:
        entity, entity_id = entity or self.entity, entity_id or self.entity_id
        audit_id = new_id()
        self.transaction.put(f"audit:{entity}:{entity_id}", AuditItem(
            *AuditItem.key(entity, entity_id, self.at, audit_id), audit_id=audit_id, entity=entity,
            entity_id=entity_id, action=self.action, actor=self.actor, at=self.at,
            changes=field_changes(before, after), GSI1PK=AuditItem.list_key(), GSI1SK=f"{self.at}#{audit_id}"))

    def unique(self, label: str, item: CrmItem, conflict: HttpError) -> None:
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
            if RECORD in failed or conflicted(exc):
                raise HttpError(412, "version_mismatch",
                                f"The {self.entity} changed since it was read; read it again.") from exc
            raise


def create(change: Change, item: CrmItem, view: dict[str, Any], label: str = RECORD,
           entity: str | None = None, entity_id: str | None = None) -> None:
    """`label`, `entity` and `entity_id` name a second record created in the same change (qualify)."""
    change.transaction.put(label, item, type(item).PK.does_not_exist())
    change.audit(None, view, entity, entity_id)
    external_ids(change, None, view, entity or change.entity, entity_id or change.entity_id)


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
    external_ids(change, before, after, entity or change.entity, entity_id or change.entity_id)


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
    external_ids(change, before, None, change.entity, change.entity_id)


def external_ids(change: Change, before: dict[str, Any] | None, after: dict[str, Any] | None, entity: str,
                 entity_id: str) -> None:
    """A record's `external_id` (its id in the system it was imported from) belongs to it alone among its
    kind: every write of any entity claims a new one and frees the old one in the same transaction."""
    old, new = (before or {}).get("external_id"), (after or {}).get("external_id")
    if old == new:
        return
    if old:
        change.transaction.delete(f"release:external_id:{old}", ExternalIdItem(*ExternalIdItem.key(entity, old)),
                                  (ExternalIdItem.record_id == entity_id) | ExternalIdItem.PK.does_not_exist())
    if new:
        message = f"Another {entity} already has the external id {new}."
        change.unique(f"unique:external_id:{new}", ExternalIdItem(*ExternalIdItem.key(entity, new),
                                                                   record_id=entity_id),
                      HttpError(409, "external_id_taken", message, {"external_id": message}))


def must_exist(change: Change, field_name: str, model: Any, key: tuple[str, str], what: str,
               condition: Any = None) -> None:
    """A record this write links to must exist (and meet `condition`) when the transaction commits;
    otherwise the write is refused with a 422 on `field_name`."""
    label = f"link:{field_name}"
    change.transaction.check(label, model, key, model.PK.exists() if condition is None
                             else model.PK.exists() & condition)
    message = f"There is no {what} with this id."
    change.conflicts[label] = HttpError(422, "invalid_fields", message, {field_name: message})
