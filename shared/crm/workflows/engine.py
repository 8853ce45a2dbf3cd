"""Runs: an event starts one per (workflow, contact) as re-entry allows; steps are taken until a wait, which is a
one-time schedule `wait-<run id>-<step id>` invoking this function again, never a sleeping function.

A step is taken at most once per run: its outside effect is keyed by (run id, step id) (the email's send key,
the task's activity id, the webhook's delivery id), and the run moves on in one transaction conditioned on
being at that step, with the step's timeline entry and, for a task or a field, the record written. A step
that breaks marks the run failed and raises, naming the run and the step: Lambda retries, then the event or
the wake-up ends in WorkflowDLQ, and a retry or a replay resumes the run at that step. An event that stops
a sequence (a reply, a payment, an unsubscribe) stops the contact's runs that asked for it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pynamodb.exceptions import TransactWriteError

from crm.contacts.spec import CONTACT, ContactItem
from crm.platform.observability import logger
from crm.platform.schedules import SCHEDULED_TIME, at_expression, automation_target, delete_schedule, put_schedule
from crm.records.history import HistoryItem, history_entry
from crm.records.table import get_item
from crm.records.transactions import LabelledTransaction
from crm.reports.spec import plain
from crm.workflows.definition import END, BranchStep, WaitStep, WorkflowFields
from crm.workflows.rules import LAST_ACTIVITY, after, all_hold, needs_last_activity, wait_until
from crm.workflows.spec import LIVE, RunItem, WorkflowItem
from crm.workflows.store import triggered_by

ACTOR = "workflow"
WAIT_WAKE = "workflow_wait"
STOP_EVENTS = {"Email Received": "reply", "Payment Succeeded": "payment", "Contact Unsubscribed": "unsubscribe"}
STOP_WORDS = {"reply": "the contact replied", "payment": "the contact paid", "unsubscribe": "the contact unsubscribed"}
# Timeline entries that count as the contact's activity, for `last_activity_at`.
ACTIVITY_ENTRIES = ("activity_logged", "payment_succeeded")
STEP_ENTRY = "workflow_step"


class StepFailed(RuntimeError):
    """A step broke; the message names what a replay needs: the workflow, the run and the step."""


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def stamp(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def definition(item: WorkflowItem) -> WorkflowFields:
    return WorkflowFields.model_validate({"name": item.name, "status": item.status, "trigger": plain(item.trigger),
                                          "steps": [plain(step) for step in item.steps or ()],
                                          "re_entry": item.re_entry, "stop_on": list(item.stop_on or ())})


def derived_id(*parts: str, length: int = 32) -> str:
    return hashlib.sha256(":".join(parts).encode()).hexdigest()[:length]


def last_activity_at(contact_id: str) -> str | None:
    """When an activity was last logged on the contact or it last paid: its timeline newest first."""
    pk, _ = HistoryItem.key(contact_id, "", "")
    for entry in HistoryItem.query(pk, HistoryItem.SK.startswith("HISTORY#"), scan_index_forward=False,
                                   filter_condition=HistoryItem.entry_type.is_in(*ACTIVITY_ENTRIES), limit=1,
                                   page_size=100):
        return str(entry.created_at)
    return None


def record_of(contact: ContactItem, fields: WorkflowFields) -> dict[str, Any]:
    """The contact as conditions read it (its API view), with its last activity when a condition asks."""
    record = CONTACT.view(contact)
    conditions = [*fields.trigger.conditions, *(c for s in fields.steps if isinstance(s, BranchStep)
                                                for c in s.conditions)]
    if needs_last_activity(conditions):
        record[LAST_ACTIVITY] = last_activity_at(contact.contact_id)
    return record


def live_contact(contact_id: str) -> ContactItem | None:
    contact = get_item(ContactItem, ContactItem.key(contact_id), consistent=True)
    return None if contact is None or contact.merged_into or contact.erased_at else contact


@dataclass
class Run:
    """One run while it moves: its workflow, its contact as read, and the event that started it."""

    workflow: WorkflowItem
    fields: WorkflowFields
    item: RunItem
    record: dict[str, Any]
    event: dict[str, Any]
    now: dt.datetime = field(default_factory=now_utc)

    @property
    def step_ids(self) -> list[str]:
        return [step.id for step in self.fields.steps]


@dataclass(frozen=True)
class Move:
    """Where a step leaves the run, what its timeline says, and what it writes with the move."""

    to: str
    outcome: str
    summary: str
    waiting_until: str | None = None
    writes: Callable[[LabelledTransaction], None] | None = None


def _entry(run: Run, step_id: str, step_type: str, outcome: str, summary: str, at: str) -> HistoryItem:
    item = run.item
    return history_entry(HistoryItem.key(item.contact_id, at, f"wf-{item.run_id}-{step_id}-{outcome}"), STEP_ENTRY,
                         f"Workflow {run.workflow.name}, step {step_id} ({step_type}): {summary}",
                         {"workflow_id": item.workflow_id, "workflow": run.workflow.name, "run_id": item.run_id,
                          "step_id": step_id, "step_type": step_type, "outcome": outcome}, at)


def commit_move(run: Run, step: Any, move: Move, transaction: LabelledTransaction | None = None) -> bool:
    """The run goes to `move.to` if it is still at this step and running; False when another got there first
    (a stop, a restart, a concurrent delivery)."""
    transaction = transaction if transaction is not None else LabelledTransaction()
    item, at = run.item, stamp(now_utc())
    status = "waiting" if move.waiting_until else ("completed" if move.to == END else "running")
    actions = [RunItem.position.set(move.to), RunItem.status.set(status), RunItem.updated_at.set(at),
               RunItem.steps_taken.add(1), RunItem.error.remove(),
               RunItem.wait_until.set(move.waiting_until) if move.waiting_until else RunItem.wait_until.remove()]
    if status == "completed":
        actions.append(RunItem.outcome.set("completed"))
    transaction.update("run", item, actions, (RunItem.run_id == item.run_id) & (RunItem.position == step.id)
                       & (RunItem.status == "running"))
    transaction.put("history", _entry(run, step.id, step.type, move.outcome, move.summary, at))
    if move.writes is not None:
        move.writes(transaction)
    try:
        transaction.commit()
    except TransactWriteError as exc:
        if "run" in transaction.failed_labels(exc):
            return False
        raise
    item.position, item.status = move.to, status
    return True


def _failed(run: Run, step: Any, error: str) -> None:
    """The run is marked failed at the step, with why, on its timeline too (best effort: the raise that follows
    is what keeps the event)."""
    item, at = run.item, stamp(now_utc())
    transaction = LabelledTransaction()
    transaction.update("run", item, [RunItem.status.set("failed"), RunItem.error.set(error[:1000]),
                                     RunItem.updated_at.set(at)],
                       (RunItem.run_id == item.run_id) & (RunItem.position == step.id) & (RunItem.status == "running"))
    transaction.put("history", history_entry(
        HistoryItem.key(item.contact_id, at, f"wf-{item.run_id}-{step.id}-failed"), STEP_ENTRY,
        f"Workflow {run.workflow.name}, step {step.id} ({step.type}) failed: {error[:300]}",
        {"workflow_id": item.workflow_id, "workflow": run.workflow.name, "run_id": item.run_id, "step_id": step.id,
         "step_type": step.type, "outcome": "failed"}, at))
    try:
        transaction.commit()
    except TransactWriteError:
        logger.warning("a failed step could not be marked", extra={"run_id": item.run_id, "step_id": step.id})


def advance(run: Run) -> str:
    """Takes steps until the run waits or ends, or is no longer this delivery's to move; returns its status."""
    from crm.workflows.steps import take  # noqa: PLC0415 - the steps import email, tasks and assignment

    steps = {step.id: step for step in run.fields.steps}
    for _ in range(len(steps) + 1):
        item = run.item
        if item.status != "running":
            return str(item.status)
        step = steps.get(item.position)
        if step is None:
            return _end_removed(run)
        try:
            moved = take(run, step)
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            _failed(run, step, reason)
            raise StepFailed(f"workflow {item.workflow_id} run {item.run_id} step {step.id} of contact "
                             f"{item.contact_id} failed ({reason}); replaying the event resumes it") from exc
        if not moved:
            return "superseded"
    return str(run.item.status)


