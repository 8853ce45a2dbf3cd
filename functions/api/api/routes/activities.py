"""Activities (tasks, calls, meetings, notes): create, read, update (If-Match), delete, list.

Each is linked to a contact, a company and/or a deal (at least one, each existing). Logging one puts an
entry on its contact's and its deal's timelines in the same transaction and announces it (crm.activities).
Support reads and writes only activities of customers: an activity whose contact is a customer now (one
more GetItem for support).
"""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.activities.spec import ACTIVITY, ACTIVITY_TYPES, ActivityItem, is_customer
from crm.activities.store import edited_activity, new_activity, read_activity, remove_activity
from crm.platform.config import get_settings
from crm.platform.errors import HttpError
from crm.platform.secrets import cursor_secret
from crm.records.linked import linked_query
from crm.records.reads import all_of, expect_version, list_page
from crm.records.writes import Change, new_id

from api.auth import current_caller, requires
from api.params import Cursor, IfMatch, Limit
from api.responses import created

router = APIGatewayHttpRouter()
ActivityType = Literal[ACTIVITY_TYPES]
# Built at run time from the spec: to the checker a body of this model has no methods (attr-defined below).
ActivityFields = ACTIVITY.input_model
Activity = ACTIVITY.output_model
ActivityPage = ACTIVITY.page_model


@router.get("/activities/<activity_id>", middlewares=[requires("activities", "read")])
def get_activity(activity_id: str) -> Activity:
    return ACTIVITY.view(read_activity(current_caller(), activity_id))


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
    if current_caller().customers_only and not is_customer(contact_id):
        raise HttpError(400, "invalid_parameters", "Support lists the activities of one customer.",
                        {"contact_id": "The id of a customer is required."})
    filters = all_of(*(condition for condition, value in (
        (ActivityItem.type == type, type), (ActivityItem.done == (done == "true"), done),
        (ActivityItem.company_id == company_id, company_id), (ActivityItem.deal_id == deal_id, deal_id))
        if value is not None))
    query, ascending = linked_query(ActivityItem, sort, "due_at", filters, contact_id, owner)
    scope = f"activities:{sort}:{type}:{done}:{owner}:{contact_id}:{company_id}:{deal_id}"
    return list_page(query, ACTIVITY.view, scope=scope, secret=cursor_secret(get_settings()), limit=limit,
                     cursor=cursor, ascending=ascending).as_dict()


@router.post("/activities", responses={201: {"description": "Created"}}, middlewares=[requires("activities", "write")])
def create_activity(body: ActivityFields) -> Response[Activity]:
    caller = current_caller()
    change = Change("activity", new_id(), "create", caller.user_id)
    view = new_activity(change, body.model_dump(exclude_unset=True), caller)  # type: ignore[attr-defined]
    change.commit()
    return created(view, f"/v1/activities/{change.entity_id}")


@router.patch("/activities/<activity_id>", middlewares=[requires("activities", "write")])
def update_activity(activity_id: str, body: ActivityFields, if_match: IfMatch = None) -> Activity:
    caller = current_caller()
    item = read_activity(caller, activity_id)
    version = expect_version(if_match, item, "activity")
    change = Change("activity", activity_id, "update", caller.user_id)
    after = edited_activity(change, item, version, body.model_dump(exclude_unset=True), caller)  # type: ignore[attr-defined]
    change.commit()
    return after


@router.delete("/activities/<activity_id>", responses={204: {"description": "Deleted"}},
               middlewares=[requires("activities", "write")])
def delete_activity(activity_id: str, if_match: IfMatch = None) -> Response[None]:
    caller = current_caller()
    item = read_activity(caller, activity_id)
    version = expect_version(if_match, item, "activity")
    change = Change("activity", activity_id, "delete", caller.user_id)
    remove_activity(change, item, version)
    change.commit()
    return Response(204)
