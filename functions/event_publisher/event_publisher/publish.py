"""Outbox to bus: turn outbox items into PutEvents entries and resend only the entries that failed."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from crm.records.outbox import EVENT_SOURCE

PUT_EVENTS_MAX_ENTRIES = 10
RESEND_ATTEMPTS = 3


@dataclass(frozen=True)
class OutboxEvent:
    sequence_number: str
    event_id: str
    detail_type: str
    detail: str
    created_at: str


PutEvents = Callable[[list[dict[str, Any]]], dict[str, Any]]


def publish(events: Sequence[OutboxEvent], bus_name: str, put_events: PutEvents,
            pause: Callable[[float], None] = time.sleep) -> list[str]:
    """Sends every event; returns the stream sequence numbers of the records whose events still failed,
    each once (a record, an outbox item, may carry several events)."""
    failed: list[str] = []
    for start in range(0, len(events), PUT_EVENTS_MAX_ENTRIES):
        pending = list(events[start:start + PUT_EVENTS_MAX_ENTRIES])
        for attempt in range(RESEND_ATTEMPTS):
            response = put_events([_entry(e, bus_name) for e in pending])
            results = response.get("Entries", [])
            pending = [event for event, result in zip(pending, results, strict=False) if "ErrorCode" in result]
            if not pending:
                break
            pause(0.05 * 2 ** attempt)
        failed.extend(e.sequence_number for e in pending)
    return list(dict.fromkeys(failed))


def _entry(event: OutboxEvent, bus_name: str) -> dict[str, Any]:
    detail = json.loads(event.detail)
    return {
        "Source": EVENT_SOURCE,
        "DetailType": event.detail_type,
        "Detail": json.dumps(detail, ensure_ascii=False),
        "EventBusName": bus_name,
        # Consumers deduplicate on detail.event_id, since a resend gets a new EventBridge id.
        "Resources": [f"crm:event/{event.event_id}"],
    }
