"""Running a saved report through the API's own list route, as the person it runs for: the route's filters,
role checks and visibility are the ones that person has everywhere (decision 0048, as exports in 0044). Used by
the reports' routes (a run answered at once, a definition checked when saved) and by the report mailer (a
scheduled run, as the report's owner).

A page is asked for as API Gateway would ask the API's handler (crm.exports.lists builds the event), and served
by `app.resolve` in this process; the rows are summed up as they come (crm.reports.rules.Aggregation), so a run
holds one page and the groups, never the whole list."""

from __future__ import annotations

import time

from crm.exports.lists import ListRequest, list_request
from crm.platform.access import Caller
from crm.platform.errors import HttpError
from crm.reports.fields import fields_of
from crm.reports.rules import ENTITIES, Aggregation, Definition, Fields, Table, TooManyGroups, definition_problems

from api.pages import page_as

_PAGING = ("cursor", "limit")


def checked(definition: Definition) -> tuple[Fields, ListRequest]:
    """The fields the definition's entity may be reported by, and its list; 422 naming every problem."""
    if definition.entity not in ENTITIES:
        raise HttpError(422, "invalid_fields", "The report's definition needs attention.",
                        {"entity": f"One of {', '.join(ENTITIES)}."})
    fields = fields_of(definition.entity)
    problems = definition_problems(definition, fields)
    request = None
    if not problems:
        try:
            request = list_request(definition.list_path)
        except HttpError:
            problems["filters"] = "The list's query string, as GET /v1/<entity> takes it: name=value pairs joined by &."
        if request is not None and {name for name, _ in request.query} & set(_PAGING):
            problems["filters"] = "Leave out cursor and limit: a report reads the whole list."
    if problems or request is None:
        raise HttpError(422, "invalid_fields", "The report's definition needs attention.", problems)
    return fields, request


def check_as(caller: Caller, definition: Definition) -> None:
    """A definition `caller` may save: it is valid, and its list's first page is theirs to read (a filter the
    list refuses is its 400, an entity their role may not read its 403)."""
    _, request = checked(definition)
    page_as(caller, request, None)


def run_as(caller: Caller, definition: Definition, seconds: float | None) -> Table:
    """The report's table, read as `caller`; 422 when it would make too many groups or (with `seconds`) could
    not read its whole list in that time."""
    fields, request = checked(definition)
    aggregation = Aggregation(definition, fields)
    started = time.monotonic()
    read, cursor = 0, None
    while True:
        if seconds is not None and time.monotonic() - started > seconds:
            raise HttpError(422, "report_too_large", (
                f"The report had read {read:,} records in {seconds:g} s and was not done. Narrow its filters, or "
                "schedule it: a scheduled report is emailed with its file and may read for minutes."))
        page = page_as(caller, request, cursor)
        try:
            aggregation.add_all(page["items"])
        except TooManyGroups as exc:
            raise HttpError(422, "too_many_groups", str(exc), {"group_by": str(exc)}) from exc
        read += len(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            return aggregation.table()
