"""Saved reports through the API and the report mailer, in moto: a report is its owner's until shared with a role,
changed only by its owner or an admin, audited and versioned like every record; a run reads the list through
its own route as whoever runs it (support sums customers only, marketing no deals); its totals equal the
records recomputed; hostile definitions are 4xx; its files are formula-safe and its page escaped; a schedule
lands in EventBridge Scheduler and the mailer emails the table with its file, once per scheduled time."""

from __future__ import annotations

import base64
import csv
import io
import json
from decimal import Decimal
from email import message_from_bytes, policy
from typing import Any

import boto3
import pytest
from crm.exports.sheets import FORMULA_STARTS

from tests.conftest import TEST_ENV
from tests.support.api_client import ApiClient, ApiResponse

admin, sales, marketing, support = (ApiClient(role, user=f"{role}-1") for role in ("admin", "sales", "marketing",
                                                                                     "support"))
other_rep = ApiClient("sales", user="sales-2")
GROUP = TEST_ENV["CRM_REPORT_SCHEDULE_GROUP"]
SENDER = TEST_ENV["CRM_REPORT_SENDER"]
HOSTILE = '=HYPERLINK("http://evil.example","click")'
SCRIPT = "<script>alert(document.cookie)</script>"


@pytest.fixture
def reports(aws: dict[str, Any]) -> dict[str, Any]:
    """The reports' schedule group in Scheduler, and the mail domain SES sends the reports from."""
    boto3.client("scheduler").create_schedule_group(Name=GROUP)
    boto3.client("ses").verify_domain_identity(Domain=SENDER.split("@")[1])
    return aws


def saved(client: ApiClient, **definition: Any) -> dict[str, Any]:
    response = client.post("/v1/reports", {"name": "A report", **definition})
    assert response.status == 201, response.body
    return dict(response.body)


def run(client: ApiClient, report_id: str, file_format: str | None = None) -> ApiResponse:
    return client.call("POST", f"/v1/reports/{report_id}/run", query={"format": file_format} if file_format else None)


def ran(client: ApiClient, report_id: str) -> dict[str, Any]:
    response = run(client, report_id)
    assert response.status == 200, response.body
    return dict(response.body)