def _end_removed(run: Run) -> str:
    """The step the run is at was removed from the workflow (or it ended): the run ends."""
    item = run.item
    if item.position == END:
        return "completed"
    try:
        item.update([RunItem.status.set("stopped"), RunItem.outcome.set(f"step {item.position} was removed"),
                     RunItem.updated_at.set(stamp(now_utc()))],
                    condition=(RunItem.run_id == item.run_id) & (RunItem.position == item.position))
    except Exception:  # noqa: BLE001 - a concurrent move decided already
        logger.info("a run at a removed step moved meanwhile", extra={"run_id": item.run_id})
    return "stopped"


def detail_of(event: dict[str, Any]) -> dict[str, Any]:
    detail = event.get("detail")
    return detail if isinstance(detail, dict) else {}


def _event_id(event: dict[str, Any]) -> str:
    detail = detail_of(event)
    return str(detail.get("event_id") or event.get("id") or derived_id(json.dumps(event, sort_keys=True, default=str)))


def start(workflow: WorkflowItem, contact_id: str, event: dict[str, Any]) -> str:
    """Starts (or, for the same event delivered again, resumes) the workflow's run for the contact; what
    happened, in a word."""
    fields = definition(workflow)
    contact = live_contact(contact_id)
    if contact is None:
        return "no_contact"
    detail = detail_of(event)
    record = record_of(contact, fields)
    event_id = _event_id(event)
    existing = get_item(RunItem, RunItem.key(contact_id, workflow.workflow_id), consistent=True)
    if existing is not None and existing.trigger_event_id == event_id:
        return _resume(Run(workflow, fields, existing, record, detail))
    now = now_utc()
    if not all_hold(fields.trigger.conditions, record, detail, now):
        return "not_matched"
    if existing is not None and (fields.re_entry == "once" or
                                 (fields.re_entry == "always" and existing.status in LIVE)):
        return "already_running" if existing.status in LIVE else "ran_before"
    run_id = derived_id(workflow.workflow_id, contact_id, event_id, length=20)
    item = RunItem(*RunItem.key(contact_id, workflow.workflow_id), run_id=run_id, workflow_id=workflow.workflow_id,
                   contact_id=contact_id, status="running", position=fields.steps[0].id, trigger_event_id=event_id,
                   event_json=json.dumps({"detail-type": event.get("detail-type"), "detail": detail},
                                         default=str)[:20_000],
                   stop_on=list(fields.stop_on) or None, steps_taken=0, started_at=stamp(now), updated_at=stamp(now),
                   GSI1PK=RunItem.list_key(workflow.workflow_id), GSI1SK=f"{stamp(now)}#{contact_id}")
    run = Run(workflow, fields, item, record, detail, now)
    if not _put_run(run, existing):
        return "raced"
    if existing is not None and existing.status == "waiting":
        delete_schedule(wait_name(existing.run_id, existing.position), automation_target("workflow"))
    return advance(run)


