"""Lambda entry: the table stream (filtered to new outbox items) to the CRM event bus. An outbox item
announces one event or several (those of one transaction); each is its own PutEvents entry."""

from __future__ import annotations

import json
from typing import Any

from crm.platform import aws
from crm.platform.config import get_settings
from crm.platform.observability import count, logger, metrics
from crm.platform.startup import loaded
from crm.records.outbox import OUTBOX_PREFIX, OutboxItem, events_of

from event_publisher.publish import OutboxEvent, publish


def outbox_events(event: dict[str, Any]) -> list[OutboxEvent]:
    """The new outbox items of a stream batch; anything else on the stream is not ours to send."""
    found: list[OutboxEvent] = []
    for record in event.get("Records", []):
        image = (record.get("dynamodb") or {}).get("NewImage") or {}
        if record.get("eventName") != "INSERT" or not image.get("PK", {}).get("S", "").startswith(OUTBOX_PREFIX):
            continue
        item = OutboxItem.from_raw_data(image)
        found.extend(OutboxEvent(record["dynamodb"]["SequenceNumber"], event.event_id, event.detail_type,
                                 json.dumps(event.detail, ensure_ascii=False), item.created_at)
                     for event in events_of(item))
    return found


def _put_events(entries: list[dict[str, Any]]) -> dict[str, Any]:
    return aws.client("events").put_events(Entries=entries)


@metrics.log_metrics
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    events = outbox_events(event)
    failed = publish(events, get_settings().event_bus_name, _put_events)
    # An item's events are retried together: those of a failed record count as not published yet.
    unpublished = sum(e.sequence_number in failed for e in events)
    count("EventsPublished", len(events) - unpublished)
    if failed:
        count("EventsPublishFailed", unpublished)
        logger.warning("some events were not published; the stream will retry them", extra={"failed": failed})
    # Only the failed records (and those after them) are retried, by ReportBatchItemFailures.
    return {"batchItemFailures": [{"itemIdentifier": seq} for seq in failed]}


# The import is done: what it built lives as long as the container (crm.platform.startup).
loaded()
