"""(n) Workflows in process (moto, the table built from template.yaml): the AWS requests and the cost of a workflow
step, as WorkflowFunction takes it.

- An event no workflow takes: every CRM event reaches the function; the workflows a type triggers are one Query
  of its trigger entries and a BatchGetItem, kept a minute, so a warm function asks nothing.
- A run started: the contact read, its run read, the run and its "started" timeline entry put in one
  transaction; then each step moves the run in a transaction conditioned on its position, with the step's
  timeline entry. The runs below each start a workflow of one step, so a step's own cost is its row less the
  branch's (a branch decides in memory).
- A wait: its one-time schedule (an UpdateSchedule that finds none, then a CreateSchedule) and the move.
- A wake-up: Scheduler invokes the function; the run, the workflow and the contact are read, the run moved on, and
  its next step (here an email of a template, as crm.outbound.compose sends it) taken.
- A stop: a reply (Email Received) stops the contact's waiting run: one Query of its partition, a transaction, and
  the wait's schedule deleted.

Each operation's requests are counted with botocore's hooks (bench.aws_calls) on its last of RUNS runs (each on
its own contact); CPU is the median, with moto's own work in it. Cost at us-east-1 list prices, as bench.assignment
counts it (a transaction's items cost twice; an outbox event EventBridge's $1 per million)."""

from __future__ import annotations

import json
from typing import Any

from bench.cost import (
    DEFAULT_LATENCY_MS,
    DYNAMODB_PER_RRU,
    DYNAMODB_PER_WRU,
    EVENTBRIDGE_PER_EVENT,
    FULL_VCPU_MB,
    LAMBDA_GB_SECOND,
    LAMBDA_PER_REQUEST,
    LATENCY_MS,
)
from bench.operations import (
    RUNS,
    SCHEDULER_PER_INVOCATION,
    SES_PER_EMAIL,
    Measured,
    automation_aws,
    figures_of,
    measured,
    print_operations,
    section_main,
)

MEMORY_MB = 128
READS = ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem")
WRITES = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")


def _cost(found: Measured, extra: float) -> float:
    requests = found.requests
    seconds = found.cpu_seconds * FULL_VCPU_MB / MEMORY_MB + sum(
        n * LATENCY_MS.get(name, DEFAULT_LATENCY_MS) for name, n in requests.items()) / 1000
    reads = sum(requests.get(name, 0) for name in READS)
    writes = sum(requests.get(name, 0) for name in WRITES) + 2 * found.transacted
    return (seconds * MEMORY_MB / 1024 * LAMBDA_GB_SECOND["arm64"] + LAMBDA_PER_REQUEST
            + reads * DYNAMODB_PER_RRU + writes * DYNAMODB_PER_WRU + extra) * 1_000_000


STEPS: dict[str, dict[str, Any]] = {
    "branch": {"id": "s", "type": "branch", "conditions": [{"field": "lifecycle_stage", "op": "eq", "value": "lead"}]},
    "wait": {"id": "s", "type": "wait", "duration": {"days": 2}},
    "create_task": {"id": "s", "type": "create_task", "subject": "Call them", "due_in": {"days": 1}},
    "set_field": {"id": "s", "type": "set_field", "field": "lead_status", "value": "attempted_contact"},
}


