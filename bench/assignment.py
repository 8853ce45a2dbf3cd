"""(l) Assignment in process (moto, the table built from template.yaml): the AWS requests and the cost of giving a
new lead its owner, and of an SLA check.

- An assignment: AssignmentFunction gets a lead's Contact Created event; it reads the contact, the rules (one
  Query), the members' profiles and loads (a BatchGetItem each), then writes the contact's owner, the rep's
  load, the rule's turn, the lead's assignment, its timeline entry and its event in one TransactWriteItems; it
  puts the SLA's one-time schedule (an UpdateSchedule that finds none, then a CreateSchedule) and tells the
  assignee (the notification, the email's claim, SES, the email's record). A rule of three reps, round robin,
  a 30-minute SLA.
- A missed SLA: Scheduler invokes the function; it reads the lead's assignment, the contact, its timeline since
  the assignment (one Query), the rule, and alerts the owner's manager once (a transaction, then the notification
  and its email).

Each operation's requests are counted with botocore's hooks (bench.aws_calls) over RUNS runs (the same every run
but the first: the rep's load item is created once, then updated); CPU is the median of the runs, and includes
the embedded moto's own work on each request (an overestimate of the function's). Cost at
us-east-1 list prices, as bench.reminders counts it: Lambda (arm64 at the function's memory), DynamoDB on-demand
(a transaction costs twice the WRUs of its items), Scheduler $1.00 per million invocations, SES $0.10 per
thousand emails, EventBridge $1.00 per million events.

`python -m bench.assignment` runs this section alone (`--results FILE` adds its figures to the bench's results
file)."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from typing import Any

# `python -m bench.assignment` from the repository's root; the hooks go in before any code under test runs.
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
    SCHEDULE_GROUP,
    SCHEDULER_PER_INVOCATION,
    SES_PER_EMAIL,
    automation_aws,
    figures_of,
    measured,
    print_operations,
    section_main,
)

MEMORY_MB = 128
REPS = ("rep-1", "rep-2", "rep-3")
# Items an assignment's transaction writes (contact, load, turn, lead, history, outbox) and the index entries
# that change with them (the contact's owner index GSI4).
ASSIGNMENT_TRANSACTION_WRUS = 2 * (6 + 1)
# The escalation's transaction: the lead's mark, the timeline entry, the outbox event.
ESCALATION_TRANSACTION_WRUS = 2 * 3


def _cost(requests: Counter[str], cpu_seconds: float, transaction_wrus: int, extra: float) -> float:
    seconds = cpu_seconds * FULL_VCPU_MB / MEMORY_MB + sum(
        n * LATENCY_MS.get(name, DEFAULT_LATENCY_MS) for name, n in requests.items()) / 1000
    reads = sum(n for name, n in requests.items() if name in ("dynamodb:GetItem", "dynamodb:Query"))
    # A BatchGetItem of three items reads three.
    reads += 3 * requests.get("dynamodb:BatchGetItem", 0)
    writes = sum(n * 2 for name, n in requests.items() if name == "dynamodb:PutItem")  # the notification's GSI1
    writes += requests.get("dynamodb:UpdateItem", 0) + transaction_wrus
    return (seconds * MEMORY_MB / 1024 * LAMBDA_GB_SECOND["arm64"] + LAMBDA_PER_REQUEST
            + reads * DYNAMODB_PER_RRU + writes * DYNAMODB_PER_WRU + extra) * 1_000_000


def measure() -> dict[str, Any]:
    with automation_aws("assignment", {"CRM_NOTIFICATION_SENDER": "notifications@crm.example.com"}):
        import boto3  # noqa: PLC0415 - inside moto
        from assignment.handler import handler  # noqa: PLC0415 - once the environment is set
        from crm.assignment.spec import AssignmentRuleItem  # noqa: PLC0415 - once the environment is set
        from crm.assignment.store import lead_of  # noqa: PLC0415 - once the environment is set
        from crm.contacts.spec import ContactItem  # noqa: PLC0415 - once the environment is set
        from crm.team.spec import MemberItem  # noqa: PLC0415 - once the environment is set

        stamp = "2026-12-04T00:00:00Z"
        for rep in (*REPS, "boss"):
            MemberItem(*MemberItem.key(rep), user_id=rep, email=f"{rep}@crm.example.com", manager="boss",
                       created_at=stamp, updated_at=stamp, version=1).save()
        AssignmentRuleItem(*AssignmentRuleItem.key("r1"), rule_id="r1", name="Web leads", position=1,
                           strategy="round_robin", members=[{"user_id": rep} for rep in REPS], sla_minutes=30,
                           sla_action="alert_manager", turn=0, created_at=stamp, updated_at=stamp, version=1,
                           GSI1PK=AssignmentRuleItem.list_key(), GSI1SK="000001#r1").save()
        ids = [f"lead{number:06d}" for number in range(RUNS)]
        for contact_id in ids:
            ContactItem(*ContactItem.key(contact_id), contact_id=contact_id, email=f"{contact_id}@example.com",
                        phone="+989123456789", source="website", lifecycle_stage="lead", lead_status="new",
                        custom_fields={}, created_at=stamp, updated_at=stamp, version=1).save()
        lead_of(ContactItem.get(*ContactItem.key(ids[0])))  # phonenumbers' metadata, loaded once per container
        checks: dict[str, dict[str, Any]] = {}

        def assigned(number: int) -> None:
            event = {"detail-type": "Contact Created", "source": "crm", "detail": {"contact_id": ids[number]}}
            if handler(event, None)["owner"] is None:
                raise RuntimeError("nobody was assigned: the figures would not be an assignment's")
            scheduler = boto3.client("scheduler", region_name="us-east-1")
            stored = scheduler.get_schedule(Name=f"sla-{ids[number]}", GroupName=SCHEDULE_GROUP)
            checks[ids[number]] = json.loads(stored["Target"]["Input"])

        def escalated(number: int) -> None:
            if handler(checks[ids[number]], None)["sla"] != "escalated":
                raise RuntimeError("the SLA check escalated nothing: the figures would not be a missed SLA's")

        given, missed = measured(assigned), measured(escalated)
    # The bench's own GetSchedule (reading the check's input) is no part of an assignment.
    given = dataclasses.replace(given, requests=given.requests - Counter({"scheduler:GetSchedule": 1}))
    return {
        "assigned": figures_of(given, _cost(given.requests, given.cpu_seconds, ASSIGNMENT_TRANSACTION_WRUS,
                                            EVENTBRIDGE_PER_EVENT + SES_PER_EMAIL)),
        "sla_missed": figures_of(missed, _cost(missed.requests, missed.cpu_seconds, ESCALATION_TRANSACTION_WRUS,
                                               SCHEDULER_PER_INVOCATION + EVENTBRIDGE_PER_EVENT + SES_PER_EMAIL)),
    }


def print_figures(figures: dict[str, Any]) -> None:
    print_operations("(l) Assignment", (("assigned", "lead assigned, SLA scheduled, rep told"),
                                        ("sla_missed", "SLA missed, manager alerted")), figures)


def main() -> None:
    section_main(__doc__ or "", "assignment", measure, print_figures)


if __name__ == "__main__":
    main()
