"""Writing activities: a write checked as a whole, the records it links to, and a new activity on its
contact's and its deal's timelines, announced as `Activity Logged` (which lead scoring scores) when it has a
contact and `Activity Created` otherwise."""

from __future__ import annotations

from typing import Any

from crm.activities.rules import activity_problems, done_change
from crm.activities.spec import ACTIVITY, ActivityItem
from crm.contacts.edits import link_checks
from crm.deals.spec import DealItem
from crm.deals.timeline import on_timelines
from crm.platform.access import Caller
from crm.platform.config import get_settings
from crm.platform.errors import HttpError
from crm.records.fields import WriteContext, normalized_values
from crm.records.linked import index_attributes
from crm.records.reads import load
from crm.records.writes import Change, create, delete, must_exist, update_viewed


def read_activity(caller: Caller, activity_id: str) -> ActivityItem:
    """The activity a caller may see: for support, only one whose contact is a customer."""
    return load(ActivityItem, ActivityItem.key(activity_id), "activity", ACTIVITY.viewer(caller))


def planned_activity(submitted: dict[str, Any], existing: ActivityItem | None, caller: Caller,
                     now: str) -> dict[str, Any]:
    """The activity's attributes this write sets, checked together; one 422 names every problem."""
    problems: dict[str, str] = {}
    context = WriteContext(ACTIVITY.name, existing, get_settings().default_phone_region)
    values = normalized_values(ACTIVITY.fields, submitted, context, problems)
    problems.update(activity_problems(values, existing, caller.customers_only))
    if problems:
        raise HttpError(422, "invalid_fields", "Some fields need attention.", problems)
    return values | done_change(values, existing, now)


def check_links(change: Change, values: dict[str, Any], caller: Caller) -> None:
    """The contact (a customer, for support), company and deal the activity names exist when it is written."""
    link_checks(change, values, caller.customers_only)
    if values.get("deal_id"):
        must_exist(change, "deal_id", DealItem, DealItem.key(values["deal_id"]), "deal")


def new_activity(change: Change, submitted: dict[str, Any], caller: Caller) -> dict[str, Any]:
    """An activity from the API's fields (an API create or an import's row); the view after the commit."""
    values = planned_activity(submitted, None, caller, change.at)
    return ACTIVITY.view(add_activity(change, change.entity_id, values, caller))


def edited_activity(change: Change, item: ActivityItem, version: int, submitted: dict[str, Any],
                  caller: Caller) -> dict[str, Any]:
    return change_activity(change, item, version, planned_activity(submitted, item, caller, change.at), caller)


def add_activity(change: Change, activity_id: str, values: dict[str, Any], caller: Caller) -> ActivityItem:
    """A new activity as part of `change`: the record, its audit entry, its timeline entries, its event."""
    values = {name: value for name, value in values.items() if value is not None}
    check_links(change, values, caller)
    attributes = {"order_key": ActivityItem.due_key(None, activity_id), **values,
                  **{name: value for name, value in activity_index_attributes(activity_id, values).items() if value}}
    item = ActivityItem(*ActivityItem.key(activity_id), activity_id=activity_id, created_at=change.at,
                        updated_at=change.at, version=1, GSI1PK=ActivityItem.list_key(),
                        GSI1SK=f"{change.at}#{activity_id}", GSI2PK=ActivityItem.list_key(), **attributes)
    create(change, item, ACTIVITY.view(item))
    on_timelines(change, item, "activity_logged", f"{item.type.capitalize()}: {item.subject}",
                 {"by": caller.user_id, "activity_id": activity_id, "activity_type": item.type})
    change.transaction.event("Activity Logged" if item.contact_id else "Activity Created", {
        "activity_id": activity_id, "activity_type": item.type, "contact_id": item.contact_id,
        "company_id": item.company_id, "deal_id": item.deal_id, "by": change.actor})
    return item


def change_activity(change: Change, item: ActivityItem, version: int, values: dict[str, Any],
                    caller: Caller) -> dict[str, Any]:
    """The planned write of an activity read at `version`: only what it changes, announced. Returns its
    view after the write."""
    values = {name: value for name, value in values.items() if getattr(item, name) != value}
    check_links(change, values, caller)
    after = update_viewed(change, item, version, {**values, **activity_index_attributes(item.activity_id, values)},
                          ACTIVITY.view)
    if values:
        # Fields by their stored names, as events have always named them (`type` is `activity_type`).
        stored = sorted(ActivityItem.get_attributes()[name].attr_name for name in values)
        change.transaction.event("Activity Updated", {"activity_id": item.activity_id,
                                                      "contact_id": item.contact_id, "fields": stored})
    return after


def remove_activity(change: Change, item: ActivityItem, version: int) -> None:
    delete(change, item, version, ACTIVITY.view(item))
    change.transaction.event("Activity Deleted", {"activity_id": item.activity_id, "contact_id": item.contact_id})


def activity_index_attributes(activity_id: str, values: dict[str, Any]) -> dict[str, Any]:
    return index_attributes(ActivityItem, activity_id, values, "due_at", ActivityItem.due_key)
