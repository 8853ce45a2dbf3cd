"""A reminder's rules, without a table: when an activity wants a schedule, when a fired schedule is still the
activity's own, and how a UTC moment reads in the assignee's zone."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from crm.activities.reminders import due_reminder, schedule_name, wanted_reminder
from crm.activities.spec import ActivityItem
from crm.platform.clock import local_time
from crm.team.rules import zone_of
from crm.team.spec import MemberItem
from hypothesis import given
from hypothesis import strategies as st

NOW = "2026-12-04T09:30:00Z"


def activity(**attributes: Any) -> ActivityItem:
    return ActivityItem(*ActivityItem.key("a1"), activity_id="a1", created_at=NOW, updated_at=NOW, version=1,
                        **{"type": "call", "subject": "Call back", "contact_id": "c1", **attributes})


def member(time_zone: str | None) -> MemberItem:
    return MemberItem(*MemberItem.key("u1"), user_id="u1", time_zone=time_zone, created_at=NOW, updated_at=NOW,
                      version=1)


def test_a_reminder_ahead_of_now_is_wanted_and_named_after_its_activity():
    assert wanted_reminder(activity(remind_at="2026-12-05T08:00:00Z"), NOW) == "2026-12-05T08:00:00Z"
    assert schedule_name("a1") == "reminder-a1"


def test_no_reminder_is_wanted_when_gone_done_unset_or_past():
    assert wanted_reminder(None, NOW) is None
    assert wanted_reminder(activity(), NOW) is None
    assert wanted_reminder(activity(remind_at="2026-12-05T08:00:00Z", done=True), NOW) is None
    assert wanted_reminder(activity(remind_at=NOW), NOW) is None
    assert wanted_reminder(activity(remind_at="2026-12-04T09:29:59Z"), NOW) is None


def test_a_fired_reminder_is_due_only_for_the_activity_as_it_still_is():
    moved = activity(remind_at="2026-12-05T09:00:00Z")
    assert due_reminder(moved, "2026-12-05T09:00:00Z") is True
    assert due_reminder(moved, "2026-12-05T08:00:00Z") is False
    assert due_reminder(activity(remind_at="2026-12-05T09:00:00Z", done=True), "2026-12-05T09:00:00Z") is False
    assert due_reminder(activity(), "2026-12-05T09:00:00Z") is False
    assert due_reminder(None, "2026-12-05T09:00:00Z") is False


def test_the_due_time_reads_in_the_assignees_zone_and_in_utc_without_one():
    assert local_time("2026-12-05T06:00:00Z", zone_of(member("Asia/Tehran"))) == "2026-12-05 09:30 (Asia/Tehran)"
    assert local_time("2026-12-05T06:00:00Z", zone_of(member(None))) == "2026-12-05 06:00 (UTC)"
    assert local_time("2026-12-05T06:00:00Z", zone_of(None)) == "2026-12-05 06:00 (UTC)"


@given(st.text(max_size=40))
def test_a_profile_zone_nobody_knows_reads_as_utc_never_an_error(time_zone):
    # Given any zone a profile might hold (the API checks it, an import or an old item may not have)
    zone = zone_of(member(time_zone or None))
    # Then a time still renders, in that zone or in UTC
    assert local_time("2026-12-05T06:00:00Z", zone).startswith("2026-12-05 ")


@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31)),
       st.sampled_from(["UTC", "Asia/Tehran", "America/St_Johns", "Europe/Moscow", "Pacific/Chatham"]))
def test_a_local_time_is_the_same_moment(moment, name):
    # Given a UTC moment as stored
    stored = moment.replace(microsecond=0, tzinfo=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    # When it is read in a zone
    shown = local_time(stored, ZoneInfo(name))
    # Then parsing it back in that zone gives the same minute
    text, _, zone = shown.rpartition(" (")
    local = dt.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo(zone.rstrip(")")))
    # (an hour that happens twice when clocks go back is either of its two moments)
    moments = {local.replace(fold=fold).astimezone(dt.UTC) for fold in (0, 1)}
    assert moment.replace(second=0, microsecond=0, tzinfo=dt.UTC) in moments
