"""(k) Reminders in process (moto, the table built from template.yaml): the AWS requests and the cost of keeping an
activity's reminder schedule, and of a reminder that fires.

- Upkeep: an activity created with a reminder reaches ReminderSchedulesFunction as its stream record; the
  function reads the activity and puts its one-time schedule (a move is the same, a done or deleted activity a
  DeleteSchedule).
- A fired reminder: EventBridge Scheduler invokes the notifier with the schedule's input; it reads the activity
  and the assignee's profile, writes the notification, claims the email, sends it through SES and records it.

Each operation's requests are counted with botocore's hooks (bench.aws_calls) over RUNS runs (the counts are the
same every run); the handler's CPU time is the median of those runs. Cost at us-east-1 list prices: Lambda
(arm64 at the function's memory, CPU x the share of a vCPU plus DEFAULT_LATENCY_MS per request), DynamoDB
on-demand (a consistent read 1 RRU, a write 1 WRU per item and per index entry it changes, items under 1 KB),
Scheduler $1.00 per million invocations (its API calls are free), SES $0.10 per thousand emails.

`python -m bench.reminders` runs this section alone (`--results FILE` adds its figures to the bench's results
file)."""

from __future__ import annotations

from collections import Counter
from typing import Any

# `python -m bench.reminders` from the repository's root; the hooks go in before any code under test runs.
from bench.cost import (
    DEFAULT_LATENCY_MS,
    DYNAMODB_PER_RRU,
    DYNAMODB_PER_WRU,
    FULL_VCPU_MB,
    LAMBDA_GB_SECOND,
    LAMBDA_PER_REQUEST,
)
from bench.operations import (
    RUNS,
    SCHEDULER_PER_INVOCATION,
    SES_PER_EMAIL,
    automation_aws,
    figures_of,
    measured,
    print_operations,
    section_main,
)

MEMORY_MB = 256
# Writes that change an index entry as well as the item (the notification's GSI1 entry).
INDEXED_WRITES = {"dynamodb:PutItem": 1}


def _activity(number: int) -> str:
    from crm.activities.spec import ActivityItem  # noqa: PLC0415 - once the environment is set

    activity_id = f"bench{number:06d}"
    ActivityItem(*ActivityItem.key(activity_id), activity_id=activity_id, type="call", subject="Call back",
                 owner="rep-1", due_at="2030-01-15T10:00:00Z", remind_at="2030-01-15T09:00:00Z",
                 contact_id="c1", created_at="2026-12-04T00:00:00Z", updated_at="2026-12-04T00:00:00Z",
                 version=1).save()
    return activity_id


def _cost(requests: Counter[str], cpu_seconds: float, extra: float) -> float:
    calls = sum(requests.values())
    seconds = cpu_seconds * FULL_VCPU_MB / MEMORY_MB + calls * DEFAULT_LATENCY_MS / 1000
    reads = sum(n for name, n in requests.items() if name in ("dynamodb:GetItem", "dynamodb:Query"))
    writes = sum(n * (1 + INDEXED_WRITES.get(name, 0)) for name, n in requests.items()
                 if name in ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"))
    return (seconds * MEMORY_MB / 1024 * LAMBDA_GB_SECOND["arm64"] + LAMBDA_PER_REQUEST
            + reads * DYNAMODB_PER_RRU + writes * DYNAMODB_PER_WRU + extra) * 1_000_000


def measure() -> dict[str, Any]:
    with automation_aws("notifier", {"CRM_NOTIFICATION_SENDER": "notifications@crm.example.com"}):
        from crm.activities.reminders import schedule_reminder  # noqa: PLC0415 - once the environment is set
        from crm.team.spec import MemberItem  # noqa: PLC0415 - once the environment is set
        from notifier.handler import remind  # noqa: PLC0415 - once the environment is set

        MemberItem(*MemberItem.key("rep-1"), user_id="rep-1", email="rep@crm.example.com", time_zone="Asia/Tehran",
                   created_at="2026-12-04T00:00:00Z", updated_at="2026-12-04T00:00:00Z", version=1).save()
        ids = [_activity(number) for number in range(RUNS)]

        def upkeep(number: int) -> None:
            schedule_reminder({"dynamodb": {"Keys": {"PK": {"S": f"ACTIVITY#{ids[number]}"}}}})

        def fired(number: int) -> None:
            if not remind(ids[number], "2030-01-15T09:00:00Z")["notified"]:
                raise RuntimeError("the reminder told nobody: the figures would not be a fired reminder's")

        kept, told = measured(upkeep), measured(fired)
    return {"upkeep": figures_of(kept, _cost(kept.requests, kept.cpu_seconds, 0.0)),
            "fired": figures_of(told, _cost(told.requests, told.cpu_seconds, SCHEDULER_PER_INVOCATION + SES_PER_EMAIL))}


def print_figures(figures: dict[str, Any]) -> None:
    print_operations("(k) Reminders", (("upkeep", "schedule kept for an activity written"),
                                       ("fired", "reminder fired and mailed")), figures)


def main() -> None:
    section_main(__doc__ or "", "reminders", measure, print_figures)


if __name__ == "__main__":
    main()
