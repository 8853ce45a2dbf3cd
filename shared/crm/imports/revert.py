"""Undoing an import, one record at a time: a record the import created is deleted, one it updated gets
back the values it had before the import first touched it (the audit's before values, which the row's
marker holds). A record anyone changed after the import's last write to it is left as it is and named in
the revert's results. Each undo is an ordinary audited write with a marker in the same transaction, so a
chunk delivered twice undoes nothing twice."""

from __future__ import annotations

from typing import Any

from crm.imports.rows import WRITES, problem_text
from crm.imports.spec import ImportItem, ImportRowItem
from crm.imports.targets import IMPORTABLE
from crm.platform.access import Caller
from crm.platform.errors import HttpError
from crm.records.table import get_item
from crm.records.writes import Change

REVERTED, KEPT, GONE = "reverted", "kept", "gone"


def revert_records(job: ImportItem, groups: list[Any]) -> tuple[list[list[Any]], list[list[Any]]]:
    """[row, outcome, record id, reason] for each record; none fails as a row: a record that cannot be
    put back is kept and says why."""
    from crm.imports.jobs import caller_of  # noqa: PLC0415 - jobs loads this module only for a revert

    caller = caller_of(job)
    results = []
    for record_id, rows in groups:
        outcome, reason = _revert(job, caller, record_id, rows)
        results.append([rows[0]["row"], outcome, record_id, reason])
    return results, []


def _revert(job: ImportItem, caller: Caller, record_id: str, rows: list[dict[str, Any]]) -> tuple[str, str]:
    marker_key = (f"IMPORT#{job.import_id}", f"REVERT#{record_id}")
    done = get_item(ImportRowItem, marker_key, consistent=True)
    if done is not None:
        return str(done.outcome), ""
    importable = IMPORTABLE[str(job.entity)]
    item = get_item(importable.entity.item, importable.record_key(record_id), consistent=True)
    if item is None:
        return GONE, "Deleted since the import."
    last_version = rows[-1]["version"]
    if int(item.version) != last_version:
        return KEPT, f"Changed since the import (now version {int(item.version)}, the import left {last_version})."
    first = rows[0]
    writes = WRITES[importable.resource]
    try:
        if first["outcome"] == "create":
            change = Change(importable.entity.name, record_id, "delete", caller.user_id)
            writes.remove(change, item, last_version)
            version_after = last_version
        else:
            change = Change(importable.entity.name, record_id, "update", caller.user_id)
            body = importable.entity.input_model.model_validate(_restored(importable, item, _before(rows)))
            after = writes.update(change, item, last_version, body, caller)
            version_after = int(after["version"])
        change.transaction.put("import-revert", ImportRowItem(
            *marker_key, outcome=REVERTED, record_id=record_id, record_version=version_after),
            ImportRowItem.PK.does_not_exist())
        change.commit()
    except HttpError as exc:
        if exc.status >= 500:
            raise
        return KEPT, problem_text(exc)
    return REVERTED, ""


def _before(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Each field as it was before the first of the import's rows that changed it (rows in write order)."""
    before: dict[str, Any] = {}
    for row in rows:
        for name, value in (row["before"] or {}).items():
            before.setdefault(name, value)
    return before


def _restored(importable: Any, item: Any, before: dict[str, Any]) -> dict[str, Any]:
    """The writable fields the import changed, with their values from before it; a custom field it
    added is removed (the API's custom fields change only the keys a write names)."""
    writable = importable.entity.input_model.model_fields
    values = {name: value for name, value in before.items() if name in writable and name != "custom_fields"}
    if "custom_fields" in before:
        old = before["custom_fields"] or {}
        now = importable.entity.view(item).get("custom_fields") or {}
        values["custom_fields"] = {key: old.get(key) for key in {*old, *now} if old.get(key) != now.get(key)}
    return values
