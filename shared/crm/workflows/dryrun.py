"""A dry run: the path a contact would take through a workflow now, writing and sending nothing. A wait is
assumed to pass (the later conditions are read as of its end); an email shows its rendered subject and whether
it would be skipped (consent, suppression); a field shows the value as it would be stored."""

from __future__ import annotations

import datetime as dt
from typing import Any

from crm.contacts.spec import CONTACT
from crm.platform.errors import HttpError
from crm.workflows.definition import (
    END,
    AssignStep,
    BranchStep,
    CreateTaskStep,
    SendEmailStep,
    SetFieldStep,
    WaitStep,
    WebhookStep,
)
from crm.workflows.engine import definition, live_contact, now_utc, record_of, stamp
from crm.workflows.rules import after, branch_target, describe, holds, shifted, wait_until
from crm.workflows.spec import WorkflowItem
from crm.workflows.store import set_field_body


def _would(step: Any, record: dict[str, Any], event: dict[str, Any], ids: list[str],
           now: dt.datetime) -> tuple[dict[str, Any], str, dt.datetime]:
    """What the step would do, where the run would go next, and the time then."""
    to = after(ids, step.id)
    if isinstance(step, WaitStep):
        until = wait_until(step, record, event, now)
        return ({"would": f"wait until {stamp(until)}" if until else "not wait (the date is past or missing)",
                 "until": stamp(until) if until else None}, to, until or now)
    if isinstance(step, BranchStep):
        taken, to = branch_target(step, record, event, ids, now)
        checked = [{"condition": describe(c), "holds": holds(c, record, event, now)} for c in step.conditions]
        return {"would": f"go to {to}", "conditions": checked, "held": taken}, to, now
    if isinstance(step, SendEmailStep):
        from crm.outbound.compose import preview  # noqa: PLC0415 - with the step it serves

        shown = preview(str(record["id"]), step.template_id, dict(step.variables))
        return ({"would": "send the email" if shown["would_send"] else f"skip the email ({shown['skip_reason']})",
                 "subject": shown["subject"], "to": shown["to"], "language": shown["language"]}, to, now)
    if isinstance(step, CreateTaskStep):
        owner = step.owner or record.get("owner")
        return ({"would": f"create a task for {owner or 'nobody (no owner)'}", "subject": step.subject,
                 "due_at": stamp(shifted(now, step.due_in))}, to, now)
    if isinstance(step, SetFieldStep):
        return ({"would": f"set {step.field}", "value": _as_stored(step)}, to, now)
    if isinstance(step, AssignStep):
        owner = record.get("owner")
        return ({"would": f"keep its owner {owner}" if owner else
                 f"assign it by {'rule ' + step.rule_id if step.rule_id else 'the assignment rules'}"}, to, now)
    return ({"would": f"POST the run to {step.url}"} if isinstance(step, WebhookStep) else {}, to, now)


def _as_stored(step: SetFieldStep) -> Any:
    """The value as the contact's write path would store it, or its refusal."""
    try:
        values = CONTACT.normalized(CONTACT.input_model.model_validate(set_field_body(step.field, step.value)), None,
                                    required=False)
    except HttpError as exc:
        return {"refused": exc.fields or exc.message}
    name = "custom_fields" if step.field.startswith("custom.") else step.field
    return values.get(name)


def dry_run(item: WorkflowItem, contact_id: str, event: dict[str, Any]) -> dict[str, Any]:
    fields = definition(item)
    contact = live_contact(contact_id)
    if contact is None:
        raise HttpError(404, "not_found", "There is no contact with this id.", {"contact_id": "Not found."})
    record, now = record_of(contact, fields), now_utc()
    trigger = [{"condition": describe(c), "holds": holds(c, record, event, now)} for c in fields.trigger.conditions]
    path: list[dict[str, Any]] = []
    steps = {step.id: step for step in fields.steps}
    ids = [step.id for step in fields.steps]
    position = ids[0]
    while position != END and position in steps and len(path) < len(ids):
        step = steps[position]
        would, position, now = _would(step, record, event, ids, now)
        path.append({"step_id": step.id, "type": step.type, **would})
    return {"workflow_id": item.workflow_id, "contact_id": contact_id, "status": item.status,
            "would_start": all(c["holds"] for c in trigger), "trigger": trigger, "path": path,
            "writes": "nothing: a dry run writes and sends nothing"}