def created(client: ApiClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(path, body)
    assert response.status == 201, response.body
    return dict(response.body)


def whole_list(client: ApiClient, path: str) -> list[dict[str, Any]]:
    items, cursor = [], None
    while True:
        page = client.get(path, limit="200", **({"cursor": cursor} if cursor else {}))
        assert page.status == 200, page.body
        items += page.body["items"]
        if not (cursor := page.body["next_cursor"]):
            return items


def sent_mail() -> list[Any]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return [message_from_bytes(m.raw_data.encode(), policy=policy.default)
            for m in ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages]


# --- Saved, shared, changed ------------------------------------------------------------------------------------

def test_a_report_is_its_owners_until_shared_with_a_role_and_only_its_owner_or_an_admin_changes_it(reports):
    # Given a sales rep's report
    report = saved(sales, name="My pipeline", entity="contacts", group_by=[{"field": "lifecycle_stage"}])
    path = f"/v1/reports/{report['id']}"
    assert report["owner"] == "sales-1" and report["version"] == 1 and report["shared_with"] == []

    # Then another rep and marketing do not see it at all, an admin does
    assert other_rep.get(path).status == marketing.get(path).status == 404
    assert whole_list(other_rep, "/v1/reports") == whole_list(marketing, "/v1/reports") == []
    assert admin.get(path).status == 200 and [r["id"] for r in whole_list(admin, "/v1/reports")] == [report["id"]]

    # When its owner shares it with marketing (naming the version read)
    shared = sales.patch(path, {"shared_with": ["marketing"]}, version=1)
    assert shared.status == 200, shared.body
    assert shared.body["shared_with"] == ["marketing"] and shared.body["version"] == 2

    # Then marketing sees and runs it, another sales rep still does not
    assert [r["id"] for r in whole_list(marketing, "/v1/reports")] == [report["id"]]
    assert run(marketing, report["id"]).status == 200
    assert other_rep.get(path).status == 404

    # And marketing may not change or delete it; an edit of a version read before is 412; an admin may edit
    refused = marketing.patch(path, {"name": "Mine now"}, version=2)
    assert (refused.status, refused.body["error"]["code"]) == (403, "forbidden")
    assert marketing.delete(path, version=2).status == 403
    assert sales.patch(path, {"name": "Stale"}, version=1).status == 412
    assert admin.patch(path, {"name": "Pipeline, by stage"}, version=2).status == 200
    assert sales.get(path).body["name"] == "Pipeline, by stage"

    # And every change is audited under the report
    audit = admin.get("/v1/audit", entity=f"report:{report['id']}")
    assert sorted(entry["action"] for entry in audit.body["items"]) == ["create", "update", "update"]

    # When its owner deletes it / Then it is gone for everyone
    assert sales.delete(path, version=3).status == 204
    assert admin.get(path).status == 404


# --- Totals ------------------------------------------------------------------------------------------------------

DEALS = [("new", "EUR", 1000, 10), ("new", "EUR", 2500, None), ("new", "USD", 700, 30), ("proposal", "EUR", 99, 50),
         ("proposal", "IRR", 150_000_000, 55), ("negotiation", "EUR", None, 75), ("new", "EUR", 1, 15)]
MEASURES = [{"fn": "count"}, {"fn": "sum", "field": "amount_minor"}, {"fn": "avg", "field": "probability"},
            {"fn": "min", "field": "amount_minor"}, {"fn": "max", "field": "probability"}]


def figures(deals: list[dict[str, Any]]) -> list[Any]:
    """count, sum(amount_minor), avg(probability), min(amount_minor), max(probability), recomputed."""
    amounts = [d["amount_minor"] for d in deals if d["amount_minor"] is not None]
    chances = [d["probability"] for d in deals if d["probability"] is not None]
    average = (Decimal(sum(chances)) / len(chances)).quantize(Decimal("0.0001")) if chances else None
    return [len(deals), sum(amounts), None if average is None else (
        int(average) if average == average.to_integral_value() else float(average)),
        min(amounts, default=None), max(chances, default=None)]


def test_a_grouped_report_s_rows_subtotals_and_totals_equal_the_deals_recomputed(reports):
    # Given deals in stages and currencies, one without an amount (its stage's probability fills in where none
    # is given)
    for stage, currency, amount, probability in DEALS:
        body = {"name": f"{stage} {currency}", "stage": stage, "currency": currency, "owner": "sales-1",
                **({"amount_minor": amount} if amount is not None else {}),
                **({"probability": probability} if probability is not None else {})}
        created(sales, "/v1/deals", body)
    deals = whole_list(sales, "/v1/deals")

    # When sales runs a report of deals by stage and currency
    report = saved(sales, entity="deals", group_by=[{"field": "stage"}, {"field": "currency"}], measures=MEASURES)
    table = ran(sales, report["id"])

    # Then each row, each stage's subtotal and the totals are those of the deals as the list serves them
    assert table["columns"] == ["stage", "currency", "count", "sum(amount_minor)", "avg(probability)",
                                "min(amount_minor)", "max(probability)"]
    assert {(r[0], r[1]) for r in table["rows"]} == {(d["stage"], d["currency"]) for d in deals}
    for stage, currency, *values in table["rows"]:
        assert values == figures([d for d in deals if (d["stage"], d["currency"]) == (stage, currency)])
    for stage, _, *values in table["subtotals"]:
        assert values == figures([d for d in deals if d["stage"] == stage])
    assert table["totals"] == [None, None, *figures(deals)]
    assert table["records"] == len(DEALS)


def test_a_reps_calls_per_week_read_in_the_reports_time_zone(reports):
    # Given a manager's template report: each rep's calls per week in Tehran, and calls and a note logged
    contact = created(sales, "/v1/contacts", {"email": "client@example.ir", "lifecycle_stage": "customer"})
    for owner, kind in (("ana", "call"), ("ana", "call"), ("behrouz", "call"), ("behrouz", "note")):
        created(sales, "/v1/activities", {"type": kind, "subject": "Follow up", "owner": owner,
                                          "contact_id": contact["id"]})
    report = saved(admin, name="Calls per rep", entity="activities", filters="type=call",
                   group_by=[{"field": "owner"}, {"field": "created_at", "grain": "week"}], time_zone="Asia/Tehran",
                   shared_with=["sales"])

    # When a rep runs it
    table = ran(sales, report["id"])

    # Then it counts the calls of each rep in the week they fall in (the note is not a call)
    week = table["rows"][0][1]
    assert week.startswith("20") and "-W" in week
    assert table["rows"] == [["ana", week, 2], ["behrouz", week, 1]]
    assert table["totals"] == [None, None, 3]


# --- Roles apply as to reads -------------------------------------------------------------------------------------

def test_support_running_a_contacts_report_sums_the_customers_it_reads_through_the_api(reports):
    # Given customers and leads, and a report of contacts by stage shared with support
    for n, stage in enumerate(("customer", "lead", "customer", "lead", "mql")):
        created(sales, "/v1/contacts", {"email": f"p{n}@example.com", "lifecycle_stage": stage})
    report = saved(sales, entity="contacts", group_by=[{"field": "lifecycle_stage"}], shared_with=["support"])

    # When support and sales run it
    as_support, as_sales = ran(support, report["id"]), ran(sales, report["id"])

    # Then support's table holds the customers alone, as GET /v1/contacts serves support, and sales's all
    assert as_support["rows"] == [["customer", 2]]
    assert as_support["totals"][-1] == len(whole_list(support, "/v1/contacts")) == 2
    assert as_sales["totals"][-1] == 5


def test_marketing_may_not_report_on_deals_neither_its_own_nor_one_shared_with_it(reports):
    # When marketing saves a report of deals / Then it is refused as its list would be, and nothing is stored
    refused = marketing.post("/v1/reports", {"name": "Revenue", "entity": "deals"})
    assert (refused.status, refused.body["error"]["code"]) == (403, "forbidden")
    assert whole_list(marketing, "/v1/reports") == []

    # And a deals report sales shares with marketing is 403 when marketing runs it
    report = saved(sales, entity="deals", shared_with=["marketing"])
    assert run(marketing, report["id"]).status == 403


# --- Hostile definitions ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("definition", "status", "where"), [
    ({"entity": "contacts", "group_by": [{"field": "shoe_size"}]}, 422, "group_by.0.field"),
    ({"entity": "contacts", "group_by": [{"field": "first_name"}]}, 422, "group_by.0.field"),
    ({"entity": "contacts", "group_by": [{"field": "owner"}, {"field": "source"}, {"field": "lead_status"}]}, 422,
     "group_by"),
    ({"entity": "contacts", "measures": [{"fn": "median", "field": "score"}]}, 422, "measures.0.fn"),
    ({"entity": "contacts", "measures": [{"fn": "sum", "field": "email"}]}, 422, "measures.0"),
    ({"entity": "deals", "group_by": [{"field": "created_at", "grain": "fortnight"}]}, 422, "group_by.0.grain"),
    ({"entity": "deals", "group_by": [{"field": "created_at"}]}, 422, "group_by.0.grain"),
    ({"entity": "payments"}, 422, "entity"),
    ({"entity": "contacts", "filters": "owner=" + "x" * 3000}, 422, "filters"),
    ({"entity": "contacts", "filters": "lifecycle_stage=customer&cursor=abc"}, 422, "filters"),
    ({"entity": "contacts", "filters": "lifecycle_stage=vip"}, 400, "lifecycle_stage"),
    ({"entity": "contacts", "time_zone": "Mars/Olympus"}, 422, "time_zone"),
    ({"entity": "contacts", "measures": [{"fn": "count"}] * 11}, 422, "measures"),
])
def test_a_hostile_definition_is_refused_with_a_4xx_naming_what_is_wrong_and_stores_nothing(reports, definition,
                                                                                             status, where):
    # When sales saves it
    response = sales.post("/v1/reports", {"name": "Hostile", **definition})

    # Then it is refused, naming the field, and no report was saved
    assert response.status == status, response.body
    assert where in (response.body["error"].get("fields") or {}), response.body
    assert whole_list(sales, "/v1/reports") == []


