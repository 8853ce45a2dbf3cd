"""Outbox events: what the CRM announces on its bus, written in the same transaction as the change."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from crm.platform.clock import epoch_seconds, iso_now
from crm.records.table import CrmItem

EVENT_SOURCE = "crm"
OUTBOX_TTL_SECONDS = 7 * 24 * 3600
OUTBOX_PREFIX = "OUTBOX#"


@dataclass(frozen=True)
class Event:
    """One event to announce; its detail carries its id (`event_id`), on which consumers deduplicate."""

    event_id: str
    detail_type: str
    detail: dict[str, Any]


def new_event(detail_type: str, detail: dict[str, Any]) -> Event:
    event_id = uuid.uuid4().hex
    return Event(event_id, detail_type, {**detail, "event_id": event_id})


def outbox_event(detail_type: str, detail: dict[str, Any]) -> OutboxItem:
    """The outbox item of one event."""
    return outbox_item([new_event(detail_type, detail)])


def outbox_item(events: Sequence[Event]) -> OutboxItem:
    """One outbox item for the events of one transaction: a single event is the item (keyed by its id);
    several are listed in one item's `events` (its `detail_type` names them all, for whoever reads the
    table), so a change that announces two pays for one item. The publisher sends each event as its own
    entry either way."""
    if not events:
        raise ValueError("an outbox item announces at least one event")
    now, expires_at = iso_now(), epoch_seconds() + OUTBOX_TTL_SECONDS
    if len(events) == 1:
        [event] = events
        return OutboxItem(*OutboxItem.key(event.event_id), event_id=event.event_id, detail_type=event.detail_type,
                          detail=_json(event.detail), created_at=now, expires_at=expires_at)
    return OutboxItem(*OutboxItem.key(uuid.uuid4().hex), created_at=now, expires_at=expires_at,
                      detail_type=", ".join(e.detail_type for e in events),
                      events=_json([{"detail_type": e.detail_type, "detail": e.detail} for e in events]))


def events_of(item: OutboxItem) -> list[Event]:
    """The events an outbox item announces, in the order they were written."""
    if item.events is None:
        return [Event(item.event_id, item.detail_type, json.loads(item.detail))]
    return [Event(e["detail"]["event_id"], e["detail_type"], e["detail"]) for e in json.loads(item.events)]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class OutboxItem(CrmItem):
    """Events written with the state change they announce; the stream publisher sends them. One event is
    `event_id`, `detail_type` and `detail` (JSON); several from one transaction are `events`, a JSON list
    of `{"detail_type", "detail"}` whose details carry their ids, with `detail_type` naming them all
    (crm.events builds and reads both)."""

    event_id = UnicodeAttribute(null=True)
    detail_type = UnicodeAttribute(null=True)
    detail = UnicodeAttribute(null=True)
    events = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    expires_at = NumberAttribute()

    @staticmethod
    def key(event_id: str) -> tuple[str, str]:
        return f"{OUTBOX_PREFIX}{event_id}", "EVENT"
