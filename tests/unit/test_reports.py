"""Saved reports' pure rules: which fields a report may group and measure (from the specs), what a definition
may say, the table made in one pass (totals from the records, never from the groups; dates grouped in the
report's time zone), the page and files it is shown as, the schedules it may be emailed on, and the local
stack firing the schedules functions create in moto's Scheduler."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from typing import Any

import pytest
from crm.custom_fields.rules import FieldDefinition
from crm.exports.sheets import FORMULA_STARTS
from crm.reports.fields import reportable
from crm.reports.render import html_page, lines, sheet_bytes
from crm.reports.rules import (
    MAX_GROUPS,
    Aggregation,
    Definition,
    GroupBy,
    Measure,
    Schedule,
    TooManyGroups,
    definition_problems,
    schedule_problems,
)
from hypothesis import given
from hypothesis import strategies as st

CONTACTS = reportable("contacts", {"tier": FieldDefinition("contact", "tier", "Tier", "picklist", ("gold", "silver")),
                                   "budget": FieldDefinition("contact", "budget", "Budget", "number"),
                                   "met_on": FieldDefinition("contact", "met_on", "Met on", "date"),
                                   "motto": FieldDefinition("contact", "motto", "Motto", "text")})
DEALS = reportable("deals", {})
ACTIVITIES = reportable("activities", {})


def contacts_report(*group_by: GroupBy, measures: tuple[Measure, ...] = (Measure("count"),),
                    time_zone: str = "UTC") -> Definition:
    return Definition("contacts", "", tuple(group_by), measures, time_zone)


def table_of(definition: Definition, items: list[dict[str, Any]], fields: Any = CONTACTS) -> Any:
    aggregation = Aggregation(definition, fields)
    aggregation.add_all(items)
    return aggregation.table()


# --- Fields, from the specs -----------------------------------------------------------------------------------

def test_groupable_and_numeric_fields_are_derived_from_each_entitys_spec():
    # Given the specs of contacts, deals and activities, and a contact's custom fields of each kind
    # Then choices, flags, currencies, dates and the few category texts group; whole numbers and number
    # custom fields are measured; free text and ids do neither
    assert {"lifecycle_stage", "lead_status", "owner", "source", "company", "created_at", "custom.tier",
            "custom.met_on"} <= set(CONTACTS.groupable)
    assert {"email", "first_name", "phone", "external_id", "company_id", "custom.motto", "custom.budget",
            "score"}.isdisjoint(CONTACTS.groupable)
    assert CONTACTS.numeric >= {"score", "custom.budget"} and "custom.motto" not in CONTACTS.numeric
    assert {"stage", "status", "pipeline_id", "currency", "expected_close_date", "closed_at", "owner"} <= set(
        DEALS.groupable)
    assert DEALS.numeric == {"amount_minor", "probability"}
    assert {"type", "done", "due_at", "owner"} <= set(ACTIVITIES.groupable)
    assert {"subject", "body", "contact_id", "deal_id"}.isdisjoint(ACTIVITIES.groupable)
    # And a choice keeps its options' order, which its groups are shown in
    assert CONTACTS.groupable["lifecycle_stage"].options[:2] == ("subscriber", "lead")


# --- Hostile definitions ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("definition", "where", "says"), [
    (contacts_report(GroupBy("shoe_size")), "group_by.0.field", "not a field"),
    (contacts_report(GroupBy("email")), "group_by.0.field", "free text, an id or a number"),
    (contacts_report(GroupBy("contact_id")), "group_by.0.field", "not a field"),
    (contacts_report(GroupBy("custom.motto")), "group_by.0.field", "free text"),
    (contacts_report(GroupBy("owner"), GroupBy("source"), GroupBy("lead_status")), "group_by", "At most 2"),
    (contacts_report(GroupBy("owner", "month")), "group_by.0.grain", "not a date"),
    (contacts_report(GroupBy("created_at")), "group_by.0.grain", "grain"),
    (contacts_report(GroupBy("owner"), GroupBy("owner")), "group_by", "twice"),
    (contacts_report(measures=(Measure("median", "score"),)), "measures.0", "One of count"),
    (contacts_report(measures=(Measure("sum", "first_name"),)), "measures.0", "not a number"),
    (contacts_report(measures=(Measure("sum", "custom.motto"),)), "measures.0", "not a number"),
    (contacts_report(measures=(Measure("avg"),)), "measures.0", "needs a numeric field"),
    (contacts_report(measures=(Measure("count", "score"),)), "measures.0", "leave out its field"),
    (contacts_report(measures=()), "measures", "1 to"),
    (contacts_report(time_zone="Mars/Olympus"), "time_zone", "IANA"),
])
def test_a_hostile_or_mistaken_definition_is_refused_where_it_is_wrong(definition, where, says):
    # When the definition is checked / Then the problem is named at its place in the body
    problems = definition_problems(definition, CONTACTS)
    assert where in problems and says in problems[where], problems


def test_a_good_definition_has_no_problem():
    definition = contacts_report(GroupBy("custom.tier"), GroupBy("created_at", "quarter"),
                                 measures=(Measure("count"), Measure("sum", "custom.budget"), Measure("max", "score")),
                                 time_zone="Asia/Tehran")
    assert definition_problems(definition, CONTACTS) == {}


def test_a_run_that_would_make_more_groups_than_the_cap_stops_with_a_clear_message():
    # Given a report grouped by owner, and more owners than the cap
    aggregation = Aggregation(contacts_report(GroupBy("owner")), CONTACTS, max_groups=3)
    aggregation.add_all({"owner": f"rep-{n % 3}"} for n in range(30))

    # When one more owner's contact comes / Then the run stops, saying why and what to do
    with pytest.raises(TooManyGroups, match=r"more than 3 groups.*coarser grain"):
        aggregation.add({"owner": "rep-3"})
    assert MAX_GROUPS == 5_000


# --- Totals -----------------------------------------------------------------------------------------------------

STAGES = ("lead", "customer", "mql")
contact_items = st.lists(st.fixed_dictionaries({
    "lifecycle_stage": st.sampled_from(STAGES),
    "owner": st.one_of(st.none(), st.sampled_from(("ana", "behrouz", "Σοφία"))),
    "score": st.one_of(st.none(), st.integers(0, 100)),
    "custom_fields": st.fixed_dictionaries({}, optional={"budget": st.one_of(
        st.integers(-10**12, 10**12), st.floats(-1e6, 1e6, allow_nan=False).map(lambda f: round(f, 2)))}),
}), max_size=60)
ALL_MEASURES = (Measure("count"), Measure("sum", "score"), Measure("avg", "score"), Measure("min", "custom.budget"),
                Measure("max", "custom.budget"), Measure("sum", "custom.budget"))


def recomputed(items: list[dict[str, Any]], measure: Measure) -> Any:
    """A measure over records, computed the plain way, for comparison."""
    if measure.fn == "count":
        return len(items)
    name = str(measure.field)
    values = [Decimal(str(v)) for item in items
              if isinstance(v := (item.get("custom_fields", {}).get(name.removeprefix("custom."))
                                  if name.startswith("custom.") else item.get(name)), int | float)]
    if measure.fn == "sum":
        total = sum(values, Decimal(0))
        return int(total) if total == total.to_integral_value() else float(total)
    if not values:
        return None
    if measure.fn == "avg":
        average = (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.0001"))
        return int(average) if average == average.to_integral_value() else float(average)
    chosen = min(values) if measure.fn == "min" else max(values)
    return int(chosen) if chosen == chosen.to_integral_value() else float(chosen)


@given(contact_items)
def test_every_group_and_the_totals_equal_a_recomputation_from_the_records(items):
    # Given random contacts, some without a score, an owner or a budget
    definition = contacts_report(GroupBy("lifecycle_stage"), GroupBy("owner"), measures=ALL_MEASURES)

    # When they are summed up in one pass
    table = table_of(definition, items)

    # Then each row equals its group's records recomputed, each subtotal its first group's records, and the
    # totals all records (an average of averages or a sum of rounded sums would differ)
    for stage, owner, *figures in table.rows:
        members = [i for i in items if i["lifecycle_stage"] == stage and i["owner"] == owner]
        assert figures == [recomputed(members, m) for m in ALL_MEASURES]
    for stage, _, *figures in table.subtotals:
        assert figures == [recomputed([i for i in items if i["lifecycle_stage"] == stage], m) for m in ALL_MEASURES]
    assert table.totals == [None, None, *(recomputed(items, m) for m in ALL_MEASURES)]
    # And the rows hold every record once: their counts add up to the total
    assert sum(row[2] for row in table.rows) == table.records == len(items)


def test_an_average_total_is_over_records_not_over_the_groups_averages():
    # Given one lead scored 10 and three customers scored 90
    items = [{"lifecycle_stage": "lead", "score": 10}] + [{"lifecycle_stage": "customer", "score": 90}] * 3

    # When averaged by stage
    table = table_of(contacts_report(GroupBy("lifecycle_stage"), measures=(Measure("avg", "score"),)), items)

    # Then the groups' averages are 10 and 90, and the total's is 70 (not 50, their average)
    assert table.rows == [["lead", 10], ["customer", 90]]
    assert table.totals == [None, 70]


def test_groups_follow_a_choices_order_and_records_without_a_value_come_last():
    items = [{"lifecycle_stage": s} for s in ("customer", "lead", "subscriber", "lead")] + [{"owner": "x"}]
    table = table_of(contacts_report(GroupBy("lifecycle_stage")), items)
    assert [row[0] for row in table.rows] == ["subscriber", "lead", "customer", None]


# --- Dates in the report's time zone ---------------------------------------------------------------------------

@pytest.mark.parametrize(("grain", "tehran", "utc"), [
    ("day", ["2026-03-21", "2027-01-01"], ["2026-03-20", "2026-12-31"]),
    ("week", ["2026-W12", "2026-W53"], ["2026-W12", "2026-W53"]),
    ("month", ["2026-03", "2027-01"], ["2026-03", "2026-12"]),
    ("quarter", ["2026-Q1", "2027-Q1"], ["2026-Q1", "2026-Q4"]),
    ("year", ["2026", "2027"], ["2026"]),
])
def test_a_moment_is_grouped_by_its_day_in_the_reports_time_zone(grain, tehran, utc):
    # Given two contacts created late in a UTC evening: one the night before Nowruz, one on New Year's Eve,
    # both after midnight in Tehran (UTC+03:30)
    items = [{"created_at": "2026-03-20T21:00:00.000Z"}, {"created_at": "2026-12-31T20:45:00Z"}]

    # When grouped by their creation's grain in Asia/Tehran, and in UTC
    in_tehran = table_of(contacts_report(GroupBy("created_at", grain), time_zone="Asia/Tehran"), items)
    in_utc = table_of(contacts_report(GroupBy("created_at", grain)), items)

    # Then each falls in Tehran's day, week, month, quarter and year, which UTC's may not be
    assert [row[0] for row in in_tehran.rows] == tehran
    assert [row[0] for row in in_utc.rows] == utc


def test_a_calendar_date_is_grouped_as_it_is_whatever_the_time_zone():
    deals = Definition("deals", "", (GroupBy("expected_close_date", "month"),), (Measure("count"),),
                       "Pacific/Kiritimati")
    table = table_of(deals, [{"expected_close_date": "2026-12-31"}, {"expected_close_date": None}], DEALS)
    assert table.rows == [["2026-12", 1], [None, 1]]


# --- The page and the files -------------------------------------------------------------------------------------

HOSTILE = '=HYPERLINK("http://x","y")'
SCRIPT = "<script>alert('x')</script>"


def owners_table() -> Any:
    items = [{"owner": HOSTILE, "score": 5}, {"owner": SCRIPT, "score": 7}, {"owner": "سارا", "score": 1}]
    return table_of(contacts_report(GroupBy("owner"), measures=(Measure("count"), Measure("sum", "score"))), items)


def test_the_page_escapes_every_text_and_lets_each_cell_find_its_direction():
    # Given a table whose report name and a group hold script tags
    page = html_page(f"Owners {SCRIPT}", owners_table(), "meta")

    # Then no tag of theirs reaches the page: it is escaped; text cells read in their own direction, numbers align
    assert "<script>" not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert '<td dir="auto">سارا</td>' in page and '<td class="number">7</td>' in page
    assert "@media print" in page and "<tfoot><tr><td" in page


def test_the_page_shows_the_first_rows_and_says_so_when_there_are_more():
    page = html_page("Owners", owners_table(), "meta", max_rows=2)
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    assert body.count("<tr>") == 2 and "The first 2 of 3 rows are shown" in page


def test_the_csv_neutralizes_a_cell_that_starts_like_a_formula():
    # When the table is written as CSV
    rows = list(csv.reader(io.StringIO(sheet_bytes(owners_table(), "csv", "contacts").decode("utf-8-sig"))))

    # Then the header is the table's columns, the formula-like owner is text (a leading apostrophe), and the
    # totals close the file
    assert rows[0] == ["owner", "count", "sum(score)"]
    assert ["'" + HOSTILE, "1", "5"] in rows
    assert rows[-1] == ["Total", "3", "13"]
    assert not any(cell.startswith(FORMULA_STARTS) for row in rows for cell in row)


def test_the_xlsx_writes_text_as_text_and_numbers_as_numbers_with_no_formula():
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(sheet_bytes(owners_table(), "xlsx", "contacts"))).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not any(cell.data_type == "f" for cell in cells)
    assert ["'" + HOSTILE, 1, 5] in [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_two_group_bys_show_each_first_groups_subtotal_after_its_rows():
    items = [{"lifecycle_stage": "lead", "owner": "a"}, {"lifecycle_stage": "lead", "owner": "b"},
             {"lifecycle_stage": "customer", "owner": "a"}]
    table = table_of(contacts_report(GroupBy("lifecycle_stage"), GroupBy("owner")), items)
    assert list(lines(table)) == [
        ("row", ["lead", "a", 1]), ("row", ["lead", "b", 1]), ("subtotal", ["lead", "Subtotal", 2]),
        ("row", ["customer", "a", 1]), ("subtotal", ["customer", "Subtotal", 1]), ("total", ["Total", None, 3])]


# --- Schedules --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("expression", ["cron(0 8 ? * MON *)", "rate(1 day)", "rate(6 hours)",
                                        "at(2026-12-07T08:00:00)", "cron(30 7 1 * ? *)"])
def test_schedules_at_most_hourly_are_taken(expression):
    assert schedule_problems(Schedule(expression, "Asia/Tehran", ("a@example.com",), "csv")) == {}


@pytest.mark.parametrize(("expression", "says"), [
    ("rate(5 minutes)", "rate(N hours)"), ("cron(* * * * ? *)", "at most once an hour"),
    ("cron(0 8 * * MON *)", "?"), ("cron(0 8 * *)", "six fields"), ("every monday", "rate(N hours)"),
    ("at(2026-13-40T08:00:00)", "at("),
])
def test_schedules_that_scheduler_refuses_or_that_would_mail_too_often_are_refused(expression, says):
    problems = schedule_problems(Schedule(expression, "UTC", ("a@example.com",), "csv"))
    assert says in problems["expression"]


def test_a_schedule_needs_recipients_a_format_and_a_real_time_zone():
    problems = schedule_problems(Schedule("rate(1 day)", "Nowhere/City", (), "pdf"))
    assert set(problems) == {"time_zone", "recipients", "format"}


# --- The local stack fires the schedules functions create ------------------------------------------------------

MAILER_ARN = "arn:aws:lambda:us-east-1:123456789012:function:crm-local-ReportMailerFunction"


class FakeScheduler:
    """moto's Scheduler as the poller reads it: one page of summaries, and each schedule by name."""

    def __init__(self, schedules: dict[str, dict[str, Any]]) -> None:
        self.schedules = schedules
        self.reads = 0

    def get_paginator(self, name: str) -> Any:
        assert name == "list_schedules"
        summaries = [{"Arn": f"arn:sched/{n}", "Name": n, "GroupName": "reports", "State": "ENABLED",
                      "LastModificationDate": s.get("modified", 1)} for n, s in self.schedules.items()]
        return type("Pages", (), {"paginate": lambda self, **kw: [{"Schedules": summaries}]})()

    def get_schedule(self, Name: str, GroupName: str) -> dict[str, Any]:
        self.reads += 1
        return self.schedules[Name]