def test_a_run_that_would_make_too_many_groups_is_refused_with_what_to_do(reports, monkeypatch):
    # Given a cap of two groups, and contacts of three owners, grouped by owner
    monkeypatch.setattr("crm.reports.rules.MAX_GROUPS", 2)
    for n in range(3):
        created(sales, "/v1/contacts", {"email": f"o{n}@example.com", "owner": f"rep-{n}"})
    report = saved(sales, entity="contacts", group_by=[{"field": "owner"}])

    # When it runs / Then it is refused, and says how to make fewer groups
    refused = run(sales, report["id"])
    assert (refused.status, refused.body["error"]["code"]) == (422, "too_many_groups")
    assert "more than 2 groups" in refused.body["error"]["message"]


def test_a_run_that_reads_past_the_time_limit_is_refused_and_points_to_a_schedule(reports, monkeypatch):
    from crm.platform.config import get_settings

    # Given a time limit no second page fits in, and pages of one contact
    for n in range(3):
        created(sales, "/v1/contacts", {"email": f"t{n}@example.com"})
    report = saved(sales, entity="contacts")
    monkeypatch.setenv("CRM_REPORT_RUN_SECONDS", "0.000001")
    monkeypatch.setattr("crm.exports.lists.PAGE_SIZE", "1")
    get_settings.cache_clear()
    try:
        # When it runs / Then it is refused, saying how far it got and to schedule it
        refused = run(sales, report["id"])
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert (refused.status, refused.body["error"]["code"]) == (422, "report_too_large")
    assert "schedule it" in refused.body["error"]["message"]