def measure() -> dict[str, Any]:
    with automation_aws("workflow", {"CRM_MAIL_DOMAIN": "crm.example.com"}):
        from crm.contacts.spec import ContactItem  # noqa: PLC0415 - once the environment is set
        from crm.outbound.spec import EmailTemplateItem  # noqa: PLC0415 - once the environment is set
        from crm.workflows.definition import WorkflowFields  # noqa: PLC0415 - once the environment is set
        from crm.workflows.spec import RunItem  # noqa: PLC0415 - once the environment is set
        from crm.workflows.store import add_workflow, stored  # noqa: PLC0415 - once the environment is set
        from workflows.handler import handler  # noqa: PLC0415 - once the environment is set

        stamp = "2026-12-04T00:00:00Z"
        EmailTemplateItem(*EmailTemplateItem.key("t1"), template_id="t1", name="Welcome", topic="transactional",
                          default_language="en", variants_json=json.dumps({"en": {
                              "subject": "Welcome {{ contact.first_name }}", "text": "Dear {{ contact.first_name }}"}}),
                          created_at=stamp, updated_at=stamp, updated_by="bench", version=1,
                          GSI1PK=EmailTemplateItem.list_key(), GSI1SK=f"{stamp}#t1").save()
        steps = {**STEPS, "send_email": {"id": "s", "type": "send_email", "template_id": "t1"}}
        waiting = {"wake": [{"id": "w", "type": "wait", "duration": {"days": 1}}, steps["send_email"]],
                   "stop": [{"id": "w", "type": "wait", "duration": {"days": 1}}]}
        for kind, workflow_steps in [*((k, [v]) for k, v in steps.items()), *waiting.items()]:
            add_workflow("bench", stored(WorkflowFields.model_validate({
                "name": kind, "status": "active", "trigger": {"events": [f"Bench {kind}"]}, "steps": workflow_steps,
                "stop_on": ["reply"] if kind == "stop" else []})))
        contacts = [f"c{number:06d}" for number in range(RUNS)]
        for contact_id in contacts:
            ContactItem(*ContactItem.key(contact_id), contact_id=contact_id, email=f"{contact_id}@example.com",
                        first_name="Reza", source="website", lifecycle_stage="lead", lead_status="new",
                        owner="rep-1", custom_fields={}, created_at=stamp, updated_at=stamp, version=1).save()

        def event(kind: str, contact_id: str) -> dict[str, Any]:
            return {"id": f"{kind}-{contact_id}", "detail-type": kind, "source": "crm",
                    "detail": {"contact_id": contact_id, "event_id": f"{kind}-{contact_id}"}}

        def started(kind: str) -> Measured:
            for name in ("Bench " + kind, "Contact Updated"):  # the trigger entries read once, then cached
                handler(event(name, "warm"), None)

            def run(number: int) -> None:
                outcome = handler(event(f"Bench {kind}", contacts[number]), None)["runs"]
                if list(outcome.values()) not in (["completed"], ["waiting"]):
                    raise RuntimeError(f"the {kind} run did not go through: {outcome}")

            return measured(run)

        figures: dict[str, Measured] = {"unmatched": measured(lambda n: handler(event("Contact Updated",
                                                                                      contacts[n]), None))}
        for kind in (*steps, "stop"):
            figures[kind] = started(kind)
        figures["stop"] = measured(lambda n: handler(event("Email Received", contacts[n]), None))
        started("wake")
        wakes = []
        for contact_id in contacts:
            run_item = next(r for r in RunItem.query(f"CONTACT#{contact_id}") if r.position == "w"
                            and r.status == "waiting" and r.stop_on is None)
            wakes.append({"kind": "workflow_wait", "workflow_id": run_item.workflow_id, "contact_id": contact_id,
                          "run_id": run_item.run_id, "step_id": "w"})

        def woken(number: int) -> None:
            if handler(wakes[number], None)["wake"] != "completed":
                raise RuntimeError("the wake-up did not finish its run")

        figures["wake"] = measured(woken)
    extras = {"unmatched": 0.0, "branch": 0.0, "wait": 0.0, "create_task": EVENTBRIDGE_PER_EVENT,
              "set_field": EVENTBRIDGE_PER_EVENT, "send_email": SES_PER_EMAIL, "stop": 0.0,
              "wake": SCHEDULER_PER_INVOCATION + SES_PER_EMAIL}
    return {kind: figures_of(found, _cost(found, extras[kind])) for kind, found in figures.items()}


ROWS = (("unmatched", "an event no workflow takes (warm)"), ("branch", "run started, a branch step"),
        ("wait", "run started, a wait step (its schedule)"), ("send_email", "run started, an email step"),
        ("create_task", "run started, a task step"), ("set_field", "run started, a set-field step"),
        ("wake", "a wait's wake-up, then an email step"), ("stop", "a reply stops a waiting run"))


def print_figures(figures: dict[str, Any]) -> None:
    print_operations("(n) Workflows", ROWS, figures, width=42)


def main() -> None:
    section_main(__doc__ or "", "workflows", measure, print_figures)


if __name__ == "__main__":
    main()
