"""The dashboards' pure core: periods in a named time zone over UTC quarter hours, what each record counts
for, and the widgets computed from counters."""

from __future__ import annotations

from datetime import date

import pytest
from crm.dashboards.counted import NOW, activity, contact, contacts_partition, counted, deal, difference, payment
from crm.dashboards.periods import MAX_PERIODS, PeriodError, Periods, bucket_of, instant_of
from crm.dashboards.widgets import by_period, funnel, pipeline
from crm.deals.rules import stage_clock
from crm.deals.spec import DealItem


def test_a_moment_lands_in_its_utc_day_and_quarter_hour():
    # Given timestamps with and without offsets
    # Then each is bucketed by its UTC day and quarter hour
    assert bucket_of("2026-03-20T20:29:59Z") == ("2026-03-20", 81)
    assert bucket_of("2026-03-21T00:10:00+03:30") == ("2026-03-20", 82)
    assert bucket_of("2026-03-20T23:59") == ("2026-03-20", 95)
    assert bucket_of("not a time") is None


def test_a_tehran_month_starts_at_half_past_eight_the_evening_before_in_utc():
    # Given the month of Farvardin's start, 2026-03 in Asia/Tehran (UTC+03:30)
    periods = Periods.of(date(2026, 3, 1), date(2026, 3, 31), "month", "Asia/Tehran")
    # Then its bounds are local midnights, in UTC
    assert periods.labels == ("2026-03",)
    assert periods.bounds[0].isoformat() == "2026-02-28T20:30:00+00:00"
    # And a contact created at 20:29 UTC on 28 February is February's, one at 20:30 March's
    assert periods.index(instant_of("2026-02-28", 81)) is None
    assert periods.index(instant_of("2026-02-28", 82)) == 0


def test_two_viewers_of_the_same_zone_see_the_same_periods_whatever_the_quarter_hour_offset():
    # Given Kathmandu (UTC+05:45), whose days begin at a quarter past six UTC
    periods = Periods.of(date(2026, 1, 1), date(2026, 1, 2), "day", "Asia/Kathmandu")
    # Then the bounds fall on quarter hours, so buckets never straddle a period
    assert [b.strftime("%H:%M") for b in periods.bounds] == ["18:15", "18:15", "18:15"]
    assert periods.utc_days() == ("2025-12-31", "2026-01-02")


def test_periods_are_whole_grains_named_as_people_name_them():
    assert Periods.of(date(2026, 2, 11), date(2026, 5, 2), "quarter", "UTC").labels == ("2026-Q1", "2026-Q2")
    assert Periods.of(date(2026, 12, 30), date(2027, 1, 5), "week", "UTC").labels == ("2026-W53", "2027-W01")
    assert Periods.of(date(2025, 6, 1), date(2026, 1, 1), "year", "UTC").labels == ("2025", "2026")


@pytest.mark.parametrize(("first", "last", "grain", "tz", "says"), [
    (date(2026, 1, 2), date(2026, 1, 1), "day", "UTC", "before"),
    (date(2026, 1, 1), date(2026, 1, 1), "fortnight", "UTC", "grain"),
    (date(2026, 1, 1), date(2026, 1, 1), "day", "Mars/Olympus", "IANA"),
    (date(2026, 1, 1), date(2026, 1, 1), "day", "../../etc/passwd", "IANA"),
    (date(2000, 1, 1), date(2026, 1, 1), "day", "UTC", str(MAX_PERIODS)),
    (date(1, 1, 1), date(2026, 1, 1), "year", "UTC", "between"),
])
def test_a_period_that_cannot_be_answered_says_why(first, last, grain, tz, says):
    with pytest.raises(PeriodError, match=says):
        Periods.of(first, last, grain, tz)


def _contact(**values):
    return {"version": 1, "updated_at": "2026-01-05T10:00:00Z", "created_at": "2026-01-05T10:00:00Z",
            "lifecycle_stage": "lead", "owner": "rep-1", "source": "form:site", **values}


def test_a_contact_counts_once_in_each_rollup_of_owner_and_source():
    # Given a lead from a campaign
    cells = contact(_contact(first_touch={"utm_source": "google", "utm_campaign": "نوروز"})).cells
    # Then it counts in its owner's and source's partitions and in every rollup, four in all
    partitions = {pk for pk, _ in cells}
    assert partitions == {contacts_partition(o, s) for o in ("rep-1", "*") for s in ("form:site", "*")}
    day = cells[(contacts_partition("*", "*"), "D#2026-01-05")]
    assert day == {"c|lead|40": 1, "l|google|نوروز|40": 1}
    assert cells[(contacts_partition("*", "*"), NOW)] == {"s|lead": 1, "g|-": 1}


def test_a_merged_or_erased_contact_counts_for_nothing():
    assert contact(_contact(merged_into="winner")).cells == {}
    assert contact(_contact(erased_at="2026-02-01T00:00:00Z")).cells == {}


def test_a_newer_image_of_a_contact_orders_after_by_version_then_score_revision():
    old = contact(_contact(version=3, score_rev=9))
    assert contact(_contact(version=3, score_rev=10)).order > old.order
    assert contact(_contact(version=4, score_rev=1)).order > old.order


def test_a_value_holding_a_separator_cannot_forge_another_counter():
    cells = contact(_contact(source="web|c|customer|0", first_touch={"utm_campaign": "a#b"})).cells
    assert all("|" not in pk.split("#", 3)[-1] for pk, _ in cells)
    assert "l|web/c/customer/0|a/b|40" in cells[(contacts_partition("*", "*"), "D#2026-01-05")]


