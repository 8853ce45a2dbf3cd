"""Each kind of step, taken once per run: what it does, keyed by (run id, step id), and where it leaves the run.
`take` returns False when the run was no longer at the step (another delivery or a stop got there first)."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import TransactWriteError

from crm.contacts.spec import CONTACT, ContactItem
from crm.platform.access import Caller
from crm.platform.config import get_settings
from crm.records.table import get_item
from crm.records.writes import Change
from crm.workflows.definition import (
    AssignStep,
    BranchStep,
    CreateTaskStep,
    SendEmailStep,
    SetFieldStep,
    WaitStep,
    WebhookStep,
)
from crm.workflows.engine import ACTOR, Move, Run, commit_move, derived_id, schedule_wake, stamp, wait_ends
from crm.workflows.rules import after, branch_target, shifted
from crm.workflows.store import set_field_body

# A workflow writes as the CRM itself: what it may write was checked when the workflow was saved.
WORKFLOW_CALLER = Caller(user_id=ACTOR, roles=frozenset({"admin"}))
FIELD_ATTEMPTS = 3


def send_key(run: Run, step_id: str) -> str:
    return f"workflow-{run.item.run_id}-{step_id}"


def take(run: Run, step: Any) -> bool:
    if isinstance(step, SetFieldStep):
        return _set_field(run, step)
    if isinstance(step, CreateTaskStep):
        return _create_task(run, step)
    return commit_move(run, step, _move(run, step))


def _move(run: Run, step: Any) -> Move:
    ids = run.step_ids
    if isinstance(step, WaitStep):
        until = wait_ends(run, step)
        if until is None:
            return Move(after(ids, step.id), "not_waited", "no wait (the date is past or missing)")
        schedule_wake(run, step, until)
        return Move(step.id, "waiting", f"waiting until {stamp(until)}", waiting_until=stamp(until))
    if isinstance(step, BranchStep):
        taken, to = branch_target(step, run.record, run.event, ids, run.now)
        return Move(to, "then" if taken else "else", f"conditions {'held' if taken else 'did not hold'}; next {to}")
    if isinstance(step, SendEmailStep):
        return _send_email(run, step)
    if isinstance(step, AssignStep):
        return _assign(run, step)
    if isinstance(step, WebhookStep):
        return _webhook(run, step)
    raise TypeError(f"unknown step {step!r}")


def _send_email(run: Run, step: SendEmailStep) -> Move:
    from crm.outbound.compose import send_to_contact  # noqa: PLC0415 - with the step it serves

    sent = send_to_contact(run.item.contact_id, step.template_id, send_key=send_key(run, step.id),
                           variables=dict(step.variables))
    to = after(run.step_ids, step.id)
    if sent.status == "sent" or sent.reason == "sent_before":
        return Move(to, "sent", f"email {step.template_id} sent")
    return Move(to, "skipped", f"email {step.template_id} not sent: {sent.reason}")


def _assign(run: Run, step: AssignStep) -> Move:
    from crm.assignment.store import assign_contact  # noqa: PLC0415 - with the step it serves

    owner = assign_contact(run.item.contact_id, rule_id=step.rule_id,
                           why=f"workflow {run.workflow.name}, step {step.id}")
    to = after(run.step_ids, step.id)
    return Move(to, "assigned", f"owner {owner}") if owner else Move(to, "unassigned", "no one could take it")


def _webhook(run: Run, step: WebhookStep) -> Move:
    from crm.workflows.webhook import post  # noqa: PLC0415 - with the step it serves

    item = run.item
    delivery = f"{item.run_id}-{step.id}"
    status = post(step.url, str(run.workflow.secret), {
        "workflow_id": item.workflow_id, "workflow": run.workflow.name, "run_id": item.run_id, "step_id": step.id,
        "delivery": delivery, "contact": run.record,
        "event": {"detail-type": _trigger_type(run), "detail": run.event}}, delivery,
        private_targets=get_settings().webhook_private_targets)
    return Move(after(run.step_ids, step.id), "delivered", f"POST {step.url} answered {status}")


def _trigger_type(run: Run) -> str | None:
    import json  # noqa: PLC0415 - only a webhook reads it back

    return json.loads(run.item.event_json or "{}").get("detail-type")


def _create_task(run: Run, step: CreateTaskStep) -> bool:
    """A task for the contact's owner, its id derived from (run, step): a retry after the commit finds the run
    moved on, one before it wrote nothing."""
    from crm.activities.store import add_activity, planned_activity  # noqa: PLC0415 - with the step it serves

    item = run.item
    activity_id = derived_id("task", item.run_id, step.id)
    owner = step.owner or run.record.get("owner")
    due = stamp(shifted(run.now, step.due_in))
    change = Change("activity", activity_id, "create", f"{ACTOR}:{item.workflow_id}")
    values = planned_activity({"type": "task", "subject": step.subject, "body": step.body, "due_at": due,
                               "owner": owner, "contact_id": item.contact_id}, None, WORKFLOW_CALLER, change.at)
    add_activity(change, activity_id, values, WORKFLOW_CALLER)
    summary = f"task {step.subject!r} for {owner or 'nobody (the contact has no owner)'}, due {due}"
    return commit_move(run, step, Move(after(run.step_ids, step.id), "task_created", summary), change.transaction)


def _set_field(run: Run, step: SetFieldStep) -> bool:
    """The field through the API's validated write path (a 422 there fails the step), in the transaction that
    moves the run on: conditioned on the run being at this step, so it is written once."""
    from crm.contacts.edits import edit_contact  # noqa: PLC0415 - with the step it serves

    item = run.item
    body = CONTACT.input_model.model_validate(set_field_body(step.field, step.value))
    for attempt in range(FIELD_ATTEMPTS):
        contact = get_item(ContactItem, ContactItem.key(item.contact_id), consistent=True)
        if contact is None or contact.merged_into or contact.erased_at:
            raise LookupError(f"contact {item.contact_id} is gone")
        change = Change("contact", item.contact_id, "update", f"{ACTOR}:{item.workflow_id}")
        edit_contact(change, contact, int(contact.version), body)
        move = Move(after(run.step_ids, step.id), "field_set", f"{step.field} set to {step.value!r}")
        try:
            return commit_move(run, step, move, change.transaction)
        except TransactWriteError as exc:
            if "record" not in change.transaction.failed_labels(exc) or attempt == FIELD_ATTEMPTS - 1:
                raise
    return False