def _put_run(run: Run, existing: RunItem | None) -> bool:
    """The run item, conditioned on the one read (none, or the same run as read): two events at once start one."""
    item = run.item
    at = item.started_at
    condition = RunItem.PK.does_not_exist() if existing is None else (RunItem.run_id == existing.run_id)
    transaction = LabelledTransaction()
    transaction.put("run", item, condition)
    again = " again" if existing is not None else ""
    transaction.put("history", history_entry(
        HistoryItem.key(item.contact_id, at, f"wf-{item.run_id}-start"), STEP_ENTRY,
        f"Workflow {run.workflow.name} started{again} ({_trigger_of(run)})",
        {"workflow_id": item.workflow_id, "workflow": run.workflow.name, "run_id": item.run_id, "outcome": "started"},
        at))
    try:
        transaction.commit()
    except TransactWriteError as exc:
        if "run" in transaction.failed_labels(exc):
            return False
        raise
    return True


def _trigger_of(run: Run) -> str:
    return str(json.loads(run.item.event_json or "{}").get("detail-type") or "event")


def _resume(run: Run) -> str:
    """The same event or wake-up again (a retry, a redelivery, a replay from the DLQ): a failed run goes on from
    the step it failed at; a run that is running is moved on; anything else is left as it is."""
    item = run.item
    if item.status == "failed":
        try:
            item.update([RunItem.status.set("running"), RunItem.updated_at.set(stamp(now_utc()))],
                        condition=(RunItem.run_id == item.run_id) & (RunItem.status == "failed"))
        except Exception:  # noqa: BLE001 - another delivery resumed it
            return "superseded"
        item.status = "running"
    if item.status != "running":
        return f"already_{item.status}"
    return advance(run)


def wait_name(run_id: str, step_id: str) -> str:
    return f"wait-{run_id}-{step_id}"


def schedule_wake(run: Run, step: WaitStep, until: dt.datetime) -> None:
    item = run.item
    put_schedule(wait_name(item.run_id, step.id), automation_target("workflow"), at_expression(until),
                 {"kind": WAIT_WAKE, "workflow_id": item.workflow_id, "contact_id": item.contact_id,
                  "run_id": item.run_id, "step_id": step.id, "scheduled_time": SCHEDULED_TIME},
                 description=f"Workflow {item.workflow_id}: run {item.run_id} waits at {step.id}",
                 what="A workflow's wait")


