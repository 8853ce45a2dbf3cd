"""Workflows as admins and marketing write them: checked as a whole (one 422 names every problem), created,
replaced (If-Match) and deleted with their audit entries, and the trigger entries of an active workflow kept in
the same transaction. The workflows an event type starts are read from those entries (one Query and one
BatchGetItem) and kept for a minute in the function's memory."""

from __future__ import annotations

import secrets
import time
from typing import Any

from pydantic import ValidationError

from crm.contacts.spec import CONTACT
from crm.platform.errors import HttpError
from crm.platform.text import InvalidValue, clean_text
from crm.records.reads import load
from crm.records.table import get_item
from crm.records.writes import Change, new_id
from crm.reports.spec import plain
from crm.workflows.definition import (
    AssignStep,
    SendEmailStep,
    SetFieldStep,
    WorkflowFields,
    stored_steps,
)
from crm.workflows.rules import definition_problems
from crm.workflows.spec import MAX_WORKFLOWS, TriggerItem, WorkflowItem

# How long a function keeps the workflows an event type starts: an edit reaches every function within it.
CACHE_SECONDS = 60
_cache: dict[str, tuple[float, list[WorkflowItem]]] = {}
# Kept by the records layer, never set by a workflow: they say where a contact came from and who it is.
UNSETTABLE = frozenset({"emails", "phones", "custom_fields", "owner"})


def contact_fields() -> frozenset[str]:
    """What a condition may read of a contact: its view's fields."""
    return frozenset(CONTACT.fields) | {"id", "created_at", "updated_at"}


def workflow_view(item: WorkflowItem) -> dict[str, Any]:
    """A workflow as the API shows it: never its webhook secret."""
    return {"id": item.workflow_id, "name": item.name, "description": item.description, "status": item.status,
            "trigger": plain(item.trigger), "steps": [plain(step) for step in item.steps or ()],
            "re_entry": item.re_entry, "stop_on": list(item.stop_on or ()), "created_by": item.created_by,
            "created_at": item.created_at, "updated_at": item.updated_at, "version": int(item.version)}


def read_workflow(workflow_id: str) -> WorkflowItem:
    return load(WorkflowItem, WorkflowItem.key(workflow_id), "workflow")


def workflow_items() -> list[WorkflowItem]:
    """Every workflow, newest first: one Query (they are few)."""
    return list(WorkflowItem.by_created.query(WorkflowItem.list_key(), scan_index_forward=False))


def settable(name: str) -> bool:
    head, _, rest = name.partition(".")
    if head == "custom":
        return bool(rest) and len(rest) <= 64
    field = CONTACT.fields.get(name)
    return field is not None and field.writable and name not in UNSETTABLE


def set_field_body(name: str, value: Any) -> dict[str, Any]:
    """The PATCH body that sets one field (a custom field merges into the others)."""
    head, _, rest = name.partition(".")
    return {"custom_fields": {rest: value}} if head == "custom" else {name: value}


def _step_problems(index: int, step: Any) -> dict[str, str]:
    """What only the rest of the CRM can say: the template and the rule exist, the value fits the field."""
    from crm.assignment.spec import AssignmentRuleItem  # noqa: PLC0415 - only when a workflow names a rule
    from crm.outbound.spec import EmailTemplateItem  # noqa: PLC0415 - only when a workflow sends

    where = f"steps.{index}"
    if isinstance(step, SendEmailStep) and get_item(EmailTemplateItem, EmailTemplateItem.key(step.template_id)) is None:
        return {f"{where}.template_id": "There is no email template with this id."}
    if isinstance(step, AssignStep) and step.rule_id is not None \
            and get_item(AssignmentRuleItem, AssignmentRuleItem.key(step.rule_id)) is None:
        return {f"{where}.rule_id": "There is no assignment rule with this id."}
    if isinstance(step, SetFieldStep):
        if not settable(step.field):
            return {f"{where}.field": f"{step.field!r} is not a contact field a workflow may set."}
        try:
            CONTACT.input_model.model_validate(set_field_body(step.field, step.value))
        except ValidationError as exc:
            return {f"{where}.value": "; ".join(error["msg"] for error in exc.errors())[:300]}
    return {}


