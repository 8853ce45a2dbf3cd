"""Saved reports: a definition (an entity's list with its filters, up to two group-bys, measures) kept by its
owner, private or shared with roles; run at once as JSON, CSV, XLSX or a print-friendly page; emailed on a
schedule. A run reads the list through the API's own route as the person running it (api.reporting), so it
sums up exactly the records they may read (decision 0048).

Its models are written here: a definition is nested (group-bys, measures, a schedule) and its stored item
(crm.reports.spec) declares no API fields."""

from __future__ import annotations

import base64
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.dashboards.periods import GRAINS
from crm.platform.access import ROLES
from crm.platform.clock import iso_now
from crm.platform.config import get_settings
from crm.platform.errors import HttpError
from crm.platform.identity import normalize_email
from crm.platform.text import InvalidValue, clean_text
from crm.records.reads import expect_version
from crm.reports.render import CONTENT_TYPES, about, file_name, html_page, sheet_bytes
from crm.reports.rules import (
    ENTITIES,
    FORMATS,
    FUNCTIONS,
    MAX_GROUP_BYS,
    MAX_MEASURES,
    MAX_RECIPIENTS,
    Definition,
    GroupBy,
    Measure,
    Schedule,
    Table,
    schedule_problems,
)
from crm.reports.spec import MAX_DESCRIPTION, MAX_FILTERS, MAX_NAME, ReportItem
from crm.reports.store import (
    add_report,
    definition_of,
    edit_report,
    read_report,
    remove_report,
    report_view,
    require_editor,
    set_schedule,
    visible_reports,
)
from pydantic import BaseModel, ConfigDict, Field

from api.auth import current_caller, requires
from api.params import Cursor, IfMatch, Limit, answers
from api.reporting import check_as, run_as
from api.responses import created

router = APIGatewayHttpRouter()
Entity = Literal[ENTITIES]
Role = Literal[ROLES]
FieldName = Annotated[str, Field(min_length=1, max_length=100)]
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME)]
Description = Annotated[str, Field(max_length=MAX_DESCRIPTION)]
Filters = Annotated[str, Field(max_length=MAX_FILTERS, examples=["lifecycle_stage=customer&owner=sales-1"],
                               description="The query string of the entity's list, as GET /v1/<entity> takes it.")]
TimeZone = Annotated[str, Field(min_length=1, max_length=64, examples=["Asia/Tehran"])]
Cell = str | int | float | bool | None
NOT_YOURS = "Only the report's owner or an admin may change it."
REFUSED = "The definition cannot run: unknown or ungroupable fields, a measure of a field that is no number, too " \
          "many groups, or more records than one request reads."


class GroupByFields(BaseModel):
    """A field to group by; a date or time also by a grain, computed in the report's time zone."""

    model_config = ConfigDict(extra="forbid")
    field: FieldName
    grain: Literal[GRAINS] | None = None


class MeasureFields(BaseModel):
    """count (no field), or sum, avg, min or max of a numeric field."""

    model_config = ConfigDict(extra="forbid")
    fn: Literal[FUNCTIONS]
    field: FieldName | None = None


class ReportFields(BaseModel):
    """A report's definition. `filters` is its entity's list query (checked by reading the list's first page as
    you); custom fields are named custom.<key>; `shared_with` names the roles that may see and run it."""

    model_config = ConfigDict(extra="forbid")
    name: Name
    description: Description | None = None
    entity: Entity
    filters: Filters = ""
    group_by: Annotated[list[GroupByFields], Field(max_length=MAX_GROUP_BYS)] = []
    measures: Annotated[list[MeasureFields], Field(min_length=1, max_length=MAX_MEASURES)] = [
        MeasureFields(fn="count")]
    time_zone: TimeZone = "UTC"
    shared_with: Annotated[list[Role], Field(max_length=len(ROLES))] = []


class ReportChanges(BaseModel):
    """In a PATCH, absent fields stay as they are; a list given replaces the one saved."""

    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    description: Description | None = None
    entity: Entity | None = None
    filters: Filters | None = None
    group_by: Annotated[list[GroupByFields], Field(max_length=MAX_GROUP_BYS)] | None = None
    measures: Annotated[list[MeasureFields], Field(min_length=1, max_length=MAX_MEASURES)] | None = None
    time_zone: TimeZone | None = None
    shared_with: Annotated[list[Role], Field(max_length=len(ROLES))] | None = None


