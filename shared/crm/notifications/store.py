"""In-app notifications: one per thing a user is told (a reminder due, a lead assigned to them, an SLA missed),
listed newest first in their own partition of GSI1, each also mailed to them once.

A notification's id is derived from what it is about (`key`), so telling the same thing twice (a retried
reminder, a redelivered event) keeps one notification and sends one email."""

from __future__ import annotations

import hashlib
from functools import partial
from typing import Any

from pynamodb.attributes import UnicodeAttribute

from crm.outbound.send import plain_message, send_once
from crm.platform.clock import iso_now, local_time
from crm.platform.config import get_settings
from crm.platform.errors import HttpError
from crm.platform.observability import logger
from crm.platform.schedules import at_expression, automation_target, put_schedule
from crm.platform.secrets import cursor_secret
from crm.records.fields import Document
from crm.records.reads import Page, list_page
from crm.records.table import VersionedItem, get_item
from crm.team.directory import address_of, member
from crm.team.rules import zone_of
from crm.team.spec import MemberItem


class NotificationItem(VersionedItem):
    notification_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    title = UnicodeAttribute()
    body = UnicodeAttribute(null=True)
    link = Document(description="The record it is about: {entity, id}.")
    read_at = UnicodeAttribute(null=True)
    snoozed_until = UnicodeAttribute(null=True)
    emailed_to = UnicodeAttribute(null=True)

    @staticmethod
    def key(user_id: str, notification_id: str) -> tuple[str, str]:
        return f"USER#{user_id}#NOTIFICATIONS", f"NOTIFICATION#{notification_id}"

    @staticmethod
    def list_key(user_id: str) -> str:
        return f"NOTIFICATIONS#{user_id}"


def notification_id(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


def notify(user_id: str, kind: str, title: str, body: str, link: dict[str, Any] | None, key: str,
           email: bool = True, profile: MemberItem | None = None) -> str:
    """Tells `user_id` once per `key`: an unread notification, and an email from the notification sender to
    their address (when both are known; `profile` is their team profile when the caller has read it already).
    Returns the notification's id."""
    from pynamodb.exceptions import PutError  # noqa: PLC0415 - with the write it serves

    nid, now = notification_id(f"{user_id}:{key}"), iso_now()
    item = NotificationItem(*NotificationItem.key(user_id, nid), notification_id=nid, user_id=user_id, kind=kind,
                            title=title[:300], body=body[:4000] or None, link=link, created_at=now, updated_at=now,
                            version=1, GSI1PK=NotificationItem.list_key(user_id), GSI1SK=f"{now}#{nid}")
    try:
        item.save(NotificationItem.PK.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
    if email:
        mail_notification(user_id, nid, title, body, profile=profile)
    return nid


def mail_notification(user_id: str, nid: str, title: str, body: str, attempt: str = "",
                      profile: MemberItem | None = None) -> str | None:
    """The notification's email, once per (notification, attempt): a snoozed one mails again when it wakes."""
    sender = get_settings().notification_sender
    address = address_of(user_id, profile or member(user_id))
    if not sender or not address:
        logger.info("a notification was not mailed", extra={"notification_id": nid, "sender": bool(sender),
                                                            "address": bool(address)})
        return None
    raw = plain_message(sender, (address,), title, body or title).as_bytes()
    return send_once(f"notification:{user_id}:{nid}:{attempt}", sender, (address,), raw)


SNOOZE = "snooze"


def notification_view(item: NotificationItem, zone: Any) -> dict[str, Any]:
    """A notification as its user reads it: times stored in UTC, and each also in the user's time zone."""
    return {"id": item.notification_id, "kind": item.kind, "title": item.title, "body": item.body,
            "link": item.link.as_dict() if item.link is not None else None, "read": item.read_at is not None,
            "read_at": item.read_at, "snoozed_until": item.snoozed_until, "created_at": item.created_at,
            "time_zone": zone.key, "created_local": local_time(item.created_at, zone),
            "snoozed_until_local": local_time(item.snoozed_until, zone) if item.snoozed_until else None}


def notifications_page(user_id: str, unread_only: bool, limit: str | None, cursor: str | None, now: str) -> Page:
    """The user's notifications, newest first; one snoozed until later is hidden until then."""
    condition = NotificationItem.snoozed_until.does_not_exist() | (NotificationItem.snoozed_until <= now)
    if unread_only:
        condition &= NotificationItem.read_at.does_not_exist()
    zone = zone_of(member(user_id))
    query = partial(NotificationItem.by_created.query, NotificationItem.list_key(user_id), filter_condition=condition)
    return list_page(query, lambda item: notification_view(item, zone), scope=f"notifications:{user_id}:{unread_only}",
                     secret=cursor_secret(get_settings()), limit=limit, cursor=cursor)


def own_notification(user_id: str, nid: str) -> NotificationItem:
    """The caller's own notification; anyone else's is 404, as if it did not exist."""
    item = get_item(NotificationItem, NotificationItem.key(user_id, nid), consistent=True)
    if item is None:
        raise HttpError(404, "not_found", "There is no such notification.")
    return item


def mark(user_id: str, nid: str, read: bool, now: str) -> dict[str, Any]:
    item = own_notification(user_id, nid)
    item.update([NotificationItem.read_at.set(now) if read else NotificationItem.read_at.remove(),
                 NotificationItem.updated_at.set(now)], NotificationItem.PK.exists())
    return notification_view(item, zone_of(member(user_id)))


def snooze(user_id: str, nid: str, until: str, now: str) -> dict[str, Any]:
    """Hides the notification until `until` (UTC), when it comes back unread and is mailed again, once."""
    if until <= now:
        raise HttpError(422, "invalid_fields", "Snooze until a time still to come.", {"until": "In the past."})
    item = own_notification(user_id, nid)
    put_schedule(f"snooze-{nid}", automation_target("notifier"), at_expression(until),
                 {"kind": SNOOZE, "user_id": user_id, "notification_id": nid, "until": until},
                 description=f"Brings back notification {nid}.", what="A snooze")
    item.update([NotificationItem.snoozed_until.set(until), NotificationItem.read_at.remove(),
                 NotificationItem.updated_at.set(now)], NotificationItem.PK.exists())
    return notification_view(item, zone_of(member(user_id)))


def wake(user_id: str, nid: str, until: str) -> bool:
    """A snooze's schedule fired: the notification comes back unread and is mailed again, if it is still snoozed
    until that time (a later snooze replaced this one, or it is gone: nothing)."""
    from pynamodb.exceptions import UpdateError  # noqa: PLC0415 - with the write it serves

    item = get_item(NotificationItem, NotificationItem.key(user_id, nid), consistent=True)
    if item is None or item.snoozed_until != until:
        return False
    try:
        item.update([NotificationItem.snoozed_until.remove(), NotificationItem.read_at.remove()],
                    NotificationItem.snoozed_until == until)
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    mail_notification(user_id, nid, item.title, item.body or item.title, attempt=until)
    return True
