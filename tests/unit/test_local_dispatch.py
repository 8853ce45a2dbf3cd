"""Event-source filtering and schedules, as the dispatcher applies them."""

from __future__ import annotations

import datetime as dt

import pytest
from crm_local.dispatch import invoke_async, parse_schedule
from crm_local.patterns import UnsupportedPattern, check_pattern, matches
from crm_local.template import StreamSource, Template

OUTBOX_INSERT = {"eventName": "INSERT", "dynamodb": {"NewImage": {"PK": {"S": "OUTBOX#1"}, "SK": {"S": "EVENT"}}}}
CONTACT_INSERT = {"eventName": "INSERT", "dynamodb": {"NewImage": {"PK": {"S": "CONTACT#1"}}}}
OUTBOX_REMOVE = {"eventName": "REMOVE", "dynamodb": {"OldImage": {"PK": {"S": "OUTBOX#1"}}}}


def outbox_pattern() -> dict:
    template = Template.load()
    template.bind("CrmUserPool", "pool")
    template.bind("CrmUserPoolClient", "client")
    stream = next(s for s in template.event_sources() if isinstance(s, StreamSource))
    return dict(stream.filter_patterns[0])


def test_the_templates_outbox_filter_passes_only_new_outbox_items() -> None:
    pattern = outbox_pattern()
    check_pattern(pattern)

    assert matches(pattern, OUTBOX_INSERT)
    assert not matches(pattern, CONTACT_INSERT)
    assert not matches(pattern, OUTBOX_REMOVE)


def test_exact_values_match_inside_arrays_and_exists_checks_presence() -> None:
    assert matches({"detail": {"tags": ["vip"]}}, {"detail": {"tags": ["new", "vip"]}})
    assert matches({"detail": {"owner": [{"exists": False}]}}, {"detail": {}})
    assert not matches({"detail": {"owner": [{"exists": True}]}}, {"detail": {}})
    assert matches({"source": [{"anything-but": ["aws.events"]}]}, {"source": "crm"})


def test_operators_the_dispatcher_cannot_apply_are_refused_up_front() -> None:
    with pytest.raises(UnsupportedPattern):
        check_pattern({"detail": {"score": [{"numeric": [">", 50]}]}})


def test_rate_schedules_fire_once_per_period() -> None:
    schedule = parse_schedule("rate(5 minutes)", now=0)
    assert [schedule.due(t) for t in (299, 300, 301, 600)] == [False, True, False, True]


def test_cron_schedules_fire_in_matching_minutes_only() -> None:
    start = dt.datetime(2024, 1, 1, 2, 58, tzinfo=dt.UTC).timestamp()
    schedule = parse_schedule("cron(0 3 * * ? *)", now=start)
    assert not schedule.due(start + 60)        # 02:59
    assert schedule.due(start + 120)           # 03:00
    assert not schedule.due(start + 130)       # still 03:00, already fired


def test_async_invocation_retries_then_reports_the_last_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("crm_local.dispatch.time.sleep", lambda seconds: None)
    calls = []

    def always_failing(function_id: str, event: dict) -> None:
        calls.append(event)
        raise RuntimeError(f"boom {len(calls)}")

    error = invoke_async(always_failing, "Fn", {"id": 1}, max_retries=2)

    assert len(calls) == 3
    assert str(error) == "boom 3"
    assert invoke_async(lambda function_id, event: None, "Fn", {}, max_retries=2) is None