def stored(fields: WorkflowFields) -> dict[str, Any]:
    """The workflow as kept; 422 naming every problem the field limits alone do not catch."""
    problems = definition_problems(fields, contact_fields())
    for index, step in enumerate(fields.steps):
        problems |= _step_problems(index, step)
    try:
        name = clean_text(fields.name, 200)
    except InvalidValue as exc:
        problems["name"], name = str(exc), "-"
    if not name:
        problems["name"] = "Required."
    if problems:
        raise HttpError(422, "invalid_fields", "The workflow needs attention.", problems)
    return {"name": name, "description": fields.description, "status": fields.status,
            "trigger": fields.trigger.model_dump(), "steps": stored_steps(fields), "re_entry": fields.re_entry,
            "stop_on": list(fields.stop_on) or None}


def _triggers(change: Change, workflow_id: str, before: tuple[str, ...], after: tuple[str, ...]) -> None:
    """The trigger entries of the workflow: one per event type while it is active."""
    for event_type in sorted(set(before) - set(after)):
        change.transaction.delete(f"trigger-off:{event_type}", TriggerItem(*TriggerItem.key(workflow_id, event_type)))
    for event_type in sorted(set(after) - set(before)):
        change.transaction.put(f"trigger-on:{event_type}", TriggerItem(
            *TriggerItem.key(workflow_id, event_type), workflow_id=workflow_id, event_type=event_type,
            GSI2PK=TriggerItem.index_key(event_type), order_key=workflow_id))


def _active_events(values: dict[str, Any]) -> tuple[str, ...]:
    return tuple(values["trigger"]["events"]) if values.get("status") == "active" else ()


def add_workflow(actor: str, values: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """A new workflow and its webhook secret, which is shown this once."""
    if len(workflow_items()) >= MAX_WORKFLOWS:
        raise HttpError(409, "too_many_workflows", f"There are {MAX_WORKFLOWS} workflows already; delete one first.")
    workflow_id = new_id()
    secret = f"whsec_{secrets.token_urlsafe(32)}"
    change = Change("workflow", workflow_id, "create", actor)
    item = WorkflowItem(*WorkflowItem.key(workflow_id), workflow_id=workflow_id, secret=secret, created_by=actor,
                        created_at=change.at, updated_at=change.at, version=1, GSI1PK=WorkflowItem.list_key(),
                        GSI1SK=f"{change.at}#{workflow_id}", **values)
    change.transaction.put("record", item, WorkflowItem.PK.does_not_exist())
    change.audit(None, workflow_view(item))
    _triggers(change, workflow_id, (), _active_events(values))
    change.commit()
    forget_cache()
    return workflow_view(item), secret


def replace_workflow(actor: str, item: WorkflowItem, version: int, values: dict[str, Any]) -> dict[str, Any]:
    """The workflow as sent, whole; its secret stays. Runs under way go on from the step they are at (a step
    removed ends them)."""
    change = Change("workflow", item.workflow_id, "update", actor)
    before = workflow_view(item)
    was_active = _active_events({"status": item.status, "trigger": plain(item.trigger)})
    for name, value in values.items():
        setattr(item, name, value)
    item.version, item.updated_at = version + 1, change.at
    actions = [getattr(WorkflowItem, name).remove() if value is None else getattr(WorkflowItem, name).set(value)
               for name, value in values.items()]
    change.transaction.update("record", item, [*actions, WorkflowItem.version.set(version + 1),
                                               WorkflowItem.updated_at.set(change.at)],
                              WorkflowItem.version == version)
    change.audit(before, workflow_view(item))
    _triggers(change, item.workflow_id, was_active, _active_events(values))
    change.commit()
    forget_cache()
    return workflow_view(item)


def remove_workflow(actor: str, item: WorkflowItem, version: int) -> None:
    """The workflow and its trigger entries; runs waiting find it gone when they wake, and end."""
    change = Change("workflow", item.workflow_id, "delete", actor)
    change.transaction.delete("record", item, WorkflowItem.version == version)
    change.audit(workflow_view(item), None)
    _triggers(change, item.workflow_id, _active_events({"status": item.status, "trigger": plain(item.trigger)}), ())
    change.commit()
    forget_cache()


def forget_cache() -> None:
    _cache.clear()


def triggered_by(event_type: str) -> list[WorkflowItem]:
    """The active workflows `event_type` starts: a Query of its trigger entries and a BatchGetItem of the
    workflows, at most once a minute per event type and function instance."""
    now = time.monotonic()
    cached = _cache.get(event_type)
    if cached is not None and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    ids = [entry.workflow_id for entry in TriggerItem.by_trigger.query(TriggerItem.index_key(event_type))]
    found = list(WorkflowItem.batch_get([WorkflowItem.key(i) for i in ids])) if ids else []
    workflows = sorted((item for item in found if item.status == "active"), key=lambda item: item.workflow_id)
    _cache[event_type] = (now, workflows)
    return workflows
