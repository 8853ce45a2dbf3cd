"""Saved reports as stored: created, read, edited and deleted like every record (one transaction with its audit
entry, an edit or delete conditioned on the version the caller read), seen by their owner, admins and the
roles they are shared with, changed by their owner or an admin alone; and their schedules in EventBridge
Scheduler, one per report, in the reports' schedule group, whose target is the report mailer.

The item is what a schedule's email follows (to whom, as what, as whom): a schedule left behind by a failure
finds no schedule on its report and sends nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from crm.platform.access import Caller
from crm.platform.clock import iso_now
from crm.platform.config import get_settings
from crm.platform.errors import HttpError
from crm.platform.schedules import SCHEDULED_TIME, Target, delete_schedule
from crm.platform.schedules import put_schedule as put_schedule_of
from crm.platform.secrets import cursor_secret
from crm.records.reads import Page, list_page, load
from crm.records.writes import Change, create, delete, new_id, update_viewed
from crm.reports.rules import Definition, GroupBy, Measure, Schedule
from crm.reports.spec import ReportItem, plain

ADMIN = "admin"


def definition_of(item: ReportItem) -> Definition:
    return Definition(item.entity, item.filters or "",
                      tuple(GroupBy(str(g["field"]), g.get("grain")) for g in plain(item.group_by) or ()),
                      tuple(Measure(str(m["fn"]), m.get("field")) for m in plain(item.measures) or ()),
                      item.time_zone)


def schedule_of(item: ReportItem) -> Schedule | None:
    stored = plain(item.schedule)
    if not stored:
        return None
    return Schedule(stored["expression"], stored["time_zone"], tuple(stored["recipients"]), stored["format"])


def report_view(item: ReportItem) -> dict[str, Any]:
    definition, schedule = definition_of(item), schedule_of(item)
    return {"id": item.report_id, "name": item.name, "description": item.description, "entity": item.entity,
            "filters": definition.filters,
            "group_by": [{"field": g.field, "grain": g.grain} for g in definition.group_by],
            "measures": [{"fn": m.fn, "field": m.field} for m in definition.measures],
            "time_zone": item.time_zone, "shared_with": sorted(item.shared_with or ()), "owner": item.owner,
            "schedule": schedule.as_dict() if schedule else None, "last_sent": plain(item.last_sent),
            "created_at": item.created_at, "updated_at": item.updated_at, "version": int(item.version)}


def may_see(caller: Caller, item: ReportItem) -> bool:
    """Its owner, admins, and the roles it is shared with."""
    return item.owner == caller.user_id or ADMIN in caller.roles or bool(caller.roles & set(item.shared_with or ()))


def read_report(caller: Caller, report_id: str) -> ReportItem:
    """A report the caller may not see does not exist to them."""
    return load(ReportItem, ReportItem.key(report_id), "report", partial(may_see, caller))


def require_editor(caller: Caller, item: ReportItem) -> None:
    if item.owner != caller.user_id and ADMIN not in caller.roles:
        raise HttpError(403, "forbidden", "Only the report's owner or an admin may change it.")


def visible_reports(caller: Caller, limit: str | None, cursor: str | None) -> Page:
    """Newest first: every report to an admin; to anyone else their own and those shared with their roles."""
    condition = None
    if ADMIN not in caller.roles:
        condition = ReportItem.owner == caller.user_id
        for role in sorted(caller.roles):
            condition = condition | ReportItem.shared_with.contains(role)
    query = partial(ReportItem.by_created.query, ReportItem.list_key(), filter_condition=condition)
    scope = f"reports:{caller.user_id}:{','.join(sorted(caller.roles))}"
    return list_page(query, report_view, scope=scope, secret=cursor_secret(get_settings()), limit=limit,
                     cursor=cursor)


def _stored(values: dict[str, Any]) -> dict[str, Any]:
    """A definition's values as attributes: no empty strings or sets (DynamoDB keeps neither as such)."""
    stored = dict(values)
    if "filters" in stored:
        stored["filters"] = stored["filters"] or None
    if "description" in stored:
        stored["description"] = stored["description"] or None
    if "shared_with" in stored:
        stored["shared_with"] = set(stored["shared_with"] or ()) or None
    if "group_by" in stored:
        stored["group_by"] = [{k: v for k, v in g.items() if v is not None} for g in stored["group_by"]] or None
    if "measures" in stored:
        stored["measures"] = [{k: v for k, v in m.items() if v is not None} for m in stored["measures"]]
    return stored