class ScheduleFields(BaseModel):
    """When to email the report (EventBridge Scheduler: rate(N hours|days), cron(...) with one minute, or one
    at(...)), read in `time_zone`; to whom; and the file attached."""

    model_config = ConfigDict(extra="forbid")
    expression: Annotated[str, Field(min_length=1, max_length=256, examples=["cron(0 8 ? * MON *)"])]
    time_zone: TimeZone = "UTC"
    recipients: Annotated[list[Annotated[str, Field(max_length=320)]], Field(min_length=1, max_length=MAX_RECIPIENTS)]
    format: Literal[FORMATS] = "csv"


class GroupByView(BaseModel):
    field: str
    grain: str | None


class MeasureView(BaseModel):
    fn: str
    field: str | None


class ScheduleView(BaseModel):
    expression: str
    time_zone: str
    recipients: list[str]
    format: str


class Report(BaseModel):
    id: str
    name: str
    description: str | None
    entity: str
    filters: str
    group_by: list[GroupByView]
    measures: list[MeasureView]
    time_zone: str
    shared_with: list[str]
    owner: str
    schedule: ScheduleView | None
    last_sent: dict[str, Any] | None
    created_at: str
    updated_at: str
    version: int


class ReportPage(BaseModel):
    items: list[Report]
    next_cursor: str | None


class ReportRun(BaseModel):
    """The table: `columns` (the group-bys', as field or field:grain, then the measures', as count or
    fn(field)); a row per group; under two group-bys a subtotal per first group; the totals over every record
    read (`records` of them), group cells null."""

    report_id: str
    name: str
    entity: str
    time_zone: str
    generated_at: str
    columns: list[str]
    rows: list[list[Cell]]
    subtotals: list[list[Cell]]
    totals: list[Cell]
    records: int


@router.post("/reports", responses=answers(201, {422: REFUSED}), middlewares=[requires("reports", "write")])
def create_report(body: ReportFields) -> Response[Report]:
    """Checks the definition and reads its list's first page as you: a filter the list refuses is 400, an entity
    your role may not read 403."""
    caller = current_caller()
    values = _values(body.model_dump())
    check_as(caller, _definition(values))
    view = add_report(caller, values)
    return created(view, f"/v1/reports/{view['id']}")


@router.get("/reports", middlewares=[requires("reports", "read")])
def list_reports(limit: Limit = None, cursor: Cursor = None) -> ReportPage:
    """Newest first: your own, those shared with your roles, and (to an admin) every report."""
    return visible_reports(current_caller(), limit, cursor).as_dict()


@router.get("/reports/<report_id>", middlewares=[requires("reports", "read")])
def get_report(report_id: str) -> Report:
    return report_view(read_report(current_caller(), report_id))


@router.patch("/reports/<report_id>", responses=answers(200, {403: NOT_YOURS, 422: REFUSED}),
              middlewares=[requires("reports", "write")])
def update_report(report_id: str, body: ReportChanges, if_match: IfMatch = None) -> Report:
    caller = current_caller()
    item = read_report(caller, report_id)
    require_editor(caller, item)
    version = expect_version(if_match, item, "report")
    values = _values(body.model_dump(exclude_unset=True))
    check_as(caller, _definition({**report_view(item), **values}))
    return edit_report(caller, item, version, values)


@router.delete("/reports/<report_id>", responses=answers(204, {403: NOT_YOURS}),
               middlewares=[requires("reports", "write")])
def delete_report(report_id: str, if_match: IfMatch = None) -> Response[None]:
    """Removes the report and its schedule."""
    caller = current_caller()
    item = read_report(caller, report_id)
    require_editor(caller, item)
    remove_report(caller, item, expect_version(if_match, item, "report"))
    return Response(204)


@router.post("/reports/<report_id>/run", responses=answers(200, {422: REFUSED}),
             middlewares=[requires("reports", "read")])
