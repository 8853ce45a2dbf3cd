"""Live dashboards over moto: records written through the API and lead capture reach the counters over the
table stream, filtered and delivered the way template.yaml wires DashboardCountersFunction, and each
widget is read with one request, its periods in the time zone the caller names."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.aws_calls import counts, observing
from tests.integration.test_lead_capture import submit_json
from tests.support.api_client import ApiClient
from tests.support.streams import FunctionStream

admin = ApiClient("admin")
sales = ApiClient("sales", user="sales-1")
marketing = ApiClient("marketing", user="marketing-1")
support = ApiClient("support", user="support-1")
TODAY = datetime.now(UTC).date().isoformat()


@pytest.fixture
def counters(aws) -> FunctionStream:
    return FunctionStream(aws, "DashboardCountersFunction")


def widget(name: str, caller: ApiClient = admin, **query: str) -> dict[str, Any]:
    response = caller.get(f"/v1/dashboards/{name}", **{"from": TODAY, "to": TODAY, "grain": "day", **query})
    assert response.status == 200, response.body
    return response.body


def test_leads_from_a_form_and_the_api_show_in_the_funnel_and_by_campaign(aws, counters):
    # Given a lead from the site's form (utm_source google, campaign autumn) and a customer added by hand
    lead = submit_json({"email": "ali@example.com", "utm_source": "google", "utm_campaign": "autumn"})
    assert lead["statusCode"] < 400
    assert admin.post("/v1/contacts", {"first_name": "Sara", "email": "sara@example.com", "owner": "sales-1",
                                       "lifecycle_stage": "customer", "source": "referral"}).status == 201
    # When the stream brings them to the counters
    counters.catch_up()
    # Then today's funnel counts both, and who reached each stage
    [today] = widget("funnel")["periods"]
    assert today["created"] == 2 and today["stages"] == {"lead": 1, "customer": 1}
    assert today["reached"]["lead"] == 2 and today["reached"]["customer"] == 1
    assert today["conversion"]["opportunity_to_customer"] == 1.0
    # And the leads widget shows each source and campaign with its customers
    rows = {(r["source"], r["campaign"]): (r["leads"], r["customers"]) for r in widget("leads")["total"]["sources"]}
    assert rows == {("google", "autumn"): (1, 0), ("referral", "-"): (1, 1)}
    # And filters are partitions of their own: sales-1 owns only the customer
    assert widget("funnel", owner="sales-1")["total"]["created"] == 1
    assert widget("scores", source="referral")["stages"] == {"customer": 1}


def test_a_deal_moved_and_won_shows_its_time_in_each_stage_and_its_win(aws, counters):
    # Given a deal moved from new to proposal, then won
    created = admin.post("/v1/deals", {"name": "Licences", "amount_minor": 120000, "currency": "EUR",
                                       "owner": "sales-1", "expected_close_date": TODAY})
    assert created.status == 201, created.body
    path = f"/v1/deals/{created.body['id']}"
    moved = admin.patch(path, {"stage": "proposal"}, version=1)
    counters.catch_up()
    # Then while it is open it counts in proposal, weighted by the stage's probability in its close month
    board = widget("pipeline", caller=sales, **{"from": TODAY[:8] + "01"})
    assert [(s["stage"], s["open_deals"], s["open_value"], s["deals_left"]) for s in board["stages"]] == [
        ("new", 0, {}, 1), ("proposal", 1, {"EUR": 120000}, 0)]
    assert board["forecast"] == [{"month": TODAY[:7], "deals": 1, "weighted_value": {"EUR": 60000}}]
    # When it is won
    assert admin.patch(path, {"stage": "won"}, version=moved.body["version"]).status == 200
    counters.catch_up()
    # Then it left proposal too, and today's closed deals show the win and its value
    assert {s["stage"]: s["deals_left"] for s in widget("pipeline")["stages"]} == {"new": 1, "proposal": 1}
    [today] = widget("deals")["periods"]
    assert (today["won"], today["lost"], today["win_rate"], today["won_value"]) == (1, 0, 1.0, {"EUR": 120000})
    # And another pipeline's board is empty
    assert widget("pipeline", pipeline="renewals")["stages"] == []


def test_calls_meetings_and_done_tasks_count_for_their_rep(aws, counters):
    contact = admin.post("/v1/contacts", {"first_name": "Nikos", "email": "nikos@example.gr"}).body
    now = datetime.now(UTC).isoformat()
    for kind in ("call", "call", "meeting", "note"):
        assert sales.post("/v1/activities", {"type": kind, "subject": kind, "contact_id": contact["id"],
                                             "due_at": now, "owner": "sales-1"}).status == 201
    task = sales.post("/v1/activities", {"type": "task", "subject": "Send quote", "contact_id": contact["id"],
                                         "owner": "sales-1"}).body
    assert sales.patch(f"/v1/activities/{task['id']}", {"done": True}, version=task["version"]).status == 200
    counters.catch_up()
    assert widget("activity")["total"]["reps"] == [
        {"owner": "sales-1", "call": 2, "meeting": 1, "task": 1, "email": 0}]
    assert widget("activity", owner="someone-else")["total"]["reps"] == []


def test_a_repeated_or_older_stream_record_counts_nothing_more(aws, counters):
    # Given a contact created, then moved to customer, counted once
    contact = admin.post("/v1/contacts", {"first_name": "Aisyah", "email": "aisyah@example.my"}).body
    admin.patch(f"/v1/contacts/{contact['id']}", {"lifecycle_stage": "customer"}, version=contact["version"])
    counters.catch_up()
    before = widget("scores")
    # When Lambda delivers every batch again, newest first
    from dashboard_counters.handler import handler

    for batch in reversed(counters.batches):
        assert handler(batch, None) == {"batchItemFailures": []}
    # Then nothing changed: the customer counts once
    assert widget("scores") == before and before["stages"] == {"customer": 1}


def test_a_widget_is_one_read_whatever_the_number_of_records(aws, counters):
    for n in range(30):
        admin.post("/v1/contacts", {"first_name": f"P{n}", "email": f"p{n}@example.com"})
    counters.catch_up()
    for name in ("funnel", "leads", "scores", "pipeline", "deals", "activity", "revenue"):
        with observing() as calls:
            widget(name, **{"from": "2026-01-01", "grain": "month"})
        assert counts(calls) in ({"dynamodb:Query": 1}, {"dynamodb:GetItem": 1}), name


@pytest.mark.parametrize(("caller", "name"), [(support, "funnel"), (support, "activity"), (marketing, "pipeline"),
                                               (marketing, "revenue"), (support, "deals")])
def test_a_role_sees_no_widget_counting_records_it_may_not_read(aws, caller, name):
    response = caller.get(f"/v1/dashboards/{name}")
    assert response.status == 403 and response.body["error"]["code"] == "forbidden"


@pytest.mark.parametrize(("query", "says"), [
    ({"tz": "Asia/Atlantis"}, "IANA"), ({"grain": "decade"}, "grain"), ({"from": "2026-02-01", "to": "2026-01-01"},
                                                                       "before"),
    ({"from": "1900-01-01", "grain": "day"}, "between"), ({"from": "2026-13-01"}, "YYYY-MM-DD"),
    ({"from": "2000-01-01", "to": "2026-01-01", "grain": "day"}, "periods"),
])
def test_a_period_that_cannot_be_answered_is_a_400_that_says_why(aws, query, says):
    response = admin.get("/v1/dashboards/funnel", **query)
    assert response.status == 400 and response.body["error"]["code"] == "invalid_period"
    assert says in response.body["error"]["message"]


def test_an_unknown_widget_is_a_404(aws):
    response = admin.get("/v1/dashboards/salaries")
    assert response.status == 404 and "funnel" in response.body["error"]["message"]


@pytest.mark.fuzz(entry_point="GET /v1/dashboards/{widget}")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(["funnel", "pipeline", "revenue", "x%00", "..", "scores"]),
       query=st.dictionaries(st.sampled_from(["tz", "grain", "from", "to", "owner", "source", "pipeline"]),
                             st.text(max_size=300)))
def test_whatever_a_stranger_asks_a_widget_answers_200_or_a_clear_4xx(aws, name, query):
    response = admin.get(f"/v1/dashboards/{name}", **query)
    assert response.status == 200 or (400 <= response.status < 500 and response.body["error"]["message"])


def test_records_written_before_the_counters_existed_are_counted_once_by_a_recount(aws, counters):
    from crm.dashboards.recount import recount

    # Given contacts and a deal written while nothing counted them (a stack upgraded to dashboards)
    for n in range(5):
        admin.post("/v1/contacts", {"first_name": f"Old {n}", "email": f"old{n}@example.com"})
    assert admin.post("/v1/deals", {"name": "Old deal", "amount_minor": 700, "currency": "USD"}).status == 201
    assert widget("funnel")["total"]["created"] == 0
    # When the recount runs, twice (one segment: moto in this process is not thread-safe; the e2e test
    # recounts the running stack with parallel segments)
    read, changed = recount(segments=1)
    assert (read, changed) == (6, 6) and recount(segments=1) == (6, 0)
    # Then they are counted, once
    assert widget("funnel")["total"]["created"] == 5
    assert widget("pipeline")["stages"][0]["open_value"] == {"USD": 700}
    # And when the stream then brings the same images, nothing counts twice
    counters.catch_up()
    assert widget("funnel")["total"]["created"] == 5
