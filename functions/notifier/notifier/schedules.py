"""Lambda entry: activity records from the table stream (filtered in template.yaml) to their reminders'
EventBridge Scheduler schedules (crm.activities.reminders). Delivery is at least once, in order per activity;
each record brings the schedule up to the activity as it is now."""

from __future__ import annotations

from typing import Any

from crm.activities.reminders import schedule_reminder
from crm.platform.config import get_settings
from crm.platform.observability import metrics
from crm.platform.startup import loaded
from crm.records.stream import apply_batch
from crm.records.table import bind_table

bind_table(get_settings())


@metrics.log_metrics
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    return apply_batch(event, schedule_reminder, "ReminderSchedules")


loaded()