def add_report(caller: Caller, values: dict[str, Any]) -> dict[str, Any]:
    report_id, now = new_id(), iso_now()
    item = ReportItem(*ReportItem.key(report_id), report_id=report_id, owner=caller.user_id,
                      owner_roles=set(caller.roles) or None, created_at=now, updated_at=now, version=1,
                      GSI1PK=ReportItem.list_key(), GSI1SK=f"{now}#{report_id}", **_stored(values))
    view = report_view(item)
    change = Change("report", report_id, "create", caller.user_id, at=now)
    create(change, item, view)
    change.commit()
    return view


def edit_report(caller: Caller, item: ReportItem, version: int, values: dict[str, Any]) -> dict[str, Any]:
    """The owner's roles are taken again when the owner saves: their scheduled emails read as they now may."""
    attributes = _stored(values)
    if caller.user_id == item.owner:
        attributes["owner_roles"] = set(caller.roles) or None
    change = Change("report", item.report_id, "update", caller.user_id)
    after = update_viewed(change, item, version, attributes, report_view)
    change.commit()
    return after


def remove_report(caller: Caller, item: ReportItem, version: int) -> None:
    change = Change("report", item.report_id, "delete", caller.user_id)
    delete(change, item, version, report_view(item))
    with scheduled(item.report_id, schedule_of(item), None):
        change.commit()


def set_schedule(caller: Caller, item: ReportItem, version: int, schedule: Schedule | None) -> dict[str, Any]:
    """Saves the report's schedule (None removes it) and puts it in EventBridge Scheduler first: if the save
    then fails, Scheduler gets back what the report still says."""
    change = Change("report", item.report_id, "update", caller.user_id)
    before = schedule_of(item)
    after = update_viewed(change, item, version, {"schedule": schedule.as_dict() if schedule else None},
                          report_view)
    with scheduled(item.report_id, before, schedule):
        change.commit()
    return after


@contextmanager
def scheduled(report_id: str, before: Schedule | None, after: Schedule | None) -> Iterator[None]:
    """Scheduler holds `after` for the report while the block runs, and `before` again if the block fails."""
    if before == after:
        yield
        return
    put_schedule(report_id, after)
    try:
        yield
    except Exception:
        put_schedule(report_id, before)
        raise


def schedule_name(report_id: str) -> str:
    return f"report-{report_id}"


def put_schedule(report_id: str, schedule: Schedule | None) -> None:
    """Creates, replaces or (None) deletes the report's schedule in the reports' schedule group."""
    settings = get_settings()
    target = Target(settings.report_mailer_arn, settings.report_scheduler_role_arn, settings.report_mailer_dlq_arn,
                    settings.report_schedule_group)
    if schedule is None:
        if target.ready:
            delete_schedule(schedule_name(report_id), target)
        return
    put_schedule_of(schedule_name(report_id), target, schedule.expression,
                    {"report_id": report_id, "scheduled_time": SCHEDULED_TIME}, time_zone=schedule.time_zone,
                    description=f"Emails the saved report {report_id}.", what="Scheduled reports")


# The mailer's bookkeeping -------------------------------------------------------------------------------------

def claim_run(item: ReportItem, scheduled_time: str | None) -> bool:
    """Marks the run due at `scheduled_time` as being sent; False when it already was (a run Scheduler
    delivered again). A run without a time is always sent."""
    from pynamodb.exceptions import UpdateError  # noqa: PLC0415 - with the write it serves

    if not scheduled_time:
        return True
    try:
        item.update([ReportItem.claimed_run.set(scheduled_time)],
                    ReportItem.report_id.exists() & (ReportItem.claimed_run.does_not_exist()
                                                     | (ReportItem.claimed_run != scheduled_time)))
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def record_sent(item: ReportItem, scheduled_time: str | None, sent: dict[str, Any]) -> None:
    """What the run did (when, how many rows, to whom, or why it sent nothing), on the report."""
    item.update([ReportItem.last_sent.set({**sent, "scheduled_time": scheduled_time, "at": iso_now()})],
                ReportItem.report_id.exists())


def release_run(item: ReportItem, scheduled_time: str | None) -> None:
    """Gives back a run that could not be sent, so that Lambda's retry of it sends it."""
    from pynamodb.exceptions import UpdateError  # noqa: PLC0415 - with the write it serves

    if not scheduled_time:
        return
    try:
        item.update([ReportItem.claimed_run.remove()], ReportItem.claimed_run == scheduled_time)
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
