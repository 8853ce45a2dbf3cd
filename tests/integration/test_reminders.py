"""Reminders that fire: an activity's reminder is a one-time Scheduler schedule kept from the table stream
(created, moved, deleted with the activity, whatever wrote it); when it fires, the assignee is told once, in the
app and by email, in their own time zone; a stale schedule tells nobody. Notifications are their user's alone:
listed, marked read, snoozed until they come back."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import TEST_ENV
from tests.support.api_client import ApiClient
from tests.support.streams import FunctionStream

GROUP = TEST_ENV["CRM_AUTOMATION_SCHEDULE_GROUP"]
sales, support, admin = ApiClient("sales", user="rep-1"), ApiClient("support", user="desk-1"), ApiClient("admin")


@pytest.fixture
def automation(aws: dict[str, Any]) -> dict[str, Any]:
    from crm.team.spec import MemberItem

    boto3.client("scheduler").create_schedule_group(Name=GROUP)
    boto3.client("ses").verify_domain_identity(Domain="crm.example.com")
    MemberItem(*MemberItem.key("rep-1"), user_id="rep-1", email="rep@crm.example.com", time_zone="Asia/Tehran",
               created_at="2026-12-01T00:00:00Z", updated_at="2026-12-01T00:00:00Z", version=1).save()
    return {**aws, "stream": FunctionStream(aws, "ReminderSchedulesFunction")}


def schedule(activity_id: str) -> dict[str, Any] | None:
    scheduler = boto3.client("scheduler")
    try:
        return scheduler.get_schedule(Name=f"reminder-{activity_id}", GroupName=GROUP)
    except scheduler.exceptions.ResourceNotFoundException:
        return None


def fire(stored: dict[str, Any]) -> dict[str, Any]:
    """What Scheduler does when the schedule is due: invoke its target with its input."""
    from notifier.handler import handler

    return handler(json.loads(stored["Target"]["Input"]), None)


def sent() -> list[dict[str, Any]]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return list(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)


def new_call(remind_at: str, due_at: str | None = None) -> dict[str, Any]:
    due_at = due_at or f"{remind_at[:10]}T23:00:00Z"
    email = f"reza.{uuid.uuid4().hex[:8]}@example.com"
    contact = sales.post("/v1/contacts", {"first_name": "Reza", "email": email}).body
    created = sales.post("/v1/activities", {"type": "call", "subject": "Call Reza back", "contact_id": contact["id"],
                                            "owner": "rep-1", "due_at": due_at, "remind_at": remind_at})
    assert created.status == 201, created.body
    return created.body


def test_a_reminder_is_scheduled_moved_and_only_the_new_time_tells_the_assignee_once(automation):
    stream = automation["stream"]
    # Given a call with a reminder
    call = new_call("2030-01-15T09:00:00Z", due_at="2030-01-15T10:00:00Z")
    stream.catch_up()
    first = schedule(call["id"])
    assert first is not None and first["ScheduleExpression"] == "at(2030-01-15T09:00:00)"
    assert first["ActionAfterCompletion"] == "DELETE" and first["Target"]["Arn"] == TEST_ENV["CRM_NOTIFIER_FUNCTION"]
    # When the reminder is moved
    moved = sales.call("PATCH", f"/v1/activities/{call['id']}", {"remind_at": "2030-01-15T09:30:00Z"},
                       headers={"if-match": str(call["version"])})
    assert moved.status == 200
    stream.catch_up()
    # Then the same schedule now says the new time
    second = schedule(call["id"])
    assert second is not None and second["ScheduleExpression"] == "at(2030-01-15T09:30:00)"
    # And the old time, had its schedule fired anyway, tells nobody
    assert fire(first) == {"notified": False, "reason": "not due"}
    # When the new time fires, twice (Scheduler delivers at least once)
    told = fire(second)
    again = fire(second)
    # Then the assignee has one notification and one email, the due time in their own zone
    assert told["notified"] is True and told["notification_id"] == again["notification_id"]
    notes = sales.get("/v1/notifications").body["items"]
    assert [(n["kind"], n["title"], n["read"]) for n in notes] == [("reminder", "Reminder: Call Reza back", False)]
    mails = sent()
    # (moto adds the To address to the destinations given, so it appears twice)
    assert len(mails) == 1 and set(mails[0].destinations) == {"rep@crm.example.com"}
    assert "Due 2030-01-15 13:30 (Asia/Tehran)." in mails[0].raw_data


def test_a_done_or_deleted_activity_loses_its_reminder(automation):
    stream = automation["stream"]
    done = new_call("2030-02-01T08:00:00Z")
    gone = new_call("2030-02-02T08:00:00Z")
    stream.catch_up()
    assert schedule(done["id"]) and schedule(gone["id"])
    # When one is done and the other deleted
    sales.call("PATCH", f"/v1/activities/{done['id']}", {"done": True}, headers={"if-match": str(done["version"])})
    assert sales.delete(f"/v1/activities/{gone['id']}", version=gone["version"]).status == 204
    stream.catch_up()
    # Then neither has a schedule any more
    assert schedule(done["id"]) is None and schedule(gone["id"]) is None


def test_a_reminder_in_the_past_or_without_a_time_is_not_scheduled(automation):
    past = new_call("2020-01-01T08:00:00Z", due_at="2020-01-01T09:00:00Z")
    contact = sales.post("/v1/contacts", {"first_name": "Ana"}).body
    plain = sales.post("/v1/activities", {"type": "task", "subject": "No reminder", "contact_id": contact["id"]}).body
    automation["stream"].catch_up()
    assert schedule(past["id"]) is None and schedule(plain["id"]) is None


def test_an_activity_without_an_owner_reminds_whoever_created_it(automation):
    contact = sales.post("/v1/contacts", {"first_name": "Olga"}).body
    task = sales.post("/v1/activities", {"type": "task", "subject": "Send the offer", "contact_id": contact["id"],
                                         "due_at": "2030-03-01T10:00:00Z", "remind_at": "2030-03-01T09:00:00Z"}).body
    automation["stream"].catch_up()
    told = fire(schedule(task["id"]))
    assert told["user_id"] == "rep-1"


def test_notifications_are_their_users_own_and_can_be_read_and_snoozed(automation):
    call = new_call("2030-01-20T09:00:00Z")
    automation["stream"].catch_up()
    nid = fire(schedule(call["id"]))["notification_id"]
    # Another user neither sees nor touches it
    assert admin.get("/v1/notifications").body["items"] == []
    assert admin.call("POST", f"/v1/notifications/{nid}/read").status == 404
    # Its user marks it read, then snoozes it: it is hidden, and a schedule will bring it back
    read = sales.call("POST", f"/v1/notifications/{nid}/read")
    assert read.status == 200 and read.body["read"] is True
    assert sales.get("/v1/notifications", unread="true").body["items"] == []
    snoozed = sales.call("POST", f"/v1/notifications/{nid}/snooze", {"until": "2031-01-01T09:00:00+03:30"})
    assert snoozed.status == 200 and snoozed.body["snoozed_until"] == "2031-01-01T05:30:00Z"
    assert snoozed.body["snoozed_until_local"] == "2031-01-01 09:00 (Asia/Tehran)"
    assert sales.get("/v1/notifications").body["items"] == []
    wake = boto3.client("scheduler").get_schedule(Name=f"snooze-{nid}", GroupName=GROUP)
    # When the snooze's schedule fires, it is back, unread, and mailed a second time (once)
    assert fire(wake) == {"notified": True} and fire(wake) == {"notified": False}
    back = sales.get("/v1/notifications").body["items"]
    assert [(n["id"], n["read"], n["snoozed_until"]) for n in back] == [(nid, False, None)]
    assert len(sent()) == 2


@pytest.mark.parametrize("body", [{}, {"until": "tomorrow"}, {"until": "2020-01-01T00:00:00Z"},
                                  {"until": "2031-01-01T00:00:00Z", "extra": 1}, {"until": 5}])
def test_a_bad_snooze_is_a_clear_4xx_and_changes_nothing(automation, body):
    call = new_call("2030-01-21T09:00:00Z")
    automation["stream"].catch_up()
    nid = fire(schedule(call["id"]))["notification_id"]
    answer = sales.call("POST", f"/v1/notifications/{nid}/snooze", body)
    assert 400 <= answer.status < 500 and "error" in answer.body
    assert [n["snoozed_until"] for n in sales.get("/v1/notifications").body["items"]] == [None]


@pytest.mark.parametrize("query", [{"unread": "yes"}, {"unread": "1"}, {"limit": "0"}, {"limit": "-3"},
                                   {"limit": "many"}, {"cursor": "not-a-cursor"}, {"cursor": "e30="}])
def test_a_bad_listing_query_is_a_clear_4xx(automation, query):
    answer = sales.get("/v1/notifications", **query)
    assert 400 <= answer.status < 500 and "error" in answer.body


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(nid=st.text(min_size=1, max_size=80).filter(lambda text: not set(text) & set("/?#")),
       action=st.sampled_from(["read", "unread", "snooze"]))
def test_any_notification_id_nobody_has_is_a_404_never_an_error(automation, nid, action):
    body = {"until": "2031-01-01T00:00:00Z"} if action == "snooze" else None
    answer = sales.call("POST", f"/v1/notifications/{nid}/{action}", body)
    assert answer.status in (400, 404) and "error" in answer.body
