"""Lambda entry of the report mailer, invoked by a report's EventBridge Scheduler schedule with
{"report_id", "scheduled_time"}: runs the report as its owner (with the roles they had when they last saved
it) through the API's own list route, and emails the table inline and its file attached to the schedule's
recipients, from the configured sender. Deployed from the API's package, as the export function is.

A run Scheduler delivers twice (same scheduled time) is sent once. A report the owner may no longer run (a
role taken away, too many groups now) is answered with an email saying why, and recorded on the report. Any
other failure raises: Lambda retries it, then the function's DLQ keeps the event. A schedule whose report is
gone, or no longer scheduled, sends nothing.
"""

from __future__ import annotations

from html import escape
from typing import Any

from crm.platform.access import Caller
from crm.platform.clock import iso_now
from crm.platform.config import get_settings
from crm.platform.errors import HttpError
from crm.platform.observability import logger, metrics
from crm.platform.startup import loaded
from crm.records.table import get_item
from crm.reports.mail import MAX_INLINE_ROWS, MAX_TEXT_ROWS, report_message, send
from crm.reports.render import about, file_name, html_page, sheet_bytes, text_table
from crm.reports.rules import Schedule
from crm.reports.spec import ReportItem
from crm.reports.store import claim_run, definition_of, record_sent, release_run, schedule_of

from api.reporting import run_as

# Time kept back from the function's own for writing the file and sending the message.
SENDING_SECONDS = 30.0


@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    scheduled_time = event.get("scheduled_time")
    # A run started by hand (or a test) has no time Scheduler put in.
    if not isinstance(scheduled_time, str) or scheduled_time.startswith("<"):
        scheduled_time = None
    return mail_report(str(event["report_id"]), scheduled_time, _seconds(context))


def _seconds(context: Any) -> float | None:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return max(remaining() / 1000 - SENDING_SECONDS, 1.0) if remaining else None


def mail_report(report_id: str, scheduled_time: str | None, seconds: float | None) -> dict[str, Any]:
    item = get_item(ReportItem, ReportItem.key(report_id), consistent=True)
    schedule = schedule_of(item) if item is not None else None
    if item is None or schedule is None:
        logger.info("a report schedule fired for a report that is gone or unscheduled", extra={"report_id": report_id})
        return {"sent": False, "reason": "unscheduled"}
    sender = get_settings().report_sender
    if not sender:
        raise RuntimeError("CRM_REPORT_SENDER is not set: scheduled reports cannot be emailed")
    if not claim_run(item, scheduled_time):
        logger.info("a scheduled report was delivered again; sent once", extra={"report_id": report_id})
        return {"sent": False, "reason": "already sent"}
    try:
        raw, sent = _message(item, schedule, sender, seconds)
        message_id = send(sender, schedule.recipients, raw)
    except Exception:
        release_run(item, scheduled_time)
        raise
    record_sent(item, scheduled_time, {**sent, "message_id": message_id, "recipients": list(schedule.recipients)})
    metrics.add_metric(name="ReportsEmailed", unit="Count", value=1)
    return {"sent": True, **sent}


def _message(item: ReportItem, schedule: Schedule, sender: str, seconds: float | None) -> tuple[bytes, dict[str, Any]]:
    """The email, and what it says happened: the table's rows and records, or the problem the run met."""
    owner = Caller(item.owner, frozenset(item.owner_roles or ()))
    now = iso_now()
    try:
        table = run_as(owner, definition_of(item), seconds)
    except HttpError as refused:
        if refused.status in (429, 503):
            raise
        text = f"The report \u201c{item.name}\u201d could not run: {refused.message}"
        html = f"<!DOCTYPE html><html><body><p dir=\"auto\">{escape(text)}</p></body></html>"
        return report_message(sender, schedule.recipients, f"Report not sent: {item.name}", html, text), \
            {"problem": refused.message}
    html = html_page(item.name, table, about(item.entity, item.filters, item.time_zone, table, now), MAX_INLINE_ROWS)
    attachment = file_name(item.name, schedule.format, now)
    shown = min(len(table.rows), MAX_INLINE_ROWS)
    text = (f"{item.name}\n{about(item.entity, item.filters, item.time_zone, table, now)}\n\n"
            f"{text_table(table, MAX_TEXT_ROWS)}\n"
            f"{min(shown, MAX_TEXT_ROWS):,} of {len(table.rows):,} rows are in this text ({shown:,} in its HTML); "
            f"{attachment} holds them all.\n")
    raw = report_message(sender, schedule.recipients, f"Report: {item.name}", html, text,
                         sheet_bytes(table, schedule.format, item.entity), attachment, schedule.format)
    return raw, {"rows": len(table.rows), "records": table.records}


# The import is done: what it built lives as long as the container (crm.platform.startup).
loaded()
