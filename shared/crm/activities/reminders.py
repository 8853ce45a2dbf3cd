"""An activity's reminder as an EventBridge Scheduler schedule: one one-time schedule per activity,
`reminder-<activity id>`, kept from the table stream so that every way an activity changes (the API, an import,
a merge, a delete) creates, moves or deletes it, with the notifier (functions/notifier) as its target.

The schedule follows the activity as it is now (one consistent GetItem), so a record replayed late from the
stream, or twice, converges on the same schedule. A reminder is wanted while the activity is not done and its
time has not passed; when it fires, the notifier checks the activity again (`due_reminder`), so a schedule
left behind by a failure can never remind of a moved, done or deleted activity."""

from __future__ import annotations

from typing import Any

from crm.activities.spec import ActivityItem
from crm.platform.clock import iso_now
from crm.platform.schedules import SCHEDULED_TIME, at_expression, automation_target, delete_schedule, put_schedule
from crm.records.table import get_item

KIND = "reminder"


def schedule_name(activity_id: str) -> str:
    return f"reminder-{activity_id}"


def wanted_reminder(item: ActivityItem | None, now: str) -> str | None:
    """The moment the activity should remind its assignee at, or None (no reminder, done, past or gone)."""
    if item is None or item.done or not item.remind_at or item.remind_at <= now:
        return None
    return str(item.remind_at)


def due_reminder(item: ActivityItem | None, remind_at: str) -> bool:
    """Whether a reminder scheduled for `remind_at` is still the activity's own: there, not done, not moved."""
    return item is not None and not item.done and item.remind_at == remind_at


def schedule_reminder(record: dict[str, Any]) -> bool:
    """Brings the schedule of the activity a stream record is about up to the activity as it is now; True when
    the schedule was put or deleted."""
    activity_id = record["dynamodb"]["Keys"]["PK"]["S"].partition("#")[2]
    item = get_item(ActivityItem, ActivityItem.key(activity_id), consistent=True)
    remind_at = wanted_reminder(item, iso_now())
    target = automation_target("notifier")
    if remind_at is None:
        return delete_schedule(schedule_name(activity_id), target)
    put_schedule(schedule_name(activity_id), target, at_expression(remind_at),
                 {"kind": KIND, "activity_id": activity_id, "remind_at": remind_at, "scheduled_time": SCHEDULED_TIME},
                 description=f"Reminds the assignee of activity {activity_id}.", what="A reminder")
    return True
