"""Lambda entry of the notifier, invoked by EventBridge Scheduler's one-time schedules:
- {"kind": "reminder", "activity_id", "remind_at"}: the activity's assignee is told once, in the app and by
  email, with the due time in their own time zone; nothing when the activity was done, moved or deleted since.
- {"kind": "snooze", "user_id", "notification_id", "until"}: a snoozed notification comes back unread and is
  mailed again, once.
A failure raises: Lambda retries, then NotifierDLQ keeps the input, which `crm dlq replay` invokes again (the
notification and its email are each once per key, so a replay tells nobody twice)."""

from __future__ import annotations

from typing import Any

from crm.activities.reminders import KIND as REMINDER
from crm.activities.reminders import due_reminder
from crm.activities.spec import ActivityItem
from crm.notifications.store import SNOOZE, notify, wake
from crm.platform.clock import local_time
from crm.platform.config import get_settings
from crm.platform.observability import logger, metrics
from crm.platform.startup import loaded
from crm.records.audit import AuditItem
from crm.records.table import bind_table, get_item
from crm.team.directory import member
from crm.team.rules import zone_of

bind_table(get_settings())


@metrics.log_metrics
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    kind = event.get("kind")
    if kind == REMINDER:
        return remind(str(event["activity_id"]), str(event["remind_at"]))
    if kind == SNOOZE:
        woke = wake(str(event["user_id"]), str(event["notification_id"]), str(event["until"]))
        return {"notified": woke}
    logger.warning("the notifier got an event it does not know", extra={"kind": kind})
    return {"notified": False, "reason": "unknown kind"}


def remind(activity_id: str, remind_at: str) -> dict[str, Any]:
    item = get_item(ActivityItem, ActivityItem.key(activity_id), consistent=True)
    if not due_reminder(item, remind_at) or item is None:
        logger.info("a reminder fired for an activity done, moved or gone", extra={"activity_id": activity_id})
        return {"notified": False, "reason": "not due"}
    assignee = item.owner or creator_of(activity_id)
    if not assignee:
        logger.warning("a reminder has nobody to tell", extra={"activity_id": activity_id})
        return {"notified": False, "reason": "no assignee"}
    profile = member(assignee)
    zone = zone_of(profile)
    due = f"Due {local_time(str(item.due_at), zone)}." if item.due_at else "No due time."
    title = f"Reminder: {item.subject}"
    page = f"{get_settings().public_url or ''}/#/contacts/{item.contact_id}" if item.contact_id else ""
    body = f"{item.type.capitalize()}: {item.subject}\n{due}\n\n{page}".rstrip()
    nid = notify(assignee, REMINDER, title, body, {"entity": "activity", "id": activity_id},
                 key=f"reminder:{activity_id}:{remind_at}", profile=profile)
    metrics.add_metric(name="RemindersFired", unit="Count", value=1)
    return {"notified": True, "user_id": assignee, "notification_id": nid}


def creator_of(activity_id: str) -> str | None:
    """Who created the activity, from its audit entries (an activity with no owner reminds its creator)."""
    entries = AuditItem.query(f"AUDIT#activity#{activity_id}", limit=1)
    return next((str(entry.actor) for entry in entries), None)


loaded()
