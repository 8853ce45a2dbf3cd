"""Lambda entry of workflows (decision 0051):
- EventBridge: every CRM event on the bus. One about a contact stops the contact's runs that stop on it (a
  reply, a payment, an unsubscribe) and starts the active workflows its type triggers.
- EventBridge Scheduler's one-time `wait-<run id>-<step id>` schedule, {"kind": "workflow_wait", ...}: a
  wait ended, and its run goes on.
A broken step raises, naming the workflow, the run and the step: Lambda retries, then WorkflowDLQ keeps the
event or the wake-up, which `crm dlq replay` invokes again; the run resumes at that step, and a step taken
before is not taken again (an email is sent once per run and step)."""

from __future__ import annotations

from typing import Any

from crm.platform.config import get_settings
from crm.platform.observability import logger, metrics
from crm.platform.startup import loaded
from crm.records.table import bind_table
from crm.workflows.engine import WAIT_WAKE, on_event, wake

bind_table(get_settings())
WAKE_FIELDS = ("workflow_id", "contact_id", "run_id", "step_id")


class MalformedTrigger(ValueError):
    """An input this function is wired to but cannot read: it is retried, then kept in the DLQ."""


@metrics.log_metrics
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    if event.get("kind") == WAIT_WAKE:
        if not all(isinstance(event.get(name), str) and event[name] for name in WAKE_FIELDS):
            raise MalformedTrigger(f"a workflow wake-up without {', '.join(WAKE_FIELDS)}")
        outcome = wake(event)
        metrics.add_metric(name="WorkflowWakes", unit="Count", value=1)
        return {"wake": outcome, "run_id": event["run_id"]}
    if isinstance(event.get("detail-type"), str) and isinstance(event.get("detail"), dict):
        return on_event(event)
    logger.warning("workflows got an input it does not know", extra={"kind": event.get("kind")})
    return {"ignored": True}


loaded()