# --- Files and the page ---------------------------------------------------------------------------------------

def owners_report(reports_fixture: Any) -> dict[str, Any]:
    for n, owner in enumerate((HOSTILE, SCRIPT, "سارا", "سارا")):
        created(sales, "/v1/contacts", {"email": f"f{n}@example.com", "owner": owner})
    return saved(sales, name=f"Owners {SCRIPT}", entity="contacts", group_by=[{"field": "owner"}])


def test_a_csv_or_xlsx_run_downloads_a_file_whose_formula_like_cells_are_text(reports):
    # Given contacts, one whose owner starts like a formula, grouped by owner
    report = owners_report(reports)

    # When the report runs as CSV and as XLSX
    as_csv, as_xlsx = run(sales, report["id"], "csv"), run(sales, report["id"], "xlsx")

    # Then each downloads as a file named after the report and the day
    assert as_csv.status == as_xlsx.status == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.headers["content-disposition"].startswith('attachment; filename="Owners-script-alert-')
    rows = list(csv.reader(io.StringIO(base64.b64decode(as_csv.body).decode("utf-8-sig"))))
    # And no cell starts like a formula: the hostile owner is text, with its apostrophe
    assert ["'" + HOSTILE, "1"] in rows and ["سارا", "2"] in rows and rows[-1] == ["Total", "4"]
    assert not any(cell.startswith(FORMULA_STARTS) for row in rows for cell in row)
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(base64.b64decode(as_xlsx.body))).active
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)
    assert ["'" + HOSTILE, 1] in [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_the_print_page_escapes_script_tags_in_the_name_and_the_values(reports):
    # Given a report named with a script tag, grouping an owner named with one
    report = owners_report(reports)

    # When it runs as a page
    page = run(sales, report["id"], "html")

    # Then it is HTML whose every text is escaped, locked down, and set for print
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    assert "<script" not in page.body.lower()
    assert "&lt;script&gt;alert(document.cookie)&lt;/script&gt;" in page.body
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert '<td dir="auto">سارا</td>' in page.body and "@media print" in page.body


# --- Schedules and the mailer -----------------------------------------------------------------------------------

def scheduled_event(report_id: str, at: str) -> dict[str, Any]:
    """What Scheduler would invoke the mailer with: the schedule's Input, its scheduled time filled in."""
    from crm.reports.store import schedule_name

    stored = boto3.client("scheduler").get_schedule(Name=schedule_name(report_id), GroupName=GROUP)
    return json.loads(stored["Target"]["Input"].replace("<aws.scheduler.scheduled-time>", at))


def mail_now(event: dict[str, Any]) -> dict[str, Any]:
    from api.report_mailer import handler

    return handler(event, None)


def test_a_schedule_is_put_in_scheduler_and_the_mailer_emails_the_table_with_its_file_once(reports):
    # Given a manager's report of each rep's calls
    contact = created(sales, "/v1/contacts", {"email": "c@example.com", "lifecycle_stage": "customer"})
    for owner in ("ana", "ana", "behrouz"):
        created(sales, "/v1/activities", {"type": "call", "subject": "Call", "owner": owner,
                                          "contact_id": contact["id"]})
    report = saved(admin, name="Calls per rep", entity="activities", filters="type=call",
                   group_by=[{"field": "owner"}])

    # When it is scheduled for Monday mornings in Tehran, as XLSX, to the sales manager
    schedule = {"expression": "cron(0 8 ? * MON *)", "time_zone": "Asia/Tehran",
                "recipients": ["Manager@Crm.Example.com"], "format": "xlsx"}
    put = admin.call("PUT", f"/v1/reports/{report['id']}/schedule", schedule, headers={"if-match": '"1"'})
    assert put.status == 200, put.body
    assert put.body["schedule"]["recipients"] == ["Manager@crm.example.com"] and put.body["version"] == 2

    # Then Scheduler holds it in the reports' group, in Tehran's time, targeting the mailer with its role
    stored = boto3.client("scheduler").get_schedule(Name=f"report-{report['id']}", GroupName=GROUP)
    assert (stored["ScheduleExpression"], stored["ScheduleExpressionTimezone"]) == ("cron(0 8 ? * MON *)",
                                                                                    "Asia/Tehran")
    assert stored["Target"]["Arn"] == TEST_ENV["CRM_REPORT_MAILER_FUNCTION"]
    assert stored["Target"]["RoleArn"] == TEST_ENV["CRM_REPORT_SCHEDULER_ROLE"]
    assert stored["Target"]["DeadLetterConfig"]["Arn"] == TEST_ENV["CRM_REPORT_MAILER_DLQ"]

    # When Scheduler invokes the mailer, and delivers the same run again
    event = scheduled_event(report["id"], "2026-12-07T04:30:00Z")
    assert mail_now(event)["sent"] is True
    assert mail_now(event) == {"sent": False, "reason": "already sent"}

    # Then one email went out, from the reports' sender to the manager, with the table inline and the file
    [message] = sent_mail()
    assert (message["From"], message["To"], message["Subject"]) == (SENDER, "Manager@crm.example.com",
                                                                    "Report: Calls per rep")
    assert message["Auto-Submitted"] == "auto-generated"
    html = message.get_body(preferencelist=("html",)).get_content()
    assert '<td dir="auto">ana</td><td class="number">2</td>' in html
    assert '<td dir="auto">behrouz</td><td class="number">1</td>' in html
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename().startswith("Calls-per-rep-") and attachment.get_filename().endswith(".xlsx")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(attachment.get_content())).active
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [["owner", "count"], ["ana", 2], ["behrouz", 1],
                                                                     ["Total", 3]]
    # And the report says what its last email held
    assert admin.get(f"/v1/reports/{report['id']}").body["last_sent"]["rows"] == 2

    # When the schedule is removed / Then Scheduler no longer has it, and a late run sends nothing
    removed = admin.call("DELETE", f"/v1/reports/{report['id']}/schedule", headers={"if-match": '"2"'})
    assert removed.status == 200 and removed.body["schedule"] is None
    with pytest.raises(boto3.client("scheduler").exceptions.ResourceNotFoundException):
        boto3.client("scheduler").get_schedule(Name=f"report-{report['id']}", GroupName=GROUP)
    assert mail_now({**event, "scheduled_time": "2026-12-14T04:30:00Z"}) == {"sent": False, "reason": "unscheduled"}
    assert len(sent_mail()) == 1


