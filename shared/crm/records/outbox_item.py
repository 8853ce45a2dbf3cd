"""The single table's items, as PynamoDB models. Keys are built here and nowhere else."""

from __future__ import annotations

from pynamodb.attributes import (
    NumberAttribute,
    UnicodeAttribute,
)

from crm.records.table import CrmItem

OUTBOX_PREFIX = "OUTBOX#"


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
