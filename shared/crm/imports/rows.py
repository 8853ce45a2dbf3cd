"""One row of an import: found or not, what it will do (create, update, leave unchanged, skip, or fail with
its reason), and, when the import runs, the write itself: the same domain write the API makes (validation,
normalization, uniqueness, audit, timeline, outbox; the search index follows from the table's stream) with
the row's marker in the same transaction, so a row is applied at most once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from crm.activities.store import edited_activity, new_activity, remove_activity
from crm.companies.spec import COMPANY
from crm.companies.store import add_company, change_company, remove_company
from crm.contacts.edits import add_contact, edit_contact, remove_contact
from crm.deals.store import edited_deal, new_deal, remove_deal
from crm.imports.spec import ImportRowItem
from crm.imports.targets import Importable, Known, Planned, RowProblem
from crm.platform.access import Caller
from crm.platform.errors import HttpError
from crm.records.table import get_item
from crm.records.writes import Change, field_changes, new_id

CREATE, UPDATE, UNCHANGED, SKIP, ERROR = "create", "update", "unchanged", "skip", "error"


@dataclass(frozen=True)
class Outcome:
    action: str
    record_id: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Options:
    mode: str
    match_on: tuple[str, ...]
    region: str | None
    empty_clears: bool

    @classmethod
    def of(cls, stored: dict[str, Any]) -> Options:
        return cls(stored["mode"], tuple(stored["match_on"]), stored.get("default_region"),
                   bool(stored.get("empty_clears")))


def problem_text(exc: Exception) -> str:
    """One line a person can act on, from the API's own 4xx or the input model's validation."""
    if isinstance(exc, HttpError):
        fields = "; ".join(f"{name}: {message}" for name, message in exc.fields.items())
        return f"{exc.message} {fields}".strip()
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors()[:5])
    return str(exc)


def body_of(importable: Importable, planned: Planned, cells: dict[str, str], existing: bool,
            options: Options) -> BaseModel:
    """The API's input model for the row. Empty cells stay out, unless the import clears with them (only
    an update can clear, and only the plain fields a column maps to)."""
    fields = dict(planned.fields)
    if existing and options.empty_clears:
        writable = importable.entity.input_model.model_fields
        fields.update({target: None for target, cell in cells.items() if not cell and target in writable
                       and target not in fields})
    return importable.entity.input_model.model_validate(fields)


def decide(importable: Importable, record_id: str | None, options: Options, keys: dict[str, str]) -> str:
    if record_id is None:
        return CREATE if options.mode != "update" else SKIP
    return UPDATE if options.mode != "create" else SKIP


def skip_reason(record_id: str | None) -> str:
    if record_id is None:
        return "No record matches this row, and this import only updates."
    return f"This row matches {record_id}, and this import only creates."


def unchanged(importable: Importable, item: Any, body: BaseModel) -> bool:
    """Whether every field the row sends already holds what it would store."""
    view = importable.entity.view(item)
    try:
        values = importable.entity.normalized(body, item, required=False)
    except HttpError:
        return False
    submitted = body.model_dump(exclude_unset=True)
    for name, value in values.items():
        if name == "custom_fields":
            if any(view["custom_fields"].get(key) != value.get(key) for key in submitted.get("custom_fields") or {}):
                return False
        elif name in view and view[name] != value and not (isinstance(value, list) and set(value) <= set(view[name])):
            return False
    return True


def check(importable: Importable, planned: Planned, cells: dict[str, str], options: Options,
          caller: Caller, known: Known | None = None) -> Outcome:
    """What the row would do if the import ran now: the run's own write is built, with every check it
    makes, and not committed."""
    record_id = importable.find(planned.keys, options.match_on, known)
    action = decide(importable, record_id, options, planned.keys)
    if action == SKIP:
        return Outcome(SKIP, record_id, skip_reason(record_id))
    item = get_item(importable.entity.item, importable.record_key(record_id)) if record_id else None
    body = body_of(importable, planned, cells, item is not None, options)
    if item is not None and unchanged(importable, item, body):
        return Outcome(UNCHANGED, record_id)
    change = Change(importable.entity.name, record_id or new_id(), action, caller.user_id)
    if item is None:
        WRITES[importable.resource].create(change, body, caller)
    else:
        WRITES[importable.resource].update(change, item, int(item.version), body, caller)
    return Outcome(action, record_id)


def apply(importable: Importable, planned: Planned, cells: dict[str, str], options: Options, caller: Caller,
          marker_key: tuple[str, str], known: Known | None = None) -> Outcome:
    """Writes the row; a record another row of the same file created meanwhile (a taken email) is found
    again, afresh, and updated instead, so one person stays one record."""
    try:
        outcome = _apply_once(importable, planned, cells, options, caller, marker_key, known)
    except HttpError as exc:
        if exc.status != 409 or options.mode == "create":
            raise
        outcome = _apply_once(importable, planned, cells, options, caller, marker_key, None)
    if known is not None and outcome.action == CREATE:
        known.update({(key, value): outcome.record_id for key, value in planned.keys.items()})
    return outcome


def _apply_once(importable: Importable, planned: Planned, cells: dict[str, str], options: Options, caller: Caller,
                marker_key: tuple[str, str], known: Known | None) -> Outcome:
    record_id = importable.find(planned.keys, options.match_on, known)
    action = decide(importable, record_id, options, planned.keys)
    if action == SKIP:
        return Outcome(SKIP, record_id, skip_reason(record_id))
    item = get_item(importable.entity.item, importable.record_key(record_id), consistent=True) if record_id else None
    if record_id and item is None:
        raise RowProblem(f"The {importable.entity.name} {record_id} was deleted meanwhile.")
    body = body_of(importable, planned, cells, item is not None, options)
    if item is not None and unchanged(importable, item, body):
        return Outcome(UNCHANGED, record_id)
    change = Change(importable.entity.name, record_id or new_id(), action, caller.user_id)
    if item is None:
        after, before = WRITES[importable.resource].create(change, body, caller), None
    else:
        before = importable.entity.view(item)
        after = WRITES[importable.resource].update(change, item, int(item.version), body, caller)
    changes = field_changes(before, after)
    change.transaction.put("import-row", ImportRowItem(
        *marker_key, outcome=action, record_id=change.entity_id, record_version=int(after["version"]),
        before={name: value["before"] for name, value in changes.items()} if before is not None else None),
        ImportRowItem.PK.does_not_exist())
    change.commit()
    return Outcome(action, change.entity_id)


@dataclass(frozen=True)
class Writes:
    """The domain's own create, update and delete of one kind of record, as its API routes make them."""

    create: Any
    update: Any
    remove: Any


def _dump(body: BaseModel) -> dict[str, Any]:
    return body.model_dump(exclude_unset=True)


def _create_company(change: Change, body: BaseModel, caller: Caller) -> dict[str, Any]:
    return COMPANY.view(add_company(change, change.entity_id, COMPANY.normalized(body, None)))


def _update_company(change: Change, item: Any, version: int, body: BaseModel, caller: Caller) -> dict[str, Any]:
    return change_company(change, item, version, COMPANY.normalized(body, item))


WRITES = {
    "contacts": Writes(lambda change, body, caller: add_contact(change, body, source="import"),
                       lambda change, item, version, body, caller: edit_contact(change, item, version, body),
                       remove_contact),
    "companies": Writes(_create_company, _update_company, remove_company),
    "deals": Writes(lambda change, body, caller: new_deal(change, _dump(body)),
                    lambda change, item, version, body, caller: edited_deal(change, item, version, _dump(body)),
                    remove_deal),
    "activities": Writes(lambda change, body, caller: new_activity(change, _dump(body), caller),
                         lambda change, item, version, body, caller: edited_activity(change, item, version, _dump(body),
                                                                                   caller),
                         remove_activity),
}
