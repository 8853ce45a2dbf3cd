"""In-app notifications: one per thing a user is told (a reminder due, a lead assigned to them, an SLA missed),
listed newest first in their own partition of GSI1, each also mailed to them once.

A notification's id is derived from what it is about (`key`), so telling the same thing twice (a retried
reminder, a redelivered event) keeps one notification and sends one email."""

from __future__ import annotations

import hashlib
from typing import Any

from pynamodb.attributes import UnicodeAttribute

from crm.outbound.send import plain_message, send_once
from crm.platform.clock import iso_now
from crm.platform.config import get_settings
from crm.platform.observability import logger
from crm.records.fields import Document
from crm.records.table import VersionedItem
from crm.team.directory import address_of, member


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
           email: bool = True) -> str:
    """Tells `user_id` once per `key`: an unread notification, and an email from the notification sender to
    their address (when both are known). Returns the notification's id."""
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
        mail_notification(user_id, nid, title, body)
    return nid


def mail_notification(user_id: str, nid: str, title: str, body: str, attempt: str = "") -> str | None:
    """The notification's email, once per (notification, attempt): a snoozed one mails again when it wakes."""
    sender = get_settings().notification_sender
    address = address_of(user_id, member(user_id))
    if not sender or not address:
        logger.info("a notification was not mailed", extra={"notification_id": nid, "sender": bool(sender),
                                                            "address": bool(address)})
        return None
    raw = plain_message(sender, (address,), title, body or title).as_bytes()
    return send_once(f"notification:{user_id}:{nid}:{attempt}", sender, (address,), raw)