def wake(payload: dict[str, Any]) -> str:
    """A wait's schedule ran: the run goes on from the step after the wait, if it is still that run waiting
    there (a stop, a restart or an earlier delivery of this wake-up leave it alone)."""
    workflow_id, contact_id, run_id, step_id = (str(payload[k]) for k in ("workflow_id", "contact_id", "run_id",
                                                                          "step_id"))
    item = get_item(RunItem, RunItem.key(contact_id, workflow_id), consistent=True)
    if item is None or item.run_id != run_id:
        return "superseded"
    workflow = get_item(WorkflowItem, WorkflowItem.key(workflow_id), consistent=True)
    contact = live_contact(contact_id)
    if workflow is None or contact is None:
        _stop(item, "its workflow was deleted" if workflow is None else "its contact is gone", "ended")
        return "stopped"
    fields = definition(workflow)
    run = Run(workflow, fields, item, record_of(contact, fields), detail_of(json.loads(item.event_json or "{}")))
    if item.status == "failed":
        return _resume(run)
    if item.status != "waiting" or item.position != step_id:
        return "superseded"
    ids = run.step_ids
    to = after(ids, step_id) if step_id in ids else END
    try:
        item.update([RunItem.status.set("completed" if to == END else "running"), RunItem.position.set(to),
                     RunItem.wait_until.remove(), RunItem.updated_at.set(stamp(now_utc()))],
                    condition=(RunItem.run_id == run_id) & (RunItem.status == "waiting")
                    & (RunItem.position == step_id))
    except Exception:  # noqa: BLE001 - stopped or woken meanwhile
        return "superseded"
    item.position, item.status = to, "completed" if to == END else "running"
    return advance(run)


def stop_runs(contact_id: str, reason: str) -> int:
    """Stops the contact's live runs that stop on `reason`: one Query of its partition."""
    stopped = 0
    for item in RunItem.query(RunItem.key(contact_id, "")[0], RunItem.SK.startswith("WORKFLOW_RUN#"),
                              consistent_read=True):
        if item.status in ("running", "waiting") and reason in (item.stop_on or ()):
            stopped += _stop(item, STOP_WORDS[reason], "stopped")
    return stopped


def _stop(item: RunItem, why: str, outcome: str) -> int:
    at = stamp(now_utc())
    transaction = LabelledTransaction()
    transaction.update("run", item, [RunItem.status.set("stopped"), RunItem.outcome.set(why),
                                     RunItem.updated_at.set(at), RunItem.wait_until.remove()],
                       (RunItem.run_id == item.run_id) & (RunItem.status == item.status))
    transaction.put("history", history_entry(
        HistoryItem.key(item.contact_id, at, f"wf-{item.run_id}-{outcome}"), STEP_ENTRY,
        f"Workflow run stopped at step {item.position}: {why}",
        {"workflow_id": item.workflow_id, "run_id": item.run_id, "step_id": item.position, "outcome": outcome}, at))
    try:
        transaction.commit()
    except TransactWriteError as exc:
        if "run" in transaction.failed_labels(exc):
            return 0
        raise
    if item.status == "waiting":
        delete_schedule(wait_name(item.run_id, item.position), automation_target("workflow"))
    return 1


def on_event(event: dict[str, Any]) -> dict[str, Any]:
    """An event on the bus about a contact: stops what it stops, then starts what it triggers (but not in the
    workflow whose step caused it)."""
    detail_type = str(event.get("detail-type") or "")
    detail = detail_of(event)
    contact_id = detail.get("contact_id")
    if not isinstance(contact_id, str) or not contact_id or len(contact_id) > 64:
        return {"ignored": "no contact"}
    outcome: dict[str, Any] = {"contact_id": contact_id}
    reason = STOP_EVENTS.get(detail_type)
    if reason is not None:
        outcome["stopped"] = stop_runs(contact_id, reason)
    # A workflow never starts on what its own steps wrote (a field it set, a task it made): with re-entry
    # `always`, that would run it again and again.
    caused_by = detail.get("by")
    outcome["runs"] = {workflow.workflow_id: start(workflow, contact_id, event)
                       for workflow in triggered_by(detail_type) if caused_by != f"{ACTOR}:{workflow.workflow_id}"}
    return outcome


def wait_ends(run: Run, step: WaitStep) -> dt.datetime | None:
    return wait_until(step, run.record, run.event, now_utc())