def test_a_won_deal_counts_its_value_and_cycle_when_it_closed_and_its_time_in_each_stage():
    cells = deal({"version": 5, "updated_at": "x", "created_at": "2026-01-01T00:00:00Z", "status": "won",
                  "stage": "won", "closed_at": "2026-01-11T00:00:00Z", "amount_minor": 5000, "currency": "IRR",
                  "pipeline_id": "default", "owner": "rep-1", "stage_seconds": {"new": 86400},
                  "stage_exits": {"new": 1}}
                 ).cells
    everyone = ("DASH#deals#*#default", "D#2026-01-11")
    assert cells[everyone] == {"wn|0": 1, "wv|IRR|0": 5000, "cy|0": 10 * 86400}
    assert cells[("DASH#deals#*#default", NOW)] == {"ts|new": 86400, "tx|new": 1}


def test_a_task_counts_when_done_and_a_note_never():
    task = {"version": 2, "activity_type": "task", "owner": "rep-1", "created_at": "2026-01-01T00:00:00Z"}
    assert activity(task).cells == {}
    assert activity({**task, "done": True, "done_at": "2026-01-02T12:00:00Z"}).cells == {
        ("DASH#activities", "D#2026-01-02"): {"task|rep-1|48": 1}}
    assert activity({**task, "activity_type": "note"}).cells == {}


def test_a_payment_counts_once_it_succeeded_and_a_failure_before_is_older():
    failed = payment({"failed_at": "2026-01-01T00:00:00Z", "currency": "USD", "amount_minor": 100})
    paid = payment({"failed_at": "2026-01-01T00:00:00Z", "succeeded_at": "2026-01-02T00:00:00Z",
                    "currency": "USD", "amount_minor": 100})
    assert failed.cells == {} and paid.order > failed.order
    assert paid.cells == {("DASH#revenue", "D#2026-01-02"): {"p|USD|0": 100, "pn|USD|0": 1}}


def test_only_counted_records_count():
    assert counted("CONTACT#1", "HISTORY#x", {}) is None
    assert counted("OUTBOX#1", "EVENT", {}) is None
    assert counted("PAYMENT#1", "REFUND#r", {"refunded_at": "2026-01-01T00:00:00Z", "amount_minor": 5}) is not None


def test_the_difference_of_two_contributions_moves_only_what_changed():
    lead, customer = contact(_contact()).cells, contact(_contact(lifecycle_stage="customer", version=2)).cells
    moved = difference(lead, customer)
    assert moved[(contacts_partition("*", "*"), NOW)] == {"s|lead": -1, "s|customer": 1}
    assert difference(lead, lead) == {}


def test_the_funnel_counts_who_reached_each_stage_and_converts_between_them():
    # Given contacts created in January: two leads, one sql, one customer
    periods = Periods.of(date(2026, 1, 1), date(2026, 1, 31), "month", "UTC")
    days = [("2026-01-05", {"c|lead|40": 2, "c|sql|3": 1, "c|customer|95": 1, "m|10": 3})]
    [january] = funnel(periods, days)["periods"]
    # Then each stage counts everyone at or beyond it, and conversion is the next stage over this one
    assert january["created"] == 4 and january["new_mqls"] == 3
    assert january["reached"]["lead"] == 4 and january["reached"]["sql"] == 2
    assert january["conversion"]["lead_to_mql"] == 0.5
    assert january["conversion"]["subscriber_to_lead"] == 1.0
    assert funnel(periods, [])["total"]["conversion"]["lead_to_mql"] is None


def test_buckets_outside_the_periods_are_left_out():
    periods = Periods.of(date(2026, 1, 1), date(2026, 1, 1), "day", "Europe/Moscow")
    # 20:45 UTC on 31 December is 23:45 in Moscow (December); 21:00 is January's first minute
    assert by_period([("2025-12-31", {"c|lead|83": 1, "c|lead|84": 2})], periods) == [{"c|lead": 2}]


def test_the_pipeline_forecast_shows_the_months_the_periods_cover():
    periods = Periods.of(date(2026, 1, 1), date(2026, 2, 28), "month", "UTC")
    now = {"on|new": 2, "ov|new|USD": 300, "fn|2026-02": 1, "fv|2026-02|USD": 150, "fn|2026-07": 1,
           "fv|2026-07|USD": 10, "ts|new": 172800, "tx|new": 2}
    shown = pipeline(now, periods)
    assert shown["forecast"] == [{"month": "2026-02", "deals": 1, "weighted_value": {"USD": 150}}]
    assert shown["stages"] == [{"stage": "new", "open_deals": 2, "open_value": {"USD": 300}, "deals_left": 2,
                                "average_days_in_stage": 1.0}]


def test_a_stage_move_adds_the_time_spent_to_the_stage_left():
    item = DealItem("DEAL#1", "PROFILE", stage="new", created_at="2026-01-01T00:00:00Z",
                    stage_entered_at="2026-01-02T00:00:00Z", stage_seconds={"qualified": 5}, stage_exits={"new": 1})
    assert stage_clock(item, "2026-01-03T06:00:00Z") == {
        "stage_entered_at": "2026-01-03T06:00:00Z", "stage_seconds": {"qualified": 5, "new": 108000},
        "stage_exits": {"new": 2}}
