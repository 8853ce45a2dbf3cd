"""Outbox events: what the CRM announces on its bus, written in the same transaction as the change."""

from __future__ import annotations

import json
import uuid
from typing import Any

from crm.clock import epoch_seconds, iso_now
from crm.models import OutboxItem

EVENT_SOURCE = "crm"
OUTBOX_TTL_SECONDS = 7 * 24 * 3600


def outbox_event(detail_type: str, detail: dict[str, Any]) -> OutboxItem:
    event_id = uuid.uuid4().hex
    pk, sk = OutboxItem.key(event_id)
    return OutboxItem(
        pk, sk,
        event_id=event_id,
        detail_type=detail_type,
        detail=json.dumps({**detail, "event_id": event_id}, ensure_ascii=False, separators=(",", ":")),
        created_at=iso_now(),
        expires_at=epoch_seconds() + OUTBOX_TTL_SECONDS,
    )
