"""Activities (tasks, calls, meetings, notes): create, read, update (If-Match), delete, list.

Each is linked to a contact, a company and/or a deal (at least one, each existing). Logging one puts an
entry on its contact's and its deal's timelines in the same transaction and announces it: `Activity Logged`
(which lead scoring scores) when it has a contact, `Activity Created` otherwise. Support reads and writes
only activities of customers: an activity whose contact is a customer now (one more GetItem for support).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.activities.spec import ActivityItem
from crm.contacts.spec import CUSTOMER_STAGE, ContactItem
from crm.custom_fields.store import checked_custom_fields
from crm.deals.spec import DealItem
from crm.platform.access import Caller
from crm.platform.config import get_settings
from crm.platform.errors import ClientError
from crm.platform.secrets import cursor_secret
from crm.platform.text import InvalidValue, clean_text
from crm.records.fields import plain_numbers
from crm.records.reads import all_of, expect_version, list_page, load
from crm.records.table import get_item
from crm.records.writes import Change, create, delete, must_exist, new_id, update_viewed
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from api.auth import current_caller, requires
from api.params import Cursor, IfMatch, Limit
from api.responses import created
from api.routes.deals import Id, Owner, index_attributes, link_checks, linked_query, on_timelines

router = APIGatewayHttpRouter()
ActivityType = Literal["task", "call", "meeting", "note"]
LINKS = ("contact_id", "company_id", "deal_id")


def iso_datetime(value: str) -> str:
    """An ISO 8601 time with its offset, kept in UTC: 2026-11-24T09:30:00Z."""
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise ValueError("A time with its offset, such as 2026-11-24T09:30:00Z.")
    return parsed.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


Time = Annotated[str, Field(max_length=40), AfterValidator(iso_datetime)]


class ActivityFields(BaseModel):
    """An activity's editable fields. In a PATCH, absent fields stay as they are and null clears one."""

    model_config = ConfigDict(extra="forbid")
    type: ActivityType | None = None
    subject: Annotated[str, Field(max_length=500)] | None = None
    body: Annotated[str, Field(max_length=10_000)] | None = None
    due_at: Time | None = None
    remind_at: Time | None = Field(None, description="At or before due_at.")
    done: Annotated[bool, Field(strict=True)] | None = None
    owner: Owner | None = None
    contact_id: Id | None = None
    company_id: Id | None = None
    deal_id: Id | None = None
    custom_fields: dict[str, Any] | None = None


class Activity(BaseModel):
    id: str
    type: str
    subject: str
    body: str | None
    due_at: str | None
    remind_at: str | None
    done: bool
    done_at: str | None
    owner: str | None
    contact_id: str | None
    company_id: str | None
    deal_id: str | None
    custom_fields: dict[str, Any]
    created_at: str
    updated_at: str
    version: int


class ActivityPage(BaseModel):
    items: list[Activity]
    next_cursor: str | None


def activity_view(item: ActivityItem) -> dict[str, Any]:
    return {"id": item.activity_id, "type": item.activity_type, "subject": item.subject, "body": item.body,
            "due_at": item.due_at, "remind_at": item.remind_at, "done": bool(item.done), "done_at": item.done_at,
            "owner": item.owner, "contact_id": item.contact_id, "company_id": item.company_id,
            "deal_id": item.deal_id,
            "custom_fields": plain_numbers(item.custom_fields.as_dict()) if item.custom_fields else {},
            "created_at": item.created_at, "updated_at": item.updated_at, "version": int(item.version)}


def is_customer(contact_id: str | None) -> bool:
    contact = get_item(ContactItem, ContactItem.key(contact_id), consistent=True) if contact_id else None
    return contact is not None and contact.lifecycle_stage == CUSTOMER_STAGE


def read_activity(caller: Caller, activity_id: str) -> ActivityItem:
    """The activity a caller may see: for support, only one whose contact is a customer."""
    return load(ActivityItem, ActivityItem.key(activity_id), "activity",
                lambda item: not caller.customers_only or is_customer(item.contact_id))


@router.get("/activities/<activity_id>", middlewares=[requires("activities", "read")])
def get_activity(activity_id: str) -> Activity:
    caller = current_caller()
    return activity_view(read_activity(caller, activity_id))


@router.get("/activities", middlewares=[requires("activities", "read")])
def list_activities(limit: Limit = None, cursor: Cursor = None,
                    sort: Annotated[Literal["created_at", "-created_at", "due_at", "-due_at"] | None,
                                    Query(description="Default -created_at (newest first).")] = None,
                    type: Annotated[ActivityType | None, Query()] = None,  # noqa: A002 - the API's name
                    done: Annotated[Literal["true", "false"] | None, Query()] = None,
                    owner: Annotated[str | None, Query(max_length=128)] = None,
                    contact_id: Annotated[str | None, Query(max_length=64)] = None,
                    company_id: Annotated[str | None, Query(max_length=64)] = None,
                    deal_id: Annotated[str | None, Query(max_length=64)] = None) -> ActivityPage:
    """Support lists one customer's activities at a time (`contact_id` is required for support)."""
    caller = current_caller()
    if caller.customers_only and not is_customer(contact_id):
        raise ClientError(400, "invalid_parameters", "Support lists the activities of one customer.",
                          {"contact_id": "The id of a customer is required."})
    filters = all_of(*(condition for condition, value in (
        (ActivityItem.activity_type == type, type), (ActivityItem.done == (done == "true"), done),
        (ActivityItem.company_id == company_id, company_id), (ActivityItem.deal_id == deal_id, deal_id))
        if value is not None))
    query, ascending = linked_query(ActivityItem, sort, "due_at", filters, contact_id, owner)
    scope = f"activities:{sort}:{type}:{done}:{owner}:{contact_id}:{company_id}:{deal_id}"
    return list_page(query, activity_view, scope=scope, secret=cursor_secret(get_settings()), limit=limit,
                     cursor=cursor, ascending=ascending).as_dict()


