"""EventBridge Scheduler schedules that invoke one of the CRM's functions: a saved report's recurring email, and
the one-time wake-ups of automation (a reminder, a snoozed notification, an SLA check, a workflow's wait).
Waiting is a schedule, never a sleeping function (design principle 11).

A schedule is named after what it serves (`reminder-<activity id>`), so moving one is an update of the same
name and deleting its record deletes it. A one-time schedule deletes itself once it has run."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from crm.platform import aws
from crm.platform.config import get_settings
from crm.platform.errors import HttpError, unavailable

# Scheduler substitutes the time a run was due for, so a run delivered twice is acted on once.
SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"
RETRIES = {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600}


@dataclass(frozen=True)
class Target:
    """What a schedule invokes, the role Scheduler invokes it with, and where an undelivered run goes."""

    function_arn: str | None
    role_arn: str | None
    dlq_arn: str | None = None
    group: str | None = None

    @property
    def ready(self) -> bool:
        return bool(self.function_arn and self.role_arn and self.group)


def automation_target(function: str) -> Target:
    """The target of an automation wake-up: `notifier`, `assignment` or `workflow`, in the automation group."""
    settings = get_settings()
    return Target(getattr(settings, f"{function}_arn"), getattr(settings, f"{function}_scheduler_role_arn"),
                  getattr(settings, f"{function}_dlq_arn"), settings.automation_schedule_group)


def at_expression(when: dt.datetime | str) -> str:
    """Scheduler's one-time expression, `at(yyyy-mm-ddThh:mm:ss)`, for a moment, in UTC."""
    moment = dt.datetime.fromisoformat(when.replace("Z", "+00:00")) if isinstance(when, str) else when
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return f"at({moment.strftime('%Y-%m-%dT%H:%M:%S')})"


def put_schedule(name: str, target: Target, expression: str, payload: dict[str, Any], *, time_zone: str = "UTC",
                 description: str = "", what: str = "This schedule") -> None:
    """Creates or replaces the schedule `name` in the target's group. An `at(...)` expression runs once and
    is then deleted by Scheduler. A 422 names what Scheduler refused; a 503 says the deployment has no
    scheduler set up for `what`."""
    from botocore.exceptions import ClientError  # noqa: PLC0415 - with the client it serves

    if not target.ready:
        raise unavailable(f"{what} cannot be scheduled: EventBridge Scheduler is not set up in this deployment.",
                          retry_after=60)
    once = expression.startswith("at(")
    request = {"Name": name, "GroupName": target.group, "ScheduleExpression": expression,
               "ScheduleExpressionTimezone": time_zone, "FlexibleTimeWindow": {"Mode": "OFF"}, "State": "ENABLED",
               "Target": {"Arn": target.function_arn, "RoleArn": target.role_arn, "Input": json.dumps(payload),
                          "RetryPolicy": RETRIES,
                          **({"DeadLetterConfig": {"Arn": target.dlq_arn}} if target.dlq_arn else {})},
               "Description": description[:512],
               **({"ActionAfterCompletion": "DELETE"} if once else {})}
    scheduler = aws.client("scheduler")
    try:
        if not _ignoring_absent(partial(scheduler.update_schedule, **request)):
            scheduler.create_schedule(**request)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ValidationException":
            raise
        message = str(exc.response["Error"].get("Message") or "EventBridge Scheduler refused the schedule.")
        raise HttpError(422, "invalid_fields", message, {"expression": message}) from exc


def delete_schedule(name: str, target: Target) -> bool:
    """Deletes the schedule `name`; False when it was not there (it ran, or never was). Nothing to do when the
    deployment has no scheduler: then no schedule was ever made."""
    if not target.group:
        return False
    return _ignoring_absent(partial(aws.client("scheduler").delete_schedule, Name=name, GroupName=target.group))


def _ignoring_absent(call: Callable[[], Any]) -> bool:
    """False when the schedule was not there."""
    from botocore.exceptions import ClientError  # noqa: PLC0415 - with the client it serves

    try:
        call()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
        return False
    return True
