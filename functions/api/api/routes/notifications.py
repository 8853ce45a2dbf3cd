"""The caller's own notifications (a reminder due, ...): list them newest first, mark one read or unread, snooze
one until a time, when it comes back unread and is mailed again. Times are UTC, and each is also given in the
caller's time zone (their team profile's, UTC when they have none)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.notifications.store import mark, notifications_page, snooze
from crm.platform.clock import iso_now
from crm.records.fields import iso_datetime, page_model
from pydantic import AfterValidator, BaseModel, ConfigDict

from api.auth import current_caller, requires
from api.params import Cursor, Limit

router = APIGatewayHttpRouter()


class Notification(BaseModel):
    id: str
    kind: str
    title: str
    body: str | None
    link: dict[str, Any] | None
    read: bool
    read_at: str | None
    snoozed_until: str | None
    created_at: str
    time_zone: str
    created_local: str
    snoozed_until_local: str | None


NotificationPage = page_model("NotificationPage", Notification)


class Snooze(BaseModel):
    """Until when: a moment with its offset (2026-12-05T09:00:00+03:30), stored in UTC."""

    model_config = ConfigDict(extra="forbid")
    until: Annotated[str, AfterValidator(iso_datetime)]


@router.get("/notifications", middlewares=[requires("notifications", "read")])
def list_notifications(limit: Limit = None, cursor: Cursor = None,
                       unread: Annotated[Literal["true", "false"] | None, Query(
                           description="true: only those not read yet.")] = None) -> NotificationPage:
    return notifications_page(current_caller().user_id, unread == "true", limit, cursor, iso_now()).as_dict()


@router.post("/notifications/<notification_id>/read", middlewares=[requires("notifications", "write")])
def read_notification(notification_id: str) -> Notification:
    return mark(current_caller().user_id, notification_id, True, iso_now())


@router.post("/notifications/<notification_id>/unread", middlewares=[requires("notifications", "write")])
def unread_notification(notification_id: str) -> Notification:
    return mark(current_caller().user_id, notification_id, False, iso_now())


@router.post("/notifications/<notification_id>/snooze", middlewares=[requires("notifications", "write")])
def snooze_notification(notification_id: str, body: Annotated[Snooze, Body()]) -> Notification:
    return snooze(current_caller().user_id, notification_id, body.until, iso_now())
