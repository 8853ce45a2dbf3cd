"""An activity's rules, without a table: what it needs after a write, and when it was done."""

from __future__ import annotations

from typing import Any

from crm.activities.rules import activity_problems, done_change
from crm.activities.spec import ActivityItem

NOW = "2026-11-24T09:30:00Z"


def activity(**attributes: Any) -> ActivityItem:
    return ActivityItem(*ActivityItem.key("a1"), activity_id="a1", created_at=NOW, updated_at=NOW, version=1,
                        **{"type": "call", "subject": "Call back", "contact_id": "c1", **attributes})


def test_a_new_activity_needs_a_type_a_subject_and_a_link():
    assert activity_problems({}, None, customers_only=False) == {
        "type": "Required.", "subject": "Required.",
        "contact_id": "Link the activity to a contact, a company or a deal."}
    assert activity_problems({"type": "task", "subject": "X", "deal_id": "d1"}, None, customers_only=False) == {}


def test_an_update_may_not_clear_the_type_the_subject_or_done():
    assert activity_problems({"type": None, "subject": None, "done": None}, activity(), customers_only=False) == {
        "type": "May not be cleared.", "subject": "May not be cleared.", "done": "May not be cleared."}
    assert activity_problems({"subject": "Other"}, activity(), customers_only=False) == {}


def test_a_reminder_is_at_or_before_the_due_time():
    problem = {"remind_at": "A reminder is at or before the due time."}
    linked = {"type": "task", "subject": "X", "company_id": "co1"}
    assert activity_problems({**linked, "remind_at": "2026-12-01T06:00:00Z"}, None, customers_only=False) == problem
    assert activity_problems({**linked, "remind_at": "2026-12-01T08:00:00Z", "due_at": "2026-12-01T07:00:00Z"},
                             None, customers_only=False) == problem
    assert activity_problems({"remind_at": "2026-12-01T07:00:00Z"}, activity(due_at="2026-12-01T07:00:00Z"),
                             customers_only=False) == {}
    # Moving the due time before a reminder that stays is refused too
    assert activity_problems({"due_at": "2026-12-01T05:00:00Z"},
                             activity(due_at="2026-12-01T07:00:00Z", remind_at="2026-12-01T06:00:00Z"),
                             customers_only=False) == problem


def test_unlinking_the_last_record_is_refused():
    assert activity_problems({"contact_id": None}, activity(), customers_only=False) == {
        "contact_id": "Link the activity to a contact, a company or a deal."}
    assert activity_problems({"contact_id": None}, activity(deal_id="d1"), customers_only=False) == {}


def test_support_logs_activities_on_a_customer_only():
    support_needs_a_contact = {"contact_id": "Support logs activities on customers: give the customer's id."}
    assert activity_problems({"type": "note", "subject": "X", "company_id": "co1"}, None,
                             customers_only=True) == support_needs_a_contact
    assert activity_problems({"contact_id": None}, activity(deal_id="d1"), customers_only=True) == \
        support_needs_a_contact
    assert activity_problems({"type": "note", "subject": "X", "contact_id": "c1"}, None, customers_only=True) == {}


def test_done_at_is_set_when_an_activity_becomes_done_and_cleared_when_undone():
    assert done_change({"done": True}, None, NOW) == {"done_at": NOW}
    assert done_change({"done": True}, activity(), NOW) == {"done_at": NOW}
    assert done_change({"done": True}, activity(done=True, done_at="2026-01-01T00:00:00Z"), NOW) == {}
    assert done_change({"done": False}, activity(done=True), NOW) == {"done_at": None}
    assert done_change({"subject": "X"}, activity(), NOW) == {}


def test_an_item_built_by_its_stored_names_is_the_same_item():
    # The API's `type` is stored as `activity_type`; either name builds the item
    built = ActivityItem(*ActivityItem.key("a1"), activity_id="a1", activity_type="meeting", subject="Demo",
                         created_at=NOW, updated_at=NOW)
    assert built.type == "meeting"
    assert built.serialize()["activity_type"] == {"S": "meeting"}
    assert "type" not in built.serialize()