def local_arn(logical_id: str) -> str:
    if logical_id not in ("ReportMailerFunction", "ApiFunction"):
        raise ValueError(f"no resource {logical_id}")
    return f"arn:aws:lambda:us-east-1:123456789012:function:crm-local-{logical_id}"


def test_the_local_stack_fires_a_runtime_schedule_in_its_time_zone_with_schedulers_context_filled_in():
    from crm_local.dispatch import SchedulePoller

    # Given a report's schedule for 08:00 on Mondays in Tehran, stored in moto's Scheduler
    cron = {"ScheduleExpression": "cron(0 8 ? * MON *)", "ScheduleExpressionTimezone": "Asia/Tehran",
            "Target": {"Arn": MAILER_ARN, "Input": json.dumps({"report_id": "r1",
                                                                 "scheduled_time": "<aws.scheduler.scheduled-time>"})}}
    scheduler = FakeScheduler({"report-r1": cron})
    invoked: list[tuple[str, Any]] = []
    monday = dt.datetime(2026, 12, 7, 4, 29, tzinfo=dt.UTC).timestamp()  # 07:59 in Tehran
    now = [monday]
    poller = SchedulePoller([], lambda function, event: invoked.append((function, event)), clock=lambda: now[0],
                            client=lambda service: scheduler, function_arn=local_arn)

    # When the poller runs through Monday morning, minute by minute
    fired = []
    for minute in range(4):
        now[0] = monday + 60 * minute
        fired.append(poller.poll())

    # Then at 08:00 Tehran time (04:30 UTC), and only then, the mailer got the schedule's input with the time
    assert fired == [False, True, False, False]
    assert invoked == [("ReportMailerFunction", {"report_id": "r1", "scheduled_time": "2026-12-07T04:30:00Z"})]
    # And an unchanged schedule is not fetched again when the poller reads the list anew
    now[0] += 3600
    poller.poll()
    assert scheduler.reads == 1


def test_a_runtime_schedule_that_targets_no_function_of_the_template_is_left_alone():
    from crm_local.dispatch import SchedulePoller

    scheduler = FakeScheduler({"x": {"ScheduleExpression": "rate(1 hour)", "Target": {
        "Arn": "arn:aws:lambda:us-east-1:123456789012:function:someone-else"}}})
    invoked: list[Any] = []
    poller = SchedulePoller([], lambda *call: invoked.append(call), clock=lambda: 0.0,
                            client=lambda service: scheduler, function_arn=local_arn)
    assert not poller.poll()
    assert poller.idle_seconds() <= 10
    assert invoked == []