@router.post("/activities", responses={201: {"description": "Created"}}, middlewares=[requires("activities", "write")])
def create_activity(body: ActivityFields) -> Response[Activity]:
    caller = current_caller()
    activity_id = new_id()
    change = Change("activity", activity_id, "create", caller.user_id)
    values = planned_activity(body.model_dump(exclude_unset=True), None, caller, change.at)
    values = {name: value for name, value in values.items() if value is not None}
    check_links(change, values, caller)
    attributes = {"score_key": ActivityItem.due_key(None, activity_id), **values,
                  **{name: value for name, value in _index_attributes(activity_id, values).items() if value}}
    item = ActivityItem(*ActivityItem.key(activity_id), activity_id=activity_id, created_at=change.at,
                        updated_at=change.at, version=1, GSI1PK=ActivityItem.list_key(),
                        GSI1SK=f"{change.at}#{activity_id}", GSI2PK=ActivityItem.list_key(), **attributes)
    view = activity_view(item)
    create(change, item, view)
    on_timelines(change, item, "activity_logged", f"{item.activity_type.capitalize()}: {item.subject}",
                 {"by": caller.user_id, "activity_id": activity_id, "activity_type": item.activity_type})
    change.transaction.event("Activity Logged" if item.contact_id else "Activity Created", {
        "activity_id": activity_id, "activity_type": item.activity_type, "contact_id": item.contact_id,
        "company_id": item.company_id, "deal_id": item.deal_id})
    change.commit()
    return created(view, f"/v1/activities/{activity_id}")


@router.patch("/activities/<activity_id>", middlewares=[requires("activities", "write")])
def update_activity(activity_id: str, body: ActivityFields, if_match: IfMatch = None) -> Activity:
    caller = current_caller()
    item = read_activity(caller, activity_id)
    version = expect_version(if_match, item, "activity")
    change = Change("activity", activity_id, "update", caller.user_id)
    values = planned_activity(body.model_dump(exclude_unset=True), item, caller, change.at)
    values = {name: value for name, value in values.items() if getattr(item, name) != value}
    check_links(change, values, caller)
    after = update_viewed(change, item, version, {**values, **_index_attributes(activity_id, values)},
                          activity_view)
    if values:
        change.transaction.event("Activity Updated", {"activity_id": activity_id, "contact_id": item.contact_id,
                                                      "fields": sorted(values)})
    change.commit()
    return after


@router.delete("/activities/<activity_id>", responses={204: {"description": "Deleted"}},
               middlewares=[requires("activities", "write")])
def delete_activity(activity_id: str, if_match: IfMatch = None) -> Response[None]:
    caller = current_caller()
    item = read_activity(caller, activity_id)
    version = expect_version(if_match, item, "activity")
    change = Change("activity", activity_id, "delete", caller.user_id)
    delete(change, item, version, activity_view(item))
    change.transaction.event("Activity Deleted", {"activity_id": activity_id, "contact_id": item.contact_id})
    change.commit()
    return Response(204)


def planned_activity(submitted: dict[str, Any], existing: ActivityItem | None, caller: Caller,
                     now: str) -> dict[str, Any]:
    """The activity's attributes this write sets, checked together; one 422 names every problem."""
    problems: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name, value in submitted.items():
        attribute = "activity_type" if name == "type" else name
        if name == "custom_fields":
            values[name] = checked_custom_fields("activity", value or {}, existing.custom_fields.as_dict()
                                                 if existing is not None and existing.custom_fields else {}, problems,
                                                     get_settings().default_phone_region)
        elif isinstance(value, str) and name in ("subject", "body", "owner"):
            try:
                values[name] = clean_text(value, 10_000) or None
            except InvalidValue as exc:
                problems[name] = str(exc)
        else:
            values[attribute] = value
    def current(name: str) -> Any:
        return values[name] if name in values else getattr(existing, name) if existing else None

    for name, attribute in (("type", "activity_type"), ("subject", "subject"), ("done", "done")):
        if current(attribute) is None and (existing is not None or name != "done"):
            problems[name] = "Required." if existing is None else "May not be cleared."
    if current("remind_at") and (not current("due_at") or current("remind_at") > current("due_at")):
        problems["remind_at"] = "A reminder is at or before the due time."
    if not any(current(link) for link in LINKS):
        problems["contact_id"] = "Link the activity to a contact, a company or a deal."
    if caller.customers_only and not current("contact_id"):
        problems["contact_id"] = "Support logs activities on customers: give the customer's id."
    if values.get("done") and not (existing and existing.done):
        values["done_at"] = now
    elif values.get("done") is False:
        values["done_at"] = None
    if problems:
        raise ClientError(422, "invalid_fields", "Some fields need attention.", problems)
    return values


def check_links(change: Change, values: dict[str, Any], caller: Caller) -> None:
    link_checks(change, values, caller.customers_only)
    if values.get("deal_id"):
        must_exist(change, "deal_id", DealItem, DealItem.key(values["deal_id"]), "deal")


def _index_attributes(activity_id: str, values: dict[str, Any]) -> dict[str, Any]:
    return index_attributes(ActivityItem, activity_id, values, "due_at", ActivityItem.due_key)