def run_report(report_id: str,
               format: Annotated[Literal["json", "csv", "xlsx", "html"] | None,  # noqa: A002 - the API's name
                                 Query(description="json (default); csv or xlsx (a formula-safe file, downloaded); "
                                                   "html (a print-friendly page).")] = None,
               ) -> Response[ReportRun | str]:
    """Runs the report now, reading its list as you (your role's records only), within the API's time limit:
    a report that reads more is refused (422) and is emailed on a schedule instead."""
    caller = current_caller()
    item = read_report(caller, report_id)
    table = run_as(caller, definition_of(item), get_settings().report_run_seconds)
    if format in (None, "json"):
        return Response(200, "application/json", ReportRun.model_validate(run_view(item, table)))
    if format == "html":
        page = html_page(item.name, table, about(item.entity, item.filters, item.time_zone, table, iso_now()))
        return Response(200, CONTENT_TYPES["html"], page, headers={
            "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'",
            "x-content-type-options": "nosniff"})
    data = sheet_bytes(table, format, item.entity)
    response = Response(200, CONTENT_TYPES[format], base64.b64encode(data).decode("ascii"), headers={
        "content-disposition": f'attachment; filename="{file_name(item.name, format, iso_now())}"'})
    response.base64_encoded = True
    return response


@router.put("/reports/<report_id>/schedule", responses=answers(200, {403: NOT_YOURS}),
            middlewares=[requires("reports", "write")])
def put_schedule(report_id: str, body: ScheduleFields, if_match: IfMatch = None) -> Report:
    """Emails the report on this schedule (replacing any), run as its owner, from the configured sender: the
    table in the message and the CSV or XLSX attached."""
    caller = current_caller()
    item = read_report(caller, report_id)
    require_editor(caller, item)
    version = expect_version(if_match, item, "report")
    problems: dict[str, str] = {}
    recipients = []
    for index, address in enumerate(body.recipients):
        try:
            recipients.append(normalize_email(address))
        except InvalidValue as exc:
            problems[f"recipients.{index}"] = str(exc)
    schedule = Schedule(body.expression.strip(), body.time_zone, tuple(dict.fromkeys(recipients)), body.format)
    # An address refused above says more than "1 to 20 addresses".
    problems.update({where: message for where, message in schedule_problems(schedule).items()
                     if where != "recipients" or not problems})
    if problems:
        raise HttpError(422, "invalid_fields", "The schedule needs attention.", problems)
    return set_schedule(caller, item, version, schedule)


@router.delete("/reports/<report_id>/schedule", responses=answers(200, {403: NOT_YOURS}),
               middlewares=[requires("reports", "write")])
def delete_schedule(report_id: str, if_match: IfMatch = None) -> Report:
    """Stops the report's emails."""
    caller = current_caller()
    item = read_report(caller, report_id)
    require_editor(caller, item)
    return set_schedule(caller, item, expect_version(if_match, item, "report"), None)


def _values(submitted: dict[str, Any]) -> dict[str, Any]:
    """The body's fields as stored: names and descriptions cleaned, filters without a leading ?."""
    values = dict(submitted)
    for name, limit in (("name", MAX_NAME), ("description", MAX_DESCRIPTION)):
        if values.get(name) is not None:
            values[name] = clean_text(values[name], limit)
    if values.get("name") == "":
        raise HttpError(422, "invalid_fields", "A report needs a name.", {"name": "Required."})
    if values.get("filters") is not None:
        values["filters"] = values["filters"].strip().removeprefix("?")
    if values.get("shared_with") is not None:
        values["shared_with"] = sorted(set(values["shared_with"]))
    return values


def _definition(values: dict[str, Any]) -> Definition:
    return Definition(values["entity"], values.get("filters") or "",
                      tuple(GroupBy(g["field"], g.get("grain")) for g in values.get("group_by") or ()),
                      tuple(Measure(m["fn"], m.get("field")) for m in values.get("measures") or ()),
                      values.get("time_zone") or "UTC")


def run_view(item: ReportItem, table: Table) -> dict[str, Any]:
    return {"report_id": item.report_id, "name": item.name, "entity": item.entity, "time_zone": item.time_zone,
            "generated_at": iso_now(), **table.as_dict()}
