"""When a member of staff can take work: their time away, working days and hours, in their own time zone."""

from __future__ import annotations

import datetime as dt
from typing import Any

from crm.platform.schedules import at_expression
from crm.team.rules import away_reason
from crm.team.spec import MemberItem

NOW = "2026-11-24T09:30:00Z"


def member(**attributes: Any) -> MemberItem:
    return MemberItem(*MemberItem.key("u1"), user_id="u1", created_at=NOW, updated_at=NOW, version=1, **attributes)


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_a_member_without_hours_or_time_away_is_always_available():
    assert away_reason(member(), utc("2026-12-06T03:00:00Z")) is None
    assert away_reason(None, utc("2026-12-06T03:00:00Z")) is None


def test_working_hours_are_read_in_the_members_own_time_zone():
    # Given a rep in Tehran (UTC+03:30) who works 09:00-17:00 Saturday to Wednesday
    rep = member(time_zone="Asia/Tehran", work_starts="09:00", work_ends="17:00",
                 working_days={"sat", "sun", "mon", "tue", "wed"})
    # When it is 06:00 UTC on a Monday, 09:30 in Tehran, then they are at work
    assert away_reason(rep, utc("2026-11-23T06:00:00Z")) is None
    # And at 05:00 UTC (08:30 in Tehran) they are not yet
    assert away_reason(rep, utc("2026-11-23T05:00:00Z")) == "outside working hours (09:00-17:00 Asia/Tehran)"
    # And on a Friday they are not working at all
    assert away_reason(rep, utc("2026-11-27T07:00:00Z")) == "not a working day (fri)"


def test_a_night_shift_runs_past_midnight():
    rep = member(work_starts="22:00", work_ends="06:00")
    assert away_reason(rep, utc("2026-11-23T23:00:00Z")) is None
    assert away_reason(rep, utc("2026-11-23T03:00:00Z")) is None
    assert away_reason(rep, utc("2026-11-23T12:00:00Z")) is not None


def test_out_of_office_skips_the_member_for_its_span_only():
    rep = member(away_from="2026-12-01T00:00:00Z", away_until="2026-12-08T00:00:00Z")
    assert away_reason(rep, utc("2026-12-03T10:00:00Z")) == "out of office until 2026-12-08T00:00:00Z"
    assert away_reason(rep, utc("2026-12-08T00:00:00Z")) is None
    assert away_reason(rep, utc("2026-11-30T23:59:59Z")) is None


def test_a_one_time_schedule_is_written_in_utc_without_an_offset():
    assert at_expression("2026-12-04T21:30:00+03:30") == "at(2026-12-04T18:00:00)"
    assert at_expression(utc("2026-12-04T18:00:05Z")) == "at(2026-12-04T18:00:05)"