def test_the_mailer_runs_a_report_as_its_owner_with_the_owners_role(reports):
    # Given customers and leads, and support's own report of contacts, scheduled daily
    for n, stage in enumerate(("customer", "lead", "lead")):
        created(sales, "/v1/contacts", {"email": f"m{n}@example.com", "lifecycle_stage": stage})
    report = saved(support, name="Our customers", entity="contacts", group_by=[{"field": "lifecycle_stage"}])
    schedule = {"expression": "rate(1 day)", "recipients": ["desk@crm.example.com"], "format": "csv"}
    assert support.call("PUT", f"/v1/reports/{report['id']}/schedule", schedule).status == 200

    # When its email is sent
    assert mail_now(scheduled_event(report["id"], "2026-12-07T08:00:00Z"))["sent"] is True

    # Then the file holds what support reads: customers only
    [message] = sent_mail()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/csv" and attachment.get_content_charset() == "utf-8"
    rows = list(csv.reader(io.StringIO(attachment.get_payload(decode=True).decode("utf-8-sig"))))
    assert rows == [["lifecycle_stage", "count"], ["customer", "1"], ["Total", "1"]]


def test_a_schedule_is_refused_when_it_would_mail_too_often_or_to_no_one_and_only_its_owner_may_set_it(reports):
    report = saved(sales, entity="contacts", shared_with=["marketing"])
    path = f"/v1/reports/{report['id']}/schedule"
    too_often = sales.call("PUT", path, {"expression": "rate(5 minutes)", "recipients": ["a@example.com"]})
    assert too_often.status == 422 and "expression" in too_often.body["error"]["fields"]
    nobody = sales.call("PUT", path, {"expression": "rate(1 day)", "recipients": ["not an address"]})
    assert nobody.status == 422 and "recipients.0" in nobody.body["error"]["fields"]
    assert marketing.call("PUT", path, {"expression": "rate(1 day)", "recipients": ["a@example.com"]}).status == 403
    assert boto3.client("scheduler").list_schedules(GroupName=GROUP)["Schedules"] == []


