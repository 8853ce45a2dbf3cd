"""The pure parts of the bench's local stack section (bench/local_stack.py): percentiles, CPU time from
/proc, the verdicts, and the check that every accepted input was stored once."""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from pathlib import Path

import pytest

from bench.local_stack import (
    CLIENTS,
    DUPLICATED_EVENTS,
    Delivery,
    Figure,
    Reply,
    burst_plan,
    cpu_seconds,
    latency_figures,
    percentile,
    source_address,
    storage_problems,
    tally,
)


def test_percentiles_are_nearest_rank():
    samples = [float(n) for n in range(100, 0, -1)]
    assert (percentile(samples, 50), percentile(samples, 95), percentile(samples, 100)) == (50.0, 95.0, 100.0)
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) is None


def test_failed_requests_push_a_percentile_up_and_leave_no_time_to_show():
    # Given 60 answered requests and 40 failed ones (infinite)
    samples = [0.010] * 60 + [math.inf] * 40
    # When the figures are made with limits of 40 ms and 120 ms
    p50, p95 = latency_figures("form post", samples, {50: 40, 95: 120}, "ms", "posts")
    # Then the median is a time that passes, the 95th percentile no time at all, and a miss
    assert (p50.value, p50.met) == (pytest.approx(10.0), True)
    assert (p95.value, p95.met, p95.shown) == (None, False, "-")
    assert p95.detail == "100 posts, 40 failed"


def test_cpu_time_is_user_plus_system_after_a_command_name_holding_spaces_and_parentheses():
    fields = ["S", "1", "1", "1", "0", "-1", "4194560", "100", "0", "0", "0", "250", "50", "7", "3"]
    stat = "4321 (crm) local (run)) " + " ".join([*fields, "20", "0", "9", "0"]) + "\n"
    assert cpu_seconds(stat, 100) == 3.0


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_cpu_time_read_from_proc_agrees_with_the_kernels_own_account():
    # Given some CPU spent by this process
    sum(n * n for n in range(300_000))
    # When its CPU time is read from /proc and from os.times()
    from_proc = cpu_seconds(Path("/proc/self/stat").read_text(), os.sysconf("SC_CLK_TCK"))
    times = os.times()
    # Then they agree to a few clock ticks
    assert from_proc == pytest.approx(times.user + times.system, abs=0.05)


def test_a_figure_meets_its_limit_when_at_or_under_it_and_never_when_not_measured():
    assert Figure("form post p50", 40.0, 40, "ms", "").met
    assert not Figure("form post p50", 40.4, 40, "ms", "").met
    assert Figure("burst: 5xx answers", 0, 0, "", "").met
    assert not Figure("burst: 5xx answers", 1, 0, "", "").met
    assert not Figure("idle stack CPU", None, 2, "%", "").met
    shown = Figure("idle stack CPU", 0.456, 2, "%", "")
    assert (shown.shown, shown.target) == ("0.46 %", "<= 2 %")


def test_source_addresses_are_distinct_loopback_addresses():
    addresses = [source_address(i) for i in range(70_000)]
    assert len(set(addresses)) == len(addresses)
    octets = [tuple(int(part) for part in address.split(".")) for address in addresses]
    assert all(o[0] == 127 and 1 <= min(o[1:]) and max(o[1:]) <= 254 for o in octets)


def test_the_burst_races_the_same_payer_email_and_delivers_each_duplicated_event_many_times_alike():
    plan = burst_plan(CLIENTS)
    assert [len(requests) for requests in plan] == [3] * CLIENTS
    half = CLIENTS // 2
    # The lower half's Stripe payer is the address the upper half's client posts first, at the same moment
    assert plan[0][0].kind == "stripe" and plan[0][0].email == plan[half][0].email == plan[half][0].key
    # Each duplicated event id is delivered by several clients with the very same body
    duplicated = [r for requests in plan[half:] for r in requests if r.kind == "stripe"]
    assert len({r.key for r in duplicated}) == DUPLICATED_EVENTS
    assert all(len({r.body for r in duplicated if r.key == key}) == 1 for key in {r.key for r in duplicated})
    assert json.loads(duplicated[0].body)["data"]["object"]["receipt_email"] == duplicated[0].email


def _form(email: str) -> Delivery:
    return Delivery("form", email, email, b"{}")


def _stripe(event_id: str, email: str) -> Delivery:
    return Delivery("stripe", event_id, email, b"{}")


def _reply(status: int | None, body: dict[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(body or {}).encode(), 0.01, None if status else "timeout")


def _contact(contact_id: str, email: str, **more: str) -> dict[str, object]:
    return {"PK": f"CONTACT#{contact_id}", "SK": "PROFILE", "email_key": email, **more}


def _submission(email: str, n: int) -> dict[str, object]:
    return {"PK": f"CONTACT#{email}", "SK": f"HISTORY#2026-01-01#{n}",
            "data": {"submission_id": f"{email}{n}", "submitted": {"email": email}}}


def _event(event_id: str, contact_id: str) -> list[dict[str, object]]:
    return [{"PK": f"WEBHOOK#stripe#{event_id}", "SK": "EVENT"},
            {"PK": f"CONTACT#{contact_id}", "SK": f"HISTORY#2026#{event_id}", "entry_type": "payment_succeeded",
             "data": {"provider_event_id": event_id}}]


def test_a_burst_stored_once_has_no_problems_and_counts_what_had_no_answer():
    # Given two posts of one address, a timed-out post, and one Stripe event delivered twice
    counted = tally([
        (_form("a@x.example"), _reply(201)), (_form("a@x.example"), _reply(200)),
        (_form("late@x.example"), _reply(None)),
        (_stripe("evt_1", "b@x.example"), _reply(200, {"status": "processed"})),
        (_stripe("evt_1", "b@x.example"), _reply(200, {"status": "duplicate"})),
    ])
    # And a table holding one contact per address, every submission (the late one too), one event
    items = [_contact("1", "a@x.example"), _contact("2", "b@x.example"), _contact("3", "late@x.example"),
             _contact("0", "a@x.example", merged_into="1"), _submission("a@x.example", 1),
             _submission("a@x.example", 2), _submission("late@x.example", 1), *_event("evt_1", "2")]
    # Then nothing is stored other than once, and the timeout is counted
    assert storage_problems(items, counted) == []
    assert counted.no_answer == Counter({"timeout": 1})
    assert counted.statuses == Counter({200: 3, 201: 1})


def test_doubled_contacts_payments_submissions_and_first_answers_are_each_a_problem():
    # Given an accepted post and an event delivered twice, both answered as the first delivery
    counted = tally([
        (_form("a@x.example"), _reply(201)),
        (_stripe("evt_1", "a@x.example"), _reply(200, {"status": "processed"})),
        (_stripe("evt_1", "a@x.example"), _reply(200, {"status": "processed"})),
    ])
    # And a table with two live contacts for the address, two submissions of one post, two payments
    items = [_contact("1", "a@x.example"), _contact("2", "a@x.example"), _submission("a@x.example", 1),
             _submission("a@x.example", 2), *_event("evt_1", "1"), _event("evt_1", "2")[1]]
    # Then each is reported
    assert storage_problems(items, counted) == [
        "a@x.example: 2 contacts",
        "evt_1: 1 event records, 2 payments",
        "evt_1: 2 deliveries answered as the first",
        "a@x.example: 2 submissions stored for 1 accepted of 1 posted",
    ]