# --- The local stack --------------------------------------------------------------------------------------------

def test_on_the_local_stack_a_reports_schedule_fires_and_its_email_is_in_the_embedded_ses(in_process_stack):
    import datetime as dt
    from functools import partial

    from crm_local.dispatch import SchedulePoller
    from crm_local.smtp import sent_messages

    stack = in_process_stack
    # Given the stack provisioned from template.yaml (the reports' schedule group, the verified mail domain), its
    # dispatcher's schedule poller reading moto's Scheduler, and a report scheduled for 08:00 Tehran on Mondays
    [poller] = [p for p in stack.pollers(stack.functions.invoke) if isinstance(p, SchedulePoller)]
    assert poller._runtime is not None
    created(sales, "/v1/contacts", {"email": "local@example.com", "lifecycle_stage": "customer"})
    report = saved(sales, name="Customers", entity="contacts", group_by=[{"field": "lifecycle_stage"}])
    schedule = {"expression": "cron(0 8 ? * MON *)", "time_zone": "Asia/Tehran", "recipients": ["boss@example.com"]}
    assert sales.call("PUT", f"/v1/reports/{report['id']}/schedule", schedule).status == 200
    monday = dt.datetime(2026, 12, 7, 4, 29, tzinfo=dt.UTC).timestamp()
    now = [monday]
    clocked = SchedulePoller([], stack.functions.invoke, clock=lambda: now[0], client=stack.client,
                             function_arn=partial(stack.template.get_att, attribute="Arn"))

    # When the minutes before and at 08:00 in Tehran pass
    fired = []
    for minute in (0, 1, 2):
        now[0] = monday + 60 * minute
        fired.append(clocked.poll())

    # Then the mailer ran once, at 04:30 UTC, and the embedded SES holds its email with the table and the CSV
    assert fired == [False, True, False]
    [mail] = [m for m in sent_messages(stack.aws_endpoint) if m["subject"] == "Report: Customers"]
    assert mail["source"] == "reports@crm.example.com"  # reports@ the template's MailDomain
    assert mail["destinations"] == ["boss@example.com"]
    assert "lifecycle_stage\tcount\ncustomer\t1\nTotal\t1\n" in mail["body"]
    last_sent = sales.get(f"/v1/reports/{report['id']}").body["last_sent"]
    assert last_sent["scheduled_time"] == "2026-12-07T04:30:00Z" and last_sent["rows"] == 1


# --- The bench --------------------------------------------------------------------------------------------------

def test_the_bench_answers_pages_from_memory_as_moto_does_and_sums_every_contact():
    # Given the reports bench at a small size (it raises when the pages it answers from memory make another
    # table than moto's, or when the run does not sum every contact)
    from bench.reports import bench

    # When it runs / Then it reports a run over every contact, with the ceilings and the price it derives
    figures = bench(count=250, moto_count=120, runs=1)
    assert (figures["contacts"], figures["pages"]) == (250, 3)
    assert figures["api_memory_mb"] == 256 and figures["mailer_memory_mb"] == 1024
    assert figures["api_rows_within_run_seconds"] > 0 and figures["read_units"] > 0
